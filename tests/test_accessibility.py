"""The built site checked by the tools the web uses (issue 14), on every page type: axe-core
(npm, pinned) in Debian's Chromium in the light and the dark scheme, the Nu Html Checker
(npm vnu-jar, pinned, run with Java), layout shift on the case finder, every internal link
and fragment, sideways scrolling on a 375 px phone, the sitemap and Open Graph tags, and the
404 page under a sub-path (a GitHub project page)."""
from __future__ import annotations

import functools
import html
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest
from conftest import ROOT

from scripts.casebook.library import load_library
from scripts.casebook.material import PATCHES, patched
from scripts.casebook.build import index_site
from scripts.casebook.siteurl import site_url

LIBRARY, _ = load_library(ROOT)
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SITE_URL = site_url()  # what the session's site was built with

DATED = next(c for c in LIBRARY.cases if any(m.as_of for m in c.metrics))
UNDATED = next(c for c in LIBRARY.cases if c.metrics and not any(m.as_of for m in c.metrics))
THEME = next(c for c in LIBRARY.catalogs["themes"] if c.cases)
# one page of every kind the site has, as a path under the site's root
PAGE_TYPES = {
    "home": "",
    "finder": "finder/",
    "overview": "overview/",
    "case": f"cases/{DATED.id}/",
    "catalog index": "catalogs/themes/",
    "catalog leaf": THEME.path.removesuffix(".md") + "/",
    "downloads": "downloads/",
    "about": "about/",
    "404": "404.html",
}


def open_page(browser, url: str, width: int = 1280, scheme: str = "light"):
    """A page at `url`, loaded as a reader sees it: the finder's results drawn, the scheme
    Material picks from the reader's system setting applied."""
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page.goto(url)  # until the load event: stylesheets and Material's bundle are in
    if "/finder/" in url:
        page.wait_for_selector(".finder-results li")
    wanted = "slate" if scheme == "dark" else "default"
    page.wait_for_function(f"document.body.dataset.mdColorScheme === '{wanted}'")
    return page


# -- axe-core ----------------------------------------------------------------------------------
def search_open(page):
    """The header search with results shown (Material's dialog, the library's worker)."""
    page.fill("input.md-search__input", "枫桥")
    page.press("input.md-search__input", "End")
    page.wait_for_selector("li.md-search-result__item > a")


STATES = [(name, path, None) for name, path in PAGE_TYPES.items()] + [
    ("finder, filtered", f"finder/?theme={quote(THEME.name)}&year={LIBRARY.cases[0].year}", None),
    ("search results", "", search_open),
]


# The dark scheme changes colours only: there, the rules about colour are enough.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name, path, action", STATES, ids=[s[0] for s in STATES])
def test_axe_finds_no_serious_or_critical_violation(browser, base_url, name, path, action, scheme):
    page = open_page(browser, f"{base_url}/{path}", scheme=scheme)
    if action:
        action(page)
    page.add_script_tag(path=str(AXE))
    options = {"resultTypes": ["violations"]} | ({"runOnly": COLOUR_RULES} if scheme == "dark" else {})
    result = page.evaluate("options => axe.run(document, options)", options)
    page.close()
    found = [f"{v['impact']} {v['id']}: {v['help']} — {len(v['nodes'])}×, e.g. {v['nodes'][0]['target']}: "
             f"{v['nodes'][0]['failureSummary']}"
             for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert found == []


def test_axe_sees_the_violations_the_site_had(browser, base_url):
    """The same run on a page given the old faults: Material's red palette and an unnamed
    <select> are found, so a clean result above means something."""
    page = open_page(browser, f"{base_url}/finder/")
    page.evaluate("""() => {
      document.body.dataset.mdColorPrimary = 'red'
      document.querySelector('.finder-sort').removeAttribute('aria-label')
    }""")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {runOnly: ['color-contrast', 'select-name']})")
    page.close()
    assert sorted((v["id"], v["impact"]) for v in result["violations"]) == [
        ("color-contrast", "serious"), ("select-name", "critical")]


# -- the Nu Html Checker -------------------------------------------------------------------
def java() -> str:
    found = shutil.which("java")
    if not found:
        pytest.fail("需要 Java 运行 Nu Html Checker（vnu-jar）：scripts/system-packages.sh 会安装 default-jre-headless")
    return found


def test_every_page_is_valid_html_and_the_stylesheet_valid_css(site, tmp_path):
    """vnu on every built page (every page type, every case and catalog) and on extra.css, in
    one run with a page holding Material's checkbox markup (which the base.html override
    removes), so that the run is seen to report errors."""
    pages = sorted(site.rglob("*.html"))
    assert {p.relative_to(site).as_posix().removesuffix("index.html") for p in pages} >= set(PAGE_TYPES.values())
    material = tmp_path / "material-checkbox.html"
    material.write_text('<!doctype html><html lang="zh"><title>x</title>'
                        '<input type="checkbox" id="__drawer" autocomplete="off">', encoding="utf-8")
    run = subprocess.run([java(), "-jar", str(VNU), "--errors-only", "--also-check-css", "--format", "json",
                          *map(str, pages), str(site / "stylesheets" / "extra.css"), str(material)],
                         capture_output=True, text=True)
    messages = json.loads(run.stderr)["messages"]
    errors = [f"{urlsplit(m['url']).path.removeprefix(str(site))}:{m.get('lastLine')}: {m['message']}"
              for m in messages if not m["url"].endswith(material.name)]
    assert errors == []
    assert [m["message"].split(" is only")[0] for m in messages if m["url"].endswith(material.name)] == [
        "Attribute “autocomplete”"]


@pytest.mark.parametrize("name", PATCHES)
def test_material_overrides_are_materials_templates_with_our_patches_only(name):
    """overrides/ holds Material's file with the patch of scripts/casebook/material.py; after a
    Material upgrade, `python -m scripts.casebook.material` rewrites them."""
    assert (ROOT / "overrides" / name).read_text(encoding="utf-8") == patched(name)


# -- layout shift on the finder ------------------------------------------------------------
LAYOUT_SHIFTS = """window.casebookShifts = []
new PerformanceObserver(list => {
  for (const e of list.getEntries()) if (!e.hadRecentInput) window.casebookShifts.push(e.value)
}).observe({type: "layout-shift", buffered: true})"""


@pytest.mark.parametrize("width", [1350, 375])
@pytest.mark.parametrize("query", ["", f"?theme={quote(THEME.name)}"])
def test_finder_layout_shift_stays_under_a_tenth(browser, base_url, width, query):
    """Cumulative layout shift (Chromium's layout-shift entries) from navigation until the
    finder has drawn its results, as Lighthouse counts it, on a desktop and a phone."""
    page = browser.new_page(viewport={"width": width, "height": 940})
    page.add_init_script(LAYOUT_SHIFTS)
    page.goto(f"{base_url}/finder/{query}")
    page.wait_for_selector(".finder-results li")
    page.wait_for_load_state("networkidle")
    page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    shifts = page.evaluate("window.casebookShifts")
    page.close()
    assert sum(shifts) < 0.1


def test_finder_layout_shift_is_measured(browser, base_url):
    """Without the reserved space, the footer's jump is counted (the measurement can fail)."""
    page = browser.new_page(viewport={"width": 1350, "height": 940})
    page.add_init_script(LAYOUT_SHIFTS)
    page.route("**/stylesheets/extra.css", lambda route: route.fulfill(
        body=(ROOT / "docs" / "stylesheets" / "extra.css").read_text(encoding="utf-8")
        .replace(".finder { min-height: 100vh; }", ""), content_type="text/css"))
    page.goto(f"{base_url}/finder/")
    page.wait_for_selector(".finder-results li")
    page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    shifts = page.evaluate("window.casebookShifts")
    page.close()
    assert sum(shifts) > 0


# -- phones ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name, path", PAGE_TYPES.items(), ids=list(PAGE_TYPES))
def test_no_page_scrolls_sideways_on_a_375_px_phone(browser, base_url, tmp_path, name, path):
    page = open_page(browser, f"{base_url}/{path}", width=375)
    shot = tmp_path / f"{name.replace(' ', '-')}-375.png"
    page.screenshot(path=str(shot), full_page=True)
    widths = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    page.close()
    assert widths[0] <= widths[1], f"{name} 在 375 px 宽的手机上可以左右滚动（截图：{shot}）"


def test_overview_text_stays_at_least_12_px_on_a_phone(browser, base_url):
    page = open_page(browser, f"{base_url}/overview/", width=375)
    sizes = page.eval_on_selector_all(
        ".overview-map span, .overview-bars span",
        "els => els.filter(e => e.textContent.trim()).map(e => parseFloat(getComputedStyle(e).fontSize))")
    inside = page.eval_on_selector_all(
        ".overview-map li, .overview-bars a", "els => els.every(e => e.getBoundingClientRect().right <= innerWidth)")
    page.close()
    assert len(sizes) > 3 * len(LIBRARY.catalogs["themes"]) and min(sizes) >= 12
    assert inside


def test_case_metrics_fit_a_phone_and_have_no_empty_column(browser, base_url):
    page = open_page(browser, f"{base_url}/cases/{DATED.id}/", width=375)
    quotes = page.eval_on_selector_all(".case-metrics td[data-label=原文]", """els => els.map(e => {
        const r = e.getBoundingClientRect(); return [e.textContent, r.left >= 0 && r.right <= innerWidth] })""")
    page.close()
    assert quotes == [[m.quote, True] for m in DATED.metrics]


def test_the_time_column_only_when_a_metric_has_a_date(site):
    def headers(case):
        text = (site / "cases" / case.id / "index.html").read_text(encoding="utf-8")
        return re.findall(r"<th>(.*?)</th>", text.split('<div class="case-metrics">')[1].split("</table>")[0])
    assert headers(DATED) == ["指标", "数值", "时间", "原文"]
    assert headers(UNDATED) == ["指标", "数值", "原文"]


def test_home_counts_stay_in_one_row_on_a_phone(browser, base_url):
    page = open_page(browser, f"{base_url}/", width=375)
    tiles = page.eval_on_selector_all(".home-counts li", """els => els.map(e => {
        const r = e.getBoundingClientRect(); return [Math.round(r.top), Math.round(r.height), r.right <= innerWidth] })""")
    page.close()
    assert len(tiles) == 5
    assert len({(top, height, inside) for top, height, inside in tiles}) == 1 and tiles[0][2]


# -- links -------------------------------------------------------------------------------------
class _Page(HTMLParser):
    """The ids of a page and the addresses it links to or loads."""
    LINKING = {("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"), ("source", "src"),
               ("iframe", "src"), ("form", "action")}

    def __init__(self, text: str):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        for attr, value in attrs:
            if attr == "id" or (tag == "a" and attr == "name"):
                self.ids.add(value)
            if (tag, attr) in self.LINKING and value is not None:
                self.links.append(value)


def broken_links(site: Path, site_url: str) -> tuple[list[str], int, int]:
    """Every internal href/src of every page that names no file of the site, or an id its
    page lacks; returns (broken, links checked, of which PDF links). Addresses under
    site_url (canonical, Open Graph) are internal; other hosts, data: and mailto: are not checked.
    PDF volumes come from `make pdf`; pages link only volumes that were built (volumes.py)."""
    pages = {p: _Page(p.read_text(encoding="utf-8")) for p in site.rglob("*.html")}
    broken, checked, pdfs = [], 0, 0
    for path, parsed in pages.items():
        rel = path.relative_to(site).as_posix()
        page_url = urljoin(site_url, rel.removesuffix("index.html"))
        for link in parsed.links:
            url = urljoin(page_url, link)
            parts = urlsplit(url)
            if not url.startswith(site_url):
                if parts.scheme == "data" or (parts.scheme in ("http", "https", "mailto")
                                              and parts.netloc != urlsplit(site_url).netloc):
                    continue
                broken.append(f"{rel}: {link}（不在本站）")
                continue
            target = site / unquote(parts.path.removeprefix(urlsplit(site_url).path))
            if target.is_dir():
                target = target / "index.html"
            pdfs += target.suffix == ".pdf"
            checked += 1
            if not target.is_file():
                broken.append(f"{rel}: {link}")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in pages[target].ids:
                broken.append(f"{rel}: {link}（页面中没有这个锚点）")
    return broken, checked, pdfs


def test_every_internal_link_of_the_site_resolves(site):
    broken, checked, pdfs = broken_links(site, SITE_URL)
    assert broken == []
    assert checked > 100 * len(LIBRARY.cases)
    # `make build` builds no PDF volume, so the pages link none (they are marked 尚未生成; `make pdf`
    # links them, and test_pdf.py checks those links resolve)
    assert pdfs == 0 and not any(site.glob("downloads/*.pdf"))
    assert "尚未生成" in (site / "downloads" / "index.html").read_text(encoding="utf-8")


def test_the_link_check_finds_a_broken_link_and_a_missing_anchor(site, tmp_path):
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    shutil.rmtree(copy / "catalogs" / "themes" / THEME.path.removesuffix(".md").split("/")[-1])
    about = copy / "about" / "index.html"
    about.write_text(about.read_text(encoding="utf-8").replace("</article>", '<a href="../#nowhere">x</a></article>'),
                     encoding="utf-8")
    broken, _, _ = broken_links(copy, SITE_URL)
    assert "about/index.html: ../#nowhere（页面中没有这个锚点）" in broken
    assert f"catalogs/themes/index.html: {THEME.path.removesuffix('.md').split('/')[-1]}/" in broken


# -- search engines, sharing, hosting ------------------------------------------------------
def test_sitemap_lists_every_page_under_site_url(site):
    """Every page MkDocs built (those Material marks as its own; not the web editor's shell)."""
    locations = re.findall(r"<loc>(.*?)</loc>", (site / "sitemap.xml").read_text(encoding="utf-8"))
    pages = {p.relative_to(site).as_posix().removesuffix("index.html") for p in site.rglob("index.html")
             if '<meta name="generator" content="mkdocs-' in p.read_text(encoding="utf-8")}
    assert sorted(locations) == sorted(SITE_URL + p for p in pages)
    assert len(locations) == len(set(locations)) > len(LIBRARY.cases)


def meta(page: str) -> dict[str, str]:
    return dict(re.findall(r'<meta (?:name|property)="([a-z:_]+)" content="([^"]*)">', page))


def test_case_pages_describe_themselves_for_sharing(site):
    for case in LIBRARY.cases:
        tags = meta((site / "cases" / case.id / "index.html").read_text(encoding="utf-8"))
        assert tags["description"] == tags["og:description"] == html.escape(case.summary)
        assert tags["og:title"] == html.escape(case.title)
        assert (tags["og:type"], tags["og:url"]) == ("article", f"{SITE_URL}cases/{case.id}/")
        assert (tags["og:site_name"], tags["og:locale"]) == ("工会改革创新案例库", "zh_CN")
    home = meta((site / "index.html").read_text(encoding="utf-8"))
    assert (home["og:title"], home["og:type"], home["og:url"]) == ("工会改革创新案例库", "website", SITE_URL)
    about = meta((site / "about" / "index.html").read_text(encoding="utf-8"))
    assert about["og:title"] == "关于本库"


def test_site_url_is_one_setting(monkeypatch):
    monkeypatch.delenv("CASEBOOK_SITE_URL", raising=False)
    assert site_url() == "http://127.0.0.1:8000/"  # make serve's address, for local builds
    monkeypatch.setenv("CASEBOOK_SITE_URL", "https://example.github.io/casebook")
    assert site_url() == "https://example.github.io/casebook/"


class _NotFoundHandler(SimpleHTTPRequestHandler):
    """A static host's behaviour: any missing address gets the site's 404.html, status 404."""
    def log_message(self, *args):
        pass

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "casebook" / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_404_page_works_under_a_sub_path(browser, site, tmp_path):
    """Published as a GitHub project page (https://<owner>.github.io/casebook/): the 404 page,
    served for a missing address at any depth, loads its stylesheets and scripts and links home."""
    work = site.parent  # the session build's project folder: mkdocs.yml and the generated docs
    env = {**os.environ, "CASEBOOK_SITE_URL": "https://example.org/casebook/"}
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(work / "mkdocs.yml"),
                          "-d", str(tmp_path / "root" / "casebook")], capture_output=True, text=True, cwd=work, env=env)
    assert run.returncode == 0, run.stderr
    index_site(LIBRARY, work, tmp_path / "root" / "casebook" / "search")  # as `make build` installs it
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_NotFoundHandler, directory=str(tmp_path / "root")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = browser.new_page()
    failed = []
    page.on("response", lambda r: r.status >= 400 and r.request.resource_type != "document" and failed.append(r.url))
    try:
        response = page.goto(f"http://127.0.0.1:{server.server_port}/casebook/no/such/page/")
        page.wait_for_load_state("networkidle")
        assert response.status == 404
        assert page.inner_text("h1") == "页面不存在"
        assert failed == []
        header = page.eval_on_selector(".md-header", "e => getComputedStyle(e).backgroundColor")
        assert header == "rgb(200, 22, 29)"  # extra.css's union red: the stylesheets loaded
        assert page.evaluate("typeof document$ === 'object'")  # Material's bundle ran
        page.click("article a >> text=首页")
        page.wait_for_load_state()
        assert urlsplit(page.url).path == "/casebook/"
    finally:
        page.close()
        server.shutdown()
