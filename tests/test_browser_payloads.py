"""Hostile records and vocabularies (tests/payloads.py) in a real browser: every page that
shows them is visited in headless Chromium and must stay inert — no dialog, no script-set
title or flag, no event-handler attribute, no `javascript:` link, no request off the local
server, no bidi override in the text."""
from __future__ import annotations

import html
import re
from urllib.parse import quote

import pytest
from conftest import recording_page, served
from payloads import SOURCE_HTML_URL, SOURCE_JS_URL, THEME


PAGES = [
    "",
    "cases/2024-payload-one/",
    "cases/2024-payload-two/",
    "catalogs/themes/",
    "catalogs/themes/payload-theme/",
    "catalogs/levels/payload-level/",
    "catalogs/provinces/",
    "catalogs/provinces/payload-region/",
    "catalogs/sources/",
    "catalogs/sources/payload-source/",
    "catalogs/sources/payload-js-url/",
    "overview/",
    "downloads/",
    "finder/",
    f"finder/?theme={quote(THEME.name)}",
    "data/",
    "data/citing/",
    "data/figures/",
    "data/figures/people/",
    "data/figures/people/?case=2024-payload-one",
    f"data/figures/people/?theme={quote(THEME.name)}",
]

# Every attribute that runs script or names a script URL, found anywhere in the document.
OFFENDERS = """() => {
  const bad = []
  for (const el of document.querySelectorAll("*"))
    for (const a of el.attributes) {
      const name = a.name.toLowerCase()
      const value = a.value.replace(/[\\s\\u0000-\\u001f]/g, "").toLowerCase()
      if (name.startsWith("on")) bad.push(`${el.tagName} ${name}`)
      if (/(^|:)(href|src|action|formaction|data)$/.test(name) && value.startsWith("javascript:"))
        bad.push(`${el.tagName} ${name}=${a.value}`)
    }
  return bad
}"""


@pytest.fixture(scope="module")
def payload_url(payload_site):
    with served(payload_site) as url:
        yield url


@pytest.fixture
def watched(browser):
    """A page that records dialogs and requests."""
    with recording_page(browser) as page:
        page.dialogs = []
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        yield page


def served_title(site, path: str) -> str:
    """The <title> the built file carries (what document.title is unless a script changes it)."""
    text = (site / path.split("?")[0] / "index.html").read_text(encoding="utf-8")
    return html.unescape(re.search(r"<title>([^<]*)</title>", text).group(1))


def assert_inert(page, base_url):
    assert page.dialogs == []
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate(OFFENDERS) == []
    assert "\u202e" not in page.evaluate("() => document.title + document.body.innerText")
    assert [u for u in page.requests if not u.startswith(base_url + "/") and not u.startswith("data:")] == []
    assert [u for u in page.requests if u.split("?")[0].endswith("/x")] == []  # <img src=x>


@pytest.mark.parametrize("path", PAGES)
def test_payload_pages_stay_inert(watched, payload_url, payload_site, path):
    watched.goto(f"{payload_url}/{path}", wait_until="load")
    if path.startswith("finder/"):
        watched.wait_for_selector(".finder-results li")
    if path.startswith("data/figures/people/"):
        watched.wait_for_selector("#figures tbody tr")
    watched.wait_for_timeout(200)  # let any handler that slipped through fire
    assert watched.evaluate("() => document.title") == served_title(payload_site, path)
    assert_inert(watched, payload_url)


def test_payload_case_page_shows_the_payloads_as_text(watched, payload_url):
    watched.goto(f"{payload_url}/cases/2024-payload-one/")
    heading = watched.inner_text("h1")
    assert heading == "载荷案例<script>window.__pwned=1</script>"
    cite = watched.inner_text("#来源与引用 + p")
    assert "“打通服务职工‘最后一公里’<script>" in cite


def test_payload_figures_show_as_text(watched, payload_url):
    watched.goto(f"{payload_url}/data/figures/people/?case=2024-payload-one")
    watched.wait_for_selector("#figures tbody tr")
    cells = watched.eval_on_selector_all("#figures tbody tr td", "tds => tds.map(td => td.innerText)")
    assert cells == ["载荷案例<script>window.__pwned=1</script>", "指标二<img src=x onerror=alert(1)>", "780万人",
                     "2024", "会员780万人<img src=x onerror=alert(1)>"]
    assert_inert(watched, payload_url)


def test_payload_source_urls(watched, payload_url):
    watched.goto(f"{payload_url}/catalogs/sources/payload-source/")
    links = watched.eval_on_selector_all(".source-meta a", "els => els.map(e => e.getAttribute('href'))")
    assert links == [SOURCE_HTML_URL.url]  # one link, its address intact and inert
    watched.goto(f"{payload_url}/catalogs/sources/payload-js-url/")
    assert watched.eval_on_selector_all(".source-meta a", "els => els.length") == 0
    assert SOURCE_JS_URL.url in watched.inner_text(".source-meta")
    assert_inert(watched, payload_url)


def test_payload_header_search_results_stay_inert(watched, payload_url):
    watched.goto(f"{payload_url}/")
    watched.fill("input.md-search__input", "载荷案例")
    watched.press("input.md-search__input", "End")  # Material reads the query on keyup
    watched.wait_for_selector("li.md-search-result__item > a", timeout=15_000)
    found = watched.eval_on_selector_all("li.md-search-result__item > a", "els => els.map(e => e.getAttribute('href'))")
    assert any("cases/2024-payload-one/" in href for href in found)
    watched.wait_for_timeout(200)
    assert_inert(watched, payload_url)
