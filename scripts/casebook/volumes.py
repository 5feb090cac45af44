"""The PDF volumes: the whole library, one per theme and one per source publication.

Planned here (pure data) so that the downloads page and the catalogs can link to the
volumes without importing the PDF engine.

`make pdf` writes the volumes into docs/downloads/ (MkDocs copies them into the site) with a
digest of what each was made from: the cases, their sources, the print templates and the PDF
code. A volume is *built* when its file is there and its digest is the current one; the pages
link only to built volumes and mark the others, so no build has a broken PDF link, and
`make pdf` renders again only the volumes whose digest changed.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby
from pathlib import Path

from .library import Catalog, Library
from .model import Case

DOWNLOADS = "downloads"
# Beside the PDFs; MkDocs does not publish files whose names start with a dot.
DIGESTS = ".digests.json"
PROJECT = Path(__file__).resolve().parents[2]
# Everything besides the records that shapes a PDF (requirements.txt: the pinned engine).
PRINT_INPUTS = ("overrides/print", "scripts/casebook/pdf.py", "scripts/casebook/pdfjoin.py",
                "scripts/casebook/figures.py", "scripts/casebook/text.py", "requirements.txt")


@dataclass
class Section:
    title: str
    cases: list[Case]


@dataclass
class Volume:
    slug: str
    title: str
    scope: str
    cases: list[Case]
    sections: list[Section] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"{self.slug}.pdf"


def _sections(cases: list[Case], key, title) -> list[Section]:
    ordered = sorted(cases, key=lambda c: (key(c), c.id))
    return [Section(title(k), list(group)) for k, group in groupby(ordered, key=key)]


def plan_volumes(library: Library) -> list[Volume]:
    source_order = {s.id: i for i, s in enumerate(library.vocab.sources)}
    by_source = lambda cs: _sections(cs, lambda c: source_order[c.source.publication],  # noqa: E731
                                     lambda i: library.vocab.sources[i].cited)
    by_year = lambda cs: _sections(cs, lambda c: -c.year, lambda y: f"{-y}年")  # noqa: E731
    by_province = lambda cs: _sections(cs, lambda c: c.region.province, lambda p: p)  # noqa: E731

    volumes = [Volume("library", "工会改革创新案例库（全部案例）", "全部案例，按来源出版物编排",
                      library.cases, by_source(library.cases))]
    for catalog in library.catalogs["themes"]:
        if catalog.cases:
            volumes.append(Volume(volume_slug(catalog), f"{catalog.label}案例", f"工作领域：{catalog.label}，按年份编排",
                                  catalog.cases, by_year(catalog.cases)))
    for catalog in library.catalogs["sources"]:
        if catalog.cases:
            volumes.append(Volume(volume_slug(catalog), f"{catalog.label}案例", f"来源：{catalog.label}，按地区编排",
                                  catalog.cases, by_province(catalog.cases)))
    return volumes


VOLUME_PREFIX = {"themes": "theme", "sources": "source"}


def volume_slug(catalog: Catalog) -> str | None:
    """The PDF volume of a theme or source catalog (None for other facets)."""
    prefix = VOLUME_PREFIX.get(catalog.facet)
    return f"{prefix}-{catalog.slug}" if prefix else None


@lru_cache(maxsize=1)
def print_inputs_digest() -> str:
    digest = hashlib.sha256()
    for name in PRINT_INPUTS:
        path = PROJECT / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                digest.update(file.relative_to(PROJECT).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def volume_digests(library: Library, volumes: list[Volume]) -> dict[str, str]:
    """slug → digest of everything the volume's PDF is made from (not the date on its cover)."""
    sources = {s.id: s.model_dump_json().encode() for s in library.vocab.sources}
    case_digest = {case.id: hashlib.sha256(case.model_dump_json().encode() + b"\0"  # each case once
                                           + sources[case.source.publication]).hexdigest()
                   for case in library.cases}
    out = {}
    for volume in volumes:
        digest = hashlib.sha256(print_inputs_digest().encode())
        digest.update(json.dumps([volume.slug, volume.title, volume.scope,
                                  [[s.title, [case_digest[c.id] for c in s.cases]] for s in volume.sections]],
                                 ensure_ascii=False).encode())
        out[volume.slug] = digest.hexdigest()
    return out


def read_digests(folder: Path) -> dict[str, str]:
    try:
        recorded = json.loads((folder / DIGESTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in recorded.items() if isinstance(k, str) and isinstance(v, str)} \
        if isinstance(recorded, dict) else {}


def write_digests(folder: Path, digests: dict[str, str]) -> None:
    (folder / DIGESTS).write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def current(recorded: dict[str, str], digests: dict[str, str], folder: Path) -> set[str]:
    """Slugs among `digests` whose PDF is in `folder` and was made from what they hold now
    (`recorded`: the digests written with the files)."""
    return {slug for slug, digest in digests.items()
            if recorded.get(slug) == digest and (folder / f"{slug}.pdf").is_file()}


def current_volumes(library: Library, folder: Path) -> set[str]:
    """Slugs of the volumes whose PDF in `folder` is there and made from what they hold now."""
    recorded = read_digests(folder)
    if not recorded:  # nothing built yet: no need to hash the library
        return set()
    return current(recorded, volume_digests(library, plan_volumes(library)), folder)


def built_volumes(library: Library, docs_dir: Path) -> set[str]:
    """The volumes the pages of `docs_dir` may link to."""
    return current_volumes(library, docs_dir / DOWNLOADS)
