"""The overview page: case counts as bar charts and a tile map of the provinces.

Geometry is computed here as plain numbers; overrides/pages/overview.tmpl.md draws it as
inline SVG, so the page needs no script and prints as it shows.
"""
from __future__ import annotations

from dataclasses import dataclass

from .library import Catalog, Library
from .text import link_target

BAR_WIDTH = 360      # longest bar, in SVG units
BAR_HEIGHT = 22
LABEL_WIDTH = 290
TILE = 64            # tile side
TILE_GAP = 6


@dataclass
class Bar:
    label: str
    count: int
    href: str
    y: int
    width: float


@dataclass
class Chart:
    title: str
    bars: list[Bar]
    height: int


@dataclass
class Tile:
    name: str
    short: str
    count: int
    href: str | None
    x: int
    y: int
    shade: int  # 0 (no case) … 4 (most cases)


def _href(catalog: Catalog) -> str:
    """Link from /overview/ to a catalog page (raw SVG links are not rewritten by MkDocs),
    from the catalog's page path once it is checked to be made of slugs."""
    return "../" + link_target(catalog.path).removesuffix(".md") + "/"


def bar_chart(title: str, catalogs: list[Catalog], keep_empty: bool = False) -> Chart:
    shown = [c for c in catalogs if c.cases or keep_empty]
    top = max((len(c.cases) for c in shown), default=0) or 1
    bars = [Bar(c.label, len(c.cases), _href(c),
                i * (BAR_HEIGHT + 6), round(BAR_WIDTH * len(c.cases) / top, 1)) for i, c in enumerate(shown)]
    return Chart(title, bars, len(bars) * (BAR_HEIGHT + 6))


def shade_of(count: int, top: int) -> int:
    """0 for no case; 1 (fewest) … 4 (most) spread evenly between 1 case and `top`."""
    if count == 0:
        return 0
    if top <= 1:
        return 4
    return 1 + round(3 * (count - 1) / (top - 1))


def tile_map(library: Library) -> tuple[list[Tile], int, int]:
    catalogs = {c.name: c for c in library.catalogs["provinces"]}
    mapped = [r for r in library.vocab.regions if r.tile is not None]
    # shades compare the provinces on the map with each other (全国 is not on it)
    top = max((len(catalogs[r.name].cases) for r in mapped), default=0) or 1
    tiles = []
    for region in mapped:
        catalog = catalogs[region.name]
        count = len(catalog.cases)
        shade = shade_of(count, top)
        row, col = (int(n) for n in region.tile)  # SVG coordinates: numbers, never text
        tiles.append(Tile(region.name, region.short, count, _href(catalog) if count else None,
                          col * (TILE + TILE_GAP), row * (TILE + TILE_GAP), shade))
    width = max(t.x for t in tiles) + TILE
    height = max(t.y for t in tiles) + TILE
    return tiles, width, height


def overview(library: Library) -> dict:
    tiles, width, height = tile_map(library)
    national = library.catalog_of("provinces", "全国")
    return {
        "charts": [bar_chart("按工作领域", library.catalogs["themes"], keep_empty=True),
                   bar_chart("按层级", library.catalogs["levels"]),
                   bar_chart("按年份", library.catalogs["years"]),
                   bar_chart("按来源", library.catalogs["sources"])],
        "tiles": tiles, "map_width": width, "map_height": height,
        "national": len(national.cases), "national_href": _href(national) if national.cases else None,
        "bar_width": BAR_WIDTH, "bar_height": BAR_HEIGHT, "label_width": LABEL_WIDTH, "tile": TILE,
    }
