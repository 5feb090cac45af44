"""Search: the jieba user dictionary, the prebuilt sharded lunr index, and a Python replay
of the site's search worker (docs/assets/javascripts/casebook-search.js).

The index is built once with lunr.py, then cut so that a reader's query fetches only what it
needs (the layout Pagefind uses for its chunked index and fragments):

- site/search/manifest.json: the configuration and the shard keys (term prefixes);
- site/search/shards/<n>.json: the terms under one prefix, each with its lunr term index
  and, per field, the documents and their lunr weights (the term's element of the field
  vectors) — enough for lunr.js to score those terms exactly as the whole index would;
- site/search/pages/<n>.json: one page's entries, fetched only for the results shown;
- site/search/t2s/<n>.json: OpenCC's Traditional→Simplified tables by code point, for the query.

The worker and `SiteSearch` read the same files with one query procedure, so the tests and
`make search` see the ranking readers see. Change the two query procedures together.
"""
from __future__ import annotations

import bisect
import html
import json
import math
import re
import shutil
from pathlib import Path

from backrefs import bre
from lunr.builder import Builder
from lunr.index import Index
from lunr.query import Query, QueryPresence

from .library import Library
from .model import Case
from .text import inert
from .vocab import thesaurus

_TAG = re.compile(r"<[^>]*>")
# Material's pattern for the runs it segments (bre: Unicode script properties)
_HAN_SCRIPT = bre.compile(r"(\p{script: Han}+)", bre.UNICODE)
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_QUOTED = re.compile(r"“([^”]{2,14})”")
USER_WORD_FREQ = 100_000  # high enough that jieba keeps a library term whole


# -- the user dictionary -------------------------------------------------------------------
def user_terms(library: Library) -> list[str]:
    """Terms readers type that jieba should keep whole: organisations, places, tags,
    themes, and programme names quoted in titles, summaries and measures."""
    terms: set[str] = set()
    for region in library.vocab.regions:
        terms.update([region.name, region.short])
    terms.update(library.vocab.theme_names)
    terms.update(word for group in thesaurus(library.vocab.search_terms).groups for word in group)
    for case in library.cases:
        terms.update([case.organization, case.region.city or "", case.region.district or "", *case.tags])
        texts = [case.title, case.summary] + [m.title + m.detail for m in case.measures]
        for text in texts:
            terms.update(_QUOTED.findall(text))
    # jieba's dictionary format is "word freq": a term with a space cannot be one word
    return sorted(t for t in terms if len(t) >= 2 and not re.search(r"\s", t) and HAN.search(t))


def search_tags(case: Case, library: Library) -> list[str]:
    """Who and where, as the header search's boosted `tags` field of a case page:
    organisation, place names (full and short), themes, the record's own tags, and the
    reader words of search_terms.yaml that apply to it (`Thesaurus.words_for`)."""
    names = [case.organization, case.region.province, library.vocab.region(case.region.province).short,
             case.region.city, case.region.district, *case.themes, *case.tags]
    names += thesaurus(library.vocab.search_terms).words_for(case_text(case))
    return list(dict.fromkeys(n for n in names if n))


def case_text(case: Case) -> str:
    """All the prose of a record, for deciding which search terms apply to it."""
    parts = [case.title, case.summary, case.problem, case.lessons or "", *case.tags, *case.themes,
             *(m.title + m.detail for m in case.measures), *(m.label for m in case.metrics)]
    return "\n".join(parts)




def copy_lunr(project: Path, docs_dir: Path) -> Path:
    """lunr.js for the search worker, from the pinned npm package (`npm ci`)."""
    source = project / "node_modules" / "lunr" / "lunr.min.js"
    if not source.is_file():
        raise FileNotFoundError("缺少 node_modules/lunr/lunr.min.js，请先运行 npm ci（make 会自动运行）")
    target = docs_dir / "assets" / "javascripts" / "lunr.min.js"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file() or target.read_bytes() != source.read_bytes():  # untouched: mkdocs serve idles
        shutil.copyfile(source, target)
    return target


def write_user_dictionary(library: Library, path: Path) -> int:
    terms = user_terms(library)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{t} {USER_WORD_FREQ}\n" for t in terms), encoding="utf-8")
    return len(terms)


# -- the index and the query handling of docs/assets/javascripts/casebook-search.js -------
LITERAL_BOOST = 10


def tokenize(value, separator: re.Pattern) -> list[str]:
    """Index tokens of a field value: text between tags, split by the separator, lower-cased;
    every element of a list likewise (as Material's tokenizer does)."""
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [piece.lower() for v in values for piece in separator.split(_TAG.sub(" ", str(v))) if piece]


def pages_of(docs: list[dict]) -> list[tuple[str, list[dict]]]:
    """Index entries grouped by page, in order of first appearance; the first entry of a
    page is its article (as in Material's search)."""
    pages: dict[str, list[dict]] = {}
    for doc in docs:
        pages.setdefault(doc["location"].split("#")[0], []).append(doc)
    return list(pages.items())


def page_document(number: int, entries: list[dict]) -> dict:
    """One indexed document per page: its sections' titles and texts together; the
    article's title and tags. Refs are page numbers, which keeps the index small."""
    article = entries[0]
    # the article's title is its own field: repeating it in `text` would only enlarge the index
    doc = {"ref": str(number), "title": article.get("title", ""),
           "text": " ".join([article.get("text", "")] + [f"{e.get('title', '')} {e.get('text', '')}" for e in entries[1:]]),
           "tags": article.get("tags", [])}
    if "boost" in article:
        doc["boost"] = article["boost"]
    return doc


def build_index(data: dict) -> dict:
    """The lunr index of a site's search documents ({"config", "docs"}), serialized as for
    lunr.js `Index.load`, by lunr.py's own builder: the reference `term_rows_of` is tested
    against (the build uses `term_rows_of`)."""
    config = data["config"]
    separator = re.compile(config["separator"])
    builder = Builder()
    builder.ref("ref")
    builder.b(0)
    for name, spec in config["fields"].items():
        builder.field(name, boost=spec.get("boost", 1),
                      extractor=lambda doc, name=name: tokenize(doc.get(name), separator))
    for number, (_, entries) in enumerate(pages_of(data["docs"])):
        doc = page_document(number, entries)
        builder.add(doc, {"boost": doc["boost"]} if "boost" in doc else None)
    return builder.build().serialize()


def term_rows_of(config: dict, pages: list[tuple[str, list[dict]]]) -> list[list]:
    """`term_rows(build_index(...))` without lunr.py's builder: the same rows, by term, with
    the same term indexes and the same weights (lunr's BM25 with b = 0 and k1 = 1.2, the field
    and document boosts, rounded to 3 places), kept in flat lists instead of lunr.py's dict per
    posting, which grows with the library (a 3,000-case build peaked at 859 MB with lunr.py's builder,
    567 MB with this and the worker given only the entries). tests/test_search.py
    checks that both give identical rows."""
    fields = list(config["fields"])
    boosts = [config["fields"][f].get("boost", 1) for f in fields]
    separator = re.compile(config["separator"])
    postings: dict[str, list] = {}  # term → [term index, [doc, tf, doc, tf, …] per field]
    lengths: list[list[int]] = [[] for _ in fields]
    doc_boosts = []
    for number, (_, entries) in enumerate(pages):
        doc = page_document(number, entries)
        doc_boosts.append(doc.get("boost", 1))
        for f, field in enumerate(fields):
            tokens = tokenize(doc.get(field), separator)
            lengths[f].append(len(tokens))
            counts: dict[str, int] = {}
            for token in tokens:  # first occurrence order: lunr numbers terms as it meets them
                counts[token] = counts.get(token, 0) + 1
            for term, tf in counts.items():
                posting = postings.get(term)
                if posting is None:
                    posting = postings[term] = [len(postings), *([] for _ in fields)]
                posting[1 + f] += (number, tf)
    count, k1, b = len(pages), 1.2, 0
    average = [sum(field) / len(field) if field else 0 for field in lengths]
    rows = []
    for term in sorted(postings):
        index, *per_field = postings.pop(term)
        with_term = sum(len(flat) // 2 for flat in per_field)
        x = (count - with_term + 0.5) / (with_term + 0.5)
        idf = math.log(1 + abs(x))
        weighted = []
        for f, flat in enumerate(per_field):
            out = []
            for i in range(0, len(flat), 2):
                doc, tf = flat[i], flat[i + 1]
                # lunr.builder.Builder._create_field_vectors, term for term (b = 0: no length norm)
                score = idf * ((k1 + 1) * tf) / (k1 * (1 - b + b * (lengths[f][doc] / average[f])) + tf)
                score *= boosts[f]
                score *= doc_boosts[doc]
                out += (doc, round(score, 3))
            weighted.append(out)
        rows.append([term, index, *weighted])
    return rows


def compact_entries(entries: list[dict]) -> list[dict]:
    """A page's entries as the browser shows them: no U+200B segmentation marks, tags on the
    article only."""
    slim = [{k: (v.replace("\u200b", "") if isinstance(v, str) else v) for k, v in e.items()} for e in entries]
    for entry in slim[1:]:
        entry.pop("tags", None)
    return slim


# -- shards ---------------------------------------------------------------------------------
# A prefix whose terms take more than this (JSON bytes) is split by the next character, so a
# query fetches only the terms under the prefixes it names.
SHARD_BYTES = 12_000
MANIFEST = "manifest.json"
PREBUILT = "casebook_index.json"  # the indexed pages, for the build's own checks (invariant.py)
T2S_BUCKETS = 32  # the converter in files by code point: a query fetches those of its characters
RESULTS = 20  # results listed, whose pages are fetched; the literal boost ranks these


def term_rows(serialized: dict) -> list[list]:
    """[term, term index, [doc, weight, …] per field], from a serialized lunr index: the
    weight of a term in a field of a document is its element of that field vector."""
    fields = serialized["fields"]
    weights: dict[tuple[str, int], dict[int, float]] = {}
    for field_ref, elements in serialized["fieldVectors"]:
        field, ref = field_ref.split("/", 1)
        for i in range(0, len(elements), 2):
            weights.setdefault((field, elements[i]), {})[int(ref)] = elements[i + 1]
    rows = []
    for term, posting in serialized["invertedIndex"]:
        index = posting["_index"]
        per_field = []
        for field in fields:
            w = weights.get((field, index), {})
            per_field.append([x for doc in sorted(int(r) for r in posting[field]) for x in (doc, w[doc])])
        rows.append([term, index, *per_field])
    return rows


def shard_rows(rows: list[list], limit: int = SHARD_BYTES) -> dict[str, list[list]]:
    """Prefix → the rows of the terms whose longest listed prefix it is. Keys are
    prefix-closed: every key's own prefixes of one or more characters are keys too."""
    shards: dict[str, list[list]] = {}

    def size(part):
        return sum(len(json.dumps(r, ensure_ascii=False)) for r in part)

    def place(key: str, part: list[list]) -> None:
        depth = len(key)
        if size(part) <= limit or all(len(r[0]) <= depth for r in part):
            shards[key] = part
            return
        shards[key] = [r for r in part if len(r[0]) == depth]
        children: dict[str, list[list]] = {}
        for r in part:
            if len(r[0]) > depth:
                children.setdefault(r[0][:depth + 1], []).append(r)
        for child, rows_ in children.items():
            place(child, rows_)

    first: dict[str, list[list]] = {}
    for r in rows:
        first.setdefault(r[0][:1], []).append(r)
    for key, part in first.items():
        place(key, part)
    return dict(sorted(shards.items()))


def t2s_table() -> dict:
    """OpenCC's Traditional→Simplified data (the t2s configuration: phrases, then
    characters) from the opencc-python-reimplemented package; a phrase is kept only where
    converting it character by character would give another result."""
    import opencc

    folder = Path(opencc.__file__).parent / "dictionary"

    def read(name):
        table = {}
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            if "\t" in line:
                source, targets = line.split("\t", 1)
                table[source] = targets.split(" ")[0]
        return table

    chars = read("TSCharacters.txt")
    phrases = {p: s for p, s in read("TSPhrases.txt").items()
               if "".join(chars.get(c, c) for c in p) != s}
    return {"chars": chars, "phrases": phrases}


def t2s_bucket(char: str) -> int:
    return ord(char) % T2S_BUCKETS


def t2s_buckets(table: dict) -> list[dict]:
    """The converter cut by the code point of a character or of a phrase's first character."""
    buckets = [{"chars": {}, "phrases": {}} for _ in range(T2S_BUCKETS)]
    for kind in ("chars", "phrases"):
        for source, target in table[kind].items():
            buckets[t2s_bucket(source[0])][kind][source] = target
    return buckets


def to_simplified(text: str, table: dict) -> str:
    """Longest phrase first, else character by character (OpenCC's forward maximum match)."""
    phrases, chars = table["phrases"], table["chars"]
    longest = max(map(len, phrases), default=1)
    out, i = [], 0
    while i < len(text):
        for length in range(min(longest, len(text) - i), 1, -1):
            if text[i:i + length] in phrases:
                out.append(phrases[text[i:i + length]])
                i += length
                break
        else:
            out.append(chars.get(text[i], text[i]))
            i += 1
    return "".join(out)


# -- the documents: what each indexed page says, from the records ----------------------------
def segment(text: str) -> str:
    """Chinese runs cut into words by jieba, each word between U+200B (which the separator
    splits on), as Material's search plugin does (`SearchIndex._segment_chinese`)."""
    import jieba

    def words(match) -> str:
        return "\u200b" + "\u200b".join(jieba.cut(match.group(0))) + "\u200b"
    return _HAN_SCRIPT.sub(words, text).strip("\u200b")


def _html(text) -> str:
    return html.escape(inert(" ".join(str(text).split())), quote=False)


def case_documents(case: Case, library: Library) -> list[dict]:
    """A case page's search entries, unsegmented, as Material's search plugin would read
    them from the page (overrides/pages/case.tmpl.md): the article (title, summary, tags),
    then each section not marked data-search-exclude under its heading's anchor. The
    metrics section holds the metric labels only (values and quotes are not searched).
    Built from the record, so that indexing needs no rendered page and runs beside MkDocs;
    tests/test_search.py compares these with what Material extracts from the built page."""
    url = f"cases/{case.id}/"
    tags = search_tags(case, library)
    entry = lambda location, title, text: {"location": location, "title": title, "text": text, "tags": tags}  # noqa: E731
    docs = [entry(url, _html(case.title), f"<p>{_html(case.summary)}</p>"),
            entry(f"{url}#{heading_id('主要做法')}", "主要做法", "")]
    for number, measure in enumerate(case.measures, 1):
        heading = f"{number}. {' '.join(measure.title.split())}"
        docs.append(entry(f"{url}#{heading_id(inert(heading))}", _html(heading), f"<p>{_html(measure.detail)}</p>"))
    text = " ".join(_html(m.label) for m in case.metrics) if case.metrics else "<p>来源未给出量化成效。</p>"
    docs.append(entry(f"{url}#{heading_id('成效')}", "成效", text))
    return docs


def heading_id(text: str) -> str:
    """The anchor MkDocs gives a heading (mkdocs.yml: toc's slugify)."""
    from pymdownx.slugs import slugify

    return slugify(case="lower")(text, "-")


def handwritten_documents(root: Path, pages: list[str]) -> tuple[dict, list[dict]]:
    """Material's search configuration (its defaults applied to mkdocs.yml's) and the search
    entries of the hand-written pages (paths under docs/), which MkDocs renders and
    Material's own indexer reads, segmented, as in a build. Loading the plugin's
    configuration also loads the jieba user dictionary it names, which `segment` then uses."""
    import logging

    import jieba
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, Files
    from mkdocs.structure.pages import Page

    logging.getLogger("mkdocs").setLevel(logging.ERROR)  # links to pages not loaded here
    jieba.setLogLevel(logging.WARNING)  # its loading lines are not for editors
    config = load_config(str(root / "mkdocs.yml"))
    plugin = next(p for name, p in config.plugins.items() if name.endswith("search"))
    plugin.on_config(config)
    files = Files([File(page, config.docs_dir, config.site_dir, config.use_directory_urls) for page in pages])
    for file in files.documentation_pages():
        page = Page(None, file, config)
        page.read_source(config)
        if (page.meta.get("search") or {}).get("exclude"):
            continue
        page.render(config, files)
        plugin.search_index.add_entry_from_context(page)
    search = {key: plugin.search_index.config[key] for key in ("lang", "separator", "pipeline", "fields")}
    return search, plugin.search_index.entries


def case_entries(library: Library) -> list[dict]:
    """Every case page's entries, unsegmented, in the order MkDocs builds the pages."""
    return [entry for case in sorted(library.cases, key=lambda c: c.id) for entry in case_documents(case, library)]


def documents(entries: list[dict], root: Path, handwritten: list[str]) -> tuple[dict, list[dict]]:
    """The search configuration and every indexed page's entries, segmented: the
    hand-written pages, then the case pages (`case_entries`)."""
    global _SEGMENTED
    config, docs = handwritten_documents(root, handwritten)
    # `make serve` indexes again after every edit: texts segmented last time are reused, and
    # only this run's texts are kept for the next
    previous, _SEGMENTED = _SEGMENTED, {}

    def segmented(text: str) -> str:
        if text not in _SEGMENTED:
            _SEGMENTED[text] = previous[text] if text in previous else segment(text)
        return _SEGMENTED[text]
    docs += [{**entry, "title": segmented(entry["title"]), "text": segmented(entry["text"])} for entry in entries]
    return config, docs


_SEGMENTED: dict[str, str] = {}  # text → segmented, from the last `documents`


# -- the index files -------------------------------------------------------------------------
def index_files(config: dict, docs: list[dict]) -> dict[str, bytes]:
    """Everything under site/search/ the site's search reads, by path: the shards, the
    pages and the manifest; search_index.json, which Material's page script fetches on
    every page load, with the configuration only."""
    from lunr import __TARGET_JS_VERSION__

    pages = pages_of(docs)
    shards = shard_rows(term_rows_of(config, pages))
    fields = list(config["fields"])
    keys = list(shards)
    files = {f"shards/{n}.json": _json(shards[key]) for n, key in enumerate(keys) if shards[key]}
    files |= {f"pages/{n}.json": _json(compact_entries(entries)) for n, (_, entries) in enumerate(pages)}
    files |= {f"t2s/{n}.json": _json(bucket) for n, bucket in enumerate(t2s_buckets(t2s_table()))}
    files[MANIFEST] = _json({
        "version": __TARGET_JS_VERSION__, "config": config, "fields": fields,
        "keys": keys, "empty": [n for n, key in enumerate(keys) if not shards[key]], "t2s": T2S_BUCKETS})
    files[PREBUILT] = _json({"docs": [{"location": location} for location, _ in pages]})
    files["search_index.json"] = _json({"config": config, "docs": []})
    return files


def write_index(search_dir: Path, files: dict[str, bytes]) -> Path:
    """Make search_dir hold the index `files` (the folders of shards, pages and the
    converter exactly; Material's search_index.json replaced)."""
    for folder in ("shards", "pages", "t2s"):
        shutil.rmtree(search_dir / folder, ignore_errors=True)
        (search_dir / folder).mkdir(parents=True)
    for rel, data in files.items():
        (search_dir / rel).write_bytes(data)
    return search_dir / PREBUILT


def sync_index(search_dir: Path, files: dict[str, bytes]) -> list[str]:
    """Make search_dir hold exactly the index `files`, writing only those whose bytes
    changed (`make serve`: MkDocs then copies only those). Returns the changed paths."""
    existing = {p.relative_to(search_dir).as_posix() for p in search_dir.rglob("*.json")} if search_dir.is_dir() else set()
    for rel in existing - set(files):
        (search_dir / rel).unlink()
    changed = []
    for rel, data in files.items():
        target = search_dir / rel
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        changed.append(rel)
    return changed


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _plain(entries: list[dict]) -> str:
    text = " ".join(" ".join([e.get("title", ""), e.get("text", ""), *e.get("tags", [])]) for e in entries)
    return _TAG.sub(" ", text).replace("\u200b", "").lower()


def query_index(rows: list[list], fields: list[str], version: str) -> dict:
    """A serialized lunr index of only these term rows (sorted by term): postings in
    ascending document order, field vectors holding these terms' elements in term-index
    order. For a query on these terms lunr scores it exactly as the whole index."""
    inverted, vectors = [], {}
    for term, index, *per_field in rows:
        posting = {"_index": index}
        for field, flat in zip(fields, per_field):
            posting[field] = {str(flat[i]): {} for i in range(0, len(flat), 2)}
            for i in range(0, len(flat), 2):
                vectors.setdefault(f"{field}/{flat[i]}", []).append((index, flat[i + 1]))
        inverted.append([term, posting])
    field_vectors = [[ref, [x for pair in sorted(pairs) for x in pair]] for ref, pairs in vectors.items()]
    return {"version": version, "fields": fields, "fieldVectors": field_vectors,
            "invertedIndex": inverted, "pipeline": []}


class SiteSearch:
    """The header search of a built site, replayed in Python on the same shards: files are
    read when the query procedure needs them, as the worker fetches them."""

    listed: int | None = RESULTS  # None: rank every result with the literal boost (the unsharded worker)

    def __init__(self, search_dir: Path):
        self.dir = search_dir
        self.manifest = json.loads((search_dir / MANIFEST).read_text(encoding="utf-8"))
        self.separator = re.compile(self.manifest["config"]["separator"])
        self.keys = self.manifest["keys"]
        self.number = {key: n for n, key in enumerate(self.keys)}
        self.empty = set(self.manifest["empty"])
        self.locations = [d["location"] for d in json.loads((search_dir / PREBUILT).read_text(encoding="utf-8"))["docs"]]
        self.fetched: list[str] = []  # files read, in order (what the worker would fetch)
        self._shards: dict[str, list[list]] = {}
        self._pages: dict[int, list[dict]] = {}
        self._t2s: dict[int, dict] = {}

    @classmethod
    def from_site(cls, site_dir: Path) -> "SiteSearch":
        return cls(site_dir / "search")

    def _read(self, rel: str):
        self.fetched.append(rel)
        return json.loads((self.dir / rel).read_text(encoding="utf-8"))

    # the pages, for the tests: (location, entries) of every indexed page
    @property
    def pages(self) -> list[tuple[str, list[dict]]]:
        return [(loc, self.page(n)) for n, loc in enumerate(self.locations)]

    @property
    def plain(self) -> list[str]:
        return [_plain(self.page(n)) for n in range(len(self.locations))]

    def page(self, number: int) -> list[dict]:
        if number not in self._pages:
            self._pages[number] = self._read(f"pages/{number}.json")
        return self._pages[number]

    def shard(self, key: str) -> list[list]:
        if key not in self._shards:
            n = self.number[key]
            self._shards[key] = [] if n in self.empty else self._read(f"shards/{n}.json")
        return self._shards[key]

    def simplified(self, text: str) -> str:
        """The query in Simplified characters, with the converter's files of its characters."""
        table = {"chars": {}, "phrases": {}}
        for bucket in sorted({ord(c) % self.manifest["t2s"] for c in text}):
            if bucket not in self._t2s:
                self._t2s[bucket] = self._read(f"t2s/{bucket}.json")
            for kind in table:
                table[kind].update(self._t2s[bucket][kind])
        return to_simplified(text, table)

    def deepest_key(self, prefix: str) -> str | None:
        for j in range(len(prefix), 0, -1):
            if prefix[:j] in self.number:
                return prefix[:j]
        return None

    def starts_term(self, prefix: str) -> bool:
        key = self.deepest_key(prefix)
        if key is None:
            return False
        if key == prefix:
            return True  # a key is listed only when some term starts with it
        terms = [r[0] for r in self.shard(key)]
        i = bisect.bisect_left(terms, prefix)
        return i < len(terms) and terms[i].startswith(prefix)

    def segment(self, run: str) -> list[str]:
        """A run of Chinese characters → prefixes of index terms, longest first."""
        if self.starts_term(run):
            return [run]
        parts, i = [], 0
        while i < len(run):
            j = len(run)
            while j > i and not self.starts_term(run[i:j]):
                j -= 1
            if j == i:
                i += 1  # a character no term contains
                continue
            parts.append(run[i:j])
            i = j
        return parts

    def parts(self, query: str) -> list[str]:
        out: list[str] = []
        for word in self.separator.split(query.lower()):
            if not word:
                continue
            last = 0
            for m in HAN.finditer(word):
                if m.start() > last:
                    out.append(word[last:m.start()])
                out += self.segment(m.group())
                last = m.end()
            if last < len(word):
                out.append(word[last:])
        return list(dict.fromkeys(out))

    def rows_for(self, parts: list[str]) -> list[list]:
        """The rows of every term that starts with one of the parts."""
        keys: list[str] = []
        for part in parts:
            key = self.deepest_key(part)
            if key is None:
                continue
            keys.append(key)
            if key == part:  # and every longer prefix under it
                i = bisect.bisect_right(self.keys, part)
                while i < len(self.keys) and self.keys[i].startswith(part):
                    keys.append(self.keys[i])
                    i += 1
        rows = {r[0]: r for key in dict.fromkeys(keys) for r in self.shard(key)
                if any(r[0].startswith(p) for p in parts)}
        return [rows[t] for t in sorted(rows)]

    def _run(self, index: Index, parts: list[str], presence: QueryPresence) -> list[dict]:
        query = index.create_query()
        for term in parts:
            query.term(term, wildcard=Query.WILDCARD_TRAILING, presence=presence, use_pipeline=False)
        return index.query(query)

    def search(self, text: str) -> list[str]:
        """Page locations in the order the header search lists them."""
        text = self.simplified(text)
        parts = self.parts(text)
        if not parts:
            return []
        index = Index.load(query_index(self.rows_for(parts), self.manifest["fields"], self.manifest["version"]))
        results = self._run(index, parts, QueryPresence.REQUIRED) or self._run(index, parts, QueryPresence.OPTIONAL)
        words = [w for w in self.separator.split(text.lower()) if w]
        scored = []
        for result in results[:self.listed]:
            number = int(result["ref"])
            plain = _plain(self.page(number))
            literal = sum(w in plain for w in words)
            scored.append((result["score"] * LITERAL_BOOST ** literal, number))
        return [self.locations[number] for _, number in sorted(scored, key=lambda s: -s[0])]
