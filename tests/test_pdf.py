"""The PDF volumes, checked on the produced files: text, outline, fonts, pages, metrics."""
from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
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


@pytest.fixture(scope="module")
def chunked(tmp_path_factory):
    """A volume rendered in chunks of 5 cases by two worker processes (chunks finish in any
    order), as `make pdf` renders large volumes."""
    volume = VOLUMES["theme-grassroots-unions"]
    assert len(volume.cases) > 10  # several chunks
    writer = pdf_module.VolumeWriter(LIBRARY, ROOT / "overrides" / "print", "2026-01-01", processes=2)
    path = writer.write(volume, tmp_path_factory.mktemp("chunked") / "v.pdf", chunk_cases=5)
    return volume, path, writer


def page_texts(path) -> list[str]:
    """Each page's text as pdftotext lays it out."""
    pages = int(re.search(r"^Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                                                            check=True).stdout, flags=re.M).group(1))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
                           capture_output=True, text=True, check=True).stdout for n in range(1, pages + 1)]


def test_stamped_header_and_page_number_on_every_page_but_the_cover(chunked):
    """The running header (first line) and the page number (last line) are stamped after the
    join: the number printed is the page's physical number, on the front matter and across
    every chunk; the cover has neither."""
    volume, path, _ = chunked
    texts = page_texts(path)
    lines = [[line.strip() for line in text.splitlines() if line.strip()] for text in texts]
    assert lines[0][0] != volume.title and not any(line.isdigit() for line in lines[0])  # the cover
    for number, page in enumerate(lines[1:], start=2):
        assert page[0] == volume.title, number
        assert page[-1] == str(number), number


def test_stamped_text_is_a_pagination_artifact_outside_the_structure_tree(chunked):
    """PDF/UA: header and number are marked /Artifact of type /Pagination, hold no marked-content
    id, and their glyphs are in the one shared subset of the body font (text extracts)."""
    import pikepdf

    _, path, _ = chunked
    with pikepdf.open(path) as pdf:
        for number, page in enumerate(pdf.pages[1:], start=2):
            stack, artifacts = [], []
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) in ("BDC", "BMC"):
                    stack.append(operands)
                elif str(operator) == "EMC":
                    stack.pop()
                elif str(operator) == "Tj" and stack and str(stack[-1][0]) == "/Artifact" and len(stack[-1]) == 2:
                    properties = stack[-1][1]
                    artifacts.append((str(properties.Subtype), "/MCID" in properties, str(properties.Type)))
            assert artifacts == [("/Header", False, "/Pagination"), ("/Footer", False, "/Pagination")], number
            fonts = page.obj.Resources.Font
            stamped = fonts["/FRun0"]
            assert any(name != "/FRun0" and font.objgen == stamped.objgen for name, font in fonts.items()), \
                "the stamp uses the body font's shared subset"


def test_worker_processes_report_their_peak_memory(chunked):
    _, _, writer = chunked
    assert len(writer.worker_peaks_mb) >= 2 and all(100 < mb < 2000 for mb in writer.worker_peaks_mb)


def test_chunks_laid_out_in_any_order_give_the_same_page_numbers(tmp_path):
    """The front matter is rendered once every chunk's length is known, whatever order the chunks
    finished in; each case starts after the front matter and all the pages of earlier chunks."""
    volume = VOLUMES["theme-grassroots-unions"]

    def starts(order):
        job = pdf_module.VolumeJob(volume, tmp_path / "v.pdf", tmp_path, 5)
        tasks = job.first()
        assert [t.index for t in tasks] == [pdf_module.FRONT_COUNT, *range(len(job.chunks))]
        out = []
        for index in order:
            if index == pdf_module.FRONT_COUNT:
                out += job.laid_out(index, 3, {})
            else:  # a page per case, and as many more pages as the chunk's number
                chunk = job.chunks[index]
                out += job.laid_out(index, len(chunk) + index, {case.id: n for n, (_, case) in enumerate(chunk)})
        [front] = out
        assert front.index == pdf_module.FRONT and front.target == job.part(pdf_module.FRONT)
        return front.context["pages"]

    chunks = list(range(len(pdf_module.VolumeJob(volume, tmp_path / "v.pdf", tmp_path, 5).chunks)))
    forward = starts([pdf_module.FRONT_COUNT, *chunks])
    assert forward == starts([*chunks[::-1], pdf_module.FRONT_COUNT])
    ordered = [case for _, case in pdf_module.entries(volume)]
    assert forward[ordered[0].id] == 3 + 1  # after the three pages of front matter
    assert forward[ordered[1].id] == 3 + 2
    assert forward[ordered[5].id] == 3 + 5 + 1  # first of the second chunk, after chunk 0's 5 pages
    assert forward[ordered[10].id] == 3 + 5 + 6 + 1  # after chunk 1's 6 pages


def test_chunked_volume_numbers_pages_and_bookmarks_consistently(chunked):
    """Every bookmark and contents entry points at the page where its case begins."""
    volume, path, _ = chunked
    reader = PdfReader(str(path))
    texts = [flat(p.extract_text()) for p in reader.pages]  # page numbers: test_stamped_header_…
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


# -- tagged PDF (issue 14) -------------------------------------------------------------------
def structure_elements(element, kind: str):
    """Every structure element of type `kind` under `element`, depth first."""
    import pikepdf

    kids = element.get("/K")
    kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
    for kid in kids:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            if kid.S == f"/{kind}":
                yield kid
            yield from structure_elements(kid, kind)


@pytest.mark.parametrize("slug", PICKED)
def test_volume_is_tagged_with_language_and_title(pdfs, slug):
    import pikepdf

    info = subprocess.run(["pdfinfo", str(pdfs[slug])], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, flags=re.M)
    assert re.search(rf"^Title:\s+{re.escape(VOLUMES[slug].title)}$", info, flags=re.M)
    with pikepdf.open(pdfs[slug]) as pdf:
        assert str(pdf.Root.Lang) == "zh-CN"
        assert bool(pdf.Root.MarkInfo.Marked) is True
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True  # viewers show the title
        xmp = dict(pdf.open_metadata().items())
        assert xmp["{http://www.aiim.org/pdfua/ns/id/}part"] == "1"  # declares PDF/UA-1
        assert xmp["{http://purl.org/dc/elements/1.1/}title"] == VOLUMES[slug].title
        [document] = list(pdf.Root.StructTreeRoot.K)
        assert document.S == "/Document"
        # one level-2 heading per case (its title), one level-1 per section and the cover and contents
        titles = [c.title for c in VOLUMES[slug].cases]
        assert len(list(structure_elements(document, "H2"))) == len(titles)
        assert len(list(structure_elements(document, "Art"))) >= len(titles)
        assert len(list(structure_elements(document, "Table"))) >= 1


def test_structure_tree_of_a_chunked_volume_maps_every_page(chunked):
    """Joined from a front part and chunks of 5 cases: one structure tree, whose parent tree
    has one entry per page listing elements on that very page."""
    import pikepdf

    volume, path, _ = chunked
    with pikepdf.open(path) as pdf:
        root = pdf.Root.StructTreeRoot
        nums = root.ParentTree.Nums
        parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        assert int(root.ParentTreeNextKey) == len(pdf.pages) == len(parents)
        for number, page in enumerate(pdf.pages):
            key = int(page.obj.StructParents)
            assert len(parents[key]) > 0, number
            assert {element.Pg.objgen for element in parents[key]} == {page.obj.objgen}
        [document] = list(root.K)
        assert all(kid.P.objgen == document.objgen for kid in document.K)
        assert len(list(structure_elements(document, "H2"))) == len(volume.cases)
        # the parts' own trees are not carried along; line spans are folded into their parents
        kinds = Counter(str(o.get("/S")) for o in pdf.objects if isinstance(o, pikepdf.Dictionary))
        assert kinds["/Document"] == 1 and kinds["/Span"] == 0


def test_chunks_share_one_subset_of_each_font(chunked):
    """Four parts, each embedding its own subsets when rendered, end up with one font program
    per font, holding the glyphs of every part: the text of every page still extracts."""
    import pikepdf

    volume, path, _ = chunked
    rows = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    names = [row.split()[0].split("+", 1)[1] for row in rows]
    assert len(names) == len(set(names)) >= 2, rows
    with pikepdf.open(path) as pdf:
        descriptors = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/FontDescriptor"]
        programs = {(d.get("/FontFile3") or d.get("/FontFile2")).objgen for d in descriptors}
    assert len(programs) == len(names)
    text = flat(text_of(path))
    for case in volume.cases:
        assert flat(case.summary) in text


# -- which volumes are built: content digests (issue 14: no broken PDF link) -----------------
def test_unchanged_volumes_are_kept_and_changed_ones_rendered_again(tmp_path, monkeypatch):
    from scripts.casebook.library import build_library
    from scripts.casebook.volumes import current_volumes

    rendered: list[str] = []

    def fake_write_all(self, targets, chunk_cases=pdf_module.CHUNK_CASES):
        for volume, target in targets:
            rendered.append(volume.slug)
            target.write_bytes(b"%PDF-1.7 stand-in")
        return [target for _, target in targets]

    monkeypatch.setattr(pdf_module.VolumeWriter, "write_all", fake_write_all)
    template_dir = ROOT / "overrides" / "print"
    pdf_module.write_volumes(LIBRARY, tmp_path, template_dir)
    assert rendered == list(VOLUMES)
    assert current_volumes(LIBRARY, tmp_path) == set(VOLUMES)

    rendered.clear()
    pdf_module.write_volumes(LIBRARY, tmp_path, template_dir)
    assert rendered == []

    case = VOLUMES["theme-women-workers"].cases[0]
    edited = build_library([c.model_copy(update={"title": c.title + "（修订）"}) if c.id == case.id else c
                            for c in LIBRARY.cases], LIBRARY.vocab)
    holding = [slug for slug, volume in VOLUMES.items() if case.id in {c.id for c in volume.cases}]
    assert "library" in holding and "theme-women-workers" in holding and len(holding) < len(VOLUMES)
    assert current_volumes(edited, tmp_path) == set(VOLUMES) - set(holding)  # stale until rendered again
    pdf_module.write_volumes(edited, tmp_path, template_dir)
    assert rendered == holding

    # a theme whose only case leaves the library: its volume goes, the others stay current
    [lone] = [slug for slug, v in VOLUMES.items() if slug.startswith("theme-") and len(v.cases) == 1][:1]
    fewer = build_library([c for c in edited.cases if c.id != VOLUMES[lone].cases[0].id], LIBRARY.vocab)
    rendered.clear()
    pdf_module.write_volumes(fewer, tmp_path, template_dir)
    assert not (tmp_path / f"{lone}.pdf").exists()
    assert lone not in current_volumes(fewer, tmp_path)
    assert "library" in rendered and lone not in rendered


def pdf_links(site) -> list[tuple[str, object]]:
    """(page, file the link points at) for every href to a .pdf in the built site."""
    from posixpath import normpath
    from urllib.parse import urljoin, urlparse

    links = []
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        for href in re.findall(r'href="([^"#?]+\.pdf)"', page.read_text(encoding="utf-8")):
            target = normpath(urlparse(urljoin(f"http://site.invalid/{rel}", href)).path).lstrip("/")
            links.append((rel, site / target))
    return links


def test_no_pdf_link_of_a_built_site_is_broken(tmp_path):
    """Built before `make pdf`: no volume is linked, each is marked as not yet built. After one
    volume is written into docs/downloads/, exactly that volume is linked, and the link works."""
    from scripts.casebook.build import build_site
    from scripts.casebook.library import build_library

    source = LIBRARY.catalogs["sources"][0]
    small = build_library(source.cases[:3], LIBRARY.vocab)
    volumes = plan_volumes(small)
    work = tmp_path / "work"
    site = build_site(work, small)
    assert pdf_links(site) == []
    downloads = (site / "downloads" / "index.html").read_text(encoding="utf-8")
    assert downloads.count("（尚未生成）") == len(volumes)
    assert "运行 <code>make pdf</code> 后可下载" in downloads

    theme = next(v for v in volumes if v.slug.startswith("theme-"))
    pdf_module.write_volumes(small, work / "docs" / "downloads", ROOT / "overrides" / "print", {theme.slug})
    site = build_site(work, small)
    links = pdf_links(site)
    assert [rel for rel, _ in links] == sorted(["downloads/index.html",
                                                f"catalogs/themes/{theme.slug.removeprefix('theme-')}/index.html"])
    assert {target.name for _, target in links} == {theme.filename}
    assert all(target.is_file() for _, target in links)
    downloads = (site / "downloads" / "index.html").read_text(encoding="utf-8")
    assert downloads.count("（尚未生成）") == len(volumes) - 1
    assert pdf_missing_titles(site / "downloads" / theme.filename, theme) == []
    assert (work / "docs" / "downloads" / ".digests.json").is_file()
    assert not (site / "downloads" / ".digests.json").exists()  # the digests are not published


def test_page_content_is_compacted_without_changing_what_is_drawn():
    """Coordinates and colours to two decimals, zero adjustments between glyphs dropped; names
    (which may hold digits and dots), integers and real kerning stay as they are."""
    from scripts.casebook.pdfjoin import compact_content

    content = (b"1 0 0 -1 0 841.889764 cm\nq\n/a1.0 gs\n0.717647 0.109804 0.109804 rg\n"
               b"87.590551 197.88294 622.519685 26.066667 re\nf*\nQ\n/Span\n<</MCID 12>>\nBDC\nBT\n"
               b"1 0 0 -1 83.590551 -101.15361 Tm\n/DFCEGX 14 Tf\n[<0016>0<000f>-40<0001>0.5<7e13>0<52ad>] TJ\nET\nEMC\n")
    assert compact_content(content) == (
        b"1 0 0 -1 0 841.88 cm\nq\n/a1.0 gs\n0.71 0.10 0.10 rg\n"
        b"87.59 197.88 622.51 26.06 re\nf*\nQ\n/Span\n<</MCID 12>>\nBDC\nBT\n"
        b"1 0 0 -1 83.59 -101.15 Tm\n/DFCEGX 14 Tf\n[<0016000f>-40<0001>0.5<7e1352ad>] TJ\nET\nEMC\n")
