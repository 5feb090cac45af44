"""Figures compared across cases: one page per family of units (cases/_vocab/units.yaml
`family`: 人数, 单位, 金额, 比例, 次数, 数量), each a table of every metric of that family in the
library, sortable by the normalised number and filterable by theme and province in the
reader's browser (docs/assets/javascripts/figures.js, like the case finder).

Each family's rows are a static JSON file (data/figures/<slug>.json); its page is
data/figures/<slug>.md. The families are a closed list in the unit model (vocab.Unit); their
URL slugs are FAMILY_SLUGS, which a test holds to that list. A metric whose unit has no family
(the validator refuses such units) is in no table.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from .figures import format_metric, format_plain
from .library import Library
from .model import Case, Metric
from .text import file_name, inert

FOLDER = "data/figures"


# The URL of each family's page (tests/test_open_data.py: one for every family of vocab.Unit).
FAMILY_SLUGS = {"人数": "people", "单位": "organisations", "金额": "money", "比例": "shares",
                "次数": "counts", "数量": "quantities"}


def family_slug(family: str) -> str:
    return file_name(FAMILY_SLUGS[family])


@dataclass
class Family:
    name: str
    units: list[str]
    rows: list[tuple[Case, int, Metric]] = field(default_factory=list)  # (case, position in case.metrics, metric)

    @property
    def slug(self) -> str:
        return family_slug(self.name)

    @property
    def page(self) -> str:
        return f"{FOLDER}/{self.slug}.md"

    @property
    def data(self) -> str:
        return f"{FOLDER}/{self.slug}.json"


def families(library: Library) -> list[Family]:
    """Every family of the unit vocabulary, in its order, with the metrics of every case
    (cases in library order, metrics in record order). One pass over the metrics."""
    found: dict[str, Family] = {}
    family_of: dict[str, Family] = {}
    for unit in library.vocab.units:
        family = found.setdefault(unit.family, Family(unit.family, []))
        family.units.append(unit.name)
        family_of[unit.name] = family
    for case in library.cases:
        for position, metric in enumerate(case.metrics):
            if metric.unit in family_of:
                family_of[metric.unit].rows.append((case, position, metric))
    return list(found.values())


def unit_family(library: Library, unit: str) -> str:
    """The family of a unit; "" for a unit the vocabulary does not have (a few units: constant time)."""
    return next((u.family for u in library.vocab.units if u.name == unit), "")


def case_families(library: Library, case: Case) -> list[tuple[Family, int]]:
    """The families a case has figures in, with how many, in vocabulary order."""
    family_of = {u.name: u.family for u in library.vocab.units}
    counts: dict[str, int] = {}
    for metric in case.metrics:
        if metric.unit in family_of:
            counts[family_of[metric.unit]] = counts.get(family_of[metric.unit], 0) + 1
    order = list(dict.fromkeys(u.family for u in library.vocab.units))
    return [(Family(name, []), counts[name]) for name in order if name in counts]


def row_data(case: Case, position: int, metric: Metric) -> dict:
    """One table row as the page's script reads it; every text goes in with textContent."""
    return {"id": case.id, "n": position, "title": inert(case.title), "label": inert(metric.label),
            "figure": inert(format_metric(metric)), "value": float(metric.value),
            "number": format_plain(metric.value), "unit": inert(metric.unit),
            "year": metric.as_of or str(case.year), "quote": inert(metric.quote),
            "themes": list(case.themes), "province": case.region.province}


def family_data(library: Library, family: Family) -> dict:
    themes = {theme for case, _, _ in family.rows for theme in case.themes}
    provinces = {case.region.province for case, _, _ in family.rows}
    return {"family": family.name, "units": family.units,
            "themes": [t for t in library.vocab.theme_names if t in themes],
            "provinces": [p for p in library.vocab.province_names if p in provinces],
            "rows": [row_data(*row) for row in family.rows]}


def figure_files(library: Library, all_families: list[Family] | None = None) -> dict[str, str]:
    """data/figures/<slug>.json for every family that has metrics."""
    return {f.data: json.dumps(family_data(library, f), ensure_ascii=False, separators=(",", ":"))
            for f in all_families or families(library) if f.rows}
