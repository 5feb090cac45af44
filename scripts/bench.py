"""Benchmarks (not tests): `make bench`, or one part: `python -m scripts.bench
table|build|stock|check|edit|stock-edit|pdf|check-hostile|finder|search [--cases N …]`.

Synthetic corpora come from `scripts/corpus.py`: the real records as templates, their sentences
recombined so that no two cases share their prose (cloned records made gzip collapse the search
data and PDFs). `table` (the default of `make bench`) builds each size with the library's own
pipeline and, in the same run, stock mkdocs-material building the same number of plain pages of
the same text, and prints one table of figures with their ratios; `search` is
scripts/bench_search.py (the library's search, stock Material and Pagefind). Each command is measured as
its own process, so its peak memory (ru_maxrss, from wait4) is its own.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def synthetic_library(n: int):
    """n synthetic cases with prose of their own (scripts/corpus.py)."""
    from scripts.corpus import realistic_library

    return realistic_library(n)


def measure_pdf(n: int | None) -> dict:
    """Child process: one whole-library volume from the real cases or n synthetic ones (the
    realistic corpus of scripts/corpus.py: prose recombined, so font subsets and compressed
    text are as large as distinct cases make them). Rendered by the worker processes of
    `make pdf`: memory is this process's peak plus, for each of the worker slots, the highest
    peak of the workers that ran in it as each reported it (an upper bound of the sum: the
    processes' peaks need not coincide). Not RUSAGE_CHILDREN's figure: a short child forked from
    this process (fc-list, run while joining) reports this process's size as its own peak.
    CPU is the sum over all processes."""
    import re

    from scripts.casebook.library import load_library
    from scripts.casebook.pdf import default_processes, write_volumes
    from scripts.corpus import realistic_library

    library = load_library(ROOT)[0] if n is None else realistic_library(n)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        stats: dict = {}
        [path] = write_volumes(library, Path(out), ROOT / "overrides" / "print", {"library"}, stats=stats)
        seconds = time.perf_counter() - start
        after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        size = path.stat().st_size
        pages = int(re.search(r"^Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(path)], capture_output=True,
                                                                 text=True).stdout, flags=re.M).group(1))
    cpu = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before))
    processes = default_processes()
    main_mb, worker_mb = after[0].ru_maxrss / 1024, max(stats["worker_peaks_mb"], default=0)
    return {"cases": len(library.cases), "pages": pages, "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
            "bytes": size, "kb_per_case": round(size / 1024 / len(library.cases), 1),
            "peak_rss_mb": round(main_mb + processes * worker_mb), "main_rss_mb": round(main_mb),
            "worker_rss_mb": round(worker_mb), "processes": processes,
            "children_maxrss_mb": round(after[1].ru_maxrss / 1024)}


def search_bytes(site: Path, stock: bool) -> tuple[int, int]:
    """Raw and gzip-compressed bytes of all the search data a site holds (stock Material: what
    every page view fetches; this library: manifest, shards, page files and converter files, of
    which a query fetches a few — `scripts/bench_search.py` measures what is transferred)."""
    import gzip

    if stock:
        files = [site / "search" / "search_index.json"]
        files += list((site / "assets" / "javascripts" / "workers").glob("search.*.min.js"))
    else:
        files = sorted(f for f in (site / "search").rglob("*") if f.is_file())
        files += [site / "assets" / "javascripts" / "casebook-search.js", site / "assets" / "javascripts" / "lunr.min.js"]
    raw = [f.read_bytes() for f in files]
    return sum(map(len, raw)), sum(len(gzip.compress(b, 6)) for b in raw)


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


def measure_finder(sizes: list[int | None]) -> list[dict]:
    """The case finder on the library's site (the real records, or n synthetic cases): mean
    milliseconds per facet change. Header search: scripts/bench_search.py."""
    from playwright.sync_api import sync_playwright

    from scripts.casebook.build import CHROMIUM_ARGS, build_site, serve
    from scripts.casebook.library import load_library

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        for n in sizes:
            library = load_library(ROOT)[0] if n is None else synthetic_library(n)
            with tempfile.TemporaryDirectory() as work:
                server = serve(build_site(Path(work), library))
                try:
                    ms = finder_latency(browser, f"http://127.0.0.1:{server.server_port}/finder/")
                finally:
                    server.shutdown()
            rows.append({"cases": len(library.cases), "finder_ms": round(ms, 1)})
            print(json.dumps(rows[-1]), flush=True)
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


# -- the library at scale, beside stock mkdocs-material ----------------------------------------
QUIET = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "CASEBOOK_SOURCES": "", "PYTHONPATH": str(ROOT)}
CASEBOOK = [sys.executable, "-m", "scripts.casebook"]


def tree_rss(pid: int) -> int:
    """Memory (bytes) of a process and all its descendants, now: the sum of their proportional
    set sizes (PSS: a page shared by forked processes is counted once in all), or of their
    resident sets where PSS cannot be read."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            status = Path(f"/proc/{current}/smaps_rollup").read_text()
            total += int(re.search(r"^Pss:\s+(\d+) kB", status, re.M).group(1)) * 1024
        except (OSError, AttributeError):
            try:
                total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            except OSError:
                pass
    return total


def timed(command: list[str], cwd: Path = ROOT, cpu: list | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak memory (MB) and output of one command, run as its own process. The
    peak is of the whole process tree (a build forks workers and runs MkDocs beside them),
    sampled every 50 ms: the largest sum of their PSS at one time (`tree_rss`). `cpu`, if given,
    receives the CPU seconds (user + system) of the process and the children it waited for:
    on a shared machine they move far less with the load than wall time does."""
    import threading

    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=QUIET, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = [0]

    def sample():
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss(process.pid))
            time.sleep(0.05)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output.decode(errors='replace')[-3000:]}")
    if cpu is not None:
        cpu.append(usage.ru_utime + usage.ru_stime)
    return seconds, max(peak[0] // 2**20, usage.ru_maxrss // 1024), output.decode(errors="replace")


def site_figures(site: Path, stock: bool) -> dict:
    pages = list(site.rglob("*.html"))
    raw, gz = search_bytes(site, stock)
    return {"site_mb": sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 1e6,
            "largest_page_kb": max(p.stat().st_size for p in pages) / 1e3, "pages": len(pages),
            "search_kb": raw / 1e3, "search_gzip_kb": gz / 1e3}


def measure_build(root: Path) -> dict:
    """`make build` on a corpus tree (`casebook build`: pages, then MkDocs beside the search
    index), with the seconds of its steps as it reports them."""
    cpu: list[float] = []
    seconds, mb, output = timed(CASEBOOK + ["--root", str(root), "build", "--timings"], cwd=root, cpu=cpu)
    steps = dict(re.findall(r"(\w+) ([\d.]+)", output.split("用时（秒）：", 1)[1]))
    return {"build_s": seconds, "cpu_s": cpu[0], "peak_mb": mb, **{f"{k}_s": float(v) for k, v in steps.items()}} | \
        site_figures(root / "site", stock=False)


STOCK_YML = """site_name: 工会改革创新案例库
theme:
  name: material
  language: zh
  font: false
plugins:
  - search
nav:
  - 首页: index.md
"""


def plain_page(record: dict) -> str:
    """One record as a plain Markdown page: the same text, no templates, no tables."""
    parts = [f"# {record['title']}", record["summary"], "## 针对问题", record["problem"], "## 主要做法"]
    parts += [f"### {m['title']}\n\n{m['detail']}" for m in record["measures"]]
    if "lessons" in record:
        parts += ["## 经验启示", record["lessons"]]
    parts += ["## 成效", "\n".join(f"- {m['label']}：{m['quote']}" for m in record["metrics"])]
    return "\n\n".join(parts) + "\n"


def write_stock(root: Path, n: int, seed: int = 0) -> None:
    """Stock mkdocs-material with n plain pages of the corpus's text and a short nav."""
    from scripts.corpus import realistic_records

    (root / "docs" / "cases").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(STOCK_YML, encoding="utf-8")
    (root / "docs" / "index.md").write_text("# 工会改革创新案例库\n\n案例列表见各页。\n", encoding="utf-8")
    for record in realistic_records(n, seed):
        (root / "docs" / "cases" / f"{record['id']}.md").write_text(plain_page(record), encoding="utf-8")


def measure_stock(root: Path) -> dict:
    cpu: list[float] = []
    seconds, mb, _ = timed([sys.executable, "-m", "mkdocs", "build", "--quiet", "-f", str(root / "mkdocs.yml")], cwd=root,
                           cpu=cpu)
    return {"build_s": seconds, "cpu_s": cpu[0], "peak_mb": mb} | site_figures(root / "site", stock=True)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> str | None:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8", errors="replace")
    except OSError:
        return None


def settled(folder: Path, quiet: float = 3.0) -> bool:
    """`folder` holds files and none changed for `quiet` seconds (`make serve` writes the
    search index in the background after it starts)."""
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
    return bool(files) and time.time() - max(p.stat().st_mtime for p in files) > quiet


def edit_loop(command: list[str], cwd: Path, url: str, path: Path, old: str, new: str, ready: float = 900,
              idle=lambda: True) -> float:
    """Seconds from saving `path` with `old` replaced by `new` to the served page at `url`
    showing `new`, under a running preview server (`command`), once it is idle (`idle()`)."""
    process = subprocess.Popen(command, cwd=cwd, env=QUIET, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + ready
        while old not in (fetch(url) or ""):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"preview server did not serve {url}")
            time.sleep(0.5)
        time.sleep(2)  # let the server settle into watching
        while not idle():
            if time.monotonic() > deadline:
                raise RuntimeError("preview server never settled")
            time.sleep(0.5)
        text = path.read_text(encoding="utf-8")
        start = time.perf_counter()
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        while new not in (fetch(url) or ""):
            if time.perf_counter() - start > 300:
                raise RuntimeError(f"{url} did not change within 300 s")
            time.sleep(0.05)
        return time.perf_counter() - start
    finally:
        os.killpg(process.pid, 2)  # Ctrl+C, as an editor stops it
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def measure_edit(root: Path) -> float:
    """The library's `make serve`: edit one record's title."""
    record = sorted((root / "cases").glob("20*/*.yaml"))[len(list((root / "cases").glob("20*/*.yaml"))) // 2]
    title = next(line for line in record.read_text(encoding="utf-8").splitlines() if line.startswith("title: "))
    old = title.removeprefix("title: ")
    port = free_port()
    return edit_loop(CASEBOOK + ["--root", str(root), "serve", "--port", str(port)], root,
                     f"http://127.0.0.1:{port}/cases/{record.stem}/", record, old, old[:50] + "改",
                     idle=lambda: settled(root / "docs" / "search"))


def measure_stock_edit(root: Path) -> float:
    """Stock `mkdocs serve`: edit one page's heading."""
    page = sorted((root / "docs" / "cases").glob("*.md"))[0]
    old = page.read_text(encoding="utf-8").splitlines()[0].removeprefix("# ")
    port = free_port()
    return edit_loop([sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}", "-f",
                      str(root / "mkdocs.yml")], root, f"http://127.0.0.1:{port}/cases/{page.stem}/", page, old,
                     old + "改")


def measure_check_corpus(root: Path) -> float:
    return timed(CASEBOOK + ["--root", str(root), "check"], cwd=root)[0]


PARTS = ("build", "stock", "check", "edit", "stock-edit", "pdf")


def measure_size(n: int, parts: tuple[str, ...] = PARTS, keep: Path | None = None) -> dict:
    """Every figure of the table for n synthetic cases, ours and stock, in this run."""
    from scripts.corpus import write_corpus

    # part → (row key, what is printed, measurement, which tree it runs on)
    steps = {"build": ("ours", "casebook build", measure_build, "ours"),
             "check": ("check_s", "check", measure_check_corpus, "ours"),
             "edit": ("edit_s", "edit loop", measure_edit, "ours"),
             "stock": ("stock", "stock build", measure_stock, "stock"),
             "stock-edit": ("stock_edit_s", "stock edit loop", measure_stock_edit, "stock")}
    row: dict = {"cases": n}
    with tempfile.TemporaryDirectory(dir=keep) as tmp:
        trees = {"ours": (Path(tmp) / "casebook", write_corpus), "stock": (Path(tmp) / "stock", write_stock)}
        for name, (root, write) in trees.items():
            if any(steps[p][3] == name for p in parts if p in steps):
                write(root, n)
        for part in (p for p in parts if p in steps):
            key, label, measure, tree = steps[part]
            row[key] = measure(trees[tree][0])
            shown = f"{row[key]:.1f} s" if isinstance(row[key], float) else json.dumps(row[key])
            print(f"  {n} cases, {label}: {shown}", flush=True)
    if "pdf" in parts:
        row["pdf"] = run_child("pdf", n)
        print(f"  {n} cases, PDF: {json.dumps(row['pdf'])}", flush=True)
    return row


def _ratio(ours, stock) -> str:
    return f"{ours / stock:.2f}×" if ours is not None and stock else "—"


def table(rows: list[dict]) -> str:
    """The table of issue 12: one line per figure, casebook | stock | ratio for each size."""
    sizes = [r["cases"] for r in rows]
    head = "| figure | " + " | ".join(f"{n:,} casebook | {n:,} stock | ratio" for n in sizes) + " |"
    lines = [head, "|---|" + "---:|---:|---:|" * len(sizes)]

    def line(label, ours, stock, fmt):
        cells = []
        for r in rows:
            a, b = ours(r), stock(r)
            cells += [fmt(a) if a is not None else "—", fmt(b) if b is not None else "—", _ratio(a, b)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    get = lambda side, key: (lambda r: r.get(side, {}).get(key))  # noqa: E731
    line("full build (s)", get("ours", "build_s"), get("stock", "build_s"), lambda v: f"{v:.1f}")
    line("… CPU, all processes (s)", get("ours", "cpu_s"), get("stock", "cpu_s"), lambda v: f"{v:.1f}")
    lines.append("| … load / pages / MkDocs (+ wait for the index) / nothing-lost check (s) | " + " | ".join(
        f"{r['ours']['load_s']:.1f} / {r['ours']['pages_s']:.1f} / {r['ours']['mkdocs_s']:.1f} "
        f"(+{r['ours']['index_wait_s']:.1f}) / {r['ours']['invariant_s']:.1f} | — | —"
        if "ours" in r else "— | — | —" for r in rows) + " |")
    line("peak memory (MB)", get("ours", "peak_mb"), get("stock", "peak_mb"), lambda v: f"{v:,}")
    line("site size (MB)", get("ours", "site_mb"), get("stock", "site_mb"), lambda v: f"{v:.1f}")
    line("largest page (KB)", get("ours", "largest_page_kb"), get("stock", "largest_page_kb"), lambda v: f"{v:.0f}")
    line("search data raw (KB)", get("ours", "search_kb"), get("stock", "search_kb"), lambda v: f"{v:,.0f}")
    line("search data gzip (KB)", get("ours", "search_gzip_kb"), get("stock", "search_gzip_kb"), lambda v: f"{v:,.0f}")
    line("`make check` (s)", lambda r: r.get("check_s"), lambda r: None, lambda v: f"{v:.1f}")
    line("edit → browser (s)", lambda r: r.get("edit_s"), lambda r: r.get("stock_edit_s"), lambda v: f"{v:.1f}")
    line("PDF, whole library (s)", lambda r: r.get("pdf", {}).get("seconds"), lambda r: None, lambda v: f"{v:.1f}")
    line("PDF size (MB)", lambda r: r.get("pdf", {}).get("bytes") and r["pdf"]["bytes"] / 1e6, lambda r: None,
         lambda v: f"{v:.1f}")
    line("PDF peak memory (MB)", lambda r: r.get("pdf", {}).get("peak_rss_mb"), lambda r: None, lambda v: f"{v:,}")
    return "\n".join(lines)


def machine() -> str:
    import platform

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))) / 1024 / 1024
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} × {cpu}, {memory:.0f} GB RAM, Python {platform.python_version()}, load average {load:.1f} at start"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", nargs="?", default="all",
                        choices=["all", "table", *PARTS, "check-hostile", "finder", "search"],
                        help="all: hostile-input check, the scale table, finder, search; or one part of the table")
    parser.add_argument("--cases", type=int, nargs="*", default=None, help="synthetic sizes (default 1000 5000 10000)")
    parser.add_argument("--child", choices=["pdf"])
    parser.add_argument("--without", nargs="*", default=[], choices=PARTS, help="parts of the table to leave out")
    args = parser.parse_args()
    if args.child:
        n = args.cases[0] if args.cases else None
        print(json.dumps(measure_pdf(n)))
        return
    sizes = args.cases if args.cases is not None else [1000, 5000, 10000]
    if args.kind in ("check-hostile", "all"):
        print("make check on one hostile file (wall time, interpreter start included)")
        for r in measure_check():
            print(f"  {r['file']:48} {r['kb']:5d} KB  {r['seconds']:5.2f} s  exit {r['exit']}  {r['first']}")
    if args.kind in ("table", "all", *PARTS):
        parts = tuple(p for p in PARTS if p not in args.without) if args.kind in ("table", "all") else (args.kind,)
        print(f"Machine: {machine()}")
        rows = [measure_size(n, parts) for n in sizes]
        print(table(rows))
        if len(rows) > 1 and all("ours" in r for r in rows):
            print(f"time({rows[-1]['cases']:,}) / time({rows[0]['cases']:,}) = "
                  f"{rows[-1]['ours']['build_s'] / rows[0]['ours']['build_s']:.1f}")
    if args.kind in ("finder", "all"):
        print("Case finder, headless Chromium on localhost: mean time of one facet change")
        measure_finder([None] + (args.cases if args.cases is not None else [1000, 5000]))
    if args.kind in ("search", "all"):
        __import__("scripts.bench_search").bench_search.main(args.cases)  # sharded lunr vs Material vs Pagefind

if __name__ == "__main__":
    main()
