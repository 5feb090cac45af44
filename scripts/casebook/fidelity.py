"""Fidelity to the source texts: quotes are verbatim, prose is the library's own.

The source texts stay outside the repository (`make check SOURCES=<folder>`); each source in
`sources.yaml` names its copy in `text_file`. Two checks, both linear in the text checked:

- a metric's `quote` must stand in the source, ignoring the line breaks and spaces of the
  extracted text (a quote may cross a page break);
- prose must not repeat the source: no stretch of 15 characters that matches one place in the
  source, even with a character swapped here and there (办结→办理) or punctuation dropped or
  added (a 、 inserted), and no clause of 16 or more characters most of whose 6-character
  pieces stand in the source. Text inside 《》 and “” (titles and names) is exempt; figures
  and Latin words break a stretch, since facts carry over.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

COPY_LIMIT = 15          # characters matching one place in the source
NEAR_CLAUSE = 16         # clauses at least this long are checked as a whole…
NEAR_SHARE = 0.8         # …and fail when this share of their 6-character pieces is in the source
_GRAM = 5                # seeds for the stretch search
_SHINGLE = 6
_MAX_GAP = _GRAM + 1     # one differing character between two seeds on the same alignment

_NAMES = re.compile(r"《[^》]*》|“[^”]*”")
_CLAUSES = re.compile(r"[，。；：！？,;:!?（）()\n]+")
_DROP = re.compile(r"[\W_]+")
_BREAK = re.compile(r"[0-9A-Za-z０-９Ａ-Ｚａ-ｚ]+")
_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    """Punctuation and spaces removed, figures and Latin words replaced by a break mark."""
    return _BREAK.sub("|", _DROP.sub("", text))


@dataclass
class SourceText:
    """One source text, prepared once for every record that cites it."""
    name: str
    flat: str                                     # without whitespace: quotes are looked up here
    normal: str = ""
    seeds: dict[str, list[int]] = field(default_factory=dict)
    shingles: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, path: Path) -> "SourceText":
        text = path.read_text(encoding="utf-8")
        self = cls(path.name, _SPACE.sub("", text), _normal(text))
        for i in range(len(self.normal) - _GRAM + 1):
            seed = self.normal[i:i + _GRAM]
            if "|" not in seed:
                self.seeds.setdefault(seed, []).append(i)
        self.shingles = {self.normal[i:i + _SHINGLE] for i in range(len(self.normal) - _SHINGLE + 1)}
        return self

    # -- quotes -------------------------------------------------------------------------------
    def quote_problem(self, quote: str) -> str | None:
        flat = _SPACE.sub("", quote)
        if flat in self.flat:
            return None
        # the longest opening of the quote that the source has, found by halving
        low, high = 0, len(flat)
        while low < high:
            mid = (low + high + 1) // 2
            if flat[:mid] in self.flat:
                low = mid
            else:
                high = mid - 1
        if low >= 2:
            start = self.flat.index(flat[:low]) + low
            after = self.flat[start:start + max(len(flat) - low, 4)]
            return (f"引文与来源原文（{self.name}）不一致：原文在“{flat[:low]}”之后是“{after}”，"
                    f"引文却是“{flat[low:]}”；引文必须一字不差")
        return f"引文在来源原文（{self.name}）中找不到，请逐字核对（标点、数字的写法也须与原文一致）"

    # -- prose --------------------------------------------------------------------------------
    def copied_stretches(self, text: str) -> list[str]:
        """Stretches of `text` of COPY_LIMIT or more characters that match one place in the
        source, allowing one differing character between runs of matching ones."""
        found = []
        for piece in _NAMES.split(text):
            line = _normal(piece)
            runs: dict[int, tuple[int, int]] = {}   # alignment → (first seed, last seed)
            for i in range(len(line) - _GRAM + 1):
                for pos in self.seeds.get(line[i:i + _GRAM], ()):
                    shift = pos - i
                    first, last = runs.get(shift, (i, i))
                    if i - last > _MAX_GAP:
                        self._keep(found, line, first, last)
                        first = i
                    runs[shift] = (first, i)
            for first, last in runs.values():
                self._keep(found, line, first, last)
        return found

    @staticmethod
    def _keep(found: list[str], line: str, first: int, last: int) -> None:
        if last + _GRAM - first >= COPY_LIMIT:
            found.append(line[first:last + _GRAM])

    def near_copies(self, text: str) -> list[tuple[str, float]]:
        """Clauses of NEAR_CLAUSE or more characters, most of whose 6-character pieces are in
        the source: a source sentence with a word or two changed."""
        found = []
        for piece in _NAMES.split(text):
            for clause in _CLAUSES.split(piece):
                parts = _normal(clause).split("|")
                pieces = [p[i:i + _SHINGLE] for p in parts for i in range(len(p) - _SHINGLE + 1)]
                if sum(map(len, parts)) < NEAR_CLAUSE or not pieces:
                    continue
                share = sum(p in self.shingles for p in pieces) / len(pieces)
                if share >= NEAR_SHARE:
                    found.append((clause.strip(), share))
        return found

    def prose_problems(self, text: str) -> list[str]:
        messages = [f"与来源原文有连续 {len(s.replace('|', ''))} 个字相同或几乎相同（“{s.replace('|', '…')}”），"
                    "请用本库自己的话改写（《》中的书名和“”中的名称除外）" for s in self.copied_stretches(text)]
        if not messages:
            messages = [f"这一句与来源原文几乎相同（{round(share * 100)}% 的六字片段见于原文）：“{clause}”，"
                        "请用本库自己的话改写" for clause, share in self.near_copies(text)]
        return messages


def prose_fields(case) -> list[tuple[tuple, str]]:
    """The fields written in the library's own words, with their paths."""
    fields = [(("title",), case.title), (("summary",), case.summary), (("problem",), case.problem)]
    for i, m in enumerate(case.measures):
        fields += [(("measures", i, "title"), m.title), (("measures", i, "detail"), m.detail)]
    if case.lessons:
        fields.append((("lessons",), case.lessons))
    return fields


class SourceLibrary:
    """The folder of source texts given by `make check SOURCES=…`, read lazily, once each."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._texts: dict[str, SourceText | None] = {}

    def text(self, file_name: str | None) -> SourceText | None:
        if not file_name:
            return None
        if file_name not in self._texts:
            path = self.folder / file_name
            self._texts[file_name] = SourceText.read(path) if path.is_file() else None
        return self._texts[file_name]

    def check(self, case, text: SourceText) -> list[tuple[tuple, str]]:
        found = [(("metrics", i, "quote"), why) for i, m in enumerate(case.metrics)
                 if (why := text.quote_problem(m.quote))]
        for path, value in prose_fields(case):
            found += [(path, why) for why in text.prose_problems(value)]
        return found
