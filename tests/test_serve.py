"""`make serve`: edited, broken, added and deleted records reach the running preview, and
the pre-build step rewrites only the pages whose text changed.

The preview test runs the real command (`python -m scripts.casebook --root <copy> serve`)
on a copy of the project and reads the pages over HTTP from the real `mkdocs serve`.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import ROOT, VALID

from scripts.casebook.build import TEMPLATES
from scripts.casebook.library import load_library
from scripts.casebook.render import GENERATED, render_site

CASE_ID = "2024-yunnan-dianzhong-water-contest"
RECORD = f"cases/2024/{CASE_ID}.yaml"
TIMEOUT = 60


# -- render_site: write-if-changed ---------------------------------------------------------
def generated(docs: Path) -> dict[str, bytes]:
    return {p.relative_to(docs).as_posix(): p.read_bytes()
            for name in GENERATED for p in sorted((docs / name).rglob("*")) + [docs / name] if p.is_file()}


def test_render_site_rewrites_only_changed_pages_and_removes_deleted_ones(tree):
    tree.write_case()
    other = tree.write_case(VALID.replace("2024-yunnan-test-case", "2024-yunnan-other-case")
                            .replace("title: 测试案例", "title: 另一个测试案例"), name="2024-yunnan-other-case")
    docs = tree.root / "docs"
    (docs / "assets").mkdir(parents=True)
    (docs / "about.md").write_text("手写页面\n", encoding="utf-8")
    (docs / "assets" / "extra.css").write_text("p {}\n", encoding="utf-8")
    first = render_site(load_library(tree.root)[0], docs, TEMPLATES)
    assert "cases/2024-yunnan-other-case.md" in first.pages
    assert sorted(first.changed) == sorted(generated(docs)) and first.removed == []

    old = 1_000_000_000 * 10**9  # 2001: any rewrite would show as a newer mtime
    for path in docs.rglob("*"):
        os.utime(path, ns=(old, old))
    before = generated(docs)
    again = render_site(load_library(tree.root)[0], docs, TEMPLATES)
    assert again.changed == [] and again.removed == [] and again.pages == first.pages
    assert all(p.stat().st_mtime_ns == old for p in docs.rglob("*") if p.is_file())

    other.unlink()
    library = load_library(tree.root)[0]
    after = render_site(library, docs, TEMPLATES)
    # its page, its JSON file and its three citation files
    assert after.removed == ["cases/2024-yunnan-other-case.md", "data/cases/2024-yunnan-other-case.json",
                             *(f"data/cite/2024-yunnan-other-case.{ext}" for ext in ("bib", "json", "ris"))]
    assert not (docs / "cases" / "2024-yunnan-other-case.md").exists()
    now = generated(docs)
    assert sorted(after.changed) == sorted(p for p in now if before.get(p) != now[p])
    for page in now:  # a page whose text stayed the same was not written again
        assert ((docs / page).stat().st_mtime_ns == old) == (before.get(page) == now[page]), page
    assert (docs / "about.md").read_text(encoding="utf-8") == "手写页面\n"
    assert (docs / "assets" / "extra.css").is_file()

    # the same tree as a build into an empty folder (what `make pages` has always produced)
    fresh = tree.root / "fresh"
    render_site(library, fresh, TEMPLATES)
    assert now == generated(fresh)


# -- the preview ----------------------------------------------------------------------------
def copy_project(target: Path) -> None:
    """What `mkdocs serve` and the pre-build step need, without the generated pages."""
    shutil.copytree(ROOT / "cases", target / "cases")
    shutil.copytree(ROOT / "overrides", target / "overrides")
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    top = ROOT / "docs"
    shutil.copytree(top, target / "docs",
                    ignore=lambda d, names: [n for n in names if n in GENERATED] if Path(d) == top else [])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Preview:
    """`python -m scripts.casebook --root <root> serve` in its own process group, as a
    terminal runs it; its terminal output is collected in `lines`."""

    def __init__(self, root: Path, port: int):
        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scripts.casebook", "--root", str(root), "serve"],
            cwd=ROOT, env=dict(os.environ, PORT=str(port)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, encoding="utf-8", start_new_session=True)
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(line.rstrip("\n") for line in self.process.stdout),
                         daemon=True).start()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def get(self, path: str) -> tuple[int | None, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            return err.code, ""
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None, ""

    def wait_for(self, condition, what: str):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"serve exited early:\n{self.output}"
            result = condition()
            if result:
                return result
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what}; terminal output:\n{self.output}")

    def wait_for_page(self, path: str, status: int, text: str = "") -> str:
        def check():
            code, body = self.get(path)
            return code == status and text in body and (body or "served")
        return self.wait_for(check, f"{path} → {status} {text}")

    def stop(self) -> None:
        """Kill whatever is left of the process group (serve and mkdocs)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


def index_settled(index: Path, quiet: float = 2.0) -> bool:
    """The index folder exists and none of its files changed for `quiet` seconds."""
    files = list(index.rglob("*.json")) if index.is_dir() else []
    return bool(files) and time.time() - max(f.stat().st_mtime for f in files) > quiet


def test_preview_follows_edited_broken_added_and_deleted_records(tmp_path):
    copy_project(tmp_path)
    record = tmp_path / RECORD
    good = record.read_text(encoding="utf-8")
    title = re.search(r"^title: (.*)$", good, flags=re.M).group(1)
    page = f"/cases/{CASE_ID}/"
    preview = Preview(tmp_path, free_port())
    try:
        preview.wait_for_page("/", 200)
        assert "监视" in preview.lines[0] and "cases/" in preview.lines[0]
        assert f"预览地址：http://127.0.0.1:{preview.port}/" in preview.output
        assert title in preview.wait_for_page(page, 200)

        # an edited title shows without a restart
        edited = good.replace(f"title: {title}", "title: 预览中改过的标题")
        record.write_text(edited, encoding="utf-8")
        preview.wait_for_page(page, 200, "预览中改过的标题")
        preview.wait_for(lambda: "已更新：" in preview.output, "the update line")

        # the search index follows in the background (serve.Indexer): the preview serves it
        preview.wait_for_page("/search/manifest.json", 200)
        index = tmp_path / "docs" / "search"
        preview.wait_for(lambda: index_settled(index), "the search index of the edit")
        served = json.loads(preview.get("/search/casebook_index.json")[1])
        assert f"cases/{CASE_ID}/" in [d["location"] for d in served["docs"]]

        # a broken record: the validator's lines in the terminal, the last good pages kept
        docs_before = {p: p.stat().st_mtime_ns for p in (tmp_path / "docs").rglob("*")}
        record.write_text(re.sub(r"^level: .*$", "level: 不存在", edited, flags=re.M), encoding="utf-8")
        check = subprocess.run([sys.executable, "-m", "scripts.casebook", "--root", str(tmp_path), "check"],
                               cwd=ROOT, capture_output=True, text=True, encoding="utf-8")
        errors = check.stdout.split("\n\n")[0].splitlines()
        assert check.returncode == 1 and len(errors) == 1 and errors[0].startswith(f"{RECORD}:")
        assert ": level: " in errors[0] and "不存在" in errors[0]
        preview.wait_for(lambda: "预览保留上次生成的页面" in preview.output, "the error report")
        assert errors[0] in preview.lines
        time.sleep(2)  # several polls later
        assert {p: p.stat().st_mtime_ns for p in (tmp_path / "docs").rglob("*")} == docs_before
        assert "预览中改过的标题" in preview.get(page)[1]

        # fixed again: one confirmation line
        record.write_text(edited, encoding="utf-8")
        preview.wait_for(lambda: "记录已修正，已更新：" in preview.output, "the confirmation")

        # a new record gets its page; deleting it takes the page away
        new = tmp_path / "cases" / "2024" / "2024-yunnan-test-case.yaml"
        new.write_text(VALID, encoding="utf-8")
        preview.wait_for_page("/cases/2024-yunnan-test-case/", 200, "测试案例")
        new.unlink()
        preview.wait_for_page("/cases/2024-yunnan-test-case/", 404)
        assert not (tmp_path / "docs" / "cases" / "2024-yunnan-test-case.md").exists()

        # Ctrl+C in the terminal (SIGINT to the process group) stops both processes
        os.killpg(preview.process.pid, signal.SIGINT)
        assert preview.process.wait(timeout=30) == 0
        assert preview.lines[-1] == "已停止预览。"
        assert preview.get("/")[0] is None
        assert "Traceback" not in preview.output and "end of life" not in preview.output
        assert "Building prefix dict" not in preview.output and "INFO" not in preview.output
    finally:
        preview.stop()
