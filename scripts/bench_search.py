"""Search benchmark (not a test): the library's sharded lunr search, stock Material search and
Pagefind on the same pages, in one run. `make bench` calls `main()` through scripts/bench.py;
alone: `python -m scripts.bench_search --cases 1000 5000 10000`.

The corpus is the real records plus realistic synthetic cases (scripts/corpus.py, text
recombined from the sentences of all records so that no two cases share their prose), so the
project's query set (tests/test_search.py QUERIES) has right answers among thousands of
cases. The pages are generated once; MkDocs builds them twice (the library's search
configuration, then Material's default), and Pagefind (PyPI `pagefind[extended]`, from
requirements-bench.txt, never shipped) indexes the stock site's HTML with default settings.

Measured in Debian's Chromium on localhost with gzip (scripts.casebook.build.serve), a fresh
browser context per query (nothing cached):
- bytes on page load: search files transferred while a case page loads and settles;
- bytes per query: search files transferred from typing to the results (median, max);
- first result after typing on a loaded page (median over the queries), and from navigation
  (median over the first NAVIGATION_QUERIES);
- precision: queries whose expected cases are all in the top 3.
"""
from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SYSTEMS = ("casebook", "material", "pagefind")
# Pagefind's default UI added to the page the benchmark opens (the site has no Pagefind box); no
# debounce, so that its time to the first result is its own work, as for the two others.
PAGEFIND_UI = ('<link href="/pagefind/pagefind-ui.css" rel="stylesheet">',
               '<div id="pagefind-search" style="position:fixed;top:0;left:0;right:0;z-index:10;background:#fff">'
               '</div><script src="/pagefind/pagefind-ui.js"></script><script>'
               'new PagefindUI({ element: "#pagefind-search", showSubResults: false, debounceTimeoutMs: 0 })</script>')
INPUT = {"casebook": "input.md-search__input", "material": "input.md-search__input",
         "pagefind": "input.pagefind-ui__search-input"}
RESULT = {"casebook": "li.md-search-result__item > a", "material": "li.md-search-result__item > a",
          "pagefind": "a.pagefind-ui__result-link"}


def queries() -> list[tuple[str, list[str]]]:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_search import QUERIES
    return QUERIES


def corpus(n: int):
    """The real records plus n − (real) realistic synthetic cases."""
    from scripts.casebook.library import build_library, load_library

    real, _ = load_library(ROOT)
    extra = n - len(real.cases)
    from scripts.corpus import realistic_library
    synthetic = realistic_library(extra).cases if extra > 0 else []
    return build_library([*real.cases, *synthetic], real.vocab)


def build_sites(work: Path, library) -> dict[str, Path]:
    """The same generated pages built three ways; seconds of each search step are printed."""
    from scripts.casebook.build import PROJECT, generate_docs, index_in_material, index_site, stock_search
    from scripts.casebook.render import GENERATED

    shutil.copytree(PROJECT / "overrides", work / "overrides")
    shutil.copytree(PROJECT / "docs", work / "docs", ignore=lambda d, names: [n for n in names if n in GENERATED])
    own = (PROJECT / "mkdocs.yml").read_text(encoding="utf-8")
    (work / "mkdocs.yml").write_text(own, encoding="utf-8")  # the web editor's settings are read from it
    generate_docs(library, work)
    shutil.copytree(work / "docs", work / "docs-stock")
    index_in_material(work / "docs-stock")  # stock Material indexes the case pages itself
    shutil.copytree(work / "overrides", work / "overrides-stock")
    stock_yml = stock_search(own, work / "overrides-stock").replace("docs_dir: docs", "docs_dir: docs-stock")
    sites, seconds = {}, {}
    for name, yml in (("casebook", own), ("material", stock_yml.replace("custom_dir: overrides", "custom_dir: overrides-stock"))):
        config = work / f"mkdocs-{name}.yml"
        config.write_text(yml.replace("site_dir: site", f"site_dir: site-{name}"), encoding="utf-8")
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config)],
                             capture_output=True, text=True, cwd=work)
        if run.returncode:
            raise RuntimeError(run.stderr)
        seconds[f"mkdocs build ({name})"] = time.perf_counter() - start
        sites[name] = work / f"site-{name}"
    start = time.perf_counter()
    index_site(library, work, sites["casebook"] / "search")
    seconds["casebook index"] = time.perf_counter() - start
    pagefind = work / "site-pagefind"
    shutil.copytree(sites["material"], pagefind)
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(pagefind)], capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(run.stdout + run.stderr)
    seconds["pagefind index"] = time.perf_counter() - start
    add_pagefind_ui(pagefind)
    sites["pagefind"] = pagefind
    print("  " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()), flush=True)
    return sites


def is_search_file(system: str, url: str) -> bool:
    path = url.split("?")[0]
    if system == "pagefind":
        return "/pagefind/" in path
    if system == "material":
        return "/search/" in path or "/workers/search" in path
    return "/search/" in path or path.endswith(("/casebook-search.js", "/lunr.min.js"))


class Recorder:
    """Transferred (encoded) bytes of the search files a page receives."""

    def __init__(self, page, system: str):
        self.system, self.sizes = system, []
        page.on("requestfinished", self.finished)

    def finished(self, request):
        if is_search_file(self.system, request.url):
            try:
                self.sizes.append(request.sizes()["responseBodySize"])
            except Exception:  # a request the page dropped while closing
                pass

    def take(self) -> int:
        total = sum(self.sizes)
        self.sizes = []
        return total


PAGE = "cases/2016-national-workers-bookhouses/index.html"


def page_url(base: str, system: str) -> str:
    return f"{base}/{PAGE.removesuffix('index.html')}"


def add_pagefind_ui(site: Path) -> None:
    """Pagefind's default UI on the case page the benchmark opens, above Material's content,
    so that all three load the same page."""
    page = site / PAGE
    html = page.read_text(encoding="utf-8")
    head, body = PAGEFIND_UI
    page.write_text(html.replace("</head>", head + "</head>", 1).replace("</body>", body + "</body>", 1),
                    encoding="utf-8")
    # the page keeps Material's search box, which would fetch and index Material's documents
    index = site / "search" / "search_index.json"
    index.write_text(json.dumps({**json.loads(index.read_text(encoding="utf-8")), "docs": []}), encoding="utf-8")


def links(page, system: str) -> list[str]:
    return page.eval_on_selector_all(RESULT[system], "els => els.map(e => e.getAttribute('href'))")


def type_query(page, system: str, query: str) -> None:
    page.fill(INPUT[system], query)
    page.press(INPUT[system], "End")  # Material reads the query on keyup


# a query with no result at all shows none of RESULT: give up after this long
NO_RESULT_MS = 8_000
NAVIGATION_QUERIES = 5  # first result from navigation: on the first queries of the set


def fresh_page(browser, base: str, system: str):
    context = browser.new_context()  # nothing cached
    page = context.new_page()
    return context, page, Recorder(page, system)


def first_result(page, system: str) -> bool:
    try:
        page.wait_for_selector(RESULT[system], timeout=NO_RESULT_MS)
        return True
    except Exception:  # no result at all for this query
        return False


def from_navigation(browser, base: str, system: str, query: str) -> float | None:
    """Milliseconds from navigation start to the first result, typing as soon as the box is there."""
    context, page, _ = fresh_page(browser, base, system)
    page.goto(page_url(base, system), wait_until="domcontentloaded")
    page.wait_for_selector(INPUT[system])
    type_query(page, system, query)
    ms = page.evaluate("performance.now()") if first_result(page, system) else None
    context.close()
    return ms


def on_a_loaded_page(browser, base: str, system: str) -> tuple[int, list[dict]]:
    """Bytes on page load, then every query of the set typed in turn into the same page (the
    box cleared between queries): bytes, milliseconds to the first result, links."""
    context, page, recorder = fresh_page(browser, base, system)
    page.goto(page_url(base, system))
    page.wait_for_load_state("networkidle")
    on_load = recorder.take()
    runs = []
    for query, _ in queries():
        start = time.perf_counter()
        type_query(page, system, query)
        found = first_result(page, system)
        ms = (time.perf_counter() - start) * 1000 if found else None
        hrefs = links(page, system) if found else []
        page.wait_for_load_state("networkidle")
        runs.append({"bytes": recorder.take(), "ms": ms, "links": hrefs})
        page.fill(INPUT[system], "")
        page.press(INPUT[system], "End")
        try:
            page.wait_for_selector(RESULT[system], state="detached", timeout=NO_RESULT_MS)
        except Exception:
            page.reload()
            page.wait_for_load_state("networkidle")
        recorder.take()
    context.close()
    return on_load, runs


def case_ids(hrefs: list[str]) -> list[str]:
    return [h.split("cases/")[1].strip("/").split("/")[0] for h in hrefs if "cases/" in h]


def replay_precision(site: Path, runs: list[dict]) -> None:
    """The Python replay beside the browser, and the unsharded worker's ranking (literal boost
    on every result, as before the shards) on the same index: precision and the misses."""
    from scripts.casebook.search import SiteSearch

    for label, listed in (("replay, 20 listed", 20), ("unsharded ranking", None)):
        engine = SiteSearch.from_site(site)
        engine.listed = listed
        misses = [q for q, expected in queries()
                  if not set(expected) <= set(case_ids(engine.search(q))[:3])]
        print(f"  {label}: {len(queries()) - len(misses)} / {len(queries())}; misses: {' '.join(misses)}", flush=True)
    browser_misses = [q for (q, expected), run in zip(queries(), runs)
                      if not set(expected) <= set(case_ids(run["links"])[:3])]
    print(f"  browser misses: {' '.join(browser_misses)}", flush=True)


def manifest_gzip(site: Path) -> int:
    return len(gzip.compress((site / "search" / "manifest.json").read_bytes(), 6))


def measure(n: int, browser, work_root: Path) -> list[dict]:
    from scripts.casebook.build import serve

    work = work_root / f"work-{n}"
    if (work / "site-pagefind" / "pagefind").is_dir():  # built by an earlier run
        print(f"{n} cases: reusing the sites in {work}; indexing again", flush=True)
        write_index_again(work / "site-casebook", corpus(n))
        if PAGEFIND_UI[1] not in (work / "site-pagefind" / PAGE).read_text(encoding="utf-8"):
            add_pagefind_ui(work / "site-pagefind")
    else:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        library = corpus(n)
        print(f"{len(library.cases)} cases (realistic corpus): building …", flush=True)
        build_sites(work, library)
    sites = {system: work / f"site-{system}" for system in SYSTEMS}
    cases = len(list((sites["casebook"] / "cases").glob("*/index.html")))
    rows = []
    for system in SYSTEMS:
        server = serve(sites[system])
        base = f"http://127.0.0.1:{server.server_port}"
        on_load, runs = on_a_loaded_page(browser, base, system)
        navs = [ms for query, _ in queries()[:NAVIGATION_QUERIES]
                if (ms := from_navigation(browser, base, system, query)) is not None]
        server.shutdown()
        hits = sum(set(expected) <= set(case_ids(run["links"])[:3]) for (_, expected), run in zip(queries(), runs))
        times = [r["ms"] for r in runs if r["ms"] is not None]
        row = {"cases": cases, "system": system, "load_kb": on_load / 1024,
               "first_query_kb": runs[0]["bytes"] / 1024,
               "query_kb": statistics.median(r["bytes"] for r in runs[1:]) / 1024,
               "query_kb_max": max(r["bytes"] for r in runs) / 1024,
               "typed_ms": statistics.median(times) if times else None,
               "nav_ms": statistics.median(navs) if navs else None,
               "top3": hits, "queries": len(runs)}
        if system == "casebook":
            row.update(cold_query_bytes(sites[system]))
            row["manifest_kb"] = manifest_gzip(sites[system]) / 1024
            replay_precision(sites[system], runs)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def write_index_again(site: Path, library) -> None:
    """The index and the worker of the current code on a kept build."""
    from scripts.casebook.build import index_site

    index_site(library, site.parent, site / "search")
    worker = Path("assets") / "javascripts" / "casebook-search.js"
    shutil.copyfile(ROOT / "docs" / worker, site / worker)


def cold_query_bytes(site: Path) -> dict:
    """Gzip bytes a fresh page fetches for each query, from the files the replay reads for
    it (the worker fetches the same files: the parity test), plus the manifest."""
    from scripts.casebook.search import SiteSearch

    sizes = []
    for query, _ in queries():
        engine = SiteSearch.from_site(site)
        engine.search(query)
        files = ["manifest.json", *engine.fetched]
        sizes.append(sum(len(gzip.compress((site / "search" / f).read_bytes(), 6)) for f in files))
    return {"cold_query_kb": statistics.median(sizes) / 1024, "cold_query_kb_max": max(sizes) / 1024}


def table(rows: list[dict]) -> str:
    out = ["| cases | search | page load (KB gzip) | first query (KB) | later queries, median / max (KB) "
           "| first result after typing (ms) | first result from navigation (ms) | right case in top 3 |",
           "|---:|---|---:|---:|---:|---:|---:|---:|"]
    names = {"casebook": "this library (sharded lunr)", "material": "stock Material", "pagefind": "Pagefind 1.5.2 extended"}
    for r in rows:
        fmt = lambda v: "—" if v is None else f"{v:,.0f}"  # noqa: E731
        out.append(f"| {r['cases']:,} | {names[r['system']]} | {r['load_kb']:.1f} | {r['first_query_kb']:.0f} "
                   f"| {r['query_kb']:.0f} / {r['query_kb_max']:.0f} "
                   f"| {fmt(r['typed_ms'])} | {fmt(r['nav_ms'])} | {r['top3']} / {r['queries']} |")
    return "\n".join(out)


def main(sizes: list[int] | None = None, work: Path | None = None) -> list[dict]:
    from playwright.sync_api import sync_playwright

    from scripts.casebook.build import CHROMIUM_ARGS

    sizes = sizes or [1000, 5000, 10000]
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                    headless=True, args=CHROMIUM_ARGS)
        with tempfile.TemporaryDirectory() as tmp:
            for n in sizes:
                rows += measure(n, browser, work or Path(tmp))
        browser.close()
    print(table(rows))
    for r in rows:
        if r["system"] == "casebook":
            print(f"{r['cases']:,} cases: manifest {r['manifest_kb']:.1f} KB gzip; a query from a fresh page "
                  f"(manifest, converter, shards, pages) {r['cold_query_kb']:.0f} KB median, {r['cold_query_kb_max']:.0f} KB max")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, nargs="*", default=None)
    parser.add_argument("--work", type=Path, default=None, help="keep the built sites here and reuse them")
    args = parser.parse_args()
    main(args.cases, args.work)
