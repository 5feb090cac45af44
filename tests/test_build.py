"""The built site: one page per record, catalogs that list exactly their cases, escaped text.

The site is built once per test session in a temporary copy of the project, with the same
commands as `make build`: generate pages, then `mkdocs build --strict`.
"""
from __future__ import annotations

import re
import shutil
from collections import defaultdict
from pathlib import Path

from conftest import ROOT, VALID

from scripts.casebook.build import build_site
from scripts.casebook.library import build_library, load_library
from scripts.casebook.validate import validate
from scripts.casebook.vocab import load_vocabularies

LIBRARY, REPORT = load_library(ROOT)


def case_ids_on(page: Path) -> set[str]:
    """Ids of the cases a built page links to."""
    return set(re.findall(r'href="(?:\.\./)+cases/([a-z0-9-]+)/"', page.read_text(encoding="utf-8")))


def test_records_are_all_valid():
    assert REPORT.errors == []
    assert len(LIBRARY.cases) == len(REPORT.records) >= 40


def test_every_record_has_exactly_one_page(site):
    found = defaultdict(list)
    for page in site.rglob("*.html"):
        for case_id in re.findall(r'<meta name="case-id" content="([^"]+)">', page.read_text(encoding="utf-8")):
            found[case_id].append(page.relative_to(site).as_posix())
    assert dict(found) == {c.id: [f"cases/{c.id}/index.html"] for c in LIBRARY.cases}


def test_case_page_shows_the_record(site):
    case = next(c for c in LIBRARY.cases if c.id == "2024-yunnan-dianzhong-water-contest")
    html = (site / "cases" / case.id / "index.html").read_text(encoding="utf-8")
    for text in ("针对问题", "主要做法", "成效", "经验启示", "来源与引用", "云南省总工会", "803名", "优秀个人803名",
                 "“1+6+N”机制统筹滇中引水工程全线劳动竞赛", "全国工会重点工作创新案例选登"):
        assert text in html, text
    assert "1\\+6" not in html


def expected_catalogs() -> dict[str, set[str]]:
    """Catalog page → ids, computed from the records' own fields (not from the library)."""
    vocab = LIBRARY.vocab
    slug = {"themes": {t.name: t.slug for t in vocab.themes},
            "provinces": {r.name: r.slug for r in vocab.regions},
            "levels": {lv.name: lv.slug for lv in vocab.levels}}
    expected = defaultdict(set)
    for case in LIBRARY.cases:
        for theme in case.themes:
            expected[f"themes/{slug['themes'][theme]}"].add(case.id)
        expected[f"provinces/{slug['provinces'][case.region.province]}"].add(case.id)
        expected[f"levels/{slug['levels'][case.level]}"].add(case.id)
        expected[f"years/{case.year}"].add(case.id)
        expected[f"sources/{case.source.publication}"].add(case.id)
    return expected


def test_every_catalog_lists_exactly_its_cases(site):
    expected = expected_catalogs()
    built = {p.parent.relative_to(site / "catalogs").as_posix(): case_ids_on(p)
             for p in (site / "catalogs").glob("*/*/index.html")}
    assert built == dict(expected)


def test_catalog_indexes_count_cases(site):
    html = (site / "catalogs" / "themes" / "index.html").read_text(encoding="utf-8")
    theme = LIBRARY.catalogs["themes"][0]
    assert re.search(rf">{re.escape(theme.name)}</a></td>\s*<td[^>]*>{len(theme.cases)}</td>", html)


def test_home_page_counts(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    assert f"<strong>{len(LIBRARY.cases)}</strong> 个案例" in html


def test_no_page_loads_anything_from_outside(site):
    offenders = []
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        offenders += [(page.name, u) for u in re.findall(r'(?:src|href)="(https?://[^"]+)"', text)
                      if "fonts.googleapis" in u or "fonts.gstatic" in u or u.endswith((".js", ".css"))]
    assert offenders == []


def test_untrusted_record_text_is_escaped(tmp_path):
    """Raw HTML and Markdown in a record reach the reader as the literal text."""
    evil = (VALID.replace("title: 测试案例", "title: <script>alert(1)</script>标题")
            .replace("summary: 一句话摘要。", "summary: '[点我](javascript:alert(1)) **粗体** \"><img src=x onerror=alert(1)>'")
            .replace("problem: 职工找不到工会。", "problem: '# 不是标题\n\n  | 表 | 格 |'"))
    shutil.copytree(ROOT / "cases" / "_vocab", tmp_path / "cases" / "_vocab")
    (tmp_path / "cases" / "2024").mkdir()
    (tmp_path / "cases" / "2024" / "2024-yunnan-test-case.yaml").write_text(evil, encoding="utf-8")
    vocab = load_vocabularies(tmp_path / "cases" / "_vocab")
    report = validate(tmp_path / "cases", vocab, tmp_path)
    assert report.errors == []
    site = build_site(tmp_path / "work", build_library([r.case for r in report.records], vocab))
    html = (site / "cases" / "2024-yunnan-test-case" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src=x" not in html and 'href="javascript' not in html
    assert "<strong>粗体" not in html and "<h1>不是标题" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;标题" in html
    assert html.count("<table>") == 1  # only the metrics table


def test_downloads_page_and_catalogs_link_the_pdf_volumes(site):
    """Each volume is linked where its PDF is in the site and current, else marked as not yet
    built (tests/test_pdf.py builds one and follows the links)."""
    from scripts.casebook.volumes import plan_volumes

    html = (site / "downloads" / "index.html").read_text(encoding="utf-8")
    linked = re.findall(r'<a href="([a-z0-9.-]+\.pdf)">', html)
    assert all((site / "downloads" / name).is_file() for name in linked)
    volumes = plan_volumes(LIBRARY)
    assert html.count("（尚未生成）") == len(volumes) - len(linked)
    theme = next(c for c in LIBRARY.catalogs["themes"] if c.cases)
    page = (site / "catalogs" / "themes" / theme.slug / "index.html").read_text(encoding="utf-8")
    assert (f'href="../../../downloads/theme-{theme.slug}.pdf"' in page) == (f"theme-{theme.slug}.pdf" in linked)


def test_open_data_files(site):
    import csv
    import json

    finder = json.loads((site / "data" / "finder.json").read_text(encoding="utf-8"))
    assert [c["id"] for c in finder["cases"]] == [c.id for c in LIBRARY.cases]
    assert finder["facets"]["theme"] == [c.name for c in LIBRARY.catalogs["themes"] if c.cases]
    full = json.loads((site / "data" / "cases.json").read_text(encoding="utf-8"))
    assert sum(len(c["metrics"]) for c in full) == sum(len(c.metrics) for c in LIBRARY.cases)
    rows = list(csv.DictReader((site / "data" / "cases.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert [r["id"] for r in rows] == [c.id for c in LIBRARY.cases]
    assert rows[0]["title"] == LIBRARY.cases[0].title


def test_overview_counts_and_links(site):
    from scripts.casebook.overview import shade_of

    html = (site / "overview" / "index.html").read_text(encoding="utf-8")
    top = max(len(c.cases) for c in LIBRARY.catalogs["themes"])
    for theme in LIBRARY.catalogs["themes"]:
        share = round(len(theme.cases) / top, 3)  # the bar's length against the longest
        assert (f'<span class="overview-label">{theme.name}</span><span class="overview-bar">'
                f'<span style="width: calc((100% - 2.5rem) * {share})"></span>'
                f'<span class="overview-count">{len(theme.cases)}</span>') in html
    for province in LIBRARY.catalogs["provinces"]:
        region = LIBRARY.vocab.region(province.name)
        if region.tile and province.cases:
            assert f'<a href="../catalogs/provinces/{region.slug}/" title="{region.name}：{len(province.cases)} 个案例">' in html
            assert (site / "catalogs" / "provinces" / region.slug / "index.html").is_file()
    links = re.findall(r'<a href="\.\./(catalogs/[a-z0-9-]+/[a-z0-9-]+)/">', html)
    assert links and all((site / link / "index.html").is_file() for link in links)
    assert [shade_of(n, 3) for n in (0, 1, 2, 3)] == [0, 1, 3, 4]
