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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def project_copy(target: Path) -> Path:
    """The records, vocabularies, template, schema, docs and build wiring of the project."""
    for name in ("cases", "docs", "overrides", "schema"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("admin"))
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    return target


@contextlib.contextmanager
def decap_server(project: Path):
    """decap-server in its file-system mode, writing into `project`; yields its API URL."""
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "PORT": str(port), "MODE": "fs", "BIND_HOST": "127.0.0.1",
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
