"""The PDF volumes: the whole library, one per theme and one per source publication.

Planned here (pure data) so that the downloads page and the catalogs can link to the
volumes without importing the PDF engine.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from .library import Catalog, Library
from .model import Case

DOWNLOADS = "downloads"


@dataclass
class Section:
    title: str
    cases: list[Case]


@dataclass
class Volume:
    slug: str
    title: str
    scope: str
    cases: list[Case]
    sections: list[Section] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"{self.slug}.pdf"


def _sections(cases: list[Case], key, title) -> list[Section]:
    ordered = sorted(cases, key=lambda c: (key(c), c.id))
    return [Section(title(k), list(group)) for k, group in groupby(ordered, key=key)]


def plan_volumes(library: Library) -> list[Volume]:
    source_order = {s.id: i for i, s in enumerate(library.vocab.sources)}
    by_source = lambda cs: _sections(cs, lambda c: source_order[c.source.publication],  # noqa: E731
                                     lambda i: library.vocab.sources[i].cited)
    by_year = lambda cs: _sections(cs, lambda c: -c.year, lambda y: f"{-y}年")  # noqa: E731
    by_province = lambda cs: _sections(cs, lambda c: c.region.province, lambda p: p)  # noqa: E731

    volumes = [Volume("library", "工会改革创新案例库（全部案例）", "全部案例，按来源出版物编排",
                      library.cases, by_source(library.cases))]
    for catalog in library.catalogs["themes"]:
        if catalog.cases:
            volumes.append(Volume(volume_slug(catalog), f"{catalog.label}案例", f"工作领域：{catalog.label}，按年份编排",
                                  catalog.cases, by_year(catalog.cases)))
    for catalog in library.catalogs["sources"]:
        if catalog.cases:
            volumes.append(Volume(volume_slug(catalog), f"{catalog.label}案例", f"来源：{catalog.label}，按地区编排",
                                  catalog.cases, by_province(catalog.cases)))
    return volumes


VOLUME_PREFIX = {"themes": "theme", "sources": "source"}


def volume_slug(catalog: Catalog) -> str | None:
    """The PDF volume of a theme or source catalog (None for other facets)."""
    prefix = VOLUME_PREFIX.get(catalog.facet)
    return f"{prefix}-{catalog.slug}" if prefix else None
