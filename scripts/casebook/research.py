"""What the site offers researchers, wired into the page writer (render.py) in three places:

- `case_meta`: the Highwire `citation_*` fields of a case page's front matter, printed as
  <meta> tags by overrides/partials/citation-meta.html;
- `case_block`: what the closing block of a case page shows (overrides/pages/case.tmpl.md):
  the suggested citation, its downloads, the figure tables the case's metrics are in, and
  the record's history;
- `write_pages`: the 数据下载 page with the codebook (data/index.md), the 引用本库 page
  (data/citing.md) and the figure tables (data/figures/).

Links are built from ids and slugs only (`text.file_name`, `text.link_target`); all record
text reaches the templates as plain values, escaped there like everything else.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from markupsafe import Markup

from . import citation
from .export import CASE_COLUMNS, LICENSE, LIST_SEPARATOR, METRIC_COLUMNS, library_dates
from .figure_tables import case_families, families
from .history import Change
from .library import Library
from .model import Case
from .text import file_name

DATA_PAGE = "data/index.md"
CITING_PAGE = "data/citing.md"
FIGURES_INDEX = "data/figures/index.md"
SHOWN_CHANGES = 20  # a case page lists this many changes; cases.json has them all


def case_item(library: Library, case: Case) -> dict:
    return citation.case_item(case, library.history.published(case.id), citation.access_date())


def case_meta(library: Library, case: Case) -> dict:
    return citation.highwire(case_item(library, case))


@dataclass
class CaseBlock:
    citation: str
    downloads: list[Markup]      # raw-HTML links, relative to the case page's URL
    figures: list[Markup]        # raw-HTML links to the figure tables, filtered to the case
    changes: list[Change]
    more_changes: int
    published: str | None
    updated: str | None
    note: str | None             # why there is no history


def case_block(library: Library, case: Case) -> CaseBlock:
    history = library.history
    stem = file_name(case.id)
    # raw HTML: MkDocs does not rewrite it, so climb from the page's URL, cases/<id>/
    downloads = [Markup(f'<a href="../../data/cite/{stem}.{ext}">{html.escape(label)}</a>')
                 for ext, label, _ in citation.FORMATS]
    downloads.append(Markup(f'<a href="../../data/cases/{stem}.json">本案例数据（JSON）</a>'))
    figures = [Markup(f'<a href="../../data/figures/{family.slug}/?case={stem}">{html.escape(family.name)}'
                      f'（{count} 项）</a>') for family, count in case_families(library, case)]
    changes = history.of(case.id)
    return CaseBlock(citation.gbt7714([case_item(library, case)])[0], downloads, figures,
                     changes[:SHOWN_CHANGES], max(0, len(changes) - SHOWN_CHANGES),
                     history.published(case.id), history.updated(case.id), history.note)


def codebook(columns, library: Library) -> list[dict]:
    """Rows of a codebook table: every column, its type and its vocabulary."""
    types = {"string": "文本", "integer": "整数", "number": "数值", "date": "日期（YYYY-MM-DD）",
             "list": f"列表（以“{LIST_SEPARATOR}”分隔）"}
    return [{"name": c.name, "type": types[c.type], "description": c.description,
             "vocabulary": c.vocabulary(library) if c.vocabulary else [], "required": c.required}
            for c in columns]


def write_pages(writer) -> None:
    """The researchers' pages, through `writer` (render.PageWriter)."""
    from .render import NOT_INDEXED, front_matter

    library = writer.library
    all_families = families(library)
    _, updated = library_dates(library)
    item = citation.library_item(updated, citation.access_date())
    writer.write(DATA_PAGE, "data.tmpl.md", meta=front_matter(title="数据下载", search=NOT_INDEXED),
                 cases=len(library.cases), metrics=sum(len(c.metrics) for c in library.cases),
                 case_columns=codebook(CASE_COLUMNS, library), metric_columns=codebook(METRIC_COLUMNS, library),
                 license=LICENSE, history_note=library.history.note)
    writer.write(CITING_PAGE, "citing.tmpl.md", meta=front_matter(title="引用本库", search=NOT_INDEXED),
                 library_citation=citation.gbt7714([item])[0], updated=updated, formats=citation.FORMATS,
                 example=citation.gbt7714([case_item(library, library.cases[0])]) if library.cases else [], style=citation.STYLE)
    writer.write(FIGURES_INDEX, "figures-index.tmpl.md", meta=front_matter(title="数字比较", search=NOT_INDEXED),
                 families=[f for f in all_families if f.rows])
    for family in all_families:
        if family.rows:
            writer.write(family.page, "figures.tmpl.md", family=family,
                         data_src=Markup(f"../{file_name(family.slug)}.json"),
                         meta=front_matter(title=f"数字比较：{family.name}", search=NOT_INDEXED,
                                           hide=["navigation", "toc"]))
