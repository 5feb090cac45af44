"""The library at scale: the synthetic benchmark corpus, and the linear versions of the
stages that used to compare every case with every other."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from scripts.corpus import realistic_library, realistic_records, write_corpus
from scripts.casebook.library import load_library, sort_key
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


# -- related cases ------------------------------------------------------------------------------
def all_pairs_related(library, case, limit=5):
    """The related list as first defined: every other case scored."""
    def score(other):
        return (2 * len(set(case.themes) & set(other.themes)) + 3 * len(set(case.tags) & set(other.tags))
                + 2 * (other.organization == case.organization) + (other.region.province == case.region.province))
    ranked = sorted((c for c in library.cases if c.id != case.id), key=lambda c: (-score(c), sort_key(c)))
    return [c.id for c in ranked[:limit] if score(c) > 0]


@pytest.mark.parametrize("which", ["real", "synthetic"])
def test_related_from_the_index_equals_all_pairs(which):
    library = load_library(ROOT)[0] if which == "real" else realistic_library(500, seed=2)
    for case in library.cases:
        assert [c.id for c in library.related(case)] == all_pairs_related(library, case), case.id


# -- catalog pages ------------------------------------------------------------------------------
def test_catalogs_paginate_with_headings_in_order(tmp_path, monkeypatch):
    """Catalog pages list at most CATALOG_PAGE cases (4 here, so that the real library needs
    several pages), link to one another, and go from h1 straight to h2."""
    from test_build import case_ids_on, expected_catalogs

    from scripts.casebook import library as library_module
    from scripts.casebook.build import build_site

    monkeypatch.setattr(library_module, "CATALOG_PAGE", 4)
    library = load_library(ROOT)[0]
    site = build_site(tmp_path, library)
    expected = expected_catalogs()
    for name, ids in expected.items():
        facet, slug = name.split("/")
        catalog = next(c for c in library.catalogs[facet] if c.slug == slug)
        pages = -(-len(ids) // 4)
        assert catalog.page_count == pages
        found = []
        for number in range(1, pages + 1):
            folder = site / "catalogs" / facet / (slug if number == 1 else f"{slug}--{number}")
            html = (folder / "index.html").read_text(encoding="utf-8")
            listed = case_ids_on(folder / "index.html")
            assert 1 <= len(listed) <= 4
            found += listed
            headings = re.findall(r"<h([1-6])", html.split('<article class="md-content__inner')[1].split("</article>")[0])
            assert headings[0] == "1" and set(headings[1:]) == {"2"}, (name, number)
            if pages > 1:
                assert f"第 {number}/{pages} 页" in html
                for other in range(1, pages + 1):
                    if other != number:
                        target = slug if other == 1 else f"{slug}--{other}"
                        assert f'href="../{target}/"' in html, (name, number, other)
        assert sorted(found) == sorted(ids), name
    assert not (site / "catalogs" / "themes" / f"{library.catalogs['themes'][0].slug}--99").exists()


# -- the edit loop: only what a changed record touches is redone ----------------------------------
def test_regenerate_redoes_only_what_an_edit_touches(tmp_path):
    """`make serve`'s pre-build step: after one record's title changes, only that record is
    parsed again, and only the pages that show its title are rendered again (its page, its
    catalogs, the pages that list it as related, and the always-rendered home/overview/downloads and researchers' pages);
    the result equals a build from scratch."""
    from scripts.casebook.serve import Caches, regenerate

    write_corpus(tmp_path, 120, seed=5)
    caches = Caches()
    first = regenerate(tmp_path, caches=caches)
    assert first is not None and caches.pages.rendered == len(first.pages)
    library = load_library(tmp_path)[0]
    case = library.cases[len(library.cases) // 2]
    path = tmp_path / "cases" / str(case.year) / f"{case.id}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(f"title: {case.title}", "title: 改过的标题", 1),
                    encoding="utf-8")

    parsed = []
    import scripts.casebook.validate as validate_module
    original = validate_module.load_file
    validate_module.load_file = lambda p, d=None, raw=None: parsed.append(p.name) or original(p, d, raw)
    try:
        second = regenerate(tmp_path, caches=caches)
    finally:
        validate_module.load_file = original
    assert parsed == ["_template.yaml", path.name]  # the template is read on every run (it is small)
    touched = {f"cases/{case.id}.md"} | {f"cases/{c.id}.md" for c in library.cases if case in library.related(c)}
    touched |= {catalog.page_path(n) for facet in library.catalogs.values() for catalog in facet
                if case in catalog.cases for n in range(1, catalog.page_count + 1)}
    touched |= {"index.md", "overview.md", "downloads.md"} | {f"catalogs/{f}/index.md" for f in library.catalogs}
    # the researchers' pages (data/*.md: 数据下载, 引用本库, 数字比较) summarise the whole library
    touched |= {p for p in second.pages if p.startswith("data/") and p.endswith(".md")}
    assert caches.pages.rendered == len(touched) < len(second.pages) / 3
    assert "改过的标题" in (tmp_path / "docs" / "cases" / f"{case.id}.md").read_text(encoding="utf-8")
    assert_same_as_fresh(tmp_path)

    # an edit that changes what related cases are ranked by (the organisation): the related lists
    # kept between runs are computed again, and the data files follow too
    other = library.cases[len(library.cases) // 3]
    path = tmp_path / "cases" / str(other.year) / f"{other.id}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(f"organization: {other.organization}",
                                                             f"organization: {case.organization}", 1),
                    encoding="utf-8")
    assert regenerate(tmp_path, caches=caches) is not None
    assert_same_as_fresh(tmp_path)


def assert_same_as_fresh(root: Path) -> None:
    """Every generated file of docs/ (pages and data) equals a build from scratch."""
    from scripts.casebook.build import TEMPLATES
    from scripts.casebook.render import generated_files, render_site

    fresh = root / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    render_site(load_library(root)[0], fresh, TEMPLATES)
    made = generated_files(fresh)
    assert made == generated_files(root / "docs") and len(made) > 500
    for rel in made:
        assert (fresh / rel).read_bytes() == (root / "docs" / rel).read_bytes(), rel
