"""The steps of a site build, and a whole build in a separate folder.

`generate_docs` is the pre-build step (`make pages`); `build_site` runs it, `mkdocs build
--strict`, the search index and the "nothing lost" check for any library in another folder,
and `serve` puts a built site on localhost: the tests and the benchmarks use them."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from .admin import build_admin
from .invariant import check_site
from .library import Library
from .render import GENERATED, PageCache, Rendered, render_site
from .search import copy_lunr, write_index, write_user_dictionary
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
    generate_docs(library, work)
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(work / "mkdocs.yml")],
                         capture_output=True, text=True, cwd=work)
    if run.returncode != 0:
        raise RuntimeError(run.stderr)
    if not stock:
        write_index(work / "site")
    check_site(library, work / "site")
    return work / "site"


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
