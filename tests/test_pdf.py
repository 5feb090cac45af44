"""The PDF volumes, checked on the produced files: text, outline, fonts, pages, metrics."""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace

import pytest
from conftest import ROOT
from pypdf import PdfReader

from scripts.casebook import cli
from scripts.casebook import pdf as pdf_module
from scripts.casebook import volumes as volumes_module
from scripts.casebook.figures import format_metric
from scripts.casebook.invariant import InvariantError, check_pdf, pdf_missing_titles
from scripts.casebook.library import load_library
from scripts.casebook.volumes import Section, Volume, plan_volumes

LIBRARY, _ = load_library(ROOT)
VOLUMES = {v.slug: v for v in plan_volumes(LIBRARY)}
PICKED = ("library", "theme-women-workers")


def flat(text: str) -> str:
    """Extracted text without the line breaks and spaces that layout puts in."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    if pdf_module.missing_fonts():
        pytest.fail("需要 fonts-noto-cjk（.ci/run 会安装）")
    out = tmp_path_factory.mktemp("pdf")
    pdf_module.write_volumes(LIBRARY, out, ROOT / "overrides" / "print", set(PICKED))
    return {slug: out / f"{slug}.pdf" for slug in PICKED}


def text_of(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def outline_titles(path) -> list[tuple[int, str]]:
    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, depth + 1)
            else:
                yield depth, item.title
    return list(walk(PdfReader(str(path)).outline, 1))


@pytest.mark.parametrize("slug", PICKED)
def test_every_case_title_is_in_the_contents_and_the_body(pdfs, slug):
    assert pdf_missing_titles(pdfs[slug], VOLUMES[slug]) == []


def volume_with_a_stranger() -> Volume:
    """The whole-library volume plus a case that its PDF cannot hold."""
    volume = VOLUMES["library"]
    stranger = LIBRARY.cases[0].model_copy(update={"id": "2099-stranger", "title": "不在此册中的“陌生”案例"})
    last = volume.sections[-1]
    return replace(volume, sections=[*volume.sections[:-1], Section(last.title, [*last.cases, stranger])])


def test_a_title_missing_from_the_pdf_is_named(pdfs):
    with pytest.raises(InvariantError) as err:
        check_pdf(pdfs["library"], volume_with_a_stranger())
    assert str(err.value) == "PDF 分册 library.pdf 缺少 1 个案例的标题（目录和正文中应各有一次）：“不在此册中的‘陌生’案例”"


def test_make_pdf_checks_the_whole_library_volume(pdfs, monkeypatch, capsys):
    """cmd_pdf checks the volume it wrote (here: the fixture's, with one case too many)."""
    monkeypatch.setattr(pdf_module, "write_volumes", lambda *args: [pdfs["library"]])
    monkeypatch.setattr(volumes_module, "plan_volumes", lambda library: [volume_with_a_stranger()])
    assert cli.main(["pdf", "--only", "library"]) == 1
    assert capsys.readouterr().err == ("PDF 分册 library.pdf 缺少 1 个案例的标题（目录和正文中应各有一次）："
                                       "“不在此册中的‘陌生’案例”\n")
    monkeypatch.setattr(volumes_module, "plan_volumes", lambda library: [VOLUMES["library"]])
    assert cli.main(["pdf", "--only", "library"]) == 0


@pytest.mark.parametrize("slug", PICKED)
def test_outline_has_one_entry_per_case_under_its_section(pdfs, slug):
    volume = VOLUMES[slug]
    expected = []
    for section in volume.sections:
        expected.append((1, section.title))
        expected += [(2, c.title) for c in section.cases]
    assert outline_titles(pdfs[slug]) == expected


@pytest.mark.parametrize("slug", PICKED)
def test_fonts_are_embedded_and_not_type3(pdfs, slug):
    rows = subprocess.run(["pdffonts", str(pdfs[slug])], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert rows
    assert [r for r in rows if "Type 3" in r] == []
    assert all(re.search(r"\byes\s+yes\s+yes\b", r) for r in rows), rows
    assert any("CJK" in r for r in rows)


@pytest.mark.parametrize("slug", PICKED)
def test_page_count_is_sane(pdfs, slug):
    pages = len(PdfReader(str(pdfs[slug])).pages)
    cases = len(VOLUMES[slug].cases)
    # cover + table of contents + at least one page per case; no case runs past four pages
    assert cases + 2 <= pages <= 4 * cases + 4


def test_metric_text_matches_the_record(pdfs):
    case = next(c for c in LIBRARY.cases if c.id == "2024-jiangsu-carnation-service")
    text = flat(text_of(pdfs["theme-women-workers"]))
    for metric in case.metrics:
        assert flat(format_metric(metric)) in text
        assert flat(metric.quote) in text
    assert "130多万人次" in text


def test_cover_and_running_header(pdfs):
    reader = PdfReader(str(pdfs["theme-women-workers"]))
    cover = flat(reader.pages[0].extract_text())
    assert "女职工工作案例" in cover and f"收录案例{len(VOLUMES['theme-women-workers'].cases)}个" in cover
    assert "女职工工作案例" in reader.pages[3].extract_text()  # running header on a case page


def test_no_cjk_font_stops_with_the_package_name(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf_module, "missing_fonts", lambda: ["Noto Sans CJK SC"])
    with pytest.raises(pdf_module.PdfError, match="fonts-noto-cjk"):
        pdf_module.write_volumes(LIBRARY, tmp_path, ROOT / "overrides" / "print")
    assert list(tmp_path.iterdir()) == []


def test_volumes_cover_every_theme_and_source():
    themes = {c.slug for c in LIBRARY.catalogs["themes"] if c.cases}
    sources = {c.slug for c in LIBRARY.catalogs["sources"] if c.cases}
    assert set(VOLUMES) == {"library"} | {f"theme-{t}" for t in themes} | {f"source-{s}" for s in sources}
    assert len(VOLUMES["library"].cases) == len(LIBRARY.cases)


def test_poppler_is_installed():
    assert shutil.which("pdftotext") and shutil.which("pdffonts")


def test_chunked_volume_numbers_pages_and_bookmarks_consistently(tmp_path):
    """Rendered in chunks of 5 cases: printed page numbers run on across chunks, and every
    bookmark and contents entry points at the page where its case begins."""
    volume = VOLUMES["theme-grassroots-unions"]
    writer = pdf_module.VolumeWriter(LIBRARY, ROOT / "overrides" / "print", "2026-01-01")
    path = writer.write(volume, tmp_path / "v.pdf", chunk_cases=5)
    assert len(volume.cases) > 10  # several chunks
    reader = PdfReader(str(path))
    texts = [flat(p.extract_text()) for p in reader.pages]
    for index, text in enumerate(texts[1:], start=1):  # the cover has no number
        assert text.endswith(str(index + 1)), index
    bookmarks = {}
    for item in reader.outline:
        if isinstance(item, list):
            for child in item:
                bookmarks[child.title] = reader.get_destination_page_number(child)
    assert set(bookmarks) == {c.title for c in volume.cases}
    # the contents page lists, line by line, the page of each section and case
    contents = subprocess.run(["pdftotext", "-layout", "-f", "2", "-l", "2", str(path), "-"],
                              capture_output=True, text=True, check=True).stdout
    listed = [int(m) for m in re.findall(r"\s(\d+)\s*$", contents, flags=re.M)]
    expected = []
    for section in volume.sections:
        expected.append(bookmarks[section.cases[0].title] + 1)
        expected += [bookmarks[c.title] + 1 for c in section.cases]
    assert listed[:-1] == expected  # the last number is the contents page's own footer
    for case in volume.cases:
        assert flat(case.title) in texts[bookmarks[case.title]]
