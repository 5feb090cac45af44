"""YAML files → plain Python data with the line of every value.

PyYAML alone would silently keep the last of two duplicate keys, follow aliases and turn
dates into `datetime.date`; editors need all of that reported, with the line to open.

Two readings give the same result: a file is first read in one pass over LibYAML's events
(`_FastComposer`, what `make check` spends most of its time in at 10,000 records); a file it
does not take — any error, or YAML that valid records never use — is read again by the
reference reading (`_parse_reference`), which words every message. tests/test_load.py holds
the two to the same data, lines and messages.
"""
from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml._yaml import CParser
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from .text import INVISIBLE


@dataclass
class Problem:
    """One finding about a file: `path:line: field: message`."""
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        # one problem, one line: a value quoted in a message can never start a line of its own
        # (nor forge a CI annotation such as "::error::")
        where = f"{one_line(self.file)}:{self.line}"
        message = one_line(self.message)
        return f"{where}: {one_line(self.field)}: {message}" if self.field else f"{where}: {message}"


def one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


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


MAX_FILE_BYTES = 200_000   # a long record is ~10 KB; anything near this is a mistake or an attack
MAX_DEPTH = 8              # a record nests four levels deep (metrics → item → field)
MAX_DIGITS = 15            # beyond this a "number" is not a figure anyone reports

# Invisible characters: a title made of them looks empty, or reads differently from what it says.
_HIDDEN = re.compile(f"[{INVISIBLE}]")
_HIDDEN_NAMES = {"\u202e": "从右到左覆盖", "\u202d": "从左到右覆盖", "\u200b": "零宽空格",
                 "\u200c": "零宽不连字", "\u200d": "零宽连字", "\ufeff": "字节顺序标记"}


class _Loader(Composer, CParser, SafeConstructor, Resolver):
    """SafeLoader for editors' files: no implicit timestamps (`as_of: 2023-11-30` stays the
    text the editor wrote), YAML 1.2 numbers only, no aliases, bounded nesting.

    Scanning and parsing run in LibYAML's C parser (`CParser`, ~20 times faster than PyYAML's
    pure-Python scanner, which dominated `make check`); only the composer is PyYAML's Python
    one, placed first in the bases so that the alias and depth checks below see every event
    before a node is built. The C parser's marks count characters, as PyYAML's do."""

    depth = 0

    def __init__(self, text: str):
        CParser.__init__(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.buffer = text  # what `_fold` reads the raw lines of a folded scalar from

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise LoadError(event.start_mark.line + 1,
                            f"不支持 YAML 别名“*{event.anchor}”，请把内容直接写出")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise LoadError(self.peek_event().start_mark.line + 1,
                            f"嵌套层次过深（超过 {MAX_DEPTH} 层），请参照 cases/_template.yaml 的结构书写")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


# YAML 1.1 reads 33:44 as 2024, 0x7E8 and 2_024 as numbers, yes/no/on/off as booleans: an
# editor who wrote them meant text (or made a typo). Only plain decimal numbers and
# true/false/null are resolved; everything else stays a string, which the model then refuses
# where a number is expected.
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?$")
_Loader.yaml_implicit_resolvers = {}
for _tag, _rx, _first in (("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), "tf"),
                          ("tag:yaml.org,2002:null", re.compile(r"^(?:null|~|)$"), ["n", "~", ""]),
                          ("tag:yaml.org,2002:int", _INT, "-+0123456789"),
                          ("tag:yaml.org,2002:float", _FLOAT, "-+0123456789.")):
    _Loader.add_implicit_resolver(_tag, _rx, list(_first))

_STR, _INT_TAG, _FLOAT_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_BOOL_TAG, _NULL_TAG = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"


def _number(tag: str, text: str) -> int | float:
    """A resolved number as YAML 1.2 reads it: decimal even with leading zeros (PyYAML's 1.1
    constructor would read 010 as octal 8 and fail with a traceback on 089)."""
    return int(text) if tag == _INT_TAG else float(text)


def _too_many_digits(text: str) -> bool:
    return sum(ch.isdigit() for ch in text.split("e")[0].split("E")[0]) > MAX_DIGITS


def _construct_number(loader: _Loader, node: yaml.ScalarNode) -> int | float:
    """Plain decimal numbers (all that `_Loader` resolves implicitly) as YAML 1.2 reads them;
    other forms an editor tagged explicitly (`!!float .inf`) as PyYAML reads them."""
    if (_INT if node.tag == _INT_TAG else _FLOAT).match(node.value):
        return _number(node.tag, node.value)
    if node.tag == _INT_TAG:
        return SafeConstructor.construct_yaml_int(loader, node)
    return SafeConstructor.construct_yaml_float(loader, node)


_Loader.add_constructor(_INT_TAG, _construct_number)
_Loader.add_constructor(_FLOAT_TAG, _construct_number)


def format_field(path: tuple) -> str:
    """("metrics", 6, "quote") → "metrics 第7项 quote": positions count from 1, as editors do."""
    return " ".join(f"第{part + 1}项" if isinstance(part, int) else str(part) for part in path)


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


def _fold(node, text: str) -> str | None:
    """Re-fold a multi-line folded (>) scalar from its source text (`node`: a ScalarNode or
    the ScalarEvent it is made from).

    YAML folds every line break into a space, which puts stray spaces inside Chinese
    sentences; the raw lines between the node's marks tell where the breaks were. (LibYAML
    marks a plain scalar with style "", not None: plain multi-line values keep YAML's folding.)"""
    if node.style not in (">", None) or node.start_mark.line == node.end_mark.line:
        return None
    raw = text[node.start_mark.index:node.end_mark.index].split("\n")
    if node.style == ">":
        raw = raw[1:]  # the ">-" header line
    return _join_cjk([line.strip() for line in raw])


def _construct(loader: _Loader, node: yaml.Node, path: tuple) -> Any:
    """The value of a key or scalar; a value its explicit tag cannot read (`!!int abc`,
    `!!bool maybe`) is the editor's error, not a traceback."""
    try:
        return loader.construct_object(node)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError):
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise LoadError(node.start_mark.line + 1, f"无法按 YAML 标记“{tag}”读取这个值；记录中不需要以“!”开头的标记，请删除",
                        format_field(path)) from None


def _to_data(node: yaml.Node, loader: _Loader, path: tuple, lines: dict) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag in (_INT_TAG, _FLOAT_TAG) \
                    and _too_many_digits(key_node.value):
                raise LoadError(key_node.start_mark.line + 1, f"数字位数过多（最多 {MAX_DIGITS} 位），请核对",
                                format_field(path))
            key = _construct(loader, key_node, path)
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
    if node.tag in (_INT_TAG, _FLOAT_TAG) and _too_many_digits(node.value):
        raise LoadError(node.start_mark.line + 1, f"数字位数过多（最多 {MAX_DIGITS} 位），请核对", format_field(path))
    value = _construct(loader, node, path)
    if isinstance(value, str):
        folded = _fold(node, loader.buffer)
        if folded is not None:
            return folded
    return value


class _Unusual(Exception):
    """The file needs the reference reading (`_Loader` + `_to_data`): it has an error, or a
    YAML feature no valid record uses (tags, anchors, keys that are not plain text)."""


_SCALAR, _MAPPING, _SEQUENCE = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
_MAPPING_END, _SEQUENCE_END = yaml.MappingEndEvent, yaml.SequenceEndEvent
_RESOLVERS = _Loader.yaml_implicit_resolvers


def _resolved(value: str) -> tuple[str, Any]:
    """(tag, value) of a plain scalar that may not be text, resolved and constructed as
    `_Loader` does (its implicit resolvers, in their order, by the first character)."""
    for tag, regexp in _RESOLVERS.get(value[0] if value else "", ()):
        if regexp.match(value):
            if tag == _BOOL_TAG:
                return tag, value == "true"
            if tag == _NULL_TAG:
                return tag, None
            if _too_many_digits(value):
                raise _Unusual
            return tag, _number(tag, value)
    return _STR, value


class _FastComposer:
    """What `_to_data(_Loader(text).get_single_node(), …)` returns for a file that reads
    cleanly, built in one pass over LibYAML's events without PyYAML's node objects (the
    composer and the walk over its nodes were most of `make check`). Anything else raises
    `_Unusual` (or a YAMLError) as soon as it is seen, and the reference reading, which
    words every error, reads the file again: so nothing here has to decide which error an
    editor sees first. (A class rather than nested functions: closures that call themselves
    are reference cycles, left for the garbage collector.)"""

    def __init__(self, text: str, parser: CParser):
        self.text = text
        self.get = parser.get_event
        self.lines: dict = {}

    def scalar(self, event) -> Any:
        if event.tag is not None or event.anchor is not None:
            raise _Unusual
        value = event.value
        if event.implicit[0] and value[:1] in _RESOLVERS:
            tag, value = _resolved(value)
            if tag != _STR:
                return value
        if event.style == ">" or event.style is None:
            folded = _fold(event, self.text)
            if folded is not None:
                return folded
        return value

    def collection(self, event, path: tuple, depth: int) -> dict | list:
        """The mapping or sequence `event` opens, at nesting `depth` (the root is 1)."""
        if event.tag is not None or event.anchor is not None:
            raise _Unusual
        depth += 1  # of its children
        if depth > MAX_DEPTH:
            raise _Unusual
        get, lines = self.get, self.lines
        if type(event) is _MAPPING:
            out: dict = {}
            while True:
                event = get()
                if type(event) is _MAPPING_END:
                    return out
                if type(event) is not _SCALAR or event.tag is not None or event.anchor is not None:
                    raise _Unusual
                key = event.value
                if event.implicit[0] and key[:1] in _RESOLVERS and _resolved(key)[0] != _STR or key in out:
                    raise _Unusual
                event = get()
                lines[path + (key,)] = event.start_mark.line + 1
                kind = type(event)
                if kind is _SCALAR:
                    out[key] = self.scalar(event)
                elif kind is _MAPPING or kind is _SEQUENCE:
                    out[key] = self.collection(event, path + (key,), depth)
                else:
                    raise _Unusual
        items: list = []
        while True:
            event = get()
            kind = type(event)
            if kind is _SEQUENCE_END:
                return items
            lines[path + (len(items),)] = event.start_mark.line + 1
            if kind is _SCALAR:
                items.append(self.scalar(event))
            elif kind is _MAPPING or kind is _SEQUENCE:
                items.append(self.collection(event, path + (len(items),), depth))
            else:
                raise _Unusual

    def document(self) -> Any:
        get = self.get
        get()  # stream start
        if type(get()) is not yaml.DocumentStartEvent:
            raise _Unusual
        event = get()
        self.lines[()] = event.start_mark.line + 1
        kind = type(event)
        if kind is _SCALAR:
            root = self.scalar(event)
        elif kind is _MAPPING or kind is _SEQUENCE:
            root = self.collection(event, (), 1)
        else:
            raise _Unusual
        if type(get()) is not yaml.DocumentEndEvent or type(get()) is not yaml.StreamEndEvent:
            raise _Unusual
        return root


def _compose_fast(text: str) -> tuple[Any, dict]:
    """(data, lines) of a file that reads cleanly (see _FastComposer); raises _Unusual or a YAMLError."""
    parser = CParser(text)
    try:
        composer = _FastComposer(text, parser)
        return composer.document(), composer.lines
    finally:
        parser.dispose()


def _decode(raw: bytes) -> str:
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError(1, f"文件过大（{len(raw) // 1000} KB，上限 {MAX_FILE_BYTES // 1000} KB），"
                           "一个案例记录通常不到 10 KB，请检查是否粘贴了整篇原文")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise LoadError(line, "文件不是 UTF-8 编码，请用 UTF-8 重新保存") from None
    hidden = _HIDDEN.search(text)
    if hidden:
        ch = hidden.group()
        name = _HIDDEN_NAMES.get(ch, "控制字符")
        line = text.count("\n", 0, hidden.start()) + 1
        raise LoadError(line, f"含有不可见字符 U+{ord(ch):04X}（{name}），它会让文字显示得与实际内容不同，请删除")
    return text


# PyYAML's syntax messages, in the words an editor needs: what is wrong and how to fix it.
_SYNTAX = (
    ("mapping values are not allowed", "这一行多了一个冒号“: ”。值里含有冒号时，请给整个值加上引号，"
                                       "如 title: \"甲: 乙\"；也可能是上一行缺少“字段名:”"),
    ("tab character", "含有制表符（Tab）。YAML 只能用空格缩进，请把 Tab 换成空格"),
    ("could not find expected ':'", "缺少冒号“:”，或上一行的引号、括号没有闭合"),
    ("found unexpected end of stream", "引号没有闭合：请在值的末尾补上对应的引号"),
    ("while scanning a quoted scalar", "引号没有闭合：请在值的末尾补上对应的引号"),
    ("unknown escape character", "双引号中的反斜杠“\\”有误：请写成“\\\\”，或改用单引号"),
    ("expected ',' or ']'", "方括号 [ ] 没有闭合，或其中的值含有冒号（请给该值加引号）"),
    ("expected ',' or '}'", "花括号 { } 没有闭合，或其中的值含有冒号（请给该值加引号）"),
    ("that cannot start any token", "值不能以 @、` 或 % 开头：请给整个值加上引号"),
    ("another document", "文件中只能有一个记录，请删除“---”分隔线及其后的内容"),
    ("expected <block end>", "缩进不一致：同一层的字段和“- ”列表项应左端对齐"),
    ("did not find expected key", "缩进不一致：同一层的字段应左端对齐"),
    ("did not find expected '-'", "列表缩进不一致：每一项都应以对齐的“- ”开头"),
    ("expected alphabetic or numeric character", "“&”或“*”在 YAML 中有特殊含义：请给整个值加上引号"),
)


def _syntax_message(err: yaml.MarkedYAMLError, text: str) -> str:
    said = f"{err.context or ''} {err.problem or ''}"
    mark = err.problem_mark
    if mark is not None and text[mark.index:mark.index + 1] == "\t":
        said += " tab character"  # LibYAML does not name the character it cannot start a token with
    advice = next((text for needle, text in _SYNTAX if needle in said),
                  "请检查缩进、冒号和引号；值里含有冒号、#、@ 等符号时，请给整个值加上引号")
    return f"YAML 语法错误：{advice}"


def parse_yaml(text: str, file: str) -> Document:
    """Parse one YAML document with line marks; raises LoadError."""
    if not text.strip():
        raise LoadError(1, "文件为空")
    try:
        data, lines = _compose_fast(text)
    except (_Unusual, yaml.YAMLError):
        pass
    else:
        return Document(file, data, lines)
    return _parse_reference(text, file)


def _parse_reference(text: str, file: str) -> Document:
    """parse_yaml through PyYAML's composer and nodes: the reading `_compose_fast` reproduces,
    and the one that words every error."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise LoadError(1, "文件中没有内容（只有注释）")
        lines: dict = {}
        data = _to_data(node, loader, (), lines)
    except yaml.MarkedYAMLError as err:
        # an unclosed quote or bracket is noticed lines later: point at where it opened
        opened = (err.context or "").startswith(("while scanning a quoted", "while parsing a flow"))
        mark = (err.context_mark if opened else None) or err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        raise LoadError(line, _syntax_message(err, text)) from None
    except yaml.YAMLError:  # a reader error the pre-scan in _decode did not foresee
        raise LoadError(1, "文件含有 YAML 不允许的字符，请删除不可见字符后重新保存") from None
    finally:
        loader.dispose()
    return Document(file, data, lines)


def shown(path: Path, root: Path) -> str:
    """A path as messages show it: relative to the project when inside it."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def read_file(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES; raises LoadError or OSError."""
    try:
        info = os.lstat(path)  # one call for what exists(), is_symlink(), is_file() and stat() would ask
    except OSError as err:
        if err.errno in _ABSENT:  # as Path.exists() reads them
            raise LoadError(1, "文件不存在") from None
        raise
    except ValueError:  # a NUL in the name
        raise LoadError(1, "文件不存在") from None
    if not stat.S_ISREG(info.st_mode):
        raise LoadError(1, "应为普通文件（不能是文件夹或符号链接）")
    if info.st_size > MAX_FILE_BYTES:  # refuse before reading it
        raise LoadError(1, f"文件过大（{info.st_size // 1000} KB，上限 {MAX_FILE_BYTES // 1000} KB），"
                           "一个案例记录通常不到 10 KB，请检查是否粘贴了整篇原文")
    with open(path, "rb", buffering=0) as file:  # one read of the size lstat gave
        raw = file.read(info.st_size + 1)
        if len(raw) > info.st_size:  # it grew since: read on, never past the limit (_decode refuses it)
            raw += file.read(MAX_FILE_BYTES + 1 - len(raw))
    return raw


_ABSENT = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)


def load_file(path: Path, display: str | None = None, raw: bytes | None = None) -> tuple[Document | None, Problem | None]:
    """Read (unless `raw`, what `read_file` returned, is given) and parse one file; a failure
    is returned as a Problem, never raised."""
    display = display or str(path)
    try:
        doc = parse_yaml(_decode(read_file(path) if raw is None else raw), display)
    except LoadError as err:
        return None, Problem(display, err.line, err.field, err.message)
    except OSError as err:
        return None, Problem(display, 1, "", f"无法读取文件（{err.strerror}）")
    return doc, None
