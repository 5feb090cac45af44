"""Data files generated from the library: the finder's compact case list and the open
data under data/ — cases.json (every record with its page address and history), one JSON
file per case, cases.csv (one row per case), metrics.csv (one row per metric), the JSON
Schema of cases.json, a Frictionless Data Package describing both CSV files, the citation
files of every case and the figure tables' data.

The open data carry the records as they are; only the CSV guards its text cells against
spreadsheet formula injection (`csv_cell`). The finder's text is shown to readers, so it
goes out without control characters and bidi overrides, as on the pages.

The CSV columns are defined once, in CASE_COLUMNS and METRIC_COLUMNS (name, Table Schema
type, description, vocabulary): the CSV writer, the Data Package and the codebook on the
数据下载 page are all made from them."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Callable, Optional

from pydantic import BaseModel, ConfigDict, Field

from . import citation
from .figure_tables import families, figure_files, unit_family
from .figures import APPROX_VALUES, format_metric, format_plain
from .library import Library
from .model import Case, Metric
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


LIST_SEPARATOR = "；"  # joins list fields (themes, tags, measures) in one CSV cell
LICENSE = {"name": "CC-BY-4.0", "title": "知识共享 署名 4.0 国际许可协议（CC BY 4.0）",
           "path": "https://creativecommons.org/licenses/by/4.0/deed.zh-hans"}


@dataclass(frozen=True)
class Column:
    """One CSV column: its Table Schema type and description, and where its values come from."""
    name: str
    type: str            # Table Schema type: string, integer, number, date, list
    description: str     # Chinese: the codebook is read by researchers of Chinese text
    value: Callable  # (library, case, metric or None) → the cell's value
    vocabulary: Optional[Callable] = None  # Library → allowed values (enum), when closed
    required: bool = False
    pattern: Optional[str] = None


def _join(values) -> str:
    return LIST_SEPARATOR.join(values)


def _field_description(model: type[BaseModel], name: str) -> str:
    return model.model_fields[name].description


CASE_COLUMNS = (
    Column("id", "string", _field_description(Case, "id"), lambda lib, c, m: c.id, required=True,
           pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$"),
    Column("title", "string", _field_description(Case, "title"), lambda lib, c, m: c.title, required=True),
    Column("organization", "string", _field_description(Case, "organization"), lambda lib, c, m: c.organization,
           required=True),
    Column("province", "string", "省级行政区；全总层面的举措为 全国", lambda lib, c, m: c.region.province,
           lambda lib: lib.vocab.province_names, required=True),
    Column("city", "string", "地级市（可为空）", lambda lib, c, m: c.region.city or ""),
    Column("district", "string", "县、区（可为空）", lambda lib, c, m: c.region.district or ""),
    Column("level", "string", "实施单位层级", lambda lib, c, m: c.level, lambda lib: lib.vocab.level_names, required=True),
    Column("themes", "list", f"1–3 个工作领域，以“{LIST_SEPARATOR}”分隔", lambda lib, c, m: _join(c.themes),
           lambda lib: lib.vocab.theme_names, required=True),
    Column("tags", "list", f"自由关键词，以“{LIST_SEPARATOR}”分隔", lambda lib, c, m: _join(c.tags)),
    Column("year", "integer", _field_description(Case, "year"), lambda lib, c, m: c.year, required=True),
    Column("period", "string", "时间跨度（可为空），如 2021–2024", lambda lib, c, m: c.period or ""),
    Column("summary", "string", "摘要", lambda lib, c, m: c.summary, required=True),
    Column("problem", "string", _field_description(Case, "problem"), lambda lib, c, m: c.problem, required=True),
    Column("measures", "list", f"主要做法的小标题，以“{LIST_SEPARATOR}”分隔（内容见 JSON）",
           lambda lib, c, m: _join(m.title for m in c.measures), required=True),
    Column("lessons", "string", "经验启示（可为空）", lambda lib, c, m: c.lessons or ""),
    Column("metrics", "integer", "成效数据的项数（各项见 metrics.csv）", lambda lib, c, m: len(c.metrics), required=True),
    Column("source", "string", "来源出版物的编号（见“按来源”目录）", lambda lib, c, m: c.source.publication,
           lambda lib: lib.vocab.source_ids, required=True),
    Column("section", "string", "案例在来源中的位置（可为空）", lambda lib, c, m: c.source.section or ""),
    Column("url", "string", "案例页的永久网址", lambda lib, c, m: citation.case_url(c.id), required=True),
    Column("published", "date", "记录首次发布（首次提交到本库版本库）的日期；没有版本历史时为空",
           lambda lib, c, m: lib.history.published(c.id) or ""),
    Column("updated", "date", "记录最后更新的日期；没有版本历史时为空", lambda lib, c, m: lib.history.updated(c.id) or ""),
)

METRIC_COLUMNS = (
    Column("case_id", "string", "所属案例的编号（cases.csv 的 id）", lambda lib, c, m: c.id, required=True),
    Column("label", "string", _field_description(Metric, "label"), lambda lib, c, m: m.label, required=True),
    Column("value", "number", _field_description(Metric, "value"), lambda lib, c, m: format_plain(m.value), required=True),
    Column("unit", "string", "基本单位", lambda lib, c, m: m.unit, lambda lib: lib.vocab.unit_names, required=True),
    Column("approx", "string", "原文对数字的限定（可为空）", lambda lib, c, m: m.approx or "",
           lambda lib: list(APPROX_VALUES)),
    Column("as_of", "string", "数据时间（可为空）：年、年-月或年-月-日", lambda lib, c, m: m.as_of or "",
           pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$"),
    Column("figure", "string", "数字按原文的写法，如 130多万人次", lambda lib, c, m: format_metric(m), required=True),
    Column("family", "string", "单位类别（跨案例比较时所用）", lambda lib, c, m: unit_family(lib, m.unit),
           lambda lib: list(dict.fromkeys(u.family for u in lib.vocab.units))),
    Column("quote", "string", _field_description(Metric, "quote"), lambda lib, c, m: m.quote, required=True),
    Column("url", "string", "所属案例页的永久网址", lambda lib, c, m: citation.case_url(c.id), required=True),
)

class ExportCache:
    """Each case's share of the data files (its JSON, citation files and CSV rows), kept
    between runs by `make serve`: made again only for a case whose record (the same Case
    object: validate.CheckCache keeps unchanged ones), history or citation date changed.
    Without a cache (a build) everything is made once."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], tuple] = {}
        self.stamp: tuple = ()  # what every case's files show: the citation date, the site's address

    def begin(self) -> None:
        self.stamp = (citation.access_date(), citation.site_url())

    def get(self, kind: str, case: Case, library: Library, make):
        key = (tuple(library.history.of(case.id)), self.stamp)
        hit = self.entries.get((kind, case.id))
        if hit is not None and hit[0] is case and hit[1] == key:
            return hit[2]
        value = make()
        self.entries[(kind, case.id)] = (case, key, value)
        return value


class _NoCache:
    @staticmethod
    def begin():
        pass

    @staticmethod
    def get(kind, case, library, make):
        return make()


def _cell(column: Column, value) -> str:
    # a number cannot carry a formula; guarding one ('-5) would make it text
    return str(value) if column.type in ("integer", "number") else csv_cell(value)


def _csv(library: Library, columns, rows, cache=_NoCache) -> str:
    """`rows`: (case, [metric or None, …]) — a case's rows are cached together."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.name for c in columns])
    for case, metrics in rows:
        writer.writerows(cache.get(f"csv-{columns[0].name}", case, library, lambda: [
            [_cell(c, c.value(library, case, metric)) for c in columns] for metric in metrics]))
    return out.getvalue()


def cases_csv(library: Library, cache=_NoCache) -> str:
    return _csv(library, CASE_COLUMNS, ((c, [None]) for c in library.cases), cache)


def metrics_csv(library: Library, cache=_NoCache) -> str:
    return _csv(library, METRIC_COLUMNS, ((c, c.metrics) for c in library.cases), cache)


# -- JSON ------------------------------------------------------------------------------------
class Change(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="修改日期（UTC）")
    summary: str = Field(description="修改说明（版本库提交说明的第一行）")


class PublishedCase(Case):
    """A record as data/cases.json publishes it: the record, its page and its history."""
    url: str = Field(description="案例页的永久网址")
    published: Optional[str] = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                      description="记录首次发布的日期；没有版本历史时省略")
    updated: Optional[str] = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                   description="记录最后更新的日期；没有版本历史时省略")
    changes: list[Change] = Field(default_factory=list, description="修改记录，新的在前；没有版本历史时为空")


def published_record(case: Case, library: Library) -> dict:
    history = library.history
    record = case.model_dump(exclude_none=True)
    record["url"] = citation.case_url(case.id)
    if history.published(case.id):
        record["published"] = history.published(case.id)
        record["updated"] = history.updated(case.id)
    record["changes"] = [{"date": ch.date, "summary": ch.summary} for ch in history.of(case.id)]
    return record


def cases_schema(library: Library) -> dict:
    """The JSON Schema of data/cases.json as published: a list of records, with the
    vocabularies as enums."""
    record = PublishedCase.model_json_schema(ref_template="#/$defs/{model}")
    defs = record.pop("$defs")
    props = record["properties"]
    props["themes"]["items"]["enum"] = library.vocab.theme_names
    props["level"]["enum"] = library.vocab.level_names
    defs["Region"]["properties"]["province"]["enum"] = library.vocab.province_names
    defs["SourceRef"]["properties"]["publication"]["enum"] = library.vocab.source_ids
    defs["Metric"]["properties"]["unit"]["enum"] = library.vocab.unit_names
    defs["PublishedCase"] = record
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{citation.site_url()}data/cases.schema.json",
            "title": "工会改革创新案例库：全部案例（data/cases.json）",
            "type": "array", "items": {"$ref": "#/$defs/PublishedCase"}, "$defs": defs}


# -- the Data Package --------------------------------------------------------------------------
def table_schema(columns, library: Library) -> dict:
    fields = []
    for column in columns:
        descriptor = {"name": column.name, "type": column.type, "description": column.description}
        if column.type == "list":
            descriptor |= {"delimiter": LIST_SEPARATOR, "itemType": "string"}
        constraints = {}
        if column.required:
            constraints["required"] = True
        if column.pattern:
            constraints["pattern"] = column.pattern
        if column.vocabulary and column.type != "list":
            constraints["enum"] = column.vocabulary(library)
        if constraints:
            descriptor["constraints"] = constraints
        fields.append(descriptor)
    return {"fields": fields, "missingValues": [""]}


def datapackage(library: Library) -> dict:
    cases = table_schema(CASE_COLUMNS, library) | {"primaryKey": ["id"]}
    metrics = table_schema(METRIC_COLUMNS, library) | {
        "foreignKeys": [{"fields": ["case_id"], "reference": {"resource": "cases", "fields": ["id"]}}]}
    dialect = {"delimiter": ",", "quoteChar": '"', "header": True}
    return {
        "name": "casebook",
        "title": "工会改革创新案例库",
        "homepage": citation.site_url(),
        "licenses": [LICENSE],
        "resources": [
            {"name": "cases", "path": "cases.csv", "title": "全部案例（每行一个案例）", "format": "csv",
             "mediatype": "text/csv", "encoding": "utf-8-sig", "dialect": dialect, "schema": cases},
            {"name": "metrics", "path": "metrics.csv", "title": "全部成效数据（每行一项）", "format": "csv",
             "mediatype": "text/csv", "encoding": "utf-8-sig", "dialect": dialect, "schema": metrics},
        ],
    }


def _dump(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1)


def _dump_list(dumped: list[str]) -> str:
    """`_dump` of a list, from its elements' `_dump`s (each indented one level further)."""
    if not dumped:
        return "[]"
    return "[\n" + ",\n".join(" " + d.replace("\n", "\n ") for d in dumped) + "\n]"


def data_files(library: Library, cache: ExportCache | None = None) -> dict[str, bytes]:
    """The data files under docs/data/, by their path under docs/ (the pre-build step writes
    them with the pages). `cache`: see ExportCache."""
    cache = cache or _NoCache
    cache.begin()
    records = [cache.get("record", c, library, lambda c=c: _dump(published_record(c, library))) for c in library.cases]
    files = {
        "data/finder.json": json.dumps(finder_data(library), ensure_ascii=False, separators=(",", ":")),
        "data/cases.json": _dump_list(records),
        "data/cases.schema.json": _dump(cases_schema(library)),
        # UTF-8 with BOM so that Excel opens the Chinese text correctly
        "data/cases.csv": "\ufeff" + cases_csv(library, cache),
        "data/metrics.csv": "\ufeff" + metrics_csv(library, cache),
        "data/datapackage.json": _dump(datapackage(library)),
    }
    files |= {f"data/cases/{c.id}.json": r for c, r in zip(library.cases, records)}
    accessed = citation.access_date()
    for case in library.cases:
        files |= cache.get("cite", case, library, lambda case=case: citation.citation_files(
            [citation.case_item(case, library.history.published(case.id), accessed)]))
    # the library's own citation: data/casebook.bib, .ris, .json
    files |= citation.citation_files([citation.library_item(library_dates(library)[1], citation.access_date())],
                                     folder="data")
    files |= figure_files(library, families(library))
    return {path: text.encode("utf-8") for path, text in files.items()}


def library_dates(library: Library) -> tuple[str | None, str | None]:
    """The first and last dates any record changed."""
    dates = [ch.date for case in library.cases for ch in library.history.of(case.id)]
    return (min(dates), max(dates)) if dates else (None, None)
