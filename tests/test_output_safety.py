"""The output side publishes whatever the input side let through as inert text: links only
from slugs, no file outside docs/, source addresses linked only when http(s), spreadsheet
cells that cannot start a formula, nested quotation marks, no control or bidi characters."""
from __future__ import annotations

import csv
import html
import io
import re
import subprocess
from dataclasses import replace

import pytest
from conftest import ROOT
from payloads import RLO, SCRIPT, payload_case, payload_library

from scripts.casebook import pdf as pdf_module
from scripts.casebook.build import TEMPLATES
from scripts.casebook.export import cases_csv, csv_cell
from scripts.casebook.library import build_library, load_library
from scripts.casebook.overview import overview
from scripts.casebook.render import sync_generated, PageWriter, md_escape, render_site, web_link
from scripts.casebook.text import UnsafeOutputError, inert, nest_quotes
from scripts.casebook.vocab import Theme

LIBRARY, _ = load_library(ROOT)


def with_theme_slug(slug: str):
    """The real library plus one case in a theme whose slug is `slug` (vocabulary unchecked)."""
    theme = Theme.model_construct(name="测试领域", slug=slug, description="", note=None)
    vocab = replace(LIBRARY.vocab, themes=[*LIBRARY.vocab.themes, theme])
    case = payload_case("2024-slug-test", LIBRARY.vocab.sources[0].id, themes=["测试领域"],
                        region={"province": "云南省"}, level="省级")
    return build_library([*LIBRARY.cases, case], vocab)


# -- links and paths ---------------------------------------------------------------------------
def test_a_slug_cannot_make_the_build_write_outside_docs(tmp_path):
    docs = tmp_path / "project" / "docs"
    with pytest.raises(UnsafeOutputError) as err:
        render_site(with_theme_slug("../../../../x"), docs, TEMPLATES)
    assert str(err.value) == ("生成的链接目标 'catalogs/themes/../../../../x.md' 含有编号和 slug 以外的字符"
                              "（只允许小写英文字母、数字和连字符），已停止生成；请检查 cases/_vocab/ 中的 slug 和 id")
    assert [p for p in tmp_path.rglob("x.md")] == []


@pytest.mark.parametrize("target", ["javascript:alert(1)", "cases/a b.md", "cases/../x.md", "/etc/passwd.md",
                                    "cases/x.md#\"onclick", "cases\\x.md", "cases/Ä.md", "cases//x.md"])
def test_links_are_built_from_slugs_only(tmp_path, target):
    writer = PageWriter(LIBRARY, TEMPLATES)
    with pytest.raises(UnsafeOutputError, match="含有编号和 slug 以外的字符"):
        writer.link("index.md", "文字", target)


def test_a_link_escapes_its_text_and_keeps_its_target():
    writer = PageWriter(LIBRARY, TEMPLATES)
    assert writer.link("catalogs/themes/x.md", "[x](javascript:alert(1))", "cases/a-1.md") == \
        "[\\[x\\]\\(javascript:alert\\(1\\)\\)](../../cases/a-1.md)"


def test_no_page_is_written_outside_the_docs_folder(tmp_path):
    docs = tmp_path / "docs"
    with pytest.raises(UnsafeOutputError) as err:
        sync_generated(docs, {"../outside.md": b"x"})
    assert str(err.value) == (f"生成的文件 '../outside.md' 会写到 {docs} 之外，已停止生成；"
                              "请检查 cases/_vocab/ 中的 slug 和 id")
    assert not (tmp_path / "outside.md").exists()


def test_overview_links_are_built_from_slugs_only():
    with pytest.raises(UnsafeOutputError, match="'catalogs/themes/javascript:alert\\(1\\).md'"):
        overview(with_theme_slug("javascript:alert(1)"))


def test_pdf_volume_names_are_plain_file_names(tmp_path):
    with pytest.raises(UnsafeOutputError) as err:
        pdf_module.write_volumes(with_theme_slug("../../evil"), tmp_path / "out", ROOT / "overrides" / "print",
                                 {"theme-../../evil"})
    assert str(err.value) == ("生成的文件名 'theme-../../evil.pdf' 含有编号和 slug 以外的字符（只允许小写英文字母、数字、"
                              "连字符和点），已停止生成；请检查 cases/_vocab/ 中的 slug 和 id")
    assert list(tmp_path.rglob("*.pdf")) == []


# -- source addresses ----------------------------------------------------------------------
@pytest.mark.parametrize("url, markdown", [
    ("https://www.acftu.org/a_b?x=1&y=2",
     '<a href="https://www.acftu.org/a_b?x=1&amp;y=2">https://www\\.acftu\\.org/a\\_b?x=1&amp;y=2</a>'),
    ('https://example.org/"><script>alert(1)</script>',
     '<a href="https://example.org/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">'
     'https://example\\.org/"&gt;&lt;script&gt;alert\\(1\\)&lt;/script&gt;</a>'),
    ("javascript://%0aalert(1)", "javascript://%0aalert\\(1\\)"),
    ("JavaScript:alert(1)", "JavaScript:alert\\(1\\)"),
    ("data:text/html,<script>", "data:text/html,&lt;script&gt;"),
    (" https://example.org", "https://example\\.org"),   # not an address as written: text
    ("https://exa mple.org", "https://exa mple\\.org"),
    ("https:///x", "https:///x"),
])
def test_source_urls_link_only_when_http(url, markdown):
    assert web_link(url) == markdown


def test_source_url_on_the_built_catalog_page(payload_site):
    page = (payload_site / "catalogs" / "sources" / "payload-source" / "index.html").read_text(encoding="utf-8")
    assert ('<li><strong>网址</strong>：<a href="https://example.org/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">'
            'https://example.org/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</a></li>') in page
    page = (payload_site / "catalogs" / "sources" / "payload-js-url" / "index.html").read_text(encoding="utf-8")
    assert "<li><strong>网址</strong>：javascript://%0aalert(1)</li>" in page


# -- text ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, nested", [
    ("打通服务职工“最后一公里”", "打通服务职工‘最后一公里’"),
    ("坚持“数”“质”并重", "坚持‘数’‘质’并重"),
    ("关键词④ “互联网+”工会", "关键词④ ‘互联网+’工会"),
    ("“甲‘乙’丙”", "‘甲“乙”丙’"),
    ("没有引号", "没有引号"),
])
def test_nest_quotes(text, nested):
    assert nest_quotes(text) == nested


def test_nested_quotes_on_the_case_page(payload_site):
    page = (payload_site / "cases" / "2024-payload-one" / "index.html").read_text(encoding="utf-8")
    assert ("“打通服务职工‘最后一公里’&lt;script&gt;window.__pwned=1&lt;/script&gt;”部分"
            in page)


def test_real_case_with_a_quoted_section_nests_its_quotes(site):
    page = (site / "cases" / "2013-henan-grassroots-union-quality" / "index.html").read_text(encoding="utf-8")
    assert "“河南省总工会（张大卫）：坚持‘数’‘质’并重 促进基层工会又好又快发展”部分整理" in page


def test_control_and_bidi_characters_are_dropped():
    assert inert(f"a{RLO}b\u2066c\u2069d\x02wzxhzdk:0\x03e\x00\x7f\x85") == "abcdwzxhzdk:0e"
    assert md_escape(f"标题{RLO}") == "标题"
    assert inert("第一行\n第二行\t\r") == "第一行\n第二行\t\r"  # whitespace is the templates' business


def test_payload_pages_hold_no_bidi_override_and_no_raw_payload(payload_site):
    offenders = []
    for page in payload_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        offenders += [(page.relative_to(payload_site).as_posix(), bad) for bad in
                      (RLO, "<script>alert", "<img src=x", "<svg onload", 'href="javascript') if bad in text]
    assert offenders == []


def test_description_and_open_graph_tags_hold_the_record_text_escaped(payload_site):
    """The summary and title of a hostile record in <meta> content: escaped once, no quote
    left to end the attribute, the record's text (bidi override dropped) when unescaped."""
    case = payload_case("2024-payload-one", "payload-source")
    page = (payload_site / "cases" / case.id / "index.html").read_text(encoding="utf-8")
    tags = dict(re.findall(r'<meta (?:name|property)="(description|og:[a-z_]+)" content="([^"<>]*)">', page))
    assert tags["description"] == tags["og:description"] == html.escape(inert(case.summary))
    assert html.unescape(tags["og:description"]) == case.summary.replace(RLO, "")
    assert tags["og:title"] == html.escape(inert(case.title))
    assert tags["og:type"] == "article"


def test_catalog_lines_are_escaped_for_html_not_markdown(payload_site):
    """The organisation under each case of a catalog is raw HTML: no Markdown backslashes."""
    page = (payload_site / "catalogs" / "themes" / "payload-theme" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<p class="case-line">(.*?)</p>', page) == ["&quot;&gt;&lt;svg onload=alert(1)&gt;总工会 · 2024"] * 2


# -- the CSV -------------------------------------------------------------------------------
@pytest.mark.parametrize("cell, written", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("云南省总工会", "云南省总工会"), ("a=b", "a=b"), (2024, "2024"), ("", ""),
])
def test_csv_cell(cell, written):
    assert csv_cell(cell) == written


def test_csv_of_a_record_that_starts_a_formula():
    case = payload_case("2024-formula", LIBRARY.vocab.sources[0].id, title="=cmd|' /C calc'!A0",
                        summary="@SUM(1+1)", tags=["-2+3"], region={"province": "云南省"}, level="省级",
                        themes=[LIBRARY.vocab.themes[0].name])
    rows = list(csv.DictReader(io.StringIO(cases_csv(build_library([case], LIBRARY.vocab)))))
    assert (rows[0]["title"], rows[0]["summary"], rows[0]["tags"]) == ("'=cmd|' /C calc'!A0", "'@SUM(1+1)", "'-2+3")


def test_the_about_page_explains_the_quote_mark():
    about = (ROOT / "docs" / "about.md").read_text(encoding="utf-8")
    assert "CSV 中以 =、+、-、@、制表符或回车开头的单元格前加了一个英文单引号（'）" in about


# -- the PDF ---------------------------------------------------------------------------------
def test_pdf_of_hostile_records(tmp_path):
    if pdf_module.missing_fonts():
        pytest.fail("需要 fonts-noto-cjk（.ci/run 会安装）")
    [path] = pdf_module.write_volumes(payload_library(), tmp_path, ROOT / "overrides" / "print",
                                      {"source-payload-source"})
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", f"“打通服务职工‘最后一公里’{SCRIPT}”部分") in flat
    assert RLO not in text
