"""The allowed values — themes, levels, regions, sources, units, search terms — read from
cases/_vocab/*.yaml and held to the records' standard: a model per entry, line numbers,
Chinese messages, ASCII slugs and ids (they become file names and URLs), unique keys."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, ValidationError

from .load import Problem, format_field, load_file, shown
from .messages import PATTERN_MEANING, pydantic_message
from .model import Text

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
URL = r"^https?://[^\s<>\"'`\\]+$"
TEXT_FILE = r"^[A-Za-z0-9][A-Za-z0-9._-]*\.txt$"
DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"

Slug = Annotated[str, StringConstraints(pattern=SLUG, max_length=60)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Theme(_Entry):
    name: Text(20)
    slug: Slug
    description: Text(200) = ""
    note: Optional[Text(500)] = None


class Level(_Entry):
    name: Text(20)
    slug: Slug
    description: Text(200) = ""


class Region(_Entry):
    name: Text(20)
    short: Text(10)
    slug: Slug
    # [row, column] on the overview map
    tile: Optional[Annotated[list[Annotated[int, Field(ge=0, le=20)]], Field(min_length=2, max_length=2)]] = None


class Source(_Entry):
    id: Slug
    title: Text(200)
    # true when the source has no title of its own and `title` is the library's: printed in
    # square brackets with a note, and cited that way (GB/T 7714 for a supplied title)
    title_assigned: StrictBool = False
    subtitle: Optional[Text(200)] = None
    description: Text(500) = ""
    event: Optional[Text(200)] = None
    publisher: Optional[Text(100)] = None
    authors: list[Text(40)] = []
    date: Optional[Annotated[str, StringConstraints(pattern=DATE)]] = None
    date_note: Optional[Text(500)] = None
    url: Optional[Annotated[str, StringConstraints(pattern=URL, max_length=500)]] = None
    text_file: Optional[Annotated[str, StringConstraints(pattern=TEXT_FILE, max_length=100)]] = None

    @property
    def cited(self) -> str:
        """The title as pages, PDFs and citations print it: 《…》 for the source's own title; a
        title the library supplied in square brackets, marked as such."""
        return f"［{self.title}］（本库拟题）" if self.title_assigned else f"《{self.title}》"


class Unit(_Entry):
    name: Text(10)
    family: Literal["人数", "单位", "金额", "比例", "次数", "数量"]


class SearchTerm(_Entry):
    term: Text(20)
    also: list[Text(20)] = []
    includes: list[Text(20)] = []


VOCAB_FILES = {"themes": Theme, "levels": Level, "regions": Region, "sources": Source,
               "units": Unit, "search_terms": SearchTerm}
# the key of each kind of entry, which must be unique within its file
_KEYS = ("name", "id", "slug", "term", "short")
# a vocabulary id becomes a URL, like a slug
_PATTERNS = {**PATTERN_MEANING, "id": PATTERN_MEANING["slug"]}


@dataclass(frozen=True)
class Vocabularies:
    themes: list[Theme]
    levels: list[Level]
    regions: list[Region]
    sources: list[Source]
    units: list[Unit]
    search_terms: list[SearchTerm]

    @property
    def theme_names(self) -> list[str]:
        return [t.name for t in self.themes]

    @property
    def level_names(self) -> list[str]:
        return [t.name for t in self.levels]

    @property
    def province_names(self) -> list[str]:
        return [t.name for t in self.regions]

    @property
    def source_ids(self) -> list[str]:
        return [t.id for t in self.sources]

    @property
    def unit_names(self) -> list[str]:
        return [u.name for u in self.units]

    def region(self, name: str) -> Region:
        return next(r for r in self.regions if r.name == name)

    def source(self, key: str) -> Source:
        return next(t for t in self.sources if t.id == key)


class VocabularyError(Exception):
    """A vocabulary file is invalid: nothing else can be checked. `problems` says where."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def _load_list(path: Path, display: str, model: type[_Entry]) -> tuple[list, list[Problem]]:
    doc, problem = load_file(path, display)
    if problem:
        return [], [problem]
    if not isinstance(doc.data, list):
        return [], [Problem(display, 1, "", "应为条目列表，每项以“- ”开头")]
    names = {(): list(model.model_fields)}
    entries, problems = [], []
    for i, item in enumerate(doc.data):
        try:
            entries.append(model.model_validate(item))
        except ValidationError as err:
            for loc, message in dict.fromkeys(pydantic_message(e, names, _PATTERNS) for e in err.errors()):
                problems.append(Problem(display, doc.line_of((i,) + loc), format_field((i,) + loc), message))
            entries.append(None)
    for key in _KEYS:
        first: dict[str, int] = {}
        for i, entry in enumerate(entries):
            value = getattr(entry, key, None)
            if value is None:
                continue
            if value in first:
                problems.append(Problem(display, doc.line_of((i, key)), format_field((i, key)),
                                        f"“{value}”与第{first[value] + 1}项重复，请删除或改用另一个值"))
            else:
                first[value] = i
    return [e for e in entries if e is not None], problems


# -- the reader words of cases/_vocab/search_terms.yaml ------------------------------------
# An entry's `term` + `also` is a group of true synonyms (外卖骑手 = 外卖配送员); its `includes`
# lists narrower words (新就业形态 includes 外卖骑手, 快递员 …): a record that mentions a narrower
# word is tagged with the broader one as well, never the reverse, so a record about 新业态 in
# general is not found as a record about 外卖骑手. A narrower word may name a synonym group by
# any of its words; a word in no group stands for itself.
_QUOTES = re.compile("[“”‘’\"']")


class SearchTermsError(ValueError):
    """search_terms.yaml contradicts itself; the message (Chinese) says how to fix it."""


class Thesaurus:
    """Synonym groups and which groups each implies (its broader groups, transitively)."""

    def __init__(self, entries: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]) -> None:
        """`entries`: (term, also, includes) of each entry, in file order."""
        self.groups: list[tuple[str, ...]] = []
        self._group_of: dict[str, int] = {}
        relations = []
        for term, also, includes in entries:
            if also or not includes:
                self._add_group([term, *also])
            if includes:
                relations.append((term, includes))
        edges: dict[int, set[int]] = {}
        for broader, narrower in relations:
            up = self._group(broader)
            for word in narrower:
                down = self._group(word)
                if down == up:
                    raise SearchTermsError(f"search_terms.yaml：“{word}”与“{broader}”是同义词，"
                                           f"不能写在“{broader}”的 includes 中")
                edges.setdefault(down, set()).add(up)
        self.implies = [self._reachable(i, edges) for i in range(len(self.groups))]
        for i, above in enumerate(self.implies):
            if i in above:
                raise SearchTermsError(f"search_terms.yaml：“{self.groups[i][0]}”经 includes 又包括了自己；"
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
    return _thesaurus(tuple((entry.term, tuple(entry.also), tuple(entry.includes)) for entry in entries))


_thesaurus = functools.lru_cache(maxsize=8)(Thesaurus)


def load_vocabularies(vocab_dir: Path, root: Path | None = None) -> Vocabularies:
    """All vocabularies, or VocabularyError with every problem of every file."""
    root = root or vocab_dir.parent.parent
    loaded, problems = {}, []
    for name, model in VOCAB_FILES.items():
        path = vocab_dir / f"{name}.yaml"
        loaded[name], found = _load_list(path, shown(path, root), model)
        problems += found
    for path in sorted(vocab_dir.iterdir()) if vocab_dir.is_dir() else []:
        if path.suffix == ".yaml" and path.stem in VOCAB_FILES and not path.is_symlink():
            continue
        problems.append(Problem(shown(path, root), 1, "", "词表文件夹中只能有这些文件："
                                + "、".join(f"{n}.yaml" for n in VOCAB_FILES) + "（不能是符号链接）"))
    if not problems:
        try:
            thesaurus(loaded["search_terms"])
        except SearchTermsError as err:
            problems.append(Problem("cases/_vocab/search_terms.yaml", 1, "", str(err).split("：", 1)[-1]))
    if problems:
        raise VocabularyError(sorted(problems, key=lambda p: (p.file, p.line)))
    return Vocabularies(**loaded)
