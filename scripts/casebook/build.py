"""The steps of a site build, and a whole build in a separate folder.

`generate_docs` is the pre-build step (`make pages`); `build` (`make build`) runs it, then
MkDocs and the search index side by side — the index is made from the records, not from
MkDocs's output, so a second core builds it while MkDocs renders — then installs the index
and runs the "nothing lost" check. `build_site` does the same for any library in another
folder, and `serve` puts a built site on localhost: the tests and the benchmarks use them."""
from __future__ import annotations

import gc
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .admin import build_admin
from .invariant import check_site
from .library import Library
from .render import GENERATED, PageCache, Rendered, handwritten_pages, render_site
from .search import case_entries, copy_lunr, documents, index_files, write_index, write_user_dictionary
from .volumes import DOWNLOADS

PROJECT = Path(__file__).resolve().parents[2]
TEMPLATES = PROJECT / "overrides" / "pages"
USER_DICTIONARY = Path("build") / "jieba_userdict.txt"  # mkdocs.yml: plugins.search.jieba_dict_user
# Headless Chromium from Debian; without the networking flags it keeps calling home, which
# this machine's closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def generate_docs(library: Library, root: Path, cache: PageCache | None = None) -> tuple[Rendered, int]:
    """Pages, data files, the jieba user dictionary and lunr.js for the project at `root`;
    returns what was rendered and the number of dictionary words. `cache`: see PageCache."""
    written = render_site(library, root / "docs", TEMPLATES, cache)
    words = write_user_dictionary(library, root / USER_DICTIONARY)
    copy_lunr(PROJECT, root / "docs")
    build_admin(library.vocab, root, root / "docs")
    return written, words


def index_files_of(library: Library, root: Path) -> dict[str, bytes]:
    """The search index files of the project at `root` (search.index_files)."""
    return index_files_from(case_entries(library), root)


def index_files_from(entries: list[dict], root: Path) -> dict[str, bytes]:
    """The same from the case pages' entries (search.case_entries) and the hand-written pages."""
    return index_files(*documents(entries, root, handwritten_pages(root / "docs")))


def index_site(library: Library, root: Path, search_dir: Path) -> Path:
    """The search index of the project at `root` into `search_dir` (site/search/ after
    MkDocs, or a staging folder while it runs)."""
    return write_index(search_dir, index_files_of(library, root))


def install_index(staged: Path, search_dir: Path) -> None:
    """Move a staged index into the built site, replacing Material's search_index.json."""
    search_dir.mkdir(parents=True, exist_ok=True)
    for item in staged.iterdir():
        target = search_dir / item.name
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(item, target)
    staged.rmdir()


def _index_worker(entries: list[dict], root: Path, staged: Path) -> None:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    shutil.rmtree(staged, ignore_errors=True)
    write_index(staged, index_files_from(entries, root))


def run_mkdocs(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` of the project at `root` through `casebook mkdocs` (no
    end-of-life banner, no jieba loading lines): what it prints is returned, for the message
    of a failed build."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.run([sys.executable, "-m", "scripts.casebook", "mkdocs", "build", "--strict", "-q",
                           "-f", str(root / "mkdocs.yml"), *args], capture_output=True, text=True, cwd=root, env=env)


class BuildError(Exception):
    pass


def build(library: Library, root: Path, timings: dict | None = None) -> Path:
    """`make build`: the pre-build step, then MkDocs while a forked process builds the
    search index, then the index installed into site/search/ and the "nothing lost" check.
    `timings`, if given, receives the seconds of each step."""
    timings = {} if timings is None else timings
    start = time.perf_counter()
    generate_docs(library, root)
    timings["pages"] = time.perf_counter() - start
    shutil.rmtree(root / "docs" / "search", ignore_errors=True)  # `make serve`'s, perhaps stale
    staged = root / "build" / "search"
    # The worker gets the entries, not the library: it touches nothing else of this process's
    # memory, which stays shared with it (and frozen, so that its garbage collector does not
    # write to every object and copy the pages).
    entries = case_entries(library)
    gc.freeze()
    indexer = multiprocessing.get_context("fork").Process(target=_index_worker, args=(entries, root, staged))
    indexer.start()
    gc.unfreeze()
    del entries
    start = time.perf_counter()
    run = run_mkdocs(root)
    timings["mkdocs"] = time.perf_counter() - start
    indexer.join()
    timings["index_wait"] = time.perf_counter() - start - timings["mkdocs"]
    if run.returncode != 0:
        raise BuildError(run.stderr.strip() or run.stdout.strip())
    if indexer.exitcode != 0:
        raise BuildError("检索索引生成失败（见上方错误信息）。")
    site = root / "site"
    install_index(staged, site / "search")
    start = time.perf_counter()
    check_site(library, site)
    timings["invariant"] = time.perf_counter() - start
    return site


def stock_search(mkdocs_yml: str, overrides: Path) -> str:
    """The same site with Material's own search (the baseline the benchmarks compare against):
    default search plugin settings, and Material's base.html, whose worker the overrides copy
    in `overrides` replaces (scripts/casebook/material.py), removed from that copy."""
    plugin = re.search(r"^  - search:\n(?:(?:      .*|\s*)\n)*", mkdocs_yml, flags=re.M)
    (overrides / "base.html").unlink()
    return mkdocs_yml.replace(plugin.group(), "  - search\n")


def build_site(work: Path, library: Library, stock: bool = False) -> Path:
    """Build `library` into work/site; `stock` builds it with Material's own search."""
    work.mkdir(parents=True, exist_ok=True)
    shutil.copytree(PROJECT / "overrides", work / "overrides", dirs_exist_ok=True)
    mkdocs_yml = (PROJECT / "mkdocs.yml").read_text(encoding="utf-8")
    if stock:
        mkdocs_yml = stock_search(mkdocs_yml, work / "overrides")
    (work / "mkdocs.yml").write_text(mkdocs_yml, encoding="utf-8")
    shutil.copytree(PROJECT / "docs", work / "docs", dirs_exist_ok=True,
                    # nor the PDFs of `make pdf` (generated, and built for the project's own records)
                    ignore=lambda d, names: [n for n in names if n in GENERATED or n == DOWNLOADS])
    if stock:
        generate_docs(library, work)
        index_in_material(work / "docs")
        run = run_mkdocs(work)
        if run.returncode != 0:
            raise RuntimeError(run.stderr)
        check_site(library, work / "site")
        return work / "site"
    try:
        return build(library, work)
    except BuildError as err:
        raise RuntimeError(str(err)) from None


def index_in_material(docs_dir: Path) -> None:
    """For the stock baseline: let Material's search plugin index the case pages, which the
    library's own pages leave to `casebook index` (render.NOT_INDEXED)."""
    for page in (docs_dir / "cases").glob("*.md"):
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace("search:\n  exclude: true\n", "", 1), encoding="utf-8")


def serve(directory: Path):
    """A localhost server for a built site that compresses text files with gzip, as static
    hosts do (GitHub Pages, nginx); `server.server_port` is its port, `shutdown()` stops it."""
    import functools
    import gzip
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    compressed: dict[str, bytes] = {}

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                path = path / "index.html"
            if (path.suffix not in (".html", ".js", ".css", ".json", ".svg") or not path.is_file()
                    or "gzip" not in self.headers.get("Accept-Encoding", "")):
                return super().do_GET()
            key = str(path)
            if key not in compressed:
                compressed[key] = gzip.compress(path.read_bytes(), 6)
            body = compressed[key]
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
