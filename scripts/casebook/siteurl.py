"""Where the site is published: one setting. mkdocs.yml reads it as
`site_url: !ENV [CASEBOOK_SITE_URL, "<default>"]`; code outside MkDocs that needs the address
(the tests' sitemap and Open Graph checks, and anything else that prints absolute URLs) calls
`site_url()`, which resolves it the same way: the environment variable, else that default."""
from __future__ import annotations

import functools
import os
import re
from pathlib import Path

MKDOCS_YML = Path(__file__).resolve().parents[2] / "mkdocs.yml"
VARIABLE = "CASEBOOK_SITE_URL"
_SETTING = re.compile(r'^site_url: !ENV \[CASEBOOK_SITE_URL, "([^"]+)"\]$', re.M)


def site_url(mkdocs_yml: Path = MKDOCS_YML) -> str:
    """The published address with a trailing slash, as MkDocs normalises site_url."""
    found = os.environ.get(VARIABLE)
    if not found:
        found = _default(mkdocs_yml, mkdocs_yml.stat().st_mtime_ns)
    return found if found.endswith("/") else found + "/"


@functools.lru_cache(maxsize=4)
def _default(mkdocs_yml: Path, mtime: int) -> str:
    """The default of the setting, read once per version of mkdocs.yml (every case's
    citation and data files ask for the address)."""
    match = _SETTING.search(mkdocs_yml.read_text(encoding="utf-8"))
    if not match:
        raise RuntimeError(f'{mkdocs_yml}: 需要 site_url: !ENV [{VARIABLE}, "默认网址"]')
    return match.group(1)
