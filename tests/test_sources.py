"""Fidelity of the library to its sources (CASEBOOK_SOURCES, default ../shared/sources/; skipped
only where that folder is absent and was not asked for).

The same checks `make check SOURCES=…` runs (scripts/casebook/fidelity.py): every metric's quote
is a verbatim span of its source, and no prose repeats the source, word for word or nearly.
"""
from __future__ import annotations

import pytest
from conftest import ROOT, SOURCES

from scripts.casebook.library import load_library

needs_sources = pytest.mark.skipif(not SOURCES.is_dir(), reason="原文副本文件夹不存在（../shared/sources/）")

LIBRARY, _ = load_library(ROOT)
TEXT_FILES = {s.id: s.text_file for s in LIBRARY.vocab.sources}
CASES = LIBRARY.cases


@pytest.fixture(scope="module")
def findings():
    """Every error of the source checks, by file."""
    _, report = load_library(ROOT, SOURCES)
    by_file: dict[str, list[str]] = {}
    for problem in report.errors:
        by_file.setdefault(problem.file, []).append(str(problem))
    return by_file


@needs_sources
def test_every_source_has_its_text_file():
    for key, name in TEXT_FILES.items():
        assert name and (SOURCES / name).is_file(), key


@needs_sources
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_quotes_are_verbatim_and_prose_is_the_librarys_own(case, findings):
    assert findings.get(f"cases/{case.year}/{case.id}.yaml", []) == []
