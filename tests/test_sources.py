"""Fidelity to the source reports in ../shared/sources/ (skipped where that folder is absent).

Every metric's quote is a verbatim span of its source; the prose is the library's own:
no clause shares a run of 15 characters with the source, outside 《》 titles and “” names.
Punctuation ends a run, so that a list of facts (names, places, figures) joined
differently does not count as copying, while a copied clause does.
"""
from __future__ import annotations

import re

import pytest
from conftest import ROOT, SOURCES

from scripts.casebook.library import load_library

needs_sources = pytest.mark.skipif(not SOURCES.is_dir(), reason="../shared/sources/ 不存在")

LIBRARY, REPORT = load_library(ROOT)
TEXT_FILES = {s.id: s.text_file for s in LIBRARY.vocab.sources}
COPY_LIMIT = 15
_NAMES = re.compile(r"《[^》]*》|“[^”]*”")
_NOT_WORD = re.compile(r"[\W_]+")


def source_text(publication: str) -> str:
    return (SOURCES / TEXT_FILES[publication]).read_text(encoding="utf-8")


def prose(case) -> list[tuple[str, str]]:
    fields = [("title", case.title), ("summary", case.summary), ("problem", case.problem)]
    fields += [(f"measures[{i}]", f"{m.title}。{m.detail}") for i, m in enumerate(case.measures)]
    if case.lessons:
        fields.append(("lessons", case.lessons))
    return fields


def copied_runs(text: str, source: str) -> list[str]:
    """Runs of COPY_LIMIT characters within one clause of `text` that also stand in `source`."""
    runs = []
    for piece in _NAMES.split(text):
        for clause in _NOT_WORD.split(piece):
            runs += [clause[i:i + COPY_LIMIT] for i in range(len(clause) - COPY_LIMIT + 1)
                     if clause[i:i + COPY_LIMIT] in source]
    return runs


CASES = LIBRARY.cases


@needs_sources
def test_every_source_has_its_text_file():
    for key, name in TEXT_FILES.items():
        assert (SOURCES / name).is_file(), key


@needs_sources
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_quotes_are_verbatim(case):
    text = source_text(case.source.publication)
    missing = [m.quote for m in case.metrics if m.quote not in text]
    assert missing == []


@needs_sources
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_prose_is_in_the_librarys_own_words(case):
    text = source_text(case.source.publication)
    copied = {name: runs for name, value in prose(case) if (runs := copied_runs(value, text))}
    assert copied == {}


def test_copy_detector_catches_a_copied_sentence():
    source = "江苏省总工会以推进工会系统全面改革为重要抓手,积极开展县域产业和行业工会改革路径探索"
    assert copied_runs("该会积极开展县域产业和行业工会改革路径探索。", source)
    assert not copied_runs("该会探索县域产业工会和行业工会的改革路径。", source)
    assert not copied_runs("制定《积极开展县域产业和行业工会改革路径探索》。", source)
