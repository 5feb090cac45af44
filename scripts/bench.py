"""Benchmarks (not tests): `make bench`, or `python -m scripts.bench pdf|search [--cases N …]`.

Synthetic corpora are made by cloning the real records under new ids, so the text and
figures are realistic. Each measurement runs in a child process so that its peak memory
(ru_maxrss) is its own.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def synthetic_library(n: int):
    from scripts.casebook.library import build_library, load_library

    real, _ = load_library(ROOT)
    cases = []
    for i in range(n):
        base = real.cases[i % len(real.cases)]
        cases.append(base.model_copy(update={"id": f"{base.id}-x{i}", "title": f"{base.title}（样本{i}）"}))
    return build_library(cases, real.vocab)


def measure_pdf(n: int | None) -> dict:
    """Child process: one whole-library volume from the real cases or n synthetic ones (the
    realistic corpus of scripts/corpus.py: prose recombined, so font subsets and compressed
    text are as large as distinct cases make them). Rendered by the worker processes of
    `make pdf`: memory is this process's peak plus each worker's (an upper bound of the sum),
    CPU is the sum over all processes."""
    import re

    from scripts.casebook.library import load_library
    from scripts.casebook.pdf import default_processes, write_volumes
    from scripts.corpus import realistic_library

    library = load_library(ROOT)[0] if n is None else realistic_library(n)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        [path] = write_volumes(library, Path(out), ROOT / "overrides" / "print", {"library"})
        seconds = time.perf_counter() - start
        after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        size = path.stat().st_size
        pages = int(re.search(r"^Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(path)], capture_output=True,
                                                                 text=True).stdout, flags=re.M).group(1))
    cpu = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before))
    processes = default_processes()
    main_mb, worker_mb = after[0].ru_maxrss / 1024, after[1].ru_maxrss / 1024
    return {"cases": len(library.cases), "pages": pages, "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
            "bytes": size, "kb_per_case": round(size / 1024 / len(library.cases), 1),
            "peak_rss_mb": round(main_mb + processes * worker_mb), "main_rss_mb": round(main_mb),
            "worker_rss_mb": round(worker_mb), "processes": processes}


SEARCH_PROBES = [("社会化工会工作者", "2024-xinjiang-social-union-workers"),
                 ("滇中引水", "2024-yunnan-dianzhong-water-contest"),
                 ("深圳", "2017-guangdong-shenzhen-labour-disputes")]
def search_bytes(site: Path, stock: bool) -> tuple[int, int]:
    """Raw and gzip-compressed bytes of what the browser fetches for search."""
    import gzip

    files = [site / "search" / "search_index.json"]
    if stock:
        files += list((site / "assets" / "javascripts" / "workers").glob("search.*.min.js"))
    else:
        files += [site / "search" / "casebook_index.json", site / "assets" / "javascripts" / "casebook-search.js",
                  site / "assets" / "javascripts" / "lunr.min.js"]
    raw = [f.read_bytes() for f in files]
    return sum(map(len, raw)), sum(len(gzip.compress(b, 6)) for b in raw)


def browser_search(browser, url: str, query: str, expected: str) -> tuple[float, int, int | None]:
    """Milliseconds from navigation to the first result, number of results, rank of `expected`."""
    context = browser.new_context()  # no cache between runs
    page = context.new_page()
    page.goto(url)
    page.fill("input.md-search__input", query)
    page.press("input.md-search__input", "End")  # Material reads the query on keyup
    page.wait_for_selector("li.md-search-result__item > a", timeout=120_000)
    ms = page.evaluate("performance.now()")
    links = page.eval_on_selector_all("li.md-search-result__item > a", "els => els.map(e => e.getAttribute('href'))")
    total = page.inner_text(".md-search-result__meta")
    # synthetic copies of a case have ids `<id>-x<n>`: any of them counts
    rank = next((i + 1 for i, href in enumerate(links) if f"cases/{expected}" in href), None)
    context.close()
    count = int("".join(ch for ch in total if ch.isdigit()) or 0)
    return ms, count, rank


def finder_latency(browser, url: str, changes: int = 20) -> float:
    """Mean milliseconds for one facet change (filter, counts and list redrawn)."""
    page = browser.new_page()
    page.goto(url)
    page.wait_for_selector(".finder-results li", timeout=120_000)
    ms = page.evaluate("""(changes) => {
        const f = window.casebookFinder, years = [...document.querySelectorAll("input[data-facet=year]")]
            .map(b => b.dataset.value)
        const t = performance.now()
        for (let i = 0; i < changes; i++) {
            const y = years[i % years.length]
            f.state.year.has(y) ? f.state.year.delete(y) : f.state.year.add(y)
            f.apply()
        }
        return (performance.now() - t) / changes
    }""", changes)
    page.close()
    return ms


def measure_search(sizes: list[int | None]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    from scripts.casebook.build import CHROMIUM_ARGS, build_site, serve
    from scripts.casebook.library import load_library

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        for n in sizes:
            library = load_library(ROOT)[0] if n is None else synthetic_library(n)
            for stock in (True, False):
                with tempfile.TemporaryDirectory() as work:
                    start = time.perf_counter()
                    site = build_site(Path(work), library, stock=stock)
                    build_s = time.perf_counter() - start
                    server = serve(site)
                    url = f"http://127.0.0.1:{server.server_port}/"
                    probes = [browser_search(browser, url, q, e) for q, e in SEARCH_PROBES]
                    finder = None if stock else finder_latency(browser, url + "finder/")
                    server.shutdown()
                    raw, gz = search_bytes(site, stock)
                rows.append({"cases": len(library.cases), "search": "stock Material" if stock else "casebook",
                             "build_s": round(build_s, 1),
                             "first_result_ms": sorted(p[0] for p in probes)[len(probes) // 2],
                             "results": [p[1] for p in probes], "rank": [p[2] for p in probes],
                             "search_bytes": raw, "search_bytes_gzip": gz,
                             "finder_ms": None if finder is None else round(finder, 1)})
                print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    return rows


def hostile_files() -> dict[str, str]:
    """Single record files under 1 MB built to be expensive: the security review's inputs."""
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import VALID

    big_metrics = "metrics:\n" + "".join(
        f"  - label: 会员{i}\n    value: 7800000\n    unit: 人\n    quote: \"{'职工' * 90}会员780万人\"\n"
        for i in range(100))
    return {
        "0.99 MB of \"1,\"": VALID.replace("quote: 会员780万人", 'quote: "' + "1," * 495_000 + '"'),
        "190 KB, 100 metrics with 190-character quotes": VALID.split("metrics:")[0] + big_metrics
        + "source:\n  publication: innovation-cases-2024\n" + "#" * 125_000 + "\n",
        "190 KB of nested brackets": VALID.replace("tags: [滇中引水]", "tags: " + "[" * 190_000),
        "8,000-character periodic title": VALID.replace("title: 测试案例", "title: " + "工会" * 4000),
        "60,000 亿 in one quote": VALID.replace("quote: 会员780万人", "quote: 1" + "亿" * 60_000),
    }


def measure_check() -> list[dict]:
    """`make check` (the CLI) on one hostile file each, wall time including interpreter start."""
    results = []
    for name, text in hostile_files().items():
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            shutil.copytree(ROOT / "cases" / "_vocab", root / "cases" / "_vocab")
            path = root / "cases" / "2024" / "2024-yunnan-test-case.yaml"
            path.parent.mkdir(parents=True)
            path.write_text(text, encoding="utf-8")
            start = time.perf_counter()
            run = subprocess.run([sys.executable, "-m", "scripts.casebook", "--root", tmp, "check"], cwd=ROOT,
                                 capture_output=True, text=True, env={**os.environ, "CASEBOOK_SOURCES": ""})
            seconds = time.perf_counter() - start
            first = (run.stdout.splitlines() or [""])[0]
            results.append({"file": name, "kb": len(text.encode()) // 1000, "seconds": seconds, "exit": run.returncode,
                            "first": first.split(": ", 1)[-1][:60]})
    return results


def run_child(kind: str, n: int | None) -> dict:
    args = [sys.executable, "-m", "scripts.bench", "--child", kind] + ([] if n is None else ["--cases", str(n)])
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["pdf", "search", "check", "all"], nargs="?", default="all")
    parser.add_argument("--cases", type=int, nargs="*", default=None, help="synthetic sizes (default: real, 1000)")
    parser.add_argument("--child", choices=["pdf"])
    args = parser.parse_args()
    if args.child:
        n = args.cases[0] if args.cases else None
        print(json.dumps(measure_pdf(n)))
        return
    if args.kind in ("check", "all"):
        print("make check on one hostile file (wall time, interpreter start included)")
        for r in measure_check():
            print(f"  {r['file']:48} {r['kb']:5d} KB  {r['seconds']:5.2f} s  exit {r['exit']}  {r['first']}")
        if args.kind == "check":
            return
    if args.kind in ("search", "all"):
        sizes = [None] + (args.cases if args.cases is not None else [1000, 5000])
        print("Header search and finder, headless Chromium on localhost (median of "
              f"{len(SEARCH_PROBES)} probe queries: {', '.join(q for q, _ in SEARCH_PROBES)})")
        measure_search(sizes)
        __import__("scripts.bench_search").bench_search.main(args.cases)  # sharded lunr vs Material vs Pagefind
    if args.kind == "search":
        return
    sizes = [None] + (args.cases if args.cases is not None else [1000])
    print("PDF volume (whole library): cases, seconds, size, KB/case, peak RSS")
    for n in sizes:
        r = run_child("pdf", n)
        print(f"  {'real' if n is None else 'synthetic':9} {r['cases']:5d} cases {r['pages']:5d} pages  "
              f"{r['seconds']:7.1f} s (CPU {r['cpu_seconds']:.1f} s)  {r['bytes'] / 1e6:6.1f} MB  "
              f"{r['kb_per_case']:6.1f} KB/case  peak {r['peak_rss_mb']} MB "
              f"(main {r['main_rss_mb']} + {r['processes']} × {r['worker_rss_mb']})")


if __name__ == "__main__":
    main()
