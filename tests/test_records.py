"""Every record in cases/ validates: one test per record, its id as the test id."""
from __future__ import annotations

import pytest
from conftest import ROOT

from scripts.casebook.load import load_file
from scripts.casebook.validate import case_files, check_document
from scripts.casebook.vocab import load_vocabularies

VOCAB = load_vocabularies(ROOT / "cases" / "_vocab")
FILES = case_files(ROOT / "cases")


def test_there_are_records():
    assert len(FILES) >= 40


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_record_is_valid(path):
    doc, problem = load_file(path, str(path.relative_to(ROOT)))
    assert problem is None, str(problem)
    case, errors, _ = check_document(doc, path, VOCAB)
    assert errors == []
    assert case.id == path.stem


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_record_points_editors_at_the_schema(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schema/case.schema.json"
