"""Text and names on their way out: what every output (pages, PDFs, data files) applies to
record and vocabulary values, whatever the validator let through.

- `inert`: drops the invisible characters the loader refuses in input (`INVISIBLE`): controls
  and bidirectional overrides, which could reorder what a reader sees (U+202E) or collide
  with Python-Markdown's placeholders (U+0002/U+0003 around stashed HTML), and zero-width
  characters.
- `nest_quotes`: record text printed inside the site's own “…” gets its quotation marks
  one level down (“最后一公里” → ‘最后一公里’).
- `link_target`, `inside`: a generated link or file path is built from ids and slugs only
  and never leaves the output folder.
"""
from __future__ import annotations

import re
from pathlib import Path

# Characters that are invisible or turn text around (a regex class body): C0/C1 controls
# other than tab and line breaks (whitespace, which pages and HTML collapse), zero-width
# characters, bidi embeddings, overrides and isolates, a BOM inside text. The loader refuses
# them in input; every output drops them whatever the loader let through.
INVISIBLE = ("\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064"
             "\u2066-\u206f\ufeff\ufff9-\ufffb")
_NOT_INERT = re.compile(f"[{INVISIBLE}]")
# Chinese quotation marks one level down; a third level goes back to “”.
_NESTED = str.maketrans({"“": "‘", "”": "’", "‘": "“", "’": "”"})
# A generated link target or page: slugs and ids (lowercase ASCII letters, digits, hyphens)
# joined by "/", ending in .md — no ".", "..", "\", ":" or empty segment can appear.
_TARGET = re.compile(r"(?:[a-z0-9-]+/)*[a-z0-9-]+\.md")
# A relative path of plain names (no leading slash, no backslash or empty part): resolving it
# against the disk is the slow way to learn it stays inside its folder. The folders it
# passes through are the build's own (render.GENERATED), never links.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")
# A file name we generate (volume PDFs): no path separator, no leading dot.
_FILE_NAME = re.compile(r"[a-z0-9][a-z0-9.-]*")
# An http(s) address with a host part and no whitespace or control character: the only
# source URLs the site prints as links.
_WEB_URL = re.compile(f"https?://(?!/)[^\\s{INVISIBLE}]+", re.IGNORECASE)


class UnsafeOutputError(ValueError):
    """A generated link or file would be built from something other than ids and slugs.
    The message is in Chinese: whoever runs the build reads it."""


def inert(text: str) -> str:
    """`text` without control characters and bidi overrides."""
    return _NOT_INERT.sub("", text)


def nest_quotes(text) -> str:
    """Record text for printing inside “…”: “ ” become ‘ ’ and ‘ ’ become “ ”."""
    return str(text).translate(_NESTED)


def is_web_url(url: str) -> bool:
    return bool(_WEB_URL.fullmatch(url))


def _built_from_slugs(value: str, pattern: re.Pattern, what: str, allowed: str) -> str:
    if not pattern.fullmatch(value):
        raise UnsafeOutputError(f"生成的{what} {value!r} 含有编号和 slug 以外的字符（只允许{allowed}），"
                                "已停止生成；请检查 cases/_vocab/ 中的 slug 和 id")
    return value


def link_target(target: str) -> str:
    """`target` when it is a page path built from ids and slugs; refuses anything else."""
    return _built_from_slugs(target, _TARGET, "链接目标", "小写英文字母、数字和连字符")


def file_name(name: str) -> str:
    """`name` when it is a plain file name built from ids and slugs; refuses anything else."""
    return _built_from_slugs(name, _FILE_NAME, "文件名", "小写英文字母、数字、连字符和点")


def inside(folder: Path, relative: str) -> Path:
    """folder/relative, refused when it resolves outside `folder` (a slug like ../../x)."""
    if _PLAIN_PATH.fullmatch(relative) and ".." not in relative.split("/"):
        return folder / relative  # a path of plain names under folder: no need to ask the disk
    root = folder.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or target == root:
        raise UnsafeOutputError(
            f"生成的文件 {relative!r} 会写到 {folder} 之外，已停止生成；请检查 cases/_vocab/ 中的 slug 和 id")
    return target
