"""YAML files → plain Python data with the line of every value.

PyYAML alone would silently keep the last of two duplicate keys, follow aliases and turn
dates into `datetime.date`; editors need all of that reported, with the line to open.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class Problem:
    """One finding about a file: `path:line: field: message`."""
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class Document:
    """A loaded YAML file: its data and the line on which each field path starts."""
    file: str
    data: Any
    lines: dict[tuple, int] = field(default_factory=dict)

    def line_of(self, path: tuple) -> int:
        """The line of `path`, or of its nearest ancestor that exists (for missing fields)."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


class LoadError(Exception):
    def __init__(self, line: int, message: str, field: str = ""):
        super().__init__(message)
        self.line = line
        self.message = message
        self.field = field


class _Loader(yaml.SafeLoader):
    """SafeLoader without implicit timestamps: `as_of: 2023-11-30` stays the text the editor wrote."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise LoadError(event.start_mark.line + 1,
                            f"不支持 YAML 别名“*{event.anchor}”，请把内容直接写出")
        return super().compose_node(parent, index)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def format_field(path: tuple) -> str:
    """("metrics", 0, "quote") → "metrics[0].quote"."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef“”‘’—…·]")


def _join_cjk(lines: list[str]) -> str:
    """Join folded lines the way Chinese is written: no space where a line break touches a
    Chinese character or punctuation mark, one space between two Latin words; a blank
    line starts a new paragraph."""
    out = ""
    for line in lines:
        if not line:
            out = out.rstrip(" ") + "\n"
        elif not out or out.endswith("\n"):
            out += line
        else:
            out += ("" if _CJK.match(out[-1]) or _CJK.match(line[0]) else " ") + line
    return out.strip()


def _fold(node: yaml.ScalarNode, loader: _Loader) -> str | None:
    """Re-fold a multi-line folded (>) or plain scalar from its source text.

    YAML folds every line break into a space, which puts stray spaces inside Chinese
    sentences; the raw lines between the node's marks tell where the breaks were."""
    if node.style not in (">", None) or node.start_mark.line == node.end_mark.line:
        return None
    raw = loader.buffer[node.start_mark.index:node.end_mark.index].split("\n")
    if node.style == ">":
        raw = raw[1:]  # the ">-" header line
    return _join_cjk([line.strip() for line in raw])


def _to_data(node: yaml.Node, loader: _Loader, path: tuple, lines: dict) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                raise LoadError(key_node.start_mark.line + 1, f"字段名“{key}”应为文字")
            if key in out:
                first = lines[path + (key,)]
                raise LoadError(key_node.start_mark.line + 1,
                                f"字段重复（第 {first} 行已有同名字段），只会保留其中一个而丢失另一个，请合并为一处",
                                format_field(path + (key,)))
            out[key] = _to_data(value_node, loader, path + (key,), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(item, loader, path + (i,), lines) for i, item in enumerate(node.value)]
    value = loader.construct_object(node)
    if isinstance(value, str):
        folded = _fold(node, loader)
        if folded is not None:
            return folded
    return value


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise LoadError(line, "文件不是 UTF-8 编码，请用 UTF-8 重新保存") from None


def parse_yaml(text: str, file: str) -> Document:
    """Parse one YAML document with line marks; raises LoadError."""
    if not text.strip():
        raise LoadError(1, "文件为空")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise LoadError(1, "文件中没有内容（只有注释）")
        lines: dict = {}
        data = _to_data(node, loader, (), lines)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        raise LoadError(line, f"YAML 语法错误：{err.problem or err.context}，请检查缩进、冒号和引号") from None
    finally:
        loader.dispose()
    return Document(file, data, lines)


def load_file(path: Path, display: str | None = None) -> tuple[Document | None, Problem | None]:
    """Read and parse one file; a failure is returned as a Problem, never raised."""
    display = display or str(path)
    try:
        doc = parse_yaml(_decode(path.read_bytes()), display)
    except LoadError as err:
        return None, Problem(display, err.line, err.field, err.message)
    return doc, None
