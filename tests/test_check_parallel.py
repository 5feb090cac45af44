"""`make check` and the library's loading in two processes (validate.PARALLEL_MIN files or more):
the same records, the same errors and warnings in the same order, whichever process checked a
file, and the same when the second process fails."""
from __future__ import annotations

import gc

import pytest
from conftest import ROOT, SOURCES, VALID

from scripts.casebook import validate as checking
from scripts.casebook.library import load_library
from scripts.casebook.validate import CheckCache, validate
from scripts.casebook.vocab import load_vocabularies
from scripts.corpus import write_corpus

ORGANIZATION = "organization: 云南省总工会"


def record(name: str, year: str = "2024", **changes: str) -> tuple[str, str]:
    text = VALID.replace("2024-yunnan-test-case", name)
    for old, new in changes.items():
        text = text.replace(old.replace("_", " "), new)
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


@pytest.fixture
def second_process(monkeypatch):
    """How many results came back from the second process (`_expand` runs only for those)."""
    taken = []
    expand = checking._expand
    monkeypatch.setattr(checking, "_expand", lambda *args: taken.append(args[1]) or expand(*args))
    return taken


def test_two_processes_report_exactly_what_one_does(library_tree, second_process):
    serial = report_of(library_tree, parallel=False)
    assert second_process == []
    parallel = report_of(library_tree, parallel=True)
    files = sorted((library_tree / "cases").glob("20*/*.yaml"))
    assert 0 < len(second_process) < len(files) - 5  # each process checked a part
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


def test_a_failed_second_process_changes_nothing(library_tree, second_process, monkeypatch):
    def fail(result):
        raise RuntimeError("the second process fails")

    monkeypatch.setattr(checking, "_compact", fail)  # runs only in the second process
    parallel = report_of(library_tree, parallel=True)
    assert second_process == []  # nothing came back: this process checked those files itself
    serial = report_of(library_tree, parallel=False)
    assert messages(parallel) == messages(serial) and parallel.records == serial.records


def test_a_large_library_is_checked_in_two_processes_unasked(library_tree, second_process, monkeypatch):
    report_of(library_tree)
    assert second_process == []  # 137 files: below PARALLEL_MIN
    monkeypatch.setattr(checking, "PARALLEL_MIN", 100)
    report_of(library_tree)
    assert second_process


def test_load_library_in_two_processes_gives_the_same_library(library_tree, second_process):
    serial, serial_report = load_library(library_tree, parallel=False)
    parallel, parallel_report = load_library(library_tree, parallel=True)
    assert second_process
    assert parallel.cases == serial.cases and len(parallel.cases) == 124
    assert parallel.catalogs == serial.catalogs
    assert messages(parallel_report) == messages(serial_report)


def test_the_edit_loop_cache_keeps_what_the_second_process_checked(library_tree, second_process, monkeypatch):
    cache = CheckCache()
    first = report_of(library_tree, cache=cache, parallel=True)
    assert second_process
    examined = []
    examine = checking._examine
    monkeypatch.setattr(checking, "_examine", lambda *args: examined.append(args[1]) or examine(*args))
    again = report_of(library_tree, cache=cache, parallel=True)
    assert examined == []  # every file, valid or not, is unchanged
    assert messages(again) == messages(first)
    assert all(a.case is b.case for a, b in zip(again.records, first.records))  # the same objects


@pytest.mark.skipif(not SOURCES.is_dir(), reason="the source texts are not at hand (make test SOURCES=…)")
def test_source_checks_in_two_processes(second_process):
    vocab = load_vocabularies(ROOT / "cases" / "_vocab", ROOT)
    serial = validate(ROOT / "cases", vocab, ROOT, SOURCES, parallel=False)
    parallel = validate(ROOT / "cases", vocab, ROOT, SOURCES, parallel=True)
    assert second_process
    assert parallel.sources_checked and messages(parallel) == messages(serial)
    assert parallel.records == serial.records


def test_checking_leaves_no_reference_cycles(library_tree):
    """validate pauses the cycle collector while it loads: that is only sound while loading
    and checking (valid and broken files alike) make no reference cycles."""
    gc.collect()
    report = report_of(library_tree, parallel=False)
    assert report.errors and report.warnings
    assert gc.collect() == 0
