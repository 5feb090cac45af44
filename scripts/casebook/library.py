"""The in-memory library: valid records, vocabularies, and the catalogs built from them.

Loaded and validated once per build; every output (pages, data files, search data, PDFs)
is rendered from this one collection, so no output can disagree with another.
"""
from __future__ import annotations

import functools
import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from .model import Case
from .validate import CheckCache, Report, validate
from .vocab import Vocabularies, load_vocabularies

# Facets in the order readers meet them: (key, which is also the URL folder; Chinese name).
FACETS = (
    ("themes", "领域"),
    ("provinces", "地区"),
    ("levels", "层级"),
    ("years", "年份"),
    ("sources", "来源"),
)


# Cases listed on one catalog page: no page grows with the library.
CATALOG_PAGE = 200


@dataclass
class Catalog:
    """The cases under one value of one facet, e.g. theme 女职工工作."""
    facet: str
    key: str          # the value records carry: a name, a year, or a source id
    name: str
    slug: str
    description: str
    cases: list[Case] = field(default_factory=list)
    info: object = None  # the vocabulary entry (Theme, Source…) behind this catalog

    @property
    def path(self) -> str:
        return self.page_path(1)

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.cases) // CATALOG_PAGE))

    def page_path(self, number: int) -> str:
        """The page listing cases (number − 1) × CATALOG_PAGE onwards: the first page is the
        catalog's own; later ones are `<slug>--<n>` (a slug never holds "--", so no page of
        one catalog can be another catalog's)."""
        return f"catalogs/{self.facet}/{self.slug}{'' if number == 1 else f'--{number}'}.md"

    def page_first(self, number: int) -> int:
        """The position (from 1) in the catalog of the first case on page `number`."""
        return (number - 1) * CATALOG_PAGE + 1

    def page_cases(self, number: int) -> list[Case]:
        return self.cases[(number - 1) * CATALOG_PAGE:number * CATALOG_PAGE]

    @property
    def label(self) -> str:
        """The name as readers see it: publications as cited (《》, or ［］ for a supplied title)."""
        return self.info.cited if self.facet == "sources" else self.name


@dataclass
class Library:
    cases: list[Case]
    vocab: Vocabularies
    catalogs: dict[str, list[Catalog]]
    root: Path | None = None  # the project the records were read from (for their Git history)

    @functools.cached_property
    def history(self):
        """Every record's changes, from one `git log` of root/cases (read on first use)."""
        from .history import read_history
        return read_history(self.root)

    def catalog_of(self, facet: str, key: str) -> Catalog:
        """The catalog of the value a record carries (a source by its id, others by name)."""
        return next(c for c in self.catalogs[facet] if c.key == key)

    _related: "RelatedIndex | None" = field(default=None, repr=False)

    def related(self, case: Case, limit: int = 5) -> list[Case]:
        """Cases a reader of `case` may want next: shared themes and tags count most, then
        the same organisation or province; newest first among equals (see RelatedIndex)."""
        if self._related is None:
            self._related = RelatedIndex(self.cases)
        return self._related.related(case, limit)


# A tag or organisation shared by more cases than this contributes only its newest ones as
# candidates: a tag that common says little about which case to read next, and looking at all
# its cases would make the related lists quadratic in the library.
RELATED_PER_LIST = 20


class RelatedIndex:
    """Related cases from inverted indexes instead of scoring every pair.

    score(a, b) = 2 × shared themes + 3 × shared tags + 2 × same organisation + same province,
    ties newest first (`sort_key`). Candidates for a case come from posting lists kept in
    `sort_key` order: its tags' and organisation's lists (the first RELATED_PER_LIST of each),
    and, for every subset S of its themes, the first `limit + 1` cases whose themes include S
    (with and without its province) and of its province. A case that shares exactly the themes S
    and no tag or organisation is outranked by every case before it in the S list (they share
    at least S and come first), so the first `limit + 1` entries hold every such case that can
    make the top `limit`: the ranking is the all-pairs one whenever no tag or organisation has
    more than RELATED_PER_LIST cases (the real library), at a cost linear in the library."""

    def __init__(self, cases: list[Case]) -> None:
        self.cases = cases
        self.position = {c.id: i for i, c in enumerate(cases)}
        bits = {}
        self.themes, self.tags, self.where = [], [], []
        self.lists: dict[tuple, list[int]] = defaultdict(list)
        for i, case in enumerate(cases):
            themes = sorted(set(case.themes))
            self.themes.append(sum(1 << bits.setdefault(t, len(bits)) for t in themes))
            self.tags.append(frozenset(case.tags))
            province = case.region.province
            self.where.append((case.organization, province))
            for size in range(1, len(themes) + 1):
                for subset in combinations(themes, size):
                    self.lists["themes", subset].append(i)
                    self.lists["themes", subset, province].append(i)
            self.lists["province", province].append(i)
            self.lists["organization", case.organization].append(i)
            for tag in self.tags[-1]:
                self.lists["tag", tag].append(i)

    def related(self, case: Case, limit: int = 5) -> list[Case]:
        i = self.position[case.id]
        lists, near = self.lists, limit + 1
        candidates: set[int] = set()
        for tag in self.tags[i]:
            candidates.update(lists["tag", tag][:RELATED_PER_LIST])
        candidates.update(lists["organization", case.organization][:RELATED_PER_LIST])
        themes, province = sorted(set(case.themes)), case.region.province
        for size in range(1, len(themes) + 1):
            for subset in combinations(themes, size):
                candidates.update(lists["themes", subset][:near])
                candidates.update(lists["themes", subset, province][:near])
        candidates.update(lists["province", province][:near])
        candidates.discard(i)
        themes_i, tags_i, (org_i, province_i) = self.themes[i], self.tags[i], self.where[i]
        all_themes, all_tags, where = self.themes, self.tags, self.where
        scored = []
        for j in candidates:  # score(a, b) of the docstring: this loop is most of the related lists' cost
            org_j, province_j = where[j]
            score = (2 * (themes_i & all_themes[j]).bit_count() + 3 * len(tags_i & all_tags[j])
                     + 2 * (org_i == org_j) + (province_i == province_j))
            if score:
                scored.append((-score, j))
        return [self.cases[j] for _, j in heapq.nsmallest(limit, scored)]


def sort_key(case: Case) -> tuple:
    """Newest first, then by province and id: a stable order for every listing."""
    return (-case.year, case.region.province, case.id)


def _facet_values(case: Case) -> dict[str, list[str]]:
    return {
        "themes": list(case.themes),
        "provinces": [case.region.province],
        "levels": [case.level],
        "years": [str(case.year)],
        "sources": [case.source.publication],
    }


def _empty_catalogs(vocab: Vocabularies, years: list[str]) -> dict[str, list[Catalog]]:
    return {
        "themes": [Catalog("themes", t.name, t.name, t.slug, t.description, info=t) for t in vocab.themes],
        "provinces": [Catalog("provinces", r.name, r.name, r.slug, "", info=r) for r in vocab.regions],
        "levels": [Catalog("levels", lv.name, lv.name, lv.slug, lv.description, info=lv) for lv in vocab.levels],
        "years": [Catalog("years", y, y, y, "") for y in years],
        "sources": [Catalog("sources", s.id, s.title, s.id, s.description, info=s) for s in vocab.sources],
    }


def build_library(cases: list[Case], vocab: Vocabularies) -> Library:
    cases = sorted(cases, key=sort_key)
    years = sorted({str(c.year) for c in cases}, reverse=True)
    catalogs = _empty_catalogs(vocab, years)
    by_key = {facet: {c.key: c for c in cats} for facet, cats in catalogs.items()}
    for case in cases:
        for facet, values in _facet_values(case).items():
            for value in values:
                by_key[facet][value].cases.append(case)
    return Library(cases, vocab, catalogs)


def load_library(root: Path, sources: Path | None = None, cache: CheckCache | None = None,
                 parallel: bool | None = None) -> tuple[Library, Report]:
    """Validate cases/ under `root` (against the source texts in `sources`, when given) and
    build the library from the valid records; `cache`: see validate.CheckCache; `parallel`:
    records checked in two processes (None: for a large library, see validate.validate)."""
    vocab = load_vocabularies(root / "cases" / "_vocab", root)
    report = validate(root / "cases", vocab, root, sources, cache, parallel)
    library = build_library([r.case for r in report.records], vocab)
    library.root = root
    return library, report
