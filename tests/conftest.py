"""Shared fixtures: a throw-away project tree with the real vocabularies."""
from __future__ import annotations

import contextlib
import os
import shutil
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The source texts (outside the repository): `make test SOURCES=…` or ../shared/sources/.
SOURCES = Path(os.environ.get("CASEBOOK_SOURCES") or ROOT.parent / "shared" / "sources")
if os.environ.get("CASEBOOK_SOURCES") and not SOURCES.is_dir():
    raise SystemExit(f"CASEBOOK_SOURCES={SOURCES} 不存在：要核对原文，请给出原文副本文件夹")
# the source checks are for the real records (test_sources.py); commands the tests run on
# their own small trees must not inherit them
os.environ.pop("CASEBOOK_SOURCES", None)
# Debian's chromium here and in .ci/run; the PR workflow points CHROMIUM at the runner's Chrome
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

# A minimal valid record; tests change one thing at a time.
VALID = """\
id: 2024-yunnan-test-case
title: 测试案例
organization: 云南省总工会
region:
  province: 云南省
level: 省级
themes:
  - 劳动和技能竞赛
tags: [滇中引水]
year: 2024
summary: 一句话摘要。
problem: 职工找不到工会。
measures:
  - title: 做法一
    detail: 做法一的内容。
metrics:
  - label: 会员
    value: 7800000
    unit: 人
    quote: 会员780万人
source:
  publication: innovation-cases-2024
"""


def line(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing `needle` in `text`."""
    hits = [i for i, l in enumerate(text.splitlines(), 1) if needle in l]
    return hits[nth - 1]


class Tree:
    """A project tree in a temp folder: cases/_vocab copied from the real project."""

    def __init__(self, root: Path):
        self.root = root
        shutil.copytree(ROOT / "cases" / "_vocab", root / "cases" / "_vocab")

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def write_case(self, text: str = VALID, name: str = "2024-yunnan-test-case", year: str = "2024") -> Path:
        return self.write(f"cases/{year}/{name}.yaml", text)


@pytest.fixture
def tree(tmp_path) -> Tree:
    return Tree(tmp_path)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The real library, built once per test session."""
    from scripts.casebook.build import build_site
    from scripts.casebook.library import load_library

    return build_site(tmp_path_factory.mktemp("build"), load_library(ROOT)[0])


@pytest.fixture(scope="session")
def base_url(site):
    """The real library's site, served on localhost once per test session."""
    with served(site) as url:
        yield url


@pytest.fixture(scope="session")
def payload_site(tmp_path_factory) -> Path:
    """The real library plus hostile records and vocabularies (tests/payloads.py), built once."""
    from payloads import payload_library

    from scripts.casebook.build import build_site

    return build_site(tmp_path_factory.mktemp("payload"), payload_library())


@contextlib.contextmanager
def served(directory: Path):
    """The base URL of a built site served on localhost (gzip, as static hosts do)."""
    from scripts.casebook.build import serve

    server = serve(directory)
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextlib.contextmanager
def recording_page(browser):
    """A desktop-sized page that records the URLs it requests (`page.requests`)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.requests = []
    page.on("request", lambda r: page.requests.append(r.url))
    try:
        yield page
    finally:
        page.close()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Playwright; fails (never skips) when it is missing."""
    from playwright.sync_api import sync_playwright

    from scripts.casebook.build import CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        pytest.fail("需要 Debian 的 chromium 软件包（.ci/run 会安装），或用环境变量 CHROMIUM 指定浏览器")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
