"""The loader's one-pass reading over LibYAML's events (`load._compose_fast`) against the
reference reading through PyYAML's composer (`load._parse_reference`): the same data and the
same line of every field for every file, and for a file the fast reading does not take, the
reference reading's own result (error messages and lines included)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import ROOT, VALID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.casebook import load
from scripts.casebook.load import MAX_DEPTH, LoadError, _compose_fast, _parse_reference, _Unusual, parse_yaml
from scripts.corpus import realistic_records, record_yaml


def reading(parse, text: str):
    """What a reading gives: the data and lines, or the error as an editor sees it."""
    try:
        doc = parse(text, "x.yaml")
    except LoadError as err:
        return "error", err.line, err.field, err.message
    return "document", doc.data, doc.lines


def fast_takes(text: str) -> bool:
    try:
        _compose_fast(text)
    except (_Unusual, yaml.YAMLError):
        return False
    return True


def assert_same_reading(text: str) -> None:
    assert reading(parse_yaml, text) == reading(_parse_reference, text)


def project_files() -> list[Path]:
    return sorted((ROOT / "cases").rglob("*.yaml"))


@pytest.mark.parametrize("path", project_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_project_file_reads_the_same_and_fast(path):
    text = path.read_text(encoding="utf-8")
    assert fast_takes(text)
    assert_same_reading(text)


def test_realistic_records_read_the_same_and_fast():
    for record in realistic_records(200, seed=11):
        text = record_yaml(record)
        assert fast_takes(text)
        assert_same_reading(text)


# What valid records write, and what the fast reading hands to the reference reading; each
# reads the same both ways (and the errors are the reference's messages, checked in
# test_errors.py and test_hostile_input.py).
EDGE_CASES = {
    "folded Chinese": "a: >-\n  第一行，\n  第二行 ABC\n  def。\n\n  新段落\n",
    "folded keep": "a: >\n  x\n  y\n",
    "literal": "a: |\n  x\n   y\n",
    "plain multi-line": "a: 第一行\n  第二行\n",
    "quoted multi-line": "a: \"第一行\n  第二行\"\nb: '单引号\n\n  两段'\n",
    "numbers": "a: 7800000\nb: -3\nc: +4\nd: 1.5\ne: .5\nf: 1.\ng: 1e3\nh: 2.5E-2\ni: 0\n",
    "leading zeros": "a: 007\nb: 089\nc: 01.50\n",
    "YAML 1.1 forms stay text": "a: 33:44\nb: 0x7E8\nc: 2_024\nd: yes\ne: off\nf: 2023-11-30\ng: .inf\nh: True\n",
    "bool and null": "a: true\nb: false\nc: null\nd: ~\ne:\nf: \"\"\ng: 'null'\n",
    "text that starts like a number": "a: 2024年\nb: 1–2\nc: -x\nd: .x\ne: 7800000人\n",
    "flow collections": "a: [1, 滇中引水, {b: c}]\nd: {e: [f, 'g']}\nh: []\ni: {}\n",
    "nested lists": "a:\n  - - 1\n    - 2\n  - []\n  -\n  - b: 1\n    c:\n      - d\n",
    "root list": "- a: 1\n- b: [2]\n",
    "root scalar": "只有一行字\n",
    "root folded scalar": ">-\n  x\n  y\n",
    "comments and markers": "# 注释\n---\na: 1 # 注释\n...\n",
    "byte order mark": "\ufeffa: 1\n",
    "CRLF": "a: 1\r\nb: >-\r\n  x\r\n  y\r\n",
    "key on its own line": "a:\n  b\nc:\n\n  d\n",
    "explicit key": "? a\n: 1\n",
    "quoted keys": "\"a\": 1\n'b': 2\n\"true\": 3\n",
    "empty key": "\"\": 1\n",
    "depth at the limit": "a:" + "".join(f"\n{'  ' * i}b{i}:" for i in range(1, MAX_DEPTH - 1)) + " x\n",
    "directive": "%YAML 1.1\n---\na: 1\n",
    "empty document": "---\n",
    # the fast reading refuses these; the reference reading decides
    "anchor": "a: &x 1\nb: 2\n",
    "empty list at the limit": "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n",
    "alias": "a: &x 1\nb: *x\n",
    "tag": "a: !!str 1\nb: !!int 2\n",
    "custom tag": "a: !foo 1\n",
    "set": "a: !!set {x, y}\n",
    "timestamp tag": "a: !!timestamp 2023-11-30\n",
    "binary": "a: !!binary aGVsbG8=\n",
    "non-specific tag": "a: ! 1\n",
    "number key": "1: a\n",
    "boolean key": "true: a\n",
    "null key": "~: a\n",
    "empty plain key": ": a\n",
    "list key": "? [a]\n: 1\n",
    "mapping key": "? {a: 1}\n: 2\n",
    "long number key": "9" * 40 + ": a\n",
    "long number": "a: " + "9" * 40 + "\n",
    "long float": "a: 1." + "9" * 40 + "\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "duplicate nested key": "a:\n  b: 1\n  b: 2\n",
    "too deep": "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n",
    "too deep in block": "a:" + "".join(f"\n{'  ' * i}b{i}:" for i in range(1, MAX_DEPTH + 1)) + " x\n",
    "second document": "a: 1\n---\nb: 2\n",
    "only comments": "# 注释\n",
    "syntax error late": "a: 1\nb: 1\nb: 2\nc: [x\n",
    "mapping values": "a: b: c\n",
    "unclosed quote": "a: \"x\nb: 1\n",
    "tab": "a:\n\tb: 1\n",
    "bad escape": "a: \"\\q\"\n",
    "tag directive": "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
}


# Only the cases the fast reading takes: for the others parse_yaml is the reference reading
# itself (the next test checks which are taken), and test_errors.py covers their messages.
TAKEN = list(EDGE_CASES)[:list(EDGE_CASES).index("anchor")]


@pytest.mark.parametrize("name", TAKEN)
def test_edge_cases_read_the_same(name):
    assert_same_reading(EDGE_CASES[name])


def test_the_fast_reading_takes_what_records_write_and_leaves_the_rest():
    taken = {name for name, text in EDGE_CASES.items() if fast_takes(text)}
    assert taken == set(list(EDGE_CASES)[:list(EDGE_CASES).index("anchor")])


def test_leading_zeros_are_decimal_not_octal():
    """YAML 1.2 reads 010 as ten; PyYAML's 1.1 constructor read it as eight, and 089 failed
    with a traceback."""
    assert parse_yaml("a: 010\nb: 089\nc: -007\n", "x").data == {"a": 10, "b": 89, "c": -7}
    assert _parse_reference("a: 010\nb: 089\n", "x").data == {"a": 10, "b": 89}


KEYS = st.sampled_from(["id", "title", "a", "b", "metrics", "0", "true", "a b", "é", "工会", ""])
TEXT = st.text(alphabet=st.sampled_from(list("工会职工万多0123456789.+-e:#&*!|>'\"[]{},?% \n\t“”") + ["\u3000"]),
               max_size=30)
SCALARS = st.one_of(TEXT, st.integers(min_value=-10**18, max_value=10**18), st.floats(allow_nan=False),
                    st.booleans(), st.none())
DATA = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(KEYS, inner, max_size=4)), max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=DATA, flow=st.sampled_from([False, None, True]), style=st.sampled_from([None, ">", "|", "'", '"']),
       width=st.integers(min_value=8, max_value=60))
def test_any_emitted_data_reads_the_same(data, flow, style, width):
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow, default_style=style, width=width)
    assert_same_reading(text)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(cut=st.integers(min_value=0, max_value=len(VALID)), insert=TEXT)
def test_a_valid_record_with_anything_inserted_reads_the_same(cut, insert):
    assert_same_reading(VALID[:cut] + insert + VALID[cut:])


def test_read_file_refuses_before_reading(tmp_path, monkeypatch):
    """One lstat decides; a file larger than the limit is never opened."""
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" * (load.MAX_FILE_BYTES // 5 + 1))
    opened = []
    monkeypatch.setattr("builtins.open", lambda *a, **k: opened.append(a) or pytest.fail("opened"))
    with pytest.raises(LoadError, match="文件过大"):
        load.read_file(big)
    with pytest.raises(LoadError, match="文件不存在"):
        load.read_file(tmp_path / "missing.yaml")
    with pytest.raises(LoadError, match="文件不存在"):
        load.read_file(tmp_path / "big.yaml" / "below-a-file.yaml")
    with pytest.raises(LoadError, match="应为普通文件"):
        load.read_file(tmp_path)
    (tmp_path / "link.yaml").symlink_to(big)
    with pytest.raises(LoadError, match="应为普通文件"):
        load.read_file(tmp_path / "link.yaml")
    assert opened == []


@pytest.mark.parametrize("text", ["a: !!int abc", "a: !!bool maybe", "a: !!timestamp 2023-99", "a: !!int \"\"",
                                  "a: !!float x", "!!int [a]: 1"])
def test_a_value_its_tag_cannot_read_is_an_error_not_a_traceback(text):
    with pytest.raises(LoadError) as raised:
        parse_yaml(text + "\n", "x.yaml")
    assert raised.value.line == 1
    assert "读取这个值；记录中不需要以“!”开头的标记，请删除" in raised.value.message


def test_explicitly_tagged_numbers_keep_their_yaml_meaning():
    assert parse_yaml("a: !!float .inf\nb: !!int 0x10\nc: !!int 089\n", "x").data == {"a": float("inf"), "b": 16, "c": 89}


def test_read_file_reads_the_whole_file_and_stops_past_the_limit(tmp_path, monkeypatch):
    record = tmp_path / "record.yaml"
    record.write_bytes(VALID.encode("utf-8"))
    assert load.read_file(record) == VALID.encode("utf-8")
    (tmp_path / "empty.yaml").write_bytes(b"")
    assert load.read_file(tmp_path / "empty.yaml") == b""
    # a file that grows between the size check and the read is read up to one byte past the limit
    growing = tmp_path / "growing.yaml"
    growing.write_bytes(b"a: 1\n")
    real_lstat = load.os.lstat

    def lstat_then_grow(path):
        info = real_lstat(path)
        growing.write_bytes(b"a: 1\n" * load.MAX_FILE_BYTES)
        return info

    monkeypatch.setattr(load.os, "lstat", lstat_then_grow)
    assert len(load.read_file(growing)) == load.MAX_FILE_BYTES + 1
