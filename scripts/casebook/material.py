"""The Material for MkDocs templates the site overrides, each written as Material's own file
with the smallest change: the library's own search worker, and what axe-core and the Nu Html
Checker report on every page:

- base.html: Material's search worker replaced by the library's
  (docs/assets/javascripts/casebook-search.js: same messages, better Chinese queries, sharded
  prebuilt index); no `autocomplete` on the drawer and search checkboxes (the attribute is not
  allowed on checkboxes);
- partials/search.html: the search dialog gets an accessible name;
- partials/toc.html: the table of contents' title points at the `__toc` toggle only on pages
  in the navigation, the only pages that have one (case and catalog pages are not in it).

`python -m scripts.casebook.material` writes the files under overrides/ from the installed
Material; tests/test_accessibility.py fails when a committed file differs from what this
writes (a Material upgrade changed the original, or someone edited the copy by hand).
"""
from __future__ import annotations

from pathlib import Path

import material

MATERIAL = Path(material.__file__).parent / "templates"
OVERRIDES = Path(__file__).resolve().parents[2] / "overrides"
# Material's search worker, named by its content hash in the installed release
MATERIAL_WORKER = next((MATERIAL / "assets" / "javascripts" / "workers").glob("search.*.min.js")).name
GENERATED_NOTE = "{#-\n  This file was automatically generated - do not edit\n-#}\n"

# template → (why, [(Material's text, ours)]); each Material text must occur exactly once
PATCHES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "base.html": ("the library's search worker; no autocomplete attribute on checkboxes", [
        (f'"search": "assets/javascripts/workers/{MATERIAL_WORKER}" | url,',
         '"search": "assets/javascripts/casebook-search.js" | url,'),
        ('type="checkbox" id="__drawer" autocomplete="off">', 'type="checkbox" id="__drawer">'),
        ('type="checkbox" id="__search" autocomplete="off">', 'type="checkbox" id="__search">'),
    ]),
    "partials/search.html": ("the search dialog is named", [
        ('data-md-component="search" role="dialog">',
         'data-md-component="search" role="dialog" aria-label="{{ lang.t(\'search\') }}">'),
    ]),
    "partials/toc.html": ("the title points at the __toc toggle only where the navigation has one", [
        ('<label class="md-nav__title" for="__toc">',
         '<label class="md-nav__title"{% if page in nav.pages %} for="__toc"{% endif %}>'),
    ]),
}


class StaleOverride(Exception):
    """Material's template no longer has the text a patch replaces."""


def patched(name: str) -> str:
    """Material's `name`, with our changes and a note saying where it comes from."""
    why, replacements = PATCHES[name]
    text = (MATERIAL / name).read_text(encoding="utf-8")
    for old, new in replacements:
        if text.count(old) != 1:
            raise StaleOverride(f"material/templates/{name}: expected {old!r} exactly once")
        text = text.replace(old, new)
    note = (f"{{#- Material {material.__version__}'s {name}, changed: {why}.\n"
            f"    Written by `python -m scripts.casebook.material`; do not edit by hand. -#}}\n")
    return note + text.removeprefix(GENERATED_NOTE)


def write_overrides(root: Path = OVERRIDES) -> list[Path]:
    written = []
    for name in PATCHES:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(patched(name), encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    for path in write_overrides():
        print(path)
