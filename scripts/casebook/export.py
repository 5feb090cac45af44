"""Data files generated from the library: the finder's compact case list and the open
data downloads (JSON and CSV of every case).

The open data carry the records as they are; only the CSV guards its cells against
spreadsheet formula injection (`csv_cell`). The finder's text is shown to readers, so it
goes out without control characters and bidi overrides, as on the pages."""
from __future__ import annotations

import csv
import io
import json

from .library import Library
from .model import Case
from .text import inert


def finder_data(library: Library) -> dict:
    """What the case finder needs, and nothing more: facet values in vocabulary order and
    one short record per case."""
    # the finder's facet names are the record fields in finder_record, in the order readers meet them
    fields = {"themes": "theme", "provinces": "province", "levels": "level", "years": "year", "sources": "source"}
    return {
        "facets": {field: [c.key for c in library.catalogs[facet] if c.cases] for facet, field in fields.items()},
        "sources": {s.id: inert(s.cited) for s in library.vocab.sources},
        "cases": [finder_record(c) for c in library.cases],
    }


def finder_record(case: Case) -> dict:
    return {"id": case.id, "title": inert(case.title), "org": inert(case.organization),
            "province": case.region.province,
            "place": inert(" ".join(filter(None, [case.region.city, case.region.district]))),
            "level": case.level, "theme": list(case.themes), "year": str(case.year),
            "source": case.source.publication, "summary": inert(case.summary), "tags": [inert(t) for t in case.tags]}


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text: a leading ' before a formula start
    (documented for readers in docs/about.md)."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


CSV_COLUMNS = ["id", "title", "organization", "province", "city", "district", "level", "themes", "tags",
               "year", "period", "summary", "metrics", "source", "section"]


def cases_csv(library: Library) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for c in library.cases:
        writer.writerow([csv_cell(v) for v in (
            c.id, c.title, c.organization, c.region.province, c.region.city or "", c.region.district or "",
            c.level, "；".join(c.themes), "；".join(c.tags), c.year, c.period or "", c.summary, len(c.metrics),
            c.source.publication, c.source.section or "")])
    return out.getvalue()


def data_files(library: Library) -> dict[str, bytes]:
    """The data files under docs/data/, by their path under docs/ (the pre-build step writes
    them with the pages)."""
    files = {
        "finder.json": json.dumps(finder_data(library), ensure_ascii=False, separators=(",", ":")),
        "cases.json": json.dumps([c.model_dump(exclude_none=True) for c in library.cases],
                                 ensure_ascii=False, indent=1),
        # UTF-8 with BOM so that Excel opens the Chinese text correctly
        "cases.csv": "\ufeff" + cases_csv(library),
    }
    return {f"data/{name}": text.encode("utf-8") for name, text in files.items()}
