""""Nothing lost": checks run on every built site and on the whole-library PDF.

After a build, every record of the library must be in every output — its case page (found
by `<meta name="case-id">`), the finder's data, the search documents, the open data in
JSON and CSV, its own JSON file and its three citation files — and no output may hold a case
the library does not have. Every metric must stand on its case page as `format_metric`
prints it, in metrics.csv as often as in its record, and in the figure tables exactly once. The whole-library PDF must list every
case title, in its contents and in its body. A failure stops the build with a message in
Chinese that names the cases.

Each output is read once, so the checks take time linear in the number of cases.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

from .export import FORMULA_STARTS
from .figures import format_metric
from .library import Library
from .render import html_text
from .search import PREBUILT
from .text import inert, nest_quotes
from .volumes import Volume

LISTED = 20  # ids named per line of a message; the count says how many there are
_CASE_ID = re.compile(r'<meta name="case-id" content="([^"]*)">')
_VALUE_CELL = re.compile(r'<td class="num"[^>]*>(.*?)</td>', re.S)


class InvariantError(RuntimeError):
    """An output lost or gained cases or metrics (message in Chinese)."""


# -- the ids in each output ------------------------------------------------------------------
def page_ids(site: Path) -> dict[str, str]:
    """Case id → the text of its page, for every built case page that names its case."""
    pages = {}
    for page in (site / "cases").glob("*/index.html"):
        text = page.read_text(encoding="utf-8")
        found = _CASE_ID.search(text)
        if found:
            pages[html.unescape(found.group(1))] = text
    return pages


def finder_ids(site: Path) -> set[str]:
    data = json.loads((site / "data" / "finder.json").read_text(encoding="utf-8"))
    return {c["id"] for c in data["cases"]}


def search_ids(site: Path) -> set[str]:
    """Case pages among the search documents: the prebuilt file when the build made one,
    else Material's own index (a site built with stock search)."""
    prebuilt = site / "search" / PREBUILT
    source = prebuilt if prebuilt.is_file() else site / "search" / "search_index.json"
    docs = json.loads(source.read_text(encoding="utf-8"))["docs"]
    locations = (d["location"].split("#")[0] for d in docs)
    return {loc.removeprefix("cases/").rstrip("/") for loc in locations if loc.startswith("cases/")}


def json_ids(site: Path) -> set[str]:
    return {c["id"] for c in json.loads((site / "data" / "cases.json").read_text(encoding="utf-8"))}


def _unguarded(cell: str) -> str:
    """A CSV cell without the formula guard of export.csv_cell."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS else cell


def csv_ids(site: Path) -> set[str]:
    rows = csv.DictReader(io.StringIO((site / "data" / "cases.csv").read_text(encoding="utf-8-sig")))
    return {_unguarded(r["id"]) for r in rows}


def case_json_ids(site: Path) -> set[str]:
    folder = site / "data" / "cases"
    if not folder.is_dir():
        raise FileNotFoundError(folder)
    return {json.loads(p.read_text(encoding="utf-8"))["id"] for p in folder.glob("*.json")}


def citation_ids(site: Path) -> set[str]:
    """Cases with all three citation files (BibTeX, RIS, CSL-JSON)."""
    folder = site / "data" / "cite"
    if not folder.is_dir():
        raise FileNotFoundError(folder)
    stems = Counter(p.stem for p in folder.iterdir() if p.suffix in (".bib", ".ris", ".json"))
    return {stem for stem, n in stems.items() if n == 3}


OUTPUTS = (
    ("案例检索数据 data/finder.json", finder_ids),
    (f"检索索引 search/{PREBUILT}", search_ids),
    ("开放数据 data/cases.json", json_ids),
    ("开放数据 data/cases.csv", csv_ids),
    ("开放数据 data/cases/*.json", case_json_ids),
    ("引用文件 data/cite/*", citation_ids),
)


# -- the checks --------------------------------------------------------------------------------
def _ids(ids: set[str]) -> str:
    shown = sorted(ids)
    listed = "、".join(inert(i) for i in shown[:LISTED])
    return listed if len(shown) <= LISTED else f"{listed} 等"


def _compare(label: str, found: set[str], wanted: set[str]) -> list[str]:
    problems = []
    if wanted - found:
        problems.append(f"{label}缺少 {len(wanted - found)} 个案例：{_ids(wanted - found)}")
    if found - wanted:
        problems.append(f"{label}多出 {len(found - wanted)} 个案例：{_ids(found - wanted)}")
    return problems


def metric_problems(library: Library, pages: dict[str, str]) -> list[str]:
    """Metrics whose value, as format_metric prints it, is missing from their case page
    (each value cell counted, so a value printed twice must stand there twice)."""
    problems = []
    for case in library.cases:
        if case.id not in pages or not case.metrics:
            continue
        cells = Counter(_VALUE_CELL.findall(pages[case.id]))
        for metric in case.metrics:
            cell = str(html_text(format_metric(metric)))
            if cells[cell]:
                cells[cell] -= 1
            else:
                problems.append(f"案例 {case.id} 的成效“{nest_quotes(inert(metric.label))}”"
                                f"（{inert(format_metric(metric))}）不在案例页上")
    return problems


def metric_rows_problems(library: Library, site: Path) -> list[str]:
    """metrics.csv holds each case's metrics, as many as the record has; the figure tables
    (data/figures/*.json) list every metric whose unit has a family exactly once."""
    problems = []
    try:
        rows = csv.DictReader(io.StringIO((site / "data" / "metrics.csv").read_text(encoding="utf-8-sig")))
        found = Counter(_unguarded(r["case_id"]) for r in rows)
    except FileNotFoundError:
        return ["开放数据 data/metrics.csv 不存在"]
    wanted = Counter({c.id: len(c.metrics) for c in library.cases if c.metrics})
    differ = {i for i in found.keys() | wanted.keys() if found[i] != wanted[i]}
    if differ:
        problems.append(f"开放数据 data/metrics.csv 中 {len(differ)} 个案例的成效数据项数与记录不符：{_ids(differ)}")
    families = {u.name for u in library.vocab.units}
    wanted_rows = Counter((c.id, n) for c in library.cases for n, m in enumerate(c.metrics) if m.unit in families)
    listed = Counter()
    for table in (site / "data" / "figures").glob("*.json"):
        listed.update((r["id"], r["n"]) for r in json.loads(table.read_text(encoding="utf-8"))["rows"])
    differ = {i for i, n in listed.keys() | wanted_rows.keys() if listed[i, n] != wanted_rows[i, n]}
    if differ:
        problems.append(f"数字比较表 data/figures/*.json 中 {len(differ)} 个案例的成效数据没有恰好各列一次：{_ids(differ)}")
    return problems


def site_problems(library: Library, site: Path) -> list[str]:
    """Every difference between the library and the built site, one line each."""
    wanted = {c.id for c in library.cases}
    pages = page_ids(site)
    problems = _compare("案例页 cases/*/index.html ", set(pages), wanted)
    for label, read in OUTPUTS:
        try:
            found = read(site)
        except FileNotFoundError:
            problems.append(f"{label} 不存在")
            continue
        problems += _compare(f"{label} ", found, wanted)
    return problems + metric_problems(library, pages) + metric_rows_problems(library, site)


def check_site(library: Library, site: Path) -> None:
    """Raises InvariantError naming every case an output lost or gained."""
    problems = site_problems(library, site)
    if problems:
        raise InvariantError("网站与案例库不一致，构建已停止：\n" + "\n".join(f"- {p}" for p in problems)
                             + "\n请重新运行 make build；如仍出现，请报告此问题。")


# -- the whole-library PDF ---------------------------------------------------------------------
def pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext") is None:
        raise InvariantError("未找到 pdftotext，无法核对 PDF 分册；请安装 Debian 软件包 poppler-utils："
                             "sudo apt-get install poppler-utils")
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _flat(text: str) -> str:
    """Text without the line breaks and spaces that layout puts in."""
    return re.sub(r"\s+", "", text)


def pdf_missing_titles(pdf: Path, volume: Volume) -> list[str]:
    """Titles of the volume's cases that its PDF does not list, in order, once in the
    contents and once in the body. Each search starts where the last one ended, so the text
    is read once when nothing is missing."""
    text = _flat(pdf_text(pdf))
    order = [case for section in volume.sections for case in section.cases]
    missing, position = {}, 0
    for case in order + order:  # the contents, then the body
        title = _flat(case.title)
        found = text.find(title, position)
        if found < 0:
            missing.setdefault(case.id, case.title)
        else:
            position = found + len(title)
    return list(missing.values())


def check_pdf(pdf: Path, volume: Volume) -> None:
    missing = pdf_missing_titles(pdf, volume)
    if missing:
        raise InvariantError(f"PDF 分册 {pdf.name} 缺少 {len(missing)} 个案例的标题（目录和正文中应各有一次）："
                             + "、".join(f"“{nest_quotes(inert(t))}”" for t in missing[:LISTED])
                             + ("等" if len(missing) > LISTED else ""))
