"""`make check` and the library's loading in two processes (validate.PARALLEL_MIN files or more):
the same records, the same errors and warnings in the same order, whichever process checked a
file, and the same when the second process fails. The two-process side runs in a fresh
interpreter (tests/check_harness.py)."""
from __future__ import annotations

import gc
import pickle
import subprocess
import sys

import pytest
from conftest import ROOT, SOURCES, VALID

from scripts.casebook.library import load_library
from scripts.casebook.validate import CheckCache, validate
from scripts.casebook.vocab import load_vocabularies
from scripts.corpus import write_corpus

def record(name: str, year: str = "2024", **changes: str) -> tuple[str, str]:
    text = VALID.replace("2024-yunnan-test-case", name)
    for old, new in changes.items():
        text = text.replace(old, new)
    return f"cases/{year}/{name}.yaml", text


# One file for every kind of finding, spread among valid records so that both processes get some.
PROBLEMS = [
    record("2024-yunnan-syntax", **{"title: 测试案例": "title: 甲: 乙"}),
    record("2024-yunnan-alias", **{"tags: [滇中引水]": "tags: &t [滇中引水]\nlessons: *t"}),
    record("2024-yunnan-duplicate-key", **{"level: 省级": "level: 省级\nlevel: 市级"}),
    record("2024-yunnan-theme", **{"劳动和技能竞赛": "劳动竞赛"}),
    record("2024-yunnan-template", **{"title: 测试案例": "title: 案例标题"}),
    record("2024-yunnan-long-summary", **{"summary: 一句话摘要。": "summary: " + "很长的摘要。" * 60}),
    record("2024-yunnan-no-metrics", **{"metrics:\n  - label: 会员\n    value: 7800000\n    unit: 人\n"
                                        "    quote: 会员780万人\n": ""}),
    record("2024-yunnan-same-title", **{"title: 测试案例": "title: 云南省总工会开展滇中引水劳动竞赛"}),
    record("2024-yunnan-same-title-again", **{"title: 测试案例": "title: 云南省总工会开展滇中引水劳动竞赛活动"}),
    record("2024-yunnan-wrong-folder", year="2023"),
    record("2024-yunnan-deep", **{"tags: [滇中引水]": "tags: " + "[" * 40}),
    record("2024-yunnan-number", **{"value: 7800000": "value: " + "9" * 30}),
    ("cases/2024/2024-yunnan-empty.yaml", ""),
    ("cases/2024/2024-yunnan-wrong-extension.yml", VALID),
    ("cases/2024/2024-yunnan-bytes.yaml", b"id: \xff\n"),
]


@pytest.fixture(scope="module")
def library_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("parallel")
    write_corpus(root, 120, seed=5)
    for rel, text in PROBLEMS:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    # the same id as a valid record in another file, checked by one process or the other
    first = sorted((root / "cases").glob("20*/*.yaml"))[3]
    (root / "cases" / "2024" / "2024-yunnan-copy.yaml").write_text(
        first.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "cases" / "2024" / "2024-yunnan-link.yaml").symlink_to(first)
    return root


def report_of(root, **options):
    return validate(root / "cases", load_vocabularies(root / "cases" / "_vocab", root), root, **options)


def messages(report) -> tuple[list[str], list[str]]:
    return [str(p) for p in report.errors], [str(p) for p in report.warnings]


def fresh(tmp_path, root, **request) -> dict:
    """tests/check_harness.py in a new interpreter: a test session runs server threads, and with
    other threads running, validate keeps to one process."""
    asked, answer = tmp_path / "request.pickle", tmp_path / "result.pickle"
    asked.write_bytes(pickle.dumps({"root": str(root), **request}))
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "check_harness.py"), str(asked), str(answer)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    out = pickle.loads(answer.read_bytes())
    assert out["threads"] == 1
    return out


def test_two_processes_report_exactly_what_one_does(library_tree, tmp_path):
    serial = report_of(library_tree, parallel=False)
    out = fresh(tmp_path, library_tree, options={"parallel": True})
    parallel, taken = out["report"], out["taken"]
    files = sorted((library_tree / "cases").glob("20*/*.yaml"))
    assert 0 < len(taken) < len(files) - 5  # each process checked a part
    assert messages(parallel) == messages(serial)
    assert parallel.records == serial.records  # cases, documents with every line, paths
    errors, warnings = messages(serial)
    # every kind of finding is there, in both halves of the file order
    for needle in ("YAML 语法错误", "YAML 别名", "字段重复", "领域“劳动竞赛”", "仍是模板中的示例", "与文件名",
                   "嵌套层次过深", "数字位数过多", "文件为空", "扩展名应为 .yaml", "不是 UTF-8", "符号链接",
                   "编号“"):
        assert any(needle in e for e in errors), needle
    for needle in ("超过 200 字", "没有成效数据", "可能与 cases/2024/2024-yunnan-same-title-again.yaml"):
        assert any(needle in w for w in warnings), needle
    assert len(serial.records) == 124


def test_a_failed_second_process_changes_nothing(library_tree, tmp_path):
    out = fresh(tmp_path, library_tree, options={"parallel": True}, second_process_fails=True)
    assert out["taken"] == []  # nothing came back: the main process checked those files itself
    serial = report_of(library_tree, parallel=False)
    assert messages(out["report"]) == messages(serial) and out["report"].records == serial.records


def test_a_large_library_is_checked_in_two_processes_unasked(library_tree, tmp_path):
    assert fresh(tmp_path, library_tree)["taken"] == []  # 137 files: below PARALLEL_MIN
    assert fresh(tmp_path, library_tree, parallel_min=100)["taken"]


def test_load_library_in_two_processes_gives_the_same_library(library_tree, tmp_path):
    serial, serial_report = load_library(library_tree, parallel=False)
    out = fresh(tmp_path, library_tree, what="library", options={"parallel": True})
    assert out["taken"]
    assert out["cases"] == serial.cases and len(serial.cases) == 124
    assert out["catalogs"] == serial.catalogs
    assert messages(out["report"]) == messages(serial_report)


def test_the_edit_loop_cache_keeps_what_the_second_process_checked(library_tree, tmp_path):
    out = fresh(tmp_path, library_tree, options={"parallel": True, "cache": CheckCache()}, again_with_cache=True)
    assert out["taken"]
    assert out["examined_again"] == []  # every file, valid or not, is unchanged: nothing is checked again
    assert messages(out["again"]) == messages(out["report"])
    assert len(out["same_objects_again"]) == 124 and all(out["same_objects_again"])


@pytest.mark.skipif(not SOURCES.is_dir(), reason="the source texts are not at hand (make test SOURCES=…)")
def test_source_checks_in_two_processes(tmp_path):
    vocab = load_vocabularies(ROOT / "cases" / "_vocab", ROOT)
    serial = validate(ROOT / "cases", vocab, ROOT, SOURCES, parallel=False)
    out = fresh(tmp_path, ROOT, options={"sources": SOURCES, "parallel": True})
    assert out["taken"]
    assert out["report"].sources_checked and messages(out["report"]) == messages(serial)
    assert out["report"].records == serial.records


def test_checking_leaves_no_reference_cycles(library_tree):
    """validate pauses the cycle collector while it loads: that is only sound while loading
    and checking (valid and broken files alike) make no reference cycles."""
    gc.collect()
    report = report_of(library_tree, parallel=False)
    assert report.errors and report.warnings
    assert gc.collect() == 0
