"""Search: the jieba user dictionary, the prebuilt lunr index, and a Python replay of the
site's search worker (docs/assets/javascripts/casebook-search.js).

The worker and `SiteSearch` share one index (site/search/casebook_index.json, built here
with lunr.py and loaded by lunr.js) and one query procedure, so the tests and `make search`
see the ranking readers see. Change the two query procedures together.
"""
from __future__ import annotations

import bisect
import json
import re
import shutil
from pathlib import Path

from lunr.builder import Builder
from lunr.index import Index
from lunr.query import Query, QueryPresence

from .library import Library
from .model import Case
from .vocab import thesaurus

_TAG = re.compile(r"<[^>]*>")
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
    """The lunr index of a site's search_index.json, serialized for lunr.js `Index.load`."""
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


def compact_docs(data: dict) -> list[dict]:
    """The documents as the browser needs them once the index is prebuilt: no U+200B
    segmentation marks and tags on articles only."""
    docs, seen = [], set()
    for doc in data["docs"]:
        page = doc["location"].split("#")[0]
        slim = {k: (v.replace("\u200b", "") if isinstance(v, str) else v) for k, v in doc.items()}
        if page in seen:
            slim.pop("tags", None)
        seen.add(page)
        docs.append(slim)
    return docs


PREBUILT = "casebook_index.json"


def write_index(site_dir: Path) -> Path:
    """Post-build step: site/search/casebook_index.json holds the documents and the prebuilt
    index, fetched by the worker as soon as it starts; search_index.json, which Material's
    page script fetches, parses and copies to the worker on every page load, keeps only the
    configuration."""
    search_dir = site_dir / "search"
    source = search_dir / "search_index.json"
    data = json.loads(source.read_text(encoding="utf-8"))
    prebuilt = {"config": data["config"], "docs": compact_docs(data), "index": build_index(data)}
    target = search_dir / PREBUILT
    target.write_text(json.dumps(prebuilt, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    source.write_text(json.dumps({**data, "docs": []}, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return target


def _plain(entries: list[dict]) -> str:
    text = " ".join(" ".join([e.get("title", ""), e.get("text", ""), *e.get("tags", [])]) for e in entries)
    return _TAG.sub(" ", text).replace("\u200b", "").lower()


class SiteSearch:
    """The header search of a built site, replayed in Python on the same prebuilt index."""

    def __init__(self, data: dict, serialized: dict | None = None):
        self.separator = re.compile(data["config"]["separator"])
        self.pages = pages_of(data["docs"])
        self.plain = [_plain(entries) for _, entries in self.pages]
        self.index = Index.load(serialized if serialized is not None else build_index(data))
        self.terms = sorted(self.index.inverted_index)

    @classmethod
    def from_site(cls, site_dir: Path) -> "SiteSearch":
        """From the prebuilt file when the build made one (as the worker does), else from
        Material's search_index.json."""
        prebuilt = site_dir / "search" / PREBUILT
        if prebuilt.is_file():
            data = json.loads(prebuilt.read_text(encoding="utf-8"))
            return cls(data, data["index"])
        return cls(json.loads((site_dir / "search" / "search_index.json").read_text(encoding="utf-8")))

    def starts_term(self, prefix: str) -> bool:
        i = bisect.bisect_left(self.terms, prefix)
        return i < len(self.terms) and self.terms[i].startswith(prefix)

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

    def _run(self, parts: list[str], presence: QueryPresence) -> list[dict]:
        query = self.index.create_query()
        for term in parts:
            query.term(term, wildcard=Query.WILDCARD_TRAILING, presence=presence, use_pipeline=False)
        return self.index.query(query)

    def search(self, text: str) -> list[str]:
        """Page locations in the order the header search lists them."""
        parts = self.parts(text)
        if not parts:
            return []
        results = self._run(parts, QueryPresence.REQUIRED) or self._run(parts, QueryPresence.OPTIONAL)
        words = [w for w in self.separator.split(text.lower()) if w]
        scored = []
        for result in results:
            number = int(result["ref"])
            literal = sum(w in self.plain[number] for w in words)
            scored.append((result["score"] * LITERAL_BOOST ** literal, number))
        return [self.pages[number][0] for _, number in sorted(scored, key=lambda s: -s[0])]
