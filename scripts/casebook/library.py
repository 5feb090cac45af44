"""The in-memory library: valid records, vocabularies, and the catalogs built from them.

Loaded and validated once per build; every output (pages, data files, search data, PDFs)
is rendered from this one collection, so no output can disagree with another.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from .model import Case
from .validate import Report, validate
from .vocab import Vocabularies, load_vocabularies

# Facets in the order readers meet them: (key, which is also the URL folder; Chinese name).
FACETS = (
    ("themes", "领域"),
    ("provinces", "地区"),
    ("levels", "层级"),
    ("years", "年份"),
    ("sources", "来源"),
)


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
        return f"catalogs/{self.facet}/{self.slug}.md"

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

    def related(self, case: Case, limit: int = 5) -> list[Case]:
        """Cases a reader of `case` may want next: shared themes and tags count most, then
        the same organisation or province; newest first among equals."""
        def score(other: Case) -> int:
            return (2 * len(set(case.themes) & set(other.themes)) + 3 * len(set(case.tags) & set(other.tags))
                    + 2 * (other.organization == case.organization) + (other.region.province == case.region.province))
        ranked = sorted((c for c in self.cases if c.id != case.id), key=lambda c: (-score(c), sort_key(c)))
        return [c for c in ranked[:limit] if score(c) > 0]


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


def load_library(root: Path, sources: Path | None = None) -> tuple[Library, Report]:
    """Validate cases/ under `root` (against the source texts in `sources`, when given) and
    build the library from the valid records."""
    vocab = load_vocabularies(root / "cases" / "_vocab", root)
    report = validate(root / "cases", vocab, root, sources)
    library = build_library([r.case for r in report.records], vocab)
    library.root = root
    return library, report
