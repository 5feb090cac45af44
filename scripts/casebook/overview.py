"""The overview page: case counts as bar charts and a tile map of the provinces.

Geometry is computed here as plain numbers; overrides/pages/overview.tmpl.md draws it with
HTML lists laid out by CSS (docs/stylesheets/extra.css), so the page needs no script, prints as
it shows, and its text keeps its size on a phone.
"""
from __future__ import annotations

from dataclasses import dataclass

from .library import Catalog, Library
from .text import link_target



@dataclass
class Bar:
    label: str
    count: int
    href: str
    share: float  # length against the longest bar, 0 … 1


@dataclass
class Chart:
    title: str
    bars: list[Bar]


@dataclass
class Tile:
    name: str
    short: str
    count: int
    href: str | None
    row: int     # CSS grid lines, from 1
    column: int
    shade: int  # 0 (no case) … 4 (most cases)


def _href(catalog: Catalog) -> str:
    """Link from /overview/ to a catalog page (raw SVG links are not rewritten by MkDocs),
    from the catalog's page path once it is checked to be made of slugs."""
    return "../" + link_target(catalog.path).removesuffix(".md") + "/"


def bar_chart(title: str, catalogs: list[Catalog], keep_empty: bool = False) -> Chart:
    shown = [c for c in catalogs if c.cases or keep_empty]
    top = max((len(c.cases) for c in shown), default=0) or 1
    return Chart(title, [Bar(c.label, len(c.cases), _href(c), round(len(c.cases) / top, 3)) for c in shown])


def shade_of(count: int, top: int) -> int:
    """0 for no case; 1 (fewest) … 4 (most) spread evenly between 1 case and `top`."""
    if count == 0:
        return 0
    if top <= 1:
        return 4
    return 1 + round(3 * (count - 1) / (top - 1))


def tile_map(library: Library) -> tuple[list[Tile], int]:
    """The tiles of the provinces on the map, and the number of grid columns."""
    catalogs = {c.name: c for c in library.catalogs["provinces"]}
    mapped = [r for r in library.vocab.regions if r.tile is not None]
    # shades compare the provinces on the map with each other (全国 is not on it)
    top = max((len(catalogs[r.name].cases) for r in mapped), default=0) or 1
    tiles = []
    for region in mapped:
        catalog = catalogs[region.name]
        count = len(catalog.cases)
        shade = shade_of(count, top)
        row, col = (int(n) for n in region.tile)  # written into a style attribute: numbers, never text
        tiles.append(Tile(region.name, region.short, count, _href(catalog) if count else None, row + 1, col + 1, shade))
    return tiles, max(t.column for t in tiles)


def overview(library: Library) -> dict:
    tiles, columns = tile_map(library)
    national = library.catalog_of("provinces", "全国")
    return {
        "charts": [bar_chart("按工作领域", library.catalogs["themes"], keep_empty=True),
                   bar_chart("按层级", library.catalogs["levels"]),
                   bar_chart("按年份", library.catalogs["years"]),
                   bar_chart("按来源", library.catalogs["sources"])],
        "tiles": tiles, "map_columns": columns,
        "national": len(national.cases), "national_href": _href(national) if national.cases else None,
    }
