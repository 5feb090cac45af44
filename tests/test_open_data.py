"""The open data a researcher downloads: cases.json valid against its published schema, one
JSON file per case, cases.csv and metrics.csv described by a Frictionless Data Package that
`frictionless validate` accepts with one row per record and per metric, the codebook and
licence on the 数据下载 page, and the figure tables that list every metric exactly once."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import typing
from collections import Counter
from pathlib import Path

import jsonschema
from conftest import ROOT, recording_page
from payloads import payload_case

from scripts.casebook import citation
from scripts.casebook.export import CASE_COLUMNS, LIST_SEPARATOR, METRIC_COLUMNS, metrics_csv
from scripts.casebook.figure_tables import FAMILY_SLUGS, families
from scripts.casebook.figures import format_metric
from scripts.casebook.library import build_library, load_library
from scripts.casebook.vocab import Unit

LIBRARY, _ = load_library(ROOT)
METRICS = sum(len(c.metrics) for c in LIBRARY.cases)
FRICTIONLESS = Path(sys.executable).parent / "frictionless"


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def csv_rows(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode("utf-8")), path.name  # Excel reads the Chinese text
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


# -- JSON --------------------------------------------------------------------------------------
def test_cases_json_is_valid_against_its_published_schema(site):
    schema = read_json(site / "data" / "cases.schema.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    data = read_json(site / "data" / "cases.json")
    assert [r["id"] for r in data] == [c.id for c in LIBRARY.cases]
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)  # the whole file, as published
    broken = [dict(data[0], level="不存在的层级"), {k: v for k, v in data[1].items() if k != "url"}]
    errors = sorted(e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(broken))
    assert errors == ["'url' is a required property", f"'不存在的层级' is not one of {LIBRARY.vocab.level_names}"]


def test_one_json_file_per_case(site):
    data = read_json(site / "data" / "cases.json")
    files = sorted((site / "data" / "cases").glob("*.json"))
    assert [p.stem for p in files] == sorted(c.id for c in LIBRARY.cases)
    assert {p.stem: read_json(p) for p in files} == {r["id"]: r for r in data}
    record = next(r for r in data if r["id"] == "2024-yunnan-dianzhong-water-contest")
    assert record["url"] == citation.case_url("2024-yunnan-dianzhong-water-contest")
    assert record["metrics"][1] == {"label": "选树优秀个人", "value": 803, "unit": "名", "quote": "优秀个人803名"}


# -- CSV and the Data Package -------------------------------------------------------------------
def test_cases_csv_one_row_per_case(site):
    rows = csv_rows(site / "data" / "cases.csv")
    assert list(rows[0]) == [c.name for c in CASE_COLUMNS]
    assert [r["id"] for r in rows] == [c.id for c in LIBRARY.cases]
    case = LIBRARY.cases[0]
    assert rows[0]["themes"] == LIST_SEPARATOR.join(case.themes) and rows[0]["metrics"] == str(len(case.metrics))
    assert rows[0]["measures"] == "；".join(m.title for m in case.measures)


def test_metrics_csv_one_row_per_metric(site):
    rows = csv_rows(site / "data" / "metrics.csv")
    assert list(rows[0]) == [c.name for c in METRIC_COLUMNS]
    assert [(r["case_id"], r["label"], r["quote"]) for r in rows] == [
        (c.id, m.label, m.quote) for c in LIBRARY.cases for m in c.metrics]
    row = next(r for r in rows if r["quote"] == "优秀个人803名")
    assert row == {"case_id": "2024-yunnan-dianzhong-water-contest", "label": "选树优秀个人", "value": "803",
                   "unit": "名", "approx": "", "as_of": "", "figure": "803名", "family": "人数",
                   "quote": "优秀个人803名",
                   "url": citation.case_url("2024-yunnan-dianzhong-water-contest")}


def test_metrics_csv_guards_text_cells_but_not_numbers():
    case = payload_case("2024-formula", LIBRARY.vocab.sources[0].id, region={"province": "云南省"}, level="省级",
                        themes=[LIBRARY.vocab.themes[0].name],
                        metrics=[{"label": "=HYPERLINK(\"http://x\")", "value": -5, "unit": "人", "quote": "-5人"}])
    [row] = csv.DictReader(io.StringIO(metrics_csv(build_library([case], LIBRARY.vocab))))
    assert (row["label"], row["value"], row["quote"]) == ("'=HYPERLINK(\"http://x\")", "-5", "'-5人")


def frictionless(datapackage: Path) -> dict:
    run = subprocess.run([str(FRICTIONLESS), "validate", "--json", str(datapackage)],
                         capture_output=True, text=True, cwd=datapackage.parent)
    return json.loads(run.stdout)


def test_frictionless_validates_the_data_package(site):
    report = frictionless(site / "data" / "datapackage.json")
    errors = [e["message"] for task in report["tasks"] for e in task["errors"]]
    assert report["valid"] is True, errors[:5]
    rows = {task["name"]: task["stats"]["rows"] for task in report["tasks"]}
    assert rows == {"cases": len(LIBRARY.cases), "metrics": METRICS}


def test_frictionless_finds_a_metric_of_no_case(site, tmp_path):
    data = shutil.copytree(site / "data", tmp_path / "data", ignore=shutil.ignore_patterns("cite", "cases", "figures"))
    text = (data / "metrics.csv").read_text(encoding="utf-8-sig")
    (data / "metrics.csv").write_text("\ufeff" + text.replace("\n2024-yunnan-dianzhong-water-contest,", "\nno-such-case,", 1),
                                      encoding="utf-8")
    report = frictionless(data / "datapackage.json")
    assert report["valid"] is False
    assert [e["type"] for task in report["tasks"] for e in task["errors"]] == ["foreign-key"]


# -- the 数据下载 page ----------------------------------------------------------------------------
def codebook_rows(page: str, heading: str) -> list[list[str]]:
    table = page.split(f">字段说明：{heading}<", 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<td>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]


def test_data_page_codebook_and_licence(site):
    page = (site / "data" / "index.html").read_text(encoding="utf-8")
    for heading, columns in (("cases.csv", CASE_COLUMNS), ("metrics.csv", METRIC_COLUMNS)):
        rows = codebook_rows(page, heading)
        assert [re.sub(r"</?code>", "", r[0]) for r in rows] == [c.name for c in columns]
        for row, column in zip(rows, columns):
            vocabulary = column.vocabulary(LIBRARY) if column.vocabulary else []
            assert row[3] == "、".join(vocabulary), column.name
    assert codebook_rows(page, "cases.csv")[7][1] == "列表（以“；”分隔）（必填）"  # themes
    assert "知识共享 署名 4.0 国际许可协议（CC BY 4.0）" in page
    assert "成效数字和“原文”一栏的引文出自各案例注明的公开报告" in page
    package = read_json(site / "data" / "datapackage.json")
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    for name in ("cases.json", "cases.schema.json", "cases.csv", "metrics.csv", "datapackage.json"):
        assert f'<a href="{name}">{name}</a>' in page


# -- the figure tables ----------------------------------------------------------------------------
def test_every_metric_is_in_exactly_one_figure_table(site):
    listed = Counter()
    for family in families(LIBRARY):
        if not family.rows:
            assert not (site / "data" / "figures" / f"{family.slug}.json").exists()
            continue
        table = read_json(site / "data" / "figures" / f"{family.slug}.json")
        assert table["family"] == family.name
        units = {u.name for u in LIBRARY.vocab.units if u.family == family.name}
        assert {r["unit"] for r in table["rows"]} <= units
        listed.update((r["id"], r["n"], r["figure"]) for r in table["rows"])
        assert (site / "data" / "figures" / family.slug / "index.html").is_file()
    wanted = Counter((c.id, n, format_metric(m)) for c in LIBRARY.cases for n, m in enumerate(c.metrics))
    assert listed == wanted and sum(listed.values()) == METRICS


def test_every_family_of_the_unit_model_has_a_page_slug():
    allowed = typing.get_args(Unit.model_fields["family"].annotation)
    assert set(FAMILY_SLUGS) == set(allowed) and len(set(FAMILY_SLUGS.values())) == len(allowed)
    assert [f.slug for f in families(LIBRARY)] == ["people", "organisations", "money", "shares", "counts", "quantities"]


def test_case_page_links_its_figures(site):
    case = next(c for c in LIBRARY.cases if c.id == "2024-yunnan-dianzhong-water-contest")
    page = (site / "cases" / case.id / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="\.\./\.\./data/figures/([a-z]+)/\?case=([a-z0-9-]+)">(.*?)（(\d+) 项）</a>', page)
    assert links == [("people", case.id, "人数", "6"), ("organisations", case.id, "单位", "4"),
                     ("quantities", case.id, "数量", "1")]


def table_rows(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "#figures tbody tr", "rows => rows.map(r => [r.dataset.case, ...[...r.cells].map(c => c.innerText)])")


def test_figure_table_in_the_browser(browser, base_url):
    family = next(f for f in families(LIBRARY) if f.name == "金额")
    with recording_page(browser) as page:
        page.goto(f"{base_url}/data/figures/{family.slug}/")
        page.wait_for_selector("#figures tbody tr")
        rows = table_rows(page)
        assert len(rows) == len(family.rows)
        assert page.inner_text(".figures-total") == f"共 {len(family.rows)} 项"
        by_value = sorted(family.rows, key=lambda r: -r[2].value)  # stable: library order among equals
        assert [r[3] for r in rows] == [format_metric(m) for _, _, m in by_value]
        page.select_option(".figures-sort", "asc")
        assert [r[3] for r in table_rows(page)] == [format_metric(m) for _, _, m in
                                                    sorted(family.rows, key=lambda r: r[2].value)]
        assert page.url.endswith("?sort=asc")
        province = family.rows[0][0].region.province
        page.select_option(".figures-province", province)
        assert {r[0] for r in table_rows(page)} == {c.id for c, _, _ in family.rows if c.region.province == province}
        theme = family.rows[-1][0].themes[0]
        page.select_option(".figures-province", "")
        page.select_option(".figures-theme", theme)
        assert len(table_rows(page)) == sum(theme in c.themes for c, _, _ in family.rows)
        # a case page's link shows that case's figures only
        case = family.rows[0][0]
        page.goto(f"{base_url}/data/figures/{family.slug}/?case={case.id}")
        page.wait_for_selector("#figures tbody tr")
        assert [r[0] for r in table_rows(page)] == [case.id] * sum(c.id == case.id for c, _, _ in family.rows)
        assert page.inner_text(".figures-total").startswith(f"案例：{case.title}（")
        page.click("text=显示全部")
        assert len(table_rows(page)) == len(family.rows)
        assert [u for u in page.requests if not u.startswith(base_url)] == []
