"""A whole site build in a separate folder: generate pages and data for a library, run
`mkdocs build --strict`, prebuild the search index. Used by the tests and the benchmarks
(`make build` runs the same steps in the project itself)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from .library import Library
from .render import GENERATED, render_site
from .search import copy_lunr, write_index, write_user_dictionary

PROJECT = Path(__file__).resolve().parents[2]


def stock_search(mkdocs_yml: str, main_html: str) -> tuple[str, str]:
    """The same site with Material's own search: default search plugin settings and no
    worker override (the baseline the benchmarks compare against)."""
    plugin = re.search(r"^  - search:\n(?:(?:      .*|\s*)\n)*", mkdocs_yml, flags=re.M)
    config_block = re.search(r"\{#- Material's config block.*", main_html, flags=re.S)
    return (mkdocs_yml.replace(plugin.group(), "  - search\n"),
            main_html.replace(config_block.group(), ""))


def build_site(work: Path, library: Library, stock: bool = False) -> Path:
    """Build `library` into work/site; `stock` builds it with Material's own search."""
    work.mkdir(parents=True, exist_ok=True)
    shutil.copytree(PROJECT / "overrides", work / "overrides", dirs_exist_ok=True)
    mkdocs_yml = (PROJECT / "mkdocs.yml").read_text(encoding="utf-8")
    if stock:
        main = work / "overrides" / "main.html"
        mkdocs_yml, main_html = stock_search(mkdocs_yml, main.read_text(encoding="utf-8"))
        main.write_text(main_html, encoding="utf-8")
    (work / "mkdocs.yml").write_text(mkdocs_yml, encoding="utf-8")
    shutil.copytree(PROJECT / "docs", work / "docs", dirs_exist_ok=True,
                    ignore=lambda d, names: [n for n in names if n in GENERATED])
    render_site(library, work / "docs", PROJECT / "overrides" / "pages")
    write_user_dictionary(library, work / "build" / "jieba_userdict.txt")
    copy_lunr(PROJECT, work / "docs")
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(work / "mkdocs.yml")],
                         capture_output=True, text=True, cwd=work)
    if run.returncode != 0:
        raise RuntimeError(run.stderr)
    if not stock:
        write_index(work / "site")
    return work / "site"
