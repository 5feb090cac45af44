"""Search: the jieba user dictionary, the prebuilt lunr index, and a Python replay of the
site's search worker (docs/assets/javascripts/casebook-search.js).

The worker and `SiteSearch` share one index (site/search/casebook_index.json, built here
with lunr.py and loaded by lunr.js) and one query procedure, so the tests and `make search`
see the ranking readers see. Change the two query procedures together.
"""
from __future__ import annotations

import bisect
import functools
import json
import re
import shutil
from pathlib import Path

from lunr.builder import Builder
from lunr.index import Index
from lunr.query import Query, QueryPresence

from .library import Library
from .model import Case

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


# -- the reader words of cases/_vocab/search_terms.yaml ------------------------------------
# An entry `term` + `also` is a group of true synonyms (外卖骑手 = 外卖配送员). An entry whose
# term ends in 包括 ("includes") says that the words of `also` are kinds of the word before
# it (新就业形态包括: 外卖骑手, 快递员 …): a record that mentions a narrower word is tagged with
# the broader one as well, never the reverse, so a record about 新业态 in general is not
# found as a record about 外卖骑手. A word of a relation may name a synonym group by any of
# its words; a word in no group stands for itself.
INCLUDES = "包括"
_QUOTES = re.compile("[“”‘’\"']")


class SearchTermsError(ValueError):
    """search_terms.yaml contradicts itself; the message (Chinese) says how to fix it."""


class Thesaurus:
    """Synonym groups and which groups each implies (its broader groups, transitively)."""

    def __init__(self, entries: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
        """`entries`: (term, also) of each entry, in file order."""
        self.groups: list[tuple[str, ...]] = []
        self._group_of: dict[str, int] = {}
        relations = []
        for term, also in entries:
            term, also = term.strip(), [w.strip() for w in also]
            broader = term.rstrip("：:").strip()
            if broader.endswith(INCLUDES) and broader != INCLUDES:
                relations.append((broader[:-len(INCLUDES)].strip(), also))
            else:
                self._add_group([term, *also])
        edges: dict[int, set[int]] = {}
        for broader, narrower in relations:
            up = self._group(broader)
            for word in narrower:
                down = self._group(word)
                if down == up:
                    raise SearchTermsError(f"search_terms.yaml：“{word}”与“{broader}”是同义词，"
                                           f"不能写在“{broader}{INCLUDES}”下")
                edges.setdefault(down, set()).add(up)
        self.implies = [self._reachable(i, edges) for i in range(len(self.groups))]
        for i, above in enumerate(self.implies):
            if i in above:
                raise SearchTermsError(f"search_terms.yaml：“{self.groups[i][0]}”经“{INCLUDES}”又包括了自己；"
                                       "互相包括的说法应写成一组同义词")

    def _add_group(self, words: list[str]) -> int:
        words = list(dict.fromkeys(w for w in words if w))
        for word in words:
            if word in self._group_of:
                other = self.groups[self._group_of[word]][0]
                raise SearchTermsError(f"search_terms.yaml：“{word}”同时写在“{other}”和“{words[0]}”两组同义词中；"
                                       "同一个说法只能属于一组，请合并两组或删去一处")
        self.groups.append(tuple(words))
        for word in words:
            self._group_of[word] = len(self.groups) - 1
        return len(self.groups) - 1

    def _group(self, word: str) -> int:
        return self._group_of[word] if word in self._group_of else self._add_group([word])

    @staticmethod
    def _reachable(start: int, edges: dict[int, set[int]]) -> set[int]:
        seen: set[int] = set()
        todo = list(edges.get(start, ()))
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(edges.get(node, ()))
        return seen

    def words_for(self, text: str) -> list[str]:
        """The reader words that apply to a text: every group one of whose words occurs in it
        (quotation marks ignored: “互联网+”工会 is 互联网+工会), with the groups these imply."""
        text = _QUOTES.sub("", text)
        found = {i for i, group in enumerate(self.groups) if any(w in text for w in group)}
        found |= {j for i in found for j in self.implies[i]}
        return [word for i in sorted(found) for word in self.groups[i]]


def thesaurus(entries) -> Thesaurus:
    """The thesaurus of search_terms.yaml's entries (a list of SearchTerm), made once."""
    return _thesaurus(tuple((entry.term, tuple(entry.also)) for entry in entries))


_thesaurus = functools.lru_cache(maxsize=8)(Thesaurus)


def copy_lunr(project: Path, docs_dir: Path) -> Path:
    """lunr.js for the search worker, from the pinned npm package (`npm ci`)."""
    source = project / "node_modules" / "lunr" / "lunr.min.js"
    if not source.is_file():
        raise FileNotFoundError("缺少 node_modules/lunr/lunr.min.js，请先运行 npm ci（make 会自动运行）")
    target = docs_dir / "assets" / "javascripts" / "lunr.min.js"
    target.parent.mkdir(parents=True, exist_ok=True)
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
