"""Fuzzing the pipeline with hypothesis: random and mutated records and vocabulary files go
through load → validate → render. Every outcome is a library or a clean list of problems,
never an exception; a record that passes the check always renders. Bounded in examples so
that it costs seconds in `make test`."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from conftest import ROOT, VALID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.casebook.build import TEMPLATES
from scripts.casebook.library import build_library
from scripts.casebook.load import Problem
from scripts.casebook.render import render_site
from scripts.casebook.validate import validate
from scripts.casebook.vocab import VocabularyError, load_vocabularies

FIELDS = ["id", "title", "organization", "level", "year", "period", "summary", "problem", "lessons", "tags",
          "themes", "region", "measures", "metrics", "source"]
CHARS = list("工会职工万亿多余近约0123456789.,:-–#*[]{}<>&'\"\\|!@`%\n\t 　“”《》") + ["\u202e", "\x00", "\x85",
                                                                                     "\u2028", "é"]
TEXT = st.one_of(st.text(alphabet=st.sampled_from(CHARS), max_size=60),
                 st.sampled_from(["<script>alert(1)</script>", "javascript:alert(1)", "[x](javascript:1)", "33:44",
                                  "0x7E8", "2024-02-30", "2025–2020", "1e40", "省级", "云南省", "人", "万"]))
SCALAR = st.one_of(TEXT, st.integers(min_value=-10**20, max_value=10**20),
                   st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none())
VALUE = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(TEXT, inner, max_size=4)), max_leaves=12)
BASE = yaml.safe_load(VALID)
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def run_pipeline(record_text: str | bytes, vocab_patch: tuple[str, str] | None = None) -> None:
    """load → validate → render one record in a fresh tree; raises only on a bug."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / "cases" / "_vocab", root / "cases" / "_vocab")
        if vocab_patch:
            target = root / "cases" / "_vocab" / f"{vocab_patch[0]}.yaml"
            target.write_text(target.read_text(encoding="utf-8") + vocab_patch[1], encoding="utf-8")
        path = root / "cases" / "2024" / "2024-yunnan-test-case.yaml"
        path.parent.mkdir(parents=True)
        path.write_bytes(record_text if isinstance(record_text, bytes) else record_text.encode("utf-8", "surrogatepass"))
        try:
            vocab = load_vocabularies(root / "cases" / "_vocab", root)
        except VocabularyError as err:
            assert err.problems and all(isinstance(p, Problem) and str(p) for p in err.problems)
            return
        report = validate(root / "cases", vocab, root)
        assert all(str(p).count("\n") == 0 for p in report.errors + report.warnings)
        if not report.errors:
            library = build_library([r.case for r in report.records], vocab)
            render_site(library, root / "docs", TEMPLATES)
            assert (root / "docs" / "cases" / "2024-yunnan-test-case.md").is_file()


@SETTINGS
@given(field=st.sampled_from(FIELDS), value=VALUE)
def test_a_field_replaced_by_anything(field, value):
    record = dict(BASE, **{field: value})
    run_pipeline(yaml.safe_dump(record, allow_unicode=True))


@SETTINGS
@given(data=st.data())
def test_bytes_of_a_valid_record_mutated(data):
    raw = bytearray(VALID.encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at:at + data.draw(st.integers(0, 3))] = data.draw(st.binary(max_size=4))
    run_pipeline(bytes(raw))


@SETTINGS
@given(file=st.sampled_from(["themes", "levels", "regions", "sources", "units", "search_terms"]), entry=VALUE)
def test_a_vocabulary_entry_of_anything(file, entry):
    run_pipeline(VALID, (file, yaml.safe_dump([entry], allow_unicode=True)))


def test_pipeline_renders_the_valid_base_record():
    run_pipeline(VALID)  # the fuzzers' baseline is itself valid and rendered
