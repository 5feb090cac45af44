"""The web editor end to end, with no network: Decap CMS in Debian's Chromium, its local
backend (decap-server) writing a temporary copy of the project. A case made through the form
passes the checks and is published in a built site; editing a case changes only that field.

Set CASEBOOK_SCREENSHOTS=docs/assets/editor to refresh the screenshots of CONTRIBUTING.md."""
from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest
from admin_harness import editor, git, project_copy
from conftest import ROOT

from scripts.casebook.build import build_site
from scripts.casebook.library import load_library
from scripts.casebook.load import parse_yaml
from scripts.casebook.search import SiteSearch
from scripts.casebook.validate import validate
from scripts.casebook.vocab import load_vocabularies

NEW_ID = "2024-yunnan-kunming-web-editor-example"
NEW_TITLE = "示例：网页编辑器新建的案例"


@pytest.fixture
def project(tmp_path) -> Path:
    return project_copy(tmp_path / "project")


def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("CASEBOOK_SCREENSHOTS") or tmp_path / "shots")
    folder = folder if folder.is_absolute() else ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_editor(browser, url):
    page = browser.new_page(viewport={"width": 1200, "height": 760}, device_scale_factor=1)
    page.problems = []
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    # the local backend answers 404 where GitHub's API does (an entry with no branch yet),
    # which Chromium logs as a failed load; every other failed load or console error counts
    page.on("console", lambda m: page.problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: page.problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not (r.status == 404 and r.url.endswith("/api/v1")) else None)
    page.goto(url)
    page.get_by_role("button", name="登录").click()
    page.get_by_text("＋ 案例").wait_for()
    return page


def field(page, name: str, nth: int = 0):
    """The input of a field by its name in the model (Decap's ids are `<name>-field-<n>`)."""
    return page.locator(f'[id^="{name}-field-"]').nth(nth)


def choose(page, name: str, option: str, nth: int = 0):
    box = field(page, name, nth)
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=False).first.click()


def save_for_review(page):
    """Save (a branch and, on GitHub, a fork's draft), then mark it ready for review (on
    GitHub, the pull request)."""
    page.get_by_role("button", name="保存", exact=True).click()
    page.get_by_text("修改已保存").wait_for()
    page.get_by_text("状态: 草稿").click()
    page.get_by_text("审核中", exact=True).click()
    page.get_by_text("状态: 审核中").wait_for()


def review_branch(project: Path, changed: str) -> None:
    """Check out the one branch the editor made (on GitHub, the pull request's), after
    asserting that it changes only `changed` and is marked for review."""
    branches = git(project, "branch", "--list", "cms/*", "--format=%(refname:short)").split()
    assert len(branches) == 1
    assert git(project, "diff", "--name-only", "main", branches[0]).split() == [changed]
    assert git(project, "config", f"branch.{branches[0]}.description").strip() == "decap-cms/pending_review"
    git(project, "checkout", "-q", branches[0])


def test_a_case_made_in_the_form_is_checked_and_published(browser, project, tmp_path):
    folder = shots(tmp_path)
    with editor(project) as url:
        page = open_editor(browser, url)
        page.screenshot(path=str(folder / "list.png"))
        page.get_by_text("＋ 案例").click()
        field(page, "id").fill(NEW_ID)
        field(page, "title").fill(NEW_TITLE)
        field(page, "organization").fill("昆明市总工会")
        choose(page, "province", "云南省")
        field(page, "city").fill("昆明市")
        choose(page, "level", "地市级")
        choose(page, "themes", "工会服务职工")
        choose(page, "themes", "基层工会建设")
        field(page, "year").fill("2024")
        field(page, "id").scroll_into_view_if_needed()
        page.screenshot(path=str(folder / "form.png"))
        field(page, "summary").fill("昆明市总工会示例：在园区建设职工服务站点，为职工提供“一站式”服务。")
        field(page, "problem").fill("园区职工分散，找不到工会。")
        page.get_by_role("button", name="新增主要做法").click()
        field(page, "title", 1).fill("建设服务站点")
        field(page, "detail").fill("在园区设立职工服务站点，提供咨询和帮扶。")
        field(page, "lessons").fill("服务站点建在职工身边，职工才用得上。")
        for label, value, unit, approx, quote in (("服务站点", "120", "个", None, "建成“职工之家”服务站点120个"),
                                                  ("服务职工", "35000", "人次", "余", "服务职工3.5万余人次")):
            page.get_by_role("button", name="新增成效").click()
            n = page.locator('[id^="label-field-"]').count() - 1
            field(page, "label", n).fill(label)
            field(page, "value", n).fill(value)
            choose(page, "unit", unit, n)
            if approx:
                choose(page, "approx", approx, n)
            field(page, "quote", n).fill(quote)
        choose(page, "publication", "innovation-cases-2024")
        save_for_review(page)
        page.screenshot(path=str(folder / "review.png"))
        assert page.problems == []
        page.close()

    assert not (project / "cases" / "2024" / f"{NEW_ID}.yaml").exists()  # main is untouched
    review_branch(project, f"cases/2024/{NEW_ID}.yaml")
    text = (project / "cases" / "2024" / f"{NEW_ID}.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../schema/case.schema.json\nid: " + NEW_ID + "\n")
    assert "  - label: 服务职工\n    value: 35000\n    unit: 人次\n    approx: 余\n    quote: 服务职工3.5万余人次\n" in text
    assert '    quote: 建成“职工之家”服务站点120个\n' in text
    assert "period" not in text and "district" not in text  # empty optional fields are left out

    vocab = load_vocabularies(project / "cases" / "_vocab", project)
    report = validate(project / "cases", vocab, project)
    assert [str(p) for p in report.errors] == []
    case = next(r.case for r in report.records if r.case.id == NEW_ID)
    assert (case.organization, case.region.province, case.region.city, case.level) == ("昆明市总工会", "云南省", "昆明市", "地市级")
    assert case.themes == ["工会服务职工", "基层工会建设"]
    assert [(m.value, m.unit, m.approx) for m in case.metrics] == [(120, "个", None), (35000, "人次", "余")]

    site = build_site(tmp_path / "build", load_library(project)[0])
    assert NEW_TITLE in (site / "cases" / NEW_ID / "index.html").read_text(encoding="utf-8")
    for catalog in ("provinces/yunnan", "levels/prefectural", "years/2024"):
        assert f"cases/{NEW_ID}/" in (site / "catalogs" / catalog / "index.html").read_text(encoding="utf-8"), catalog
    # the site's own search (the prebuilt index the header search uses) finds it first
    assert SiteSearch.from_site(site).search("网页编辑器新建的案例")[0] == f"cases/{NEW_ID}/"


EDITED = "2024-anhui-union-job-delivery"


def test_editing_a_case_changes_only_the_edited_field(browser, project, tmp_path):
    folder = shots(tmp_path)
    path = project / "cases" / "2024" / f"{EDITED}.yaml"
    before = path.read_text(encoding="utf-8")
    records = {p.name: p.read_text(encoding="utf-8") for p in sorted((project / "cases").glob("2*/*.yaml"))}
    with editor(project) as url:
        page = open_editor(browser, url)
        # every record, read and written back by the editor's format, holds the same data for
        # the checks; records whose paragraphs are one line each come back byte for byte
        rewritten = page.evaluate("texts => Object.fromEntries(Object.entries(texts).map(([k, t]) =>"
                                  " [k, CASEBOOK_FORMAT.toFile(CASEBOOK_FORMAT.fromFile(t))]))", records)
        assert [k for k in records if parse_yaml(rewritten[k], k).data != parse_yaml(records[k], k).data] == []
        one_line = [k for k in records if not re.search(r">-\n( +)\S.*\n\1\S", records[k])]
        assert len(one_line) > 1 and [k for k in one_line if rewritten[k] != records[k]] == []
        page.get_by_text("开展“工会送岗位 乐业在江淮”就业援助").click()
        section = field(page, "section")
        assert section.input_value() == "安徽省总工会"
        section.fill("安徽省总工会（就业援助）")
        # the preview has the case page's sections, in its stylesheet
        preview = page.frame_locator("#preview-pane")
        headings = preview.locator("h2").all_inner_texts()
        assert headings == ["针对问题", "主要做法", "成效", "经验启示"]
        assert preview.locator("h3").first.inner_text() == "1. 作为年度头号任务"
        assert "《全国工会重点工作创新案例选登》（innovation-cases-2024）（安徽省总工会（就业援助））" in \
            preview.locator(".case-meta").inner_text()
        # the site's stylesheet (extra.css) on Material's (which defines the colours)
        assert preview.locator(".case-meta").evaluate(
            "e => [getComputedStyle(e).borderLeftWidth, getComputedStyle(e).getPropertyValue('--md-primary-fg-color') !== '']"
        ) == ["4px", True]
        page.screenshot(path=str(folder / "preview.png"))
        save_for_review(page)
        assert page.problems == []
        page.close()
    assert path.read_text(encoding="utf-8") == before  # main is untouched
    review_branch(project, f"cases/2024/{EDITED}.yaml")
    after = path.read_text(encoding="utf-8")
    changed = [l for l in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
               if l[:1] in "+-" and not l.startswith(("+++", "---"))]
    assert changed == ["-  section: 安徽省总工会", "+  section: 安徽省总工会（就业援助）"]
