"""`make serve`: the pre-build step, then `mkdocs serve`, and a watch on cases/.

`mkdocs serve` watches docs/ and mkdocs.yml only. This module polls the records and the
vocabularies (mtime and size, every 0.3 s) and on any change runs the pre-build step again —
`load_library` and `generate_docs`, what `make pages` runs — incrementally: files whose bytes
did not change are not parsed or checked again (validate.CheckCache), pages whose inputs did
not change are not rendered again (render.PageCache), and only pages whose text changed are
written. MkDocs runs with `--dirty`, so it rebuilds only those pages (a changed record touches
its own page, its catalogs' pages and the pages that list it as related), and livereload
refreshes the browser. When the records have errors, the errors are printed and docs/ is left
alone: the preview keeps the last good pages.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from .build import PROJECT, generate_docs
from .library import load_library
from .render import PageCache
from .search import sync_index
from .validate import CheckCache
from .vocab import VocabularyError

POLL = 0.3     # seconds between two looks at cases/
SETTLE = 0.2   # a change is handled once cases/ has stayed the same this long
# mkdocs's INFO lines (printed on every rebuild); warnings, errors and tracebacks still reach
# the terminal. The end-of-life banner and jieba's loading lines are silenced at the source
# by `casebook mkdocs`, the same quiet wrapper `make build` uses.
# MkDocs's warning that a --dirty build may leave navigation stale is about pages in the nav;
# generated pages are reached through the catalogs, which are regenerated with their cases.
# (That warning is why the preview runs --no-strict: warnings are still printed, and `make
# build` stays strict.)
NOISE = re.compile(r"INFO\b|WARNING\s+-\s+A 'dirty' build is being performed")
KEEP = "预览保留上次生成的页面；修正后会自动更新。"

_print_lock = threading.Lock()
_announced = threading.Event()  # the address is announced once, not again when mkdocs restarts


def say(line: str) -> None:
    with _print_lock:
        print(line, flush=True)


def default_port() -> int:
    value = os.environ.get("PORT") or "8000"
    if not value.isdigit():
        raise SystemExit(f"环境变量 PORT 应为端口号（如 8001），现在是“{value}”。")
    return int(value)


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as mkdocs's server binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def snapshot(cases_dir: Path) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every YAML file under cases/: records, vocabularies, the template."""
    found = {}
    for path in cases_dir.rglob("*.y*ml"):
        try:
            stat = path.stat()
        except FileNotFoundError:  # deleted while we looked
            continue
        found[path.relative_to(cases_dir.parent).as_posix()] = (stat.st_mtime_ns, stat.st_size)
    return found


def differences(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


class Caches:
    """What `make serve` keeps between two runs of the pre-build step."""

    def __init__(self) -> None:
        self.checks = CheckCache()
        self.pages = PageCache()
        self.index: Indexer | None = None


class Indexer:
    """The search index of the latest library, kept in docs/search/ by a background thread
    (MkDocs copies it into the served site, as a build installs it into site/search/): an
    edited page shows without waiting for the index, which follows a few seconds later. A
    library submitted while the previous one is being indexed supersedes it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.latest = None
        self.wanted = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def submit(self, library) -> None:
        self.latest = library
        self.wanted.set()

    def _run(self) -> None:
        from .build import index_files_of

        while True:
            self.wanted.wait()
            self.wanted.clear()
            library = self.latest
            try:
                files = index_files_of(library, self.root)
            except Exception as err:  # the preview goes on without a new index
                say(f"检索索引未能更新：{err}")
                continue
            if self.wanted.is_set():
                continue  # a newer library is waiting
            mkdocs_idle.wait(BUILD_WAIT)
            sync_index(self.root / "docs" / "search", files)


def regenerate(root: Path, if_broken: str = KEEP, caches: Caches | None = None):
    """One run of the pre-build step. Returns what was rendered (render.Rendered), or None
    after printing the errors, as `make check` prints them, and `if_broken`: docs/ is left alone."""
    caches = caches or Caches()
    try:
        library, report = load_library(root, cache=caches.checks)
    except VocabularyError as err:
        say(f"{err}\n词表文件有误，{if_broken}")
        return None
    if report.errors:
        for problem in report.errors:
            say(str(problem))
        say(f"记录有 {len(report.errors)} 个错误，{if_broken}")
        return None
    pages, _words = generate_docs(library, root, caches.pages)
    if caches.index is not None:
        caches.index.submit(library)
    return pages


# Set while mkdocs is not rebuilding. The pre-build step waits for it before it writes to
# docs/: a file deleted while mkdocs copies the static files breaks that rebuild (a record
# added and deleted again takes its page, JSON and citation files away).
mkdocs_idle = threading.Event()
BUILD_WAIT = 120  # seconds; a rebuild never takes this long, but the preview must not hang


def track_build(line: str) -> None:
    if "Building documentation" in line:
        mkdocs_idle.clear()
    elif "Documentation built in" in line or "An error happened during the rebuild" in line:
        mkdocs_idle.set()


def forward(stream, port: int) -> None:
    """Copy mkdocs's output to the terminal without its INFO chatter; announce the address
    once the server is up."""
    dropping = False
    for line in stream:
        line = line.rstrip("\n")
        track_build(line)
        if "Serving on http" in line and not _announced.is_set():
            _announced.set()
            say(f"预览地址：http://127.0.0.1:{port}/（修改 cases/ 中的记录后页面会自动更新，按 Ctrl+C 停止）")
        if NOISE.match(line) or (dropping and line[:1].isspace()):
            dropping = True  # a dropped INFO line's indented continuation lines go too
            continue
        dropping = False
        if line.strip():
            say(line)


def start_mkdocs(root: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(PROJECT))
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.casebook", "mkdocs", "serve", "--dirty", "--no-strict", "--dev-addr", f"127.0.0.1:{port}",
         "-f", str(root / "mkdocs.yml")],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, encoding="utf-8", errors="replace", bufsize=1)
    threading.Thread(target=forward, args=(process.stdout, port), daemon=True).start()
    return process


def stop(process: subprocess.Popen, grace: float) -> None:
    """Stop mkdocs as Ctrl+C would: after a Ctrl+C in the terminal it received the signal
    too, so give it `grace` seconds to shut down by itself first."""
    for signal_, wait in ((None, grace), (signal.SIGINT, 5), (signal.SIGKILL, 5)):
        if process.poll() is not None:
            return
        if signal_ is not None:
            process.send_signal(signal_)
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass


class _Terminated(Exception):
    pass


def _on_sigterm(signum, frame):
    raise _Terminated


def watch(root: Path, mkdocs: list[subprocess.Popen], port: int, seen: dict, broken: bool, caches: Caches) -> None:
    """Regenerate on every change under cases/ until mkdocs (`mkdocs[0]`) exits; `broken`: the
    records had errors at the last look."""
    cases = root / "cases"
    while mkdocs[0].poll() is None:
        time.sleep(POLL)
        now = snapshot(cases)
        if now == seen:
            continue
        while True:  # an editor's save or a git checkout can take several writes
            time.sleep(SETTLE)
            settled = snapshot(cases)
            if settled == now:
                break
            now = settled
        names = differences(seen, now)
        seen = now
        mkdocs_idle.wait(BUILD_WAIT)
        pages = regenerate(root, caches=caches)
        if pages is not None:
            count = len([p for p in pages.changed + pages.removed if p.endswith(".md")])
            shown = "、".join(names[:3]) + (f" 等 {len(names)} 个文件" if len(names) > 3 else "")
            say(f"{'记录已修正，' if broken else ''}已更新：{count} 个页面有变化（{shown}）")
            if any(p.endswith(".md") for p in pages.removed):
                # a --dirty build never deletes the built page of a deleted source: build afresh
                # (SIGTERM: a SIGINT in the middle of a build would print a traceback)
                mkdocs[0].terminate()
                try:
                    mkdocs[0].wait(timeout=10)
                except subprocess.TimeoutExpired:
                    mkdocs[0].kill()
                    mkdocs[0].wait()
                mkdocs[0] = start_mkdocs(root, port)
        broken = pages is None


def serve(root: Path, port: int | None = None) -> int:
    root = root.resolve()
    port = port or default_port()
    if not port_is_free(port):
        say(f"端口 {port} 已被占用（也许另一个 make serve 还在运行）；可以换一个端口，如 PORT={port + 1} make serve。")
        return 1
    cases = "cases/" if root == Path.cwd().resolve() else f"{root / 'cases'}/"
    say(f"正在生成页面，并监视 {cases} 中的记录和词表的改动……")
    on_sigint, on_sigterm = signal.getsignal(signal.SIGINT), signal.signal(signal.SIGTERM, _on_sigterm)
    process, grace, mkdocs = None, 0.0, []
    try:
        seen = snapshot(root / "cases")
        had_pages = (root / "docs" / "index.md").is_file()
        caches = Caches()
        caches.index = Indexer(root)
        pages = regenerate(root, KEEP if had_pages else "还没有可以预览的页面：请先修正以上错误，再运行 make serve。",
                           caches)
        if pages is None and not had_pages:
            return 1
        if pages is not None:
            say(f"已生成 {len(pages.pages)} 个页面，正在启动预览……")
        mkdocs = [start_mkdocs(root, port)]
        watch(root, mkdocs, port, seen, broken=pages is None, caches=caches)
        process = mkdocs[0]
        say(f"预览服务器意外退出（返回码 {process.returncode}），原因见上方信息。")
        return process.returncode or 1
    except KeyboardInterrupt:
        grace = 3.0
    except _Terminated:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not cut the shutdown short
        for process in mkdocs:
            stop(process, grace)
        signal.signal(signal.SIGINT, on_sigint)
        signal.signal(signal.SIGTERM, on_sigterm)
    say("已停止预览。")
    return 0
