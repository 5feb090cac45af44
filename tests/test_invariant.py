""""Nothing lost": the check run after every build finds a case or a metric that an output
dropped or gained, and says which, in Chinese."""
from __future__ import annotations

import json
import shutil

import pytest
from conftest import ROOT

from scripts.casebook import cli, render
from scripts.casebook.build import build_site
from scripts.casebook.invariant import InvariantError, check_site, site_problems
from scripts.casebook.library import build_library, load_library
from scripts.casebook.validate import validate
from scripts.casebook.vocab import load_vocabularies

LIBRARY, _ = load_library(ROOT)
CASE = "2024-yunnan-dianzhong-water-contest"
HEAD = "网站与案例库不一致，构建已停止："
TAIL = "请重新运行 make build；如仍出现，请报告此问题。"


@pytest.fixture
def built(site, tmp_path):
    """A copy of the session's built site, to damage."""
    return shutil.copytree(site, tmp_path / "site")


def message(*lines: str) -> str:
    return "\n".join([HEAD, *(f"- {line}" for line in lines), TAIL])


def failure(site) -> str:
    with pytest.raises(InvariantError) as err:
        check_site(LIBRARY, site)
    return str(err.value)


def test_the_built_site_loses_nothing(site):
    assert site_problems(LIBRARY, site) == []


def test_a_missing_case_page(built):
    (built / "cases" / CASE / "index.html").unlink()
    assert failure(built) == message(f"案例页 cases/*/index.html 缺少 1 个案例：{CASE}")


def test_a_missing_finder_entry(built):
    path = built / "data" / "finder.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["cases"] = [c for c in data["cases"] if c["id"] != CASE]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert failure(built) == message(f"案例检索数据 data/finder.json 缺少 1 个案例：{CASE}")


def test_a_missing_metric(built):
    path = built / "cases" / CASE / "index.html"
    page = path.read_text(encoding="utf-8")
    cell = '<td class="num" data-label="数值" data-search-exclude>803名</td>'
    assert page.count(cell) == 1
    path.write_text(page.replace(cell, '<td class="num" data-label="数值" data-search-exclude></td>'), encoding="utf-8")
    assert failure(built) == message(f"案例 {CASE} 的成效“选树优秀个人”（803名）不在案例页上")


def test_extra_and_missing_cases_in_the_open_data_and_the_search_documents(built):
    path = built / "data" / "cases.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(data + [{**data[0], "id": "2099-not-in-the-library"}], ensure_ascii=False),
                    encoding="utf-8")
    (built / "data" / "cases.csv").unlink()
    path = built / "search" / "casebook_index.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["docs"] = [d for d in data["docs"] if not d["location"].startswith(("cases/2013-", "cases/2016-", "cases/2017-"))]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    gone = sorted(c.id for c in LIBRARY.cases if c.year in (2013, 2016, 2017))
    assert len(gone) > 20
    assert failure(built) == message(
        f"检索索引 search/casebook_index.json 缺少 {len(gone)} 个案例：{'、'.join(gone[:20])} 等",
        "开放数据 data/cases.json 多出 1 个案例：2099-not-in-the-library",
        "开放数据 data/cases.csv 不存在")


# -- wired into the build and the command line -------------------------------------------------
def one_case_library(tree):
    tree.write_case()
    vocab = load_vocabularies(tree.root / "cases" / "_vocab")
    report = validate(tree.root / "cases", vocab, tree.root)
    assert report.errors == []
    return build_library([r.case for r in report.records], vocab)


def test_build_site_stops_when_an_output_loses_a_case(tree, monkeypatch):
    library = one_case_library(tree)
    data_files = render.data_files

    def losing(library, cache=None):  # the open data lose the only case
        return {**data_files(library, cache), "data/cases.json": b"[]"}

    monkeypatch.setattr(render, "data_files", losing)
    with pytest.raises(InvariantError) as err:
        build_site(tree.root / "work", library)
    assert str(err.value) == message("开放数据 data/cases.json 缺少 1 个案例：2024-yunnan-test-case")


def test_make_index_checks_the_site(tree, capsys):
    """`python -m scripts.casebook index` (the last step of make build) fails, with the
    message, when the site mkdocs built lost a case."""
    library = one_case_library(tree)
    site = shutil.move(build_site(tree.root / "work", library, stock=True), tree.root / "site")
    for name in ("mkdocs.yml", "docs", "overrides", "build"):  # what indexing reads besides the site
        shutil.move(tree.root / "work" / name, tree.root / name)
    finder = site / "data" / "finder.json"
    finder.write_text(json.dumps({**json.loads(finder.read_text(encoding="utf-8")), "cases": []}), encoding="utf-8")
    assert cli.main(["--root", str(tree.root), "index"]) == 1
    captured = capsys.readouterr()
    assert captured.err == message("案例检索数据 data/finder.json 缺少 1 个案例：2024-yunnan-test-case") + "\n"
    assert captured.out.startswith("已生成检索索引 site/search/casebook_index.json")
