"""A library of hostile records and vocabularies, for the output-safety tests.

The records pass the record model (whose limits and patterns already keep markup out of
units, dates and short titles); the vocabulary entries are made with `model_construct`,
which skips validation, so that the site is built from them even once the vocabulary
validator refuses some (a `javascript:` address, a source URL with HTML in it): the
outputs must stay inert whatever the input side lets through.
"""
from __future__ import annotations

from dataclasses import replace

from conftest import ROOT

from scripts.casebook.library import Library, build_library, load_library
from scripts.casebook.model import Case
from scripts.casebook.vocab import Level, Region, SearchTerm, Source, Theme

SCRIPT = "<script>window.__pwned=1</script>"
IMG = "<img src=x onerror=alert(1)>"
SVG = '"><svg onload=alert(1)>'
MD_LINK = "[x](javascript:alert(1))"
ATTR_LIST = "{: onclick=alert(1) }"
RLO = "\u202e"
PAYLOADS = (SCRIPT, IMG, SVG, MD_LINK, ATTR_LIST, RLO)
ALL = " ".join(PAYLOADS)

THEME = Theme.model_construct(name=f"载荷领域{IMG}", slug="payload-theme", description=f"{MD_LINK}{ATTR_LIST}",
                              note=None)
LEVEL = Level.model_construct(name=f"载荷层级{SVG}", slug="payload-level", description=SCRIPT)
REGION = Region.model_construct(name=f"载荷省{SCRIPT}", short=f"载{IMG}", slug="payload-region", tile=[8, 0])
SOURCE_HTML_URL = Source.model_construct(
    id="payload-source", title=f"载荷来源{SCRIPT}", subtitle=IMG, description=f"{MD_LINK} {ATTR_LIST}",
    event=SVG, publisher=f"{RLO}出版者", authors=[IMG, SCRIPT], date=SVG, date_note=MD_LINK,
    url='https://example.org/"><script>alert(1)</script>', text_file=None)
SOURCE_JS_URL = Source.model_construct(
    id="payload-js-url", title="载荷来源二", subtitle=None, description="", event=None, publisher=None,
    authors=[], date=None, date_note=None, url="javascript://%0aalert(1)", text_file=None)
TERM = SearchTerm.model_construct(term=f"载荷{SCRIPT}", also=[IMG])


def payload_case(case_id: str, source: str, **changes) -> Case:
    record = {
        "id": case_id,
        "title": f"载荷案例{SCRIPT}",
        "organization": f"{SVG}总工会",
        "region": {"province": REGION.name, "city": f"{IMG}市", "district": f"{RLO}区"},
        "level": LEVEL.name,
        "themes": [THEME.name],
        "tags": [IMG, SCRIPT, MD_LINK],
        "year": 2024,
        "summary": f"摘要 {ALL}",
        "problem": f"问题 {ALL}",
        "measures": [{"title": f"做法 {ATTR_LIST}", "detail": f"内容 {ALL}"},
                     {"title": f"做法 {IMG}", "detail": f"{SCRIPT}{MD_LINK}"}],
        "lessons": f"启示 {ALL}",
        "metrics": [{"label": f"指标{SCRIPT}", "value": 7800000, "unit": "<i>人", "approx": None,
                     "as_of": "2024", "quote": f"会员780万人{SCRIPT}"},
                    # a unit of the vocabulary: this one is listed in the figure table of its family
                    {"label": f"指标二{IMG}", "value": 7800000, "unit": "人", "approx": None,
                     "as_of": "2024", "quote": f"会员780万人{IMG}{RLO}"}],
        "source": {"publication": source, "section": f"打通服务职工“最后一公里”{SCRIPT}"},
    }
    record.update(changes)
    return Case.model_validate(record)


def payload_library() -> Library:
    """Two hostile cases (one per hostile source), the real cases beside them."""
    real, _ = load_library(ROOT)
    vocab = replace(real.vocab, themes=[*real.vocab.themes, THEME], levels=[*real.vocab.levels, LEVEL],
                    regions=[*real.vocab.regions, REGION],
                    sources=[*real.vocab.sources, SOURCE_HTML_URL, SOURCE_JS_URL],
                    search_terms=[*real.vocab.search_terms, TERM])
    cases = [payload_case("2024-payload-one", SOURCE_HTML_URL.id),
             payload_case("2024-payload-two", SOURCE_JS_URL.id, title=f"载荷案例二{MD_LINK}{RLO}")]
    return build_library(real.cases + cases, vocab)
