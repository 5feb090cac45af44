"""Records → Markdown pages for MkDocs, through the templates in overrides/pages/.

Record text arrives by pull request and is untrusted: every value written into a page
goes through `md_escape` automatically (Jinja's `finalize`), so neither raw HTML nor
Markdown syntax in a record can change the page. Only values marked `Markup` pass
unescaped, and each is built here from escaped parts: links whose targets are checked to
be made of ids and slugs (`text.link_target`), source addresses linked only when they are
http(s) and then HTML-escaped, raw-HTML text through `html_text`. No page is written
outside the docs folder, whatever a slug says (`text.inside`).
"""
from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from .export import write_data
from .figures import format_metric
from .library import FACETS, Catalog, Library
from .model import Case
from .overview import overview
from .search import search_tags
from .text import file_name, inert, inside, is_web_url, link_target, nest_quotes
from .volumes import DOWNLOADS, plan_volumes, volume_slug

# Characters Python-Markdown (with the `tables` extension) treats as syntax and lets be escaped.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")
# Folders and files under docs/ that the build owns; everything else there is hand-written.
GENERATED = ("cases", "catalogs", "index.md", "downloads.md", "overview.md", "data")


def md_escape(value) -> str:
    """Plain text → Markdown that renders as exactly that text, on one line."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # numbers carry no Markdown; escaping "72.0" would print "72\\.0"
    text = inert(" ".join(str(value).split()))
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def front_matter(**fields) -> Markup:
    """YAML front matter, dumped (not templated) so that no value can break out of it.

    Values are HTML-escaped too: Material prints `page.meta.title` and `description`
    into <title> and <meta> without escaping."""
    def escape(value):
        if isinstance(value, str):
            return html.escape(inert(value))
        if isinstance(value, list):
            return [escape(v) for v in value]
        return value

    fields = {k: escape(v) for k, v in fields.items()}
    body = yaml.safe_dump({k: v for k, v in fields.items() if v is not None},
                          allow_unicode=True, sort_keys=False, width=10_000)
    return Markup(f"---\n{body}---\n")


def safe_name(name: str) -> Markup:
    """A file name for a raw-HTML link: only names we generate, never record text."""
    return Markup(file_name(name))


def web_link(url) -> Markup:
    """A source's address: an HTML-escaped link when it is http(s); anything else (a
    `javascript:` address, say) is printed as plain text and links nowhere."""
    url = str(url)
    if is_web_url(url):
        return Markup(f'<a href="{html.escape(url)}">{md_escape(url)}</a>')
    return Markup(md_escape(url))


# Catalogs, the home page and the downloads page only repeat what the case pages say:
# keeping them out of the search index keeps it lean and puts the cases first.
NOT_INDEXED = {"exclude": True}


def html_text(value) -> Markup:
    """Plain text for a raw-HTML block, where Markdown escapes would show literally."""
    return Markup(html.escape(inert(" ".join(str(value).split()))))


def make_environment(template_dir: Path) -> Environment:
    env = Environment(loader=FileSystemLoader(template_dir), finalize=md_escape,
                      undefined=StrictUndefined, keep_trailing_newline=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["figure"] = format_metric
    env.filters["safe_name"] = safe_name
    env.filters["h"] = html_text
    env.filters["web_link"] = web_link
    env.filters["nest_quotes"] = nest_quotes
    return env


class PageWriter:
    """Writes the generated pages of one library into a docs folder."""

    def __init__(self, library: Library, docs_dir: Path, template_dir: Path):
        self.library = library
        self.docs_dir = docs_dir
        self.env = make_environment(template_dir)
        self.written: list[str] = []

    # -- links: built from ids and slugs, checked here whatever the validator let through --
    @staticmethod
    def root_of(page: str) -> str:
        return "../" * link_target(page).count("/")

    def link(self, page: str, text: str, target: str) -> Markup:
        return Markup(f"[{md_escape(text)}]({self.root_of(page)}{link_target(target)})")

    def case_link(self, page: str, case: Case) -> Markup:
        return self.link(page, case.title, f"cases/{case.id}.md")

    def catalog_link(self, page: str, facet: str, key: str) -> Markup:
        catalog = self.library.catalog_of(facet, key)
        return self.link(page, catalog.label, catalog.path)

    # -- pages -------------------------------------------------------------------------------
    def write(self, page: str, template: str, **context) -> None:
        target = inside(self.docs_dir, page)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = self.env.get_template(template).render(page=page, w=self, lib=self.library, **context)
        target.write_text(text, encoding="utf-8")
        self.written.append(page)

    def write_case(self, case: Case) -> None:
        page = f"cases/{case.id}.md"
        source = self.library.vocab.source(case.source.publication)
        self.write(page, "case.tmpl.md", case=case, source=source,
                   meta=front_matter(title=case.title, description=case.summary, case_id=case.id,
                                     tags=search_tags(case, self.library)))

    def write_catalog(self, catalog: Catalog, facet_label: str) -> None:
        volume = volume_slug(catalog)
        # raw HTML links are not rewritten by MkDocs: climb from the page's directory URL
        pdf_href = (Markup("../" * (catalog.path.count("/") + 1) + f"{DOWNLOADS}/" + safe_name(f"{volume}.pdf"))
                    if volume else None)
        self.write(catalog.path, "catalog.tmpl.md", catalog=catalog, facet_label=facet_label, pdf_href=pdf_href,
                   meta=front_matter(title=f"{facet_label}：{catalog.label}", catalog=catalog.facet, search=NOT_INDEXED))

    def write_catalog_index(self, facet: str, facet_label: str) -> None:
        self.write(f"catalogs/{facet}/index.md", "catalog-index.tmpl.md",
                   facet=facet, facet_label=facet_label, catalogs=self.library.catalogs[facet],
                   meta=front_matter(title=f"按{facet_label}浏览", catalog=facet, search=NOT_INDEXED))

    def write_all(self) -> list[str]:
        for case in self.library.cases:
            self.write_case(case)
        for facet, label in FACETS:
            self.write_catalog_index(facet, label)
            for catalog in self.library.catalogs[facet]:
                if catalog.cases:
                    self.write_catalog(catalog, label)
        self.write("index.md", "home.tmpl.md", facets=FACETS,
                   meta=front_matter(search=NOT_INDEXED))  # Material titles the home page with site_name
        self.write("overview.md", "overview.tmpl.md", meta=front_matter(title="案例概览", search=NOT_INDEXED),
                   **overview(self.library))
        self.write("downloads.md", "downloads.tmpl.md", volumes=plan_volumes(self.library),
                   meta=front_matter(title="下载 PDF", search=NOT_INDEXED))
        return self.written


def clean_generated(docs_dir: Path) -> None:
    """Remove last build's generated pages so that a deleted record leaves no stale page."""
    for name in GENERATED:
        target = docs_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def render_site(library: Library, docs_dir: Path, template_dir: Path) -> list[str]:
    clean_generated(docs_dir)
    written = PageWriter(library, docs_dir, template_dir).write_all()
    write_data(library, docs_dir / "data")
    return written
