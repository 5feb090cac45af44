"""Citations: every case page shows a GB/T 7714-2015 citation, carries the Highwire meta tags
Zotero reads and links BibTeX, RIS and CSL-JSON files, which parse back to the record."""
from __future__ import annotations

import datetime
import html
import json
import re

import bibtexparser
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware
from conftest import ROOT
from payloads import payload_case

from scripts.casebook import citation, siteurl
from scripts.casebook.library import load_library

LIBRARY, _ = load_library(ROOT)
# the permanent address: the one setting (CASEBOOK_SITE_URL, else mkdocs.yml's default)
SITE_URL = siteurl.site_url()
DAY = datetime.date(2026, 1, 2)


def meta(page: str, name: str) -> str | None:
    found = re.search(rf'<meta name="{name}" content="([^"]*)">', page)
    return html.unescape(found.group(1)) if found else None


def test_site_url_comes_from_the_one_setting(monkeypatch):
    monkeypatch.setenv("CASEBOOK_SITE_URL", "https://example.org/casebook")
    assert citation.case_url("2024-a") == "https://example.org/casebook/cases/2024-a/"
    monkeypatch.delenv("CASEBOOK_SITE_URL")
    assert citation.case_url("2024-a") == f"{SITE_URL}cases/2024-a/"


def test_gbt7714_text_of_a_case():
    case = next(c for c in LIBRARY.cases if c.id == "2024-yunnan-dianzhong-water-contest")
    [text] = citation.gbt7714([citation.case_item(case, "2024-03-01", DAY)])
    assert text == ("云南省总工会. “1+6+N”机制统筹滇中引水工程全线劳动竞赛[EB/OL]. (2024-03-01)[2026-01-02]. "
                    f"{SITE_URL}cases/2024-yunnan-dianzhong-water-contest/.")
    [undated] = citation.gbt7714([citation.case_item(case, None, DAY)])
    assert undated.startswith("云南省总工会. “1+6+N”机制统筹滇中引水工程全线劳动竞赛[EB/OL]. [2026-01-02]. ")


def test_access_date_follows_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(datetime.datetime(2026, 1, 2, 12, tzinfo=datetime.timezone.utc).timestamp())))
    assert citation.access_date() == DAY


def test_every_case_page_has_citation_meta_and_downloads(site):
    published = {r["id"]: r for r in json.loads((site / "data" / "cases.json").read_text(encoding="utf-8"))}
    for case in LIBRARY.cases:
        page = (site / "cases" / case.id / "index.html").read_text(encoding="utf-8")
        url = f"{SITE_URL}cases/{case.id}/"
        assert meta(page, "citation_title") == case.title, case.id
        assert meta(page, "citation_author") == case.organization
        assert meta(page, "citation_public_url") == url
        date = published[case.id].get("published")
        assert meta(page, "citation_publication_date") == (date.replace("-", "/") if date else None)
        cite = re.search(r"<strong>引用本案例</strong>（GB/T 7714-2015）：(.*?)</p>", page).group(1)
        assert html.unescape(cite).startswith(f"{case.organization}. {case.title}[EB/OL]. ")
        assert html.unescape(cite).endswith(f"]. {url}.")
        links = re.findall(r'<a href="\.\./\.\./(data/cite/[^"]+)">([^<]+)</a>', page)
        assert links == [(f"data/cite/{case.id}.bib", "BibTeX"), (f"data/cite/{case.id}.ris", "RIS"),
                         (f"data/cite/{case.id}.json", "CSL-JSON")]
        assert all((site / link).is_file() for link, _ in links)


def test_bibtex_ris_and_csl_json_parse_back(site):
    for case in LIBRARY.cases:
        stem = site / "data" / "cite" / case.id
        bib = bibtexparser.parse_string(stem.with_suffix(".bib").read_text(encoding="utf-8"),
                                        append_middleware=[LatexDecodingMiddleware()])
        assert bib.failed_blocks == [] and len(bib.entries) == 1
        entry = bib.entries[0]
        assert (entry.entry_type, entry.key) == ("online", case.id)
        # the organisation is a corporate author, braced so that BibTeX does not split it
        assert re.search(r"\tauthor = \{\{(.*)\}\},", stem.with_suffix(".bib").read_text(encoding="utf-8"))
        assert entry["title"] == case.title and entry["author"] == case.organization
        assert entry["url"] == f"{SITE_URL}cases/{case.id}/"
        [ris] = rispy.loads(stem.with_suffix(".ris").read_text(encoding="utf-8"))
        assert (ris["type_of_reference"], ris["title"], ris["authors"], ris["urls"]) == (
            "ELEC", case.title, [case.organization], [f"{SITE_URL}cases/{case.id}/"])
        [item] = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
        assert (item["id"], item["type"], item["title"], item["author"], item["URL"]) == (
            case.id, "webpage", case.title, [{"literal": case.organization}], f"{SITE_URL}cases/{case.id}/")
        assert entry.fields_dict.get("date", None) is None or entry["date"] == "-".join(
            f"{p:02d}" if i else str(p) for i, p in enumerate(item["issued"]["date-parts"][0]))


def test_hostile_text_stays_inside_its_field():
    title = "载荷}\n@misc{evil, title={x}} % \\end{document} TY  - JOUR #&$_"
    case = payload_case("2024-payload-bib", LIBRARY.vocab.sources[0].id, title=title[:60],
                        organization="ER  - 总工会{")
    item = citation.case_item(case, "2024-03-01", DAY)
    bib = bibtexparser.parse_string(citation.bibtex(item), append_middleware=[LatexDecodingMiddleware()])
    assert bib.failed_blocks == [] and [e.key for e in bib.entries] == ["2024-payload-bib"]
    assert bib.entries[0]["title"] == " ".join(title[:60].split())
    [ris] = rispy.loads(citation.ris(item))
    assert ris["title"] == " ".join(title[:60].split()) and ris["authors"] == ["ER - 总工会{"]  # whitespace collapsed: one line


def test_payload_meta_tags_are_escaped(payload_site):
    page = (payload_site / "cases" / "2024-payload-one" / "index.html").read_text(encoding="utf-8")
    assert '<meta name="citation_title" content="载荷案例&lt;script&gt;window.__pwned=1&lt;/script&gt;">' in page
    assert '<meta name="citation_author" content="&quot;&gt;&lt;svg onload=alert(1)&gt;总工会">' in page


def test_the_citing_page(site):
    page = (site / "data" / "citing" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<p>工会改革创新案例库\[DS/OL\]\. (\(\d{4}-\d{2}-\d{2}\))?\[\d{4}-\d{2}-\d{2}\]\. "
                     + re.escape(SITE_URL) + r"\.</p>", page)
    assert re.findall(r'<a href="(\.\./casebook\.[a-z]+)">', page) == ["../casebook.bib", "../casebook.ris", "../casebook.json"]
    for ext in ("bib", "ris", "json"):
        assert (site / "data" / f"casebook.{ext}").is_file()
    [item] = json.loads((site / "data" / "casebook.json").read_text(encoding="utf-8"))
    assert (item["title"], item["URL"], item["type"]) == ("工会改革创新案例库", SITE_URL, "dataset")
    assert "发布日期</strong>（圆括号中）是该案例记录首次收入本库" in page
    assert "<code>china-national-standard-gb-t-7714-2015-numeric</code> 样式生成" in page
