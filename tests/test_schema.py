"""The committed JSON Schema is current, and it accepts exactly what editors may write."""
from __future__ import annotations

import json

import jsonschema
import pytest
from conftest import ROOT

from scripts.casebook.load import load_file
from scripts.casebook.schema import schema_text
from scripts.casebook.validate import case_files
from scripts.casebook.vocab import load_vocabularies

SCHEMA_FILE = ROOT / "schema" / "case.schema.json"


def test_committed_schema_is_not_stale():
    expected = schema_text(load_vocabularies(ROOT / "cases" / "_vocab"))
    assert SCHEMA_FILE.read_text(encoding="utf-8") == expected, "运行 make schema 重新导出 schema/case.schema.json"


def test_every_record_satisfies_the_exported_schema():
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    for path in case_files(ROOT / "cases"):
        doc, _ = load_file(path)
        errors = [e.message for e in validator.iter_errors(doc.data)]
        assert errors == [], path.name


@pytest.mark.parametrize("field, bad", [("level", "省"), ("themes", ["女工"]), ("year", "2024")])
def test_schema_rejects_what_the_validator_rejects(field, bad):
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    doc, _ = load_file(ROOT / "cases" / "2024" / "2024-yunnan-dianzhong-water-contest.yaml")
    record = dict(doc.data, **{field: bad})
    assert not validator.is_valid(record)
