"""Each record's history from Git: read in one `git log` pass, shown on its case page and in
cases.json, and a note instead when the build has no usable history."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, VALID

from scripts.casebook import history as history_module
from scripts.casebook.build import TEMPLATES, build_site
from scripts.casebook.history import Change, parse_log, read_history
from scripts.casebook.library import load_library
from scripts.casebook.render import PageWriter

CASE = "2024-yunnan-test-case"
RECORD = f"cases/2024/{CASE}.yaml"


def git(root: Path, *args: str, date: str | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "编辑", "GIT_AUTHOR_EMAIL": "editor@example.org",
           "GIT_COMMITTER_NAME": "编辑", "GIT_COMMITTER_EMAIL": "editor@example.org"}
    if date:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return subprocess.run(["git", "-C", str(root), *args], env=env, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def repo(tree):
    """A throw-away repository: the record added in one commit and corrected in a second."""
    tree.write_case()
    git(tree.root, "init", "-q", "-b", "main")
    git(tree.root, "add", "-A")
    git(tree.root, "commit", "-q", "-m", "收录测试案例", date="2024-03-01T10:00:00+00:00")
    tree.write_case(VALID.replace("summary: 一句话摘要。", "summary: 更正后的摘要。"))
    tree.write("cases/_vocab/themes.yaml", (tree.root / "cases/_vocab/themes.yaml").read_text(encoding="utf-8") + "\n")
    git(tree.root, "commit", "-q", "-am", "更正摘要 <b>粗体</b>", date="2024-05-02T23:30:00-02:00")
    return tree


def test_a_record_changed_in_a_second_commit_shows_both_changes(repo, tmp_path):
    library, report = load_library(repo.root)
    assert report.errors == []
    site = build_site(tmp_path / "work", library)
    html = (site / "cases" / CASE / "index.html").read_text(encoding="utf-8")
    # committer dates in UTC: 23:30 at UTC-2 is the next day
    assert "<p>最后更新：2024-05-03（2024-03-01 首次发布）</p>" in html
    assert re.findall(r"<li><time>(.*?)</time> (.*?)</li>", html) == [
        ("2024-05-03", "更正摘要 &lt;b&gt;粗体&lt;/b&gt;"), ("2024-03-01", "收录测试案例")]
    assert 'name="citation_publication_date" content="2024/03/01"' in html
    assert "(2024-03-01)[" in html  # the GB/T 7714 citation's publication date
    published = json.loads((site / "data" / "cases.json").read_text(encoding="utf-8"))
    assert published[0]["published"] == "2024-03-01" and published[0]["updated"] == "2024-05-03"
    assert published[0]["changes"] == [{"date": "2024-05-03", "summary": "更正摘要 <b>粗体</b>"},
                                       {"date": "2024-03-01", "summary": "收录测试案例"}]
    assert json.loads((site / "data" / "cases" / f"{CASE}.json").read_text(encoding="utf-8")) == published[0]


def case_page(library) -> str:
    return PageWriter(library, TEMPLATES).write_all()[f"cases/{CASE}.md"]


def test_a_shallow_clone_has_no_history_and_says_so(repo, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone)], check=True)
    library, _ = load_library(clone)
    assert library.history.changes == {}
    page = case_page(library)
    assert ("<p>本次构建没有可用的 Git 历史（浅克隆只含最近的提交；发布流程应以 fetch-depth: 0 检出），"
            "因此未列出修改记录。</p>") in page
    assert "最后更新" not in page


def test_a_folder_that_is_no_repository_has_no_history(tree):
    tree.write_case()
    library, _ = load_library(tree.root)
    assert library.history.note == "本次构建没有可用的 Git 历史（项目文件夹不是 Git 仓库），因此未列出修改记录。"
    assert library.history.note in case_page(library)


def test_a_record_not_committed_yet(repo):
    repo.write_case(VALID.replace(CASE, "2024-yunnan-new-case"), name="2024-yunnan-new-case")
    library, _ = load_library(repo.root)
    page = PageWriter(library, TEMPLATES).write_all()["cases/2024-yunnan-new-case.md"]
    assert "本记录尚未提交到本库的版本库，暂无修改记录。" in page


def test_history_is_one_git_log_whatever_the_number_of_records(monkeypatch):
    calls = []
    real = history_module.subprocess.run

    def counting(args, **kwargs):
        calls.append(args)
        return real(args, **kwargs)

    monkeypatch.setattr(history_module.subprocess, "run", counting)
    history = read_history(ROOT)
    library, _ = load_library(ROOT)
    # rev-parse (shallow?) and one log, for every record at once
    assert [a[a.index("-c") + 2] for a in calls] == ["rev-parse", "log"]
    if history.available:  # a shallow CI clone has none; the workflows fetch the whole history
        committed = {Path(p).stem for p in git(ROOT, "ls-files", "cases/").split() if not p.startswith("cases/_")}
        assert committed & {c.id for c in library.cases} <= set(history.changes)


def test_parse_log_keeps_records_only_and_follows_a_move():
    output = ("\x1e2024-05-02\x1f移动记录\n\ncases/2024/a-case.yaml\ncases/_vocab/themes.yaml\n"
              "\x1e2024-03-01\x1f收录\n\ncases/2023/a-case.yaml\ncases/_template.yaml\nREADME.md\n"
              "\x1e2024-02-01\x1f只改词表\n\ncases/_vocab/units.yaml\n")
    assert parse_log(output) == {"a-case": [Change("2024-05-02", "移动记录"), Change("2024-03-01", "收录")]}


def test_the_workflows_fetch_the_whole_history():
    for workflow in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        jobs = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]
        checkouts = [step for job in jobs.values() for step in job["steps"]
                     if str(step.get("uses", "")).startswith("actions/checkout@")]
        assert checkouts and all(step.get("with", {}).get("fetch-depth") == 0 for step in checkouts), workflow.name


def test_a_subject_without_chinese_is_shown_as_what_it_did():
    """Readers of a Chinese site get no developer's English commit subject: the oldest change of
    a record reads 收入本库, a later one 修订; Chinese subjects are kept as written."""
    output = ("\x1e2024-06-01\x1fFix typo in metrics\n\ncases/2024/a-case.yaml\n"
              "\x1e2024-05-02\x1f更正摘要\n\ncases/2024/a-case.yaml\n"
              "\x1e2024-03-01\x1fAdd a case\n\ncases/2024/a-case.yaml\ncases/2024/b-case.yaml\n")
    assert parse_log(output) == {
        "a-case": [Change("2024-06-01", "修订"), Change("2024-05-02", "更正摘要"), Change("2024-03-01", "收入本库")],
        "b-case": [Change("2024-03-01", "收入本库")]}
