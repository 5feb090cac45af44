"""The real pages in headless Chromium (Debian's package), driven by Playwright:
the header search and the case finder, as a reader uses them."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from conftest import ROOT, recording_page

from scripts.casebook.library import load_library
from scripts.casebook.search import SiteSearch

LIBRARY, _ = load_library(ROOT)


@pytest.fixture
def page(browser):
    with recording_page(browser) as page:
        yield page


def header_search(page, base_url, query) -> list[str]:
    page.goto(f"{base_url}/")
    page.fill("input.md-search__input", query)
    page.press("input.md-search__input", "End")  # Material reads the query on keyup
    page.wait_for_selector("li.md-search-result__item > a", timeout=15_000)
    return page.eval_on_selector_all("li.md-search-result__item > a", "els => els.map(e => e.getAttribute('href'))")


@pytest.mark.parametrize("query, expected", [
    ("社会化工会工作者", "2024-xinjiang-social-union-workers"),
    ("滇中引水", "2024-yunnan-dianzhong-water-contest"),
    ("深圳", "2017-guangdong-shenzhen-labour-disputes"),
    ("外卖骑手", "2024-guangdong-guangzhou-bargaining-data"),
])
def test_header_search_brings_the_case_first(page, base_url, query, expected):
    links = header_search(page, base_url, query)
    assert f"cases/{expected}/" in links[0]


def search_files(requests: list[str], base_url: str) -> list[str]:
    """The files under search/ a page requested, in order."""
    prefix = f"{base_url}/search/"
    return [u.removeprefix(prefix) for u in requests if u.startswith(prefix)]


def test_header_search_fetches_only_the_shards_and_pages_its_query_needs(page, base_url, site):
    """On page load only the manifest; after typing, the converter's files, the shards the
    query names and the pages of the results listed — the files the Python replay reads
    for the same query — and nothing from outside the site."""
    page.goto(f"{base_url}/cases/2016-national-workers-bookhouses/")
    page.wait_for_load_state("networkidle")
    on_load = search_files(page.requests, base_url)
    assert sorted(on_load) == ["manifest.json", "search_index.json"]  # the prefixes; Material's configuration
    assert json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"] == []
    before = len(page.requests)
    page.fill("input.md-search__input", "滇中引水")
    page.press("input.md-search__input", "End")  # Material reads the query on keyup
    page.wait_for_selector("li.md-search-result__item > a", timeout=15_000)
    page.wait_for_load_state("networkidle")
    links = page.eval_on_selector_all("li.md-search-result__item > a", "els => els.map(e => e.getAttribute('href'))")
    assert "cases/2024-yunnan-dianzhong-water-contest/" in links[0]
    fetched = search_files(page.requests[before:], base_url)
    replay = SiteSearch.from_site(site)
    found = replay.search("滇中引水")
    assert sorted(set(fetched)) == sorted(replay.fetched)
    shards = [f for f in fetched if f.startswith("shards/")]
    assert 1 <= len(shards) <= 3
    assert len(list((site / "search" / "shards").glob("*.json"))) > 100 * len(shards)
    assert len([f for f in fetched if f.startswith("pages/")]) == len(found) == len(links)
    assert [u for u in page.requests if not u.startswith(base_url) and not u.startswith("data:")] == []


def test_header_search_finds_a_traditional_query(page, base_url):
    links = header_search(page, base_url, "楓橋")
    assert "cases/2024-fujian-longyan-station-fengqiao/" in links[0]
    assert links == header_search(page, base_url, "枫桥")


def test_finder_filters_counts_and_url(page, base_url):
    theme = "女职工工作"
    page.goto(f"{base_url}/finder/?theme={quote(theme)}")
    page.wait_for_selector(".finder-results li")
    expected = [c for c in LIBRARY.cases if theme in c.themes]
    assert page.inner_text(".finder-total") == f"共 {len(expected)} 个案例"
    year = str(expected[0].year)
    page.check(f"input[data-facet=year][data-value='{year}']")
    wanted = [c for c in expected if str(c.year) == year]
    assert page.inner_text(".finder-total") == f"共 {len(wanted)} 个案例"
    assert f"year={year}" in page.url
    # the count beside each year is what that year would give with the other filters
    other_years = {str(c.year) for c in expected} - {year}
    for y in other_years:
        count = page.inner_text(f"input[data-facet=year][data-value='{y}'] + .finder-count")
        assert count == str(sum(str(c.year) == y for c in expected))


def test_finder_text_is_an_exact_substring_match(page, base_url):
    page.goto(f"{base_url}/finder/")
    page.wait_for_selector(".finder-results li")
    assert page.inner_text(".finder-total") == f"共 {len(LIBRARY.cases)} 个案例"
    page.fill(".finder-text", "集体协商")
    wanted = [c for c in LIBRARY.cases
              if "集体协商" in "\n".join([c.title, c.organization, c.summary, *c.tags])]
    assert page.inner_text(".finder-total") == f"共 {len(wanted)} 个案例"
    titles = page.eval_on_selector_all(".finder-results li > a", "els => els.map(e => e.textContent)")
    assert sorted(titles) == sorted(c.title for c in wanted)


def test_finder_state_in_the_url_is_restored(page, base_url):
    province = "广东省"
    page.goto(f"{base_url}/finder/?province={quote(province)}&sort=region&q={quote('劳资')}")
    page.wait_for_selector(".finder-results li")
    assert page.is_checked(f"input[data-facet=province][data-value='{province}']")
    assert page.input_value(".finder-text") == "劳资"
    assert page.input_value(".finder-sort") == "region"
    wanted = [c for c in LIBRARY.cases if c.region.province == province
              and "劳资" in "\n".join([c.title, c.organization, c.summary, *c.tags])]
    assert page.inner_text(".finder-total") == f"共 {len(wanted)} 个案例"


def test_finder_folds_facets_on_a_phone(browser, base_url):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(f"{base_url}/finder/?year=2024")
    page.wait_for_selector(".finder-results li")
    open_facets = page.eval_on_selector_all("details.finder-facet", "els => els.map(e => e.open)")
    assert open_facets == [False, False, False, True, False]  # only 年份, which has a selection
    page.close()
