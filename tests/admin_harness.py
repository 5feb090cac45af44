"""The web editor against a temporary copy of the project: decap-server (Decap's local
backend, pinned in package.json) on localhost writes the copy's files, and the editor's
page is served from the copy's docs/admin/ with a config whose backend is that server."""
from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from conftest import ROOT, served

from scripts.casebook.admin import build_admin, material_stylesheet
from scripts.casebook.vocab import load_vocabularies


GIT_ENV = {"PATH": "/usr/bin:/bin", "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@localhost",
           "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@localhost"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def project_copy(target: Path) -> Path:
    """The records, vocabularies, template, schema, docs and build wiring of the project."""
    for name in ("cases", "docs", "overrides", "schema"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("admin"))
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    # what editor() adds for the page; decap-server commits everything else it finds
    (target / ".gitignore").write_text("docs/admin/\ndocs/assets/stylesheets/\n", encoding="utf-8")
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "copy")
    return target


def git(repo: Path, *args: str) -> str:
    env = {**GIT_ENV, "HOME": str(repo)}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


@contextlib.contextmanager
def decap_server(project: Path):
    """decap-server in its git mode, standing in for GitHub: the editorial workflow saves each
    case on a branch cms/cases/<slug> of `project` (a pull request's branch); yields its URL."""
    port = free_port()
    env = {**GIT_ENV, "HOME": str(project), "PORT": str(port), "MODE": "git", "BIND_HOST": "127.0.0.1",
           "GIT_REPO_DIRECTORY": str(project), "LOG_LEVEL": "warn"}
    process = subprocess.Popen(["node", str(ROOT / "node_modules" / "decap-server" / "dist" / "index.js")],
                               env=env, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(200):  # until it answers, or the test's own timeout
            try:
                urllib.request.urlopen(urllib.request.Request(url, data=b'{"action":"info"}',
                                       headers={"Content-Type": "application/json"}), timeout=1)
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(process.stdout.read().decode())
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@contextlib.contextmanager
def editor(project: Path):
    """The base URL of the editor's page for `project`, backed by decap-server."""
    with decap_server(project) as api:
        vocab = load_vocabularies(project / "cases" / "_vocab", project)
        build_admin(vocab, project, project / "docs", local_backend=api)
        css = project / "docs" / "assets" / "stylesheets"
        css.mkdir(parents=True, exist_ok=True)
        import material
        shutil.copy(Path(material.__file__).parent / "templates" / "assets" / "stylesheets" / material_stylesheet(), css)
        with served(project / "docs") as base:
            yield f"{base}/admin/"
