/* Search worker of the case library. It replaces Material's worker (overrides/main.html
 * points `__config.search` here) and speaks the same messages, so Material's search box,
 * result list and highlighting stay as they are.
 *
 * Why: Material segments a Chinese query only into index terms that end before the query's
 * last character and ORs them, so a phrase often loses its tail and a distinctive phrase
 * returns many pages. Here a Chinese run is matched as a whole when some index term starts
 * with it, and otherwise cut into the longest term prefixes; all parts are required (AND),
 * falling back to OR only when AND finds nothing; a page that contains the reader's words
 * literally ranks first. The documents and the index are prebuilt at build time
 * (search/casebook_index.json, `python -m scripts.casebook index`) and fetched as soon as
 * the worker starts, instead of the index being built on every page load.
 * scripts/casebook/search.py is the Python replay of this file: change both together.
 */
/* Start fetching the prebuilt file before loading lunr: importScripts blocks the worker. */
const prebuiltIndex = prebuilt()
importScripts("lunr.min.js")

const SETUP = 0, READY = 1, QUERY = 2, RESULT = 3
const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g
const TAG = /<[^>]*>/g
const LITERAL_BOOST = 10

function tokenize(value, separator) {
  if (value === undefined || value === null) return []
  const values = Array.isArray(value) ? value : [value]
  const out = []
  for (const v of values)
    for (const piece of String(v).replace(TAG, " ").split(separator))
      if (piece) out.push(piece.toLowerCase())
  return out
}

function plain(entries) {
  return entries.map(e => [e.title, e.text, ...(e.tags || [])].join(" ")).join(" ")
    .replace(TAG, " ").replace(/\u200b/g, "").toLowerCase()
}

/* Index entries grouped by page in order of first appearance; the first is the article. */
function pagesOf(docs) {
  const pages = new Map()
  for (const doc of docs) {
    const page = doc.location.split("#")[0]
    if (!pages.has(page)) pages.set(page, [])
    pages.get(page).push(doc)
  }
  return [...pages.values()]
}

/* One indexed document per page (refs are page numbers; see page_document in search.py). */
function pageDocument(number, entries) {
  const article = entries[0]
  const doc = {
    ref: String(number), title: article.title || "",
    text: [article.text || "", ...entries.slice(1).map(e => `${e.title || ""} ${e.text || ""}`)].join(" "),
    tags: article.tags || []
  }
  if (article.boost !== undefined) doc.boost = article.boost
  return doc
}

class Engine {
  constructor({ config, docs, index: serialized }) {
    this.separator = new RegExp(config.separator)
    this.pages = pagesOf(docs)
    this.plainCache = new Map()
    this.index = serialized ? lunr.Index.load(serialized) : this.build(config)
    this.terms = Object.keys(this.index.invertedIndex).sort()
  }

  /* A page's text without markup, for the literal-match boost (computed on first use). */
  pageText(number) {
    if (!this.plainCache.has(number)) this.plainCache.set(number, plain(this.pages[number]))
    return this.plainCache.get(number)
  }

  build(config) {
    const separator = this.separator, pages = this.pages
    return lunr(function () {
      this.pipeline.reset()
      this.searchPipeline.reset()
      this.b(0)
      this.ref("ref")
      for (const [name, spec] of Object.entries(config.fields))
        this.field(name, { boost: spec.boost, extractor: doc => tokenize(doc[name], separator) })
      pages.forEach((entries, number) => {
        const doc = pageDocument(number, entries)
        this.add(doc, doc.boost !== undefined ? { boost: doc.boost } : undefined)
      })
    })
  }

  /* Is `prefix` the beginning of some index term? (binary search in the sorted terms) */
  startsTerm(prefix) {
    let lo = 0, hi = this.terms.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.terms[mid] < prefix) lo = mid + 1
      else hi = mid
    }
    return lo < this.terms.length && this.terms[lo].startsWith(prefix)
  }

  /* A run of Chinese characters → prefixes of index terms, longest first, covering the run. */
  segment(run) {
    if (this.startsTerm(run)) return [run]
    const parts = []
    for (let i = 0; i < run.length;) {
      let j = run.length
      while (j > i && !this.startsTerm(run.slice(i, j))) j--
      if (j === i) { i++; continue }          /* a character no term contains */
      parts.push(run.slice(i, j))
      i = j
    }
    return parts
  }

  parts(query) {
    const out = []
    for (const word of query.toLowerCase().split(this.separator)) {
      if (!word) continue
      let last = 0
      for (const m of word.matchAll(HAN)) {
        if (m.index > last) out.push(word.slice(last, m.index))
        out.push(...this.segment(m[0]))
        last = m.index + m[0].length
      }
      if (last < word.length) out.push(word.slice(last))
    }
    return [...new Set(out)]
  }

  run(parts, presence) {
    return this.index.query(q => {
      for (const term of parts)
        q.term(term, { wildcard: lunr.Query.wildcard.TRAILING, presence, usePipeline: false })
    })
  }

  search(query) {
    const parts = this.parts(query)
    if (!parts.length) return { items: [] }
    let results = this.run(parts, lunr.Query.presence.REQUIRED)
    if (!results.length) results = this.run(parts, lunr.Query.presence.OPTIONAL)
    const words = query.toLowerCase().split(this.separator).filter(Boolean)
    const scored = results.map(({ ref, score, matchData }) => {
      const number = Number(ref)
      const literal = words.filter(w => this.pageText(number).includes(w)).length
      const matched = Object.keys(matchData.metadata)
      const terms = {}
      for (const p of parts) terms[p] = matched.some(m => m.startsWith(p))
      return { number, terms, score: score * LITERAL_BOOST ** literal }
    })
    scored.sort((a, b) => b.score - a.score)
    /* Each page: its article, then the sections that contain one of the query's parts. */
    const items = scored.map(({ number, terms, score }) => {
      const [article, ...sections] = this.pages[number]
      const hits = sections.filter(e => parts.some(p => plain([e]).includes(p)))
      /* tags are search keywords (places, synonyms), not worth showing as chips */
      return [article, ...hits].map(({ tags, ...doc }, i) => ({
        ...doc, title: mark(doc.title, parts), text: mark(doc.text, parts),
        score: i ? 0 : score, terms
      }))
    })
    return { items }
  }
}

/* Wrap the query's parts in <mark> in the text between tags. */
function mark(html, parts) {
  if (!html) return html
  const words = parts.filter(Boolean).sort((a, b) => b.length - a.length)
    .map(p => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
  if (!words.length) return html
  const pattern = new RegExp(words.join("|"), "gi")
  return html.split(/(<[^>]*>)/).map(piece =>
    piece.startsWith("<") ? piece : piece.replace(/\u200b/g, "").replace(pattern, m => `<mark>${m}</mark>`)
  ).join("")
}

async function prebuilt() {
  try {
    const response = await fetch(new URL("../../search/casebook_index.json", self.location.href))
    return response.ok ? await response.json() : undefined
  } catch (err) {
    return undefined
  }
}

/* Settled by the SETUP message; a query that arrives earlier waits for it instead of
   finding nothing (the page may send a query typed before the index is ready). */
let setup
const engine = new Promise(resolve => { setup = resolve })

addEventListener("message", async ev => {
  const message = ev.data
  if (message.type === SETUP) {
    /* without a prebuilt file (mkdocs serve), index the documents Material sent */
    setup(prebuiltIndex.then(prebuilt => new Engine(prebuilt || message.data)))
    await engine
    postMessage({ type: READY })
  } else if (message.type === QUERY) {
    try {
      postMessage({ type: RESULT, data: (await engine).search(message.data) })
    } catch (err) {
      console.warn(err)
      postMessage({ type: RESULT, data: { items: [] } })
    }
  }
})
