"""The library at scale: the synthetic benchmark corpus, and the linear versions of the
stages that used to compare every case with every other."""
from __future__ import annotations

import pytest

from scripts.corpus import realistic_library, realistic_records, write_corpus
from scripts.casebook.validate import validate
from scripts.casebook.vocab import load_vocabularies

PROSE = ("title", "summary", "problem", "lessons")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    write_corpus(root, 300, seed=7)
    return root


def test_corpus_records_are_valid_and_not_duplicates(corpus):
    report = validate(corpus / "cases", load_vocabularies(corpus / "cases" / "_vocab", corpus), corpus)
    assert [str(p) for p in report.errors] == []
    assert [str(p) for p in report.warnings] == []
    assert len(report.records) == 300


def test_corpus_tree_has_what_a_build_needs(corpus):
    for name in ("mkdocs.yml", "cases/_template.yaml", "cases/_vocab/themes.yaml", "docs/finder.md",
                 "docs/about.md", "overrides/main.html", "overrides/pages/case.tmpl.md", "schema/case.schema.json"):
        assert (corpus / name).is_file(), name
    assert not (corpus / "docs" / "cases").exists()  # generated pages are not copied


def test_corpus_is_deterministic_and_prose_never_repeats():
    records = realistic_records(400, seed=3)
    assert records[:40] == realistic_records(40, seed=3)
    assert records != realistic_records(400, seed=4)
    for field in PROSE:
        values = [r[field] for r in records if field in r]
        assert len(values) == len(set(values)), field
    measures = [tuple(m["detail"] for m in r["measures"]) for r in records]
    assert len(measures) == len(set(measures))


def test_corpus_varies_within_the_vocabularies():
    library = realistic_library(600, seed=1)
    vocab = library.vocab
    assert len(library.cases) == 600
    assert {c.region.province for c in library.cases} == set(vocab.province_names)
    assert {c.level for c in library.cases} == set(vocab.level_names)
    assert {t for c in library.cases for t in c.themes} == set(vocab.theme_names)
    assert {c.source.publication for c in library.cases} == set(vocab.source_ids)
    assert len({c.year for c in library.cases}) >= 10
    assert len({c.organization for c in library.cases}) >= 500
