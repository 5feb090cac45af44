/* Search worker of the case library. It replaces Material's worker (overrides/main.html
 * points `__config.search` here) and speaks the same messages, so Material's search box,
 * result list and highlighting stay as they are.
 *
 * Why: Material segments a Chinese query only into index terms that end before the query's
 * last character and ORs them, so a phrase often loses its tail and a distinctive phrase
 * returns many pages. Here a Chinese run is matched as a whole when some index term starts
 * with it, and otherwise cut into the longest term prefixes; all parts are required (AND),
 * falling back to OR only when AND finds nothing; a page that contains the reader's words
 * literally ranks first. A Traditional query is converted to Simplified first (OpenCC's data).
 *
 * The index is prebuilt and sharded by term prefix (`python -m scripts.casebook index`):
 * on page load only the manifest of prefixes; when the reader types, the converter's files of
 * the query's characters, the shards of the prefixes the query names and the pages of the
 * results listed. lunr.js scores the query on an index
 * made of the fetched terms only, which gives the scores of the whole index.
 * scripts/casebook/search.py is the Python replay of this file: change both together.
 */
const SETUP = 0, READY = 1, QUERY = 2, RESULT = 3
const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g
const TAG = /<[^>]*>/g
const LITERAL_BOOST = 10
const RESULTS = 20

function plain(entries) {
  return entries.map(e => [e.title, e.text, ...(e.tags || [])].join(" ")).join(" ")
    .replace(TAG, " ").replace(/\u200b/g, "").toLowerCase()
}

/* Longest OpenCC phrase first, else character by character (to_simplified in search.py). */
function toSimplified(text, { phrases, chars }) {
  const longest = Math.max(1, ...Object.keys(phrases).map(p => p.length))
  let out = "", i = 0
  outer: while (i < text.length) {
    for (let length = Math.min(longest, text.length - i); length > 1; length--) {
      const piece = text.slice(i, i + length)
      if (Object.hasOwn(phrases, piece)) { out += phrases[piece]; i += length; continue outer }
    }
    out += Object.hasOwn(chars, text[i]) ? chars[text[i]] : text[i]
    i++
  }
  return out
}

/* A serialized lunr index of only these term rows (query_index in search.py). */
function queryIndex(rows, fields, version) {
  const invertedIndex = [], vectors = new Map()
  for (const [term, index, ...perField] of rows) {
    const posting = { _index: index }
    fields.forEach((field, f) => {
      const flat = perField[f], docs = {}
      for (let i = 0; i < flat.length; i += 2) {
        docs[flat[i]] = {}
        const ref = `${field}/${flat[i]}`
        if (!vectors.has(ref)) vectors.set(ref, [])
        vectors.get(ref).push([index, flat[i + 1]])
      }
      posting[field] = docs
    })
    invertedIndex.push([term, posting])
  }
  const fieldVectors = [...vectors].map(([ref, pairs]) =>
    [ref, pairs.sort((a, b) => a[0] - b[0]).flat()])
  return { version, fields, fieldVectors, invertedIndex, pipeline: [] }
}

function bisectRight(sorted, value) {
  let lo = 0, hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (value < sorted[mid]) hi = mid
    else lo = mid + 1
  }
  return lo
}

class Engine {
  /* `load(path)` resolves to the parsed JSON of a file under search/. */
  constructor(manifest, load) {
    this.manifest = manifest
    this.load = load
    this.separator = new RegExp(manifest.config.separator)
    this.keys = manifest.keys
    this.number = new Map(this.keys.map((key, n) => [key, n]))
    this.empty = new Set(manifest.empty)
    this.shards = new Map()
    this.pages = new Map()
    this.t2s = new Map()
  }

  page(number) {
    if (!this.pages.has(number)) this.pages.set(number, this.load(`pages/${number}.json`))
    return this.pages.get(number)
  }

  shard(key) {
    if (!this.shards.has(key)) {
      const n = this.number.get(key)
      this.shards.set(key, this.empty.has(n) ? Promise.resolve([]) : this.load(`shards/${n}.json`))
    }
    return this.shards.get(key)
  }

  /* The query in Simplified characters, with the converter's files of its characters. */
  async simplified(text) {
    const buckets = [...new Set([...text].map(c => c.codePointAt(0) % this.manifest.t2s))].sort((a, b) => a - b)
    for (const bucket of buckets)
      if (!this.t2s.has(bucket)) this.t2s.set(bucket, this.load(`t2s/${bucket}.json`))
    const table = { chars: {}, phrases: {} }
    for (const part of await Promise.all(buckets.map(bucket => this.t2s.get(bucket)))) {
      Object.assign(table.chars, part.chars)
      Object.assign(table.phrases, part.phrases)
    }
    return toSimplified(text, table)
  }

  deepestKey(prefix) {
    for (let j = prefix.length; j > 0; j--)
      if (this.number.has(prefix.slice(0, j))) return prefix.slice(0, j)
    return null
  }

  /* Is `prefix` the beginning of some index term? */
  async startsTerm(prefix) {
    const key = this.deepestKey(prefix)
    if (key === null) return false
    if (key === prefix) return true            /* a key is listed only when a term starts with it */
    const rows = await this.shard(key)
    let lo = 0, hi = rows.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (rows[mid][0] < prefix) lo = mid + 1
      else hi = mid
    }
    return lo < rows.length && rows[lo][0].startsWith(prefix)
  }

  /* A run of Chinese characters → prefixes of index terms, longest first, covering the run. */
  async segment(run) {
    if (await this.startsTerm(run)) return [run]
    const parts = []
    for (let i = 0; i < run.length;) {
      let j = run.length
      while (j > i && !(await this.startsTerm(run.slice(i, j)))) j--
      if (j === i) { i++; continue }          /* a character no term contains */
      parts.push(run.slice(i, j))
      i = j
    }
    return parts
  }

  async parts(query) {
    const out = []
    for (const word of query.toLowerCase().split(this.separator)) {
      if (!word) continue
      let last = 0
      for (const m of word.matchAll(HAN)) {
        if (m.index > last) out.push(word.slice(last, m.index))
        out.push(...await this.segment(m[0]))
        last = m.index + m[0].length
      }
      if (last < word.length) out.push(word.slice(last))
    }
    return [...new Set(out)]
  }

  /* The rows of every term that starts with one of the parts (rows_for in search.py). */
  async rowsFor(parts) {
    const keys = []
    for (const part of parts) {
      const key = this.deepestKey(part)
      if (key === null) continue
      keys.push(key)
      if (key === part)
        for (let i = bisectRight(this.keys, part); i < this.keys.length && this.keys[i].startsWith(part); i++)
          keys.push(this.keys[i])
    }
    const shards = await Promise.all([...new Set(keys)].map(key => this.shard(key)))
    const rows = new Map()
    for (const shard of shards)
      for (const row of shard)
        if (parts.some(p => row[0].startsWith(p))) rows.set(row[0], row)
    /* code-point order, as Python sorts */
    return [...rows.keys()].sort((a, b) => a < b ? -1 : a > b ? 1 : 0).map(term => rows.get(term))
  }

  run(index, parts, presence) {
    return index.query(q => {
      for (const term of parts)
        q.term(term, { wildcard: lunr.Query.wildcard.TRAILING, presence, usePipeline: false })
    })
  }

  async search(rawQuery) {
    const query = await this.simplified(rawQuery)
    const parts = await this.parts(query)
    if (!parts.length) return { items: [] }
    const index = lunr.Index.load(queryIndex(await this.rowsFor(parts), this.manifest.fields, this.manifest.version))
    let results = this.run(index, parts, lunr.Query.presence.REQUIRED)
    if (!results.length) results = this.run(index, parts, lunr.Query.presence.OPTIONAL)
    results = results.slice(0, RESULTS)
    const pages = await Promise.all(results.map(({ ref }) => this.page(Number(ref))))
    const words = query.toLowerCase().split(this.separator).filter(Boolean)
    const scored = results.map(({ score, matchData }, r) => {
      const text = plain(pages[r])
      const literal = words.filter(w => text.includes(w)).length
      const matched = Object.keys(matchData.metadata)
      const terms = {}
      for (const p of parts) terms[p] = matched.some(m => m.startsWith(p))
      return { entries: pages[r], terms, score: score * LITERAL_BOOST ** literal }
    })
    scored.sort((a, b) => b.score - a.score)
    /* Each page: its article, then the sections that contain one of the query's parts. */
    const items = scored.map(({ entries, terms, score }) => {
      const [article, ...sections] = entries
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
    piece.startsWith("<") ? piece : piece.replace(pattern, m => `<mark>${m}</mark>`)
  ).join("")
}

async function fetchJSON(path) {
  const response = await fetch(new URL(`../../search/${path}`, self.location.href))
  if (!response.ok) throw new Error(`${path}: ${response.status}`)
  return response.json()
}

/* `mkdocs serve` runs no `casebook index`: the worker then indexes the documents Material
   sent, in memory, into the same files (one shard per first character, no converter). */
function inMemoryFiles(data) {
  const separator = new RegExp(data.config.separator)
  const pages = pagesOf(data.docs)
  const index = lunr(function () {
    this.pipeline.reset()
    this.searchPipeline.reset()
    this.b(0)
    this.ref("ref")
    for (const [name, spec] of Object.entries(data.config.fields))
      this.field(name, { boost: spec.boost, extractor: doc => tokenize(doc[name], separator) })
    pages.forEach((entries, number) => {
      const doc = pageDocument(number, entries)
      this.add(doc, doc.boost !== undefined ? { boost: doc.boost } : undefined)
    })
  })
  const fields = index.fields, weights = new Map()
  for (const [ref, vector] of Object.entries(index.fieldVectors)) {
    const [field, doc] = ref.split("/")
    for (let i = 0; i < vector.elements.length; i += 2)
      weights.set(`${field}/${vector.elements[i]}/${doc}`, vector.elements[i + 1])
  }
  const shards = new Map()
  for (const term of Object.keys(index.invertedIndex).sort()) {
    const posting = index.invertedIndex[term], n = posting._index
    const row = [term, n, ...fields.map(f => Object.keys(posting[f]).map(Number).sort((a, b) => a - b)
      .flatMap(doc => [doc, weights.get(`${f}/${n}/${doc}`)]))]
    if (!shards.has(term[0])) shards.set(term[0], [])
    shards.get(term[0]).push(row)
  }
  const keys = [...shards.keys()].sort()
  const files = { "manifest.json": { version: lunr.version, config: data.config, fields, keys, empty: [], t2s: 1 },
                  "t2s/0.json": { chars: {}, phrases: {} } }
  keys.forEach((key, n) => { files[`shards/${n}.json`] = shards.get(key) })
  pages.forEach((entries, n) => {
    files[`pages/${n}.json`] = entries.map(({ tags, ...e }, i) => ({
      ...e, title: (e.title || "").replace(/\u200b/g, ""), text: (e.text || "").replace(/\u200b/g, ""),
      ...(i === 0 && tags ? { tags } : {})
    }))
  })
  return files
}

function tokenize(value, separator) {
  if (value === undefined || value === null) return []
  const values = Array.isArray(value) ? value : [value]
  const out = []
  for (const v of values)
    for (const piece of String(v).replace(TAG, " ").split(separator))
      if (piece) out.push(piece.toLowerCase())
  return out
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

/* The manifest (a few KB) is fetched when Material starts the worker on page load; lunr.js,
   the shards and the pages only when the reader types. */
let manifest, engine, documents
function started() {
  if (!engine) {
    importScripts("lunr.min.js")
    engine = manifest.then(
      found => new Engine(found, fetchJSON),
      () => {
        const files = inMemoryFiles(documents)
        return new Engine(files["manifest.json"], async path => files[path])
      })
  }
  return engine
}

addEventListener("message", async ev => {
  const message = ev.data
  if (message.type === SETUP) {
    documents = message.data
    manifest = fetchJSON("manifest.json")
    manifest.catch(() => {})  /* mkdocs serve: no manifest, handled on the first query */
    postMessage({ type: READY })
  } else if (message.type === QUERY) {
    /* Material also sends the empty box's value when a page opens */
    if (!String(message.data).trim()) return postMessage({ type: RESULT, data: { items: [] } })
    try {
      postMessage({ type: RESULT, data: await (await started()).search(message.data) })
    } catch (err) {
      console.warn(err)
      postMessage({ type: RESULT, data: { items: [] } })
    }
  }
})
