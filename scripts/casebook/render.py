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
import multiprocessing
import posixpath
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from .export import ExportCache, data_files
from .figures import format_metric
from .library import FACETS, Catalog, Library
from .model import Case
from . import research
from .overview import overview
from .text import file_name, inert, inside, is_web_url, link_target, nest_quotes
from .volumes import DOWNLOADS, built_volumes, plan_volumes, volume_slug

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
    # LibYAML's emitter: the same text as yaml.safe_dump, without the pure-Python emitter's cost
    # on every one of thousands of pages
    body = yaml.dump({k: v for k, v in fields.items() if v is not None}, Dumper=yaml.CSafeDumper,
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


def web_a(url) -> Markup:
    """`web_link` for a raw-HTML block, where Markdown escapes would show."""
    url = str(url)
    if is_web_url(url):
        return Markup(f'<a href="{html.escape(url)}">{html_text(url)}</a>')
    return html_text(url)


# Catalogs, the home page and the downloads page only repeat what the case pages say:
# keeping them out of the search index keeps it lean and puts the cases first. Case pages
# are indexed from their records (search.case_documents), hand-written pages by Material's
# indexer (search.handwritten_documents); Material's search plugin itself indexes nothing
# in a build, which spares MkDocs the work.
NOT_INDEXED = {"exclude": True}


def html_text(value) -> Markup:
    """Plain text for a raw-HTML block, where Markdown escapes would show literally."""
    return Markup(html.escape(inert(" ".join(str(value).split()))))


def make_environment(template_dir: Path) -> Environment:
    # auto_reload off: each template is compiled once per build, not stat()ed for every page
    env = Environment(loader=FileSystemLoader(template_dir), finalize=md_escape,
                      undefined=StrictUndefined, keep_trailing_newline=True,
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters["figure"] = format_metric
    env.filters["safe_name"] = safe_name
    env.filters["h"] = html_text
    env.filters["web_link"] = web_link
    env.filters["web_a"] = web_a
    env.filters["nest_quotes"] = nest_quotes
    env.globals["research"] = research
    return env


class PageCache:
    """Rendered case and catalog pages kept between runs by `make serve`, each with what it
    was rendered from (its cases, related cases, numbers): a page whose inputs are the same
    objects as last time is not rendered again. Valid for one set of vocabularies."""

    def __init__(self) -> None:
        self.context = None
        self.pages: dict[str, tuple[tuple, str]] = {}
        self.rendered = 0  # pages rendered (not reused) in the last run
        self.docs: Path | None = None  # the folder the last run wrote into
        self.synced: dict[str, bytes] = {}  # every generated file as the last run left it on disk
        self.export = ExportCache()
        self.env: tuple[Path, Environment] | None = None  # templates compiled once per session
        self.related: tuple[tuple, dict[str, list[str]]] = ((), {})  # what ranks them → related ids


def related_signature(library: Library) -> tuple:
    """Everything related cases are ranked by (library.RelatedIndex), in library order: an edit
    that leaves it alone (a title, a summary, a metric) leaves every related list alone."""
    return tuple((c.id, c.year, tuple(c.themes), tuple(c.tags), c.organization, c.region.province)
                 for c in library.cases)


class PageWriter:
    """Renders the generated pages of one library into memory: `pages` maps each page's
    path under docs/ to its Markdown, in the order they were rendered. With a PageCache,
    pages whose inputs did not change are taken from it."""

    def __init__(self, library: Library, template_dir: Path, built_volumes: frozenset[str] = frozenset(),
                 cache: PageCache | None = None):
        self.library = library
        self.built_volumes = built_volumes  # PDF volumes made from the current records (volumes.py)
        if cache is not None and cache.env is not None and cache.env[0] == template_dir:
            self.env = cache.env[1]
        else:
            self.env = make_environment(template_dir)
            if cache is not None:
                cache.env = (template_dir, self.env)
        self.pages: dict[str, str] = {}
        self.cache = cache
        if cache is not None:
            if cache.context != (library.vocab, template_dir):
                cache.context, cache.pages = (library.vocab, template_dir), {}
            cache.rendered = 0
            signature = related_signature(library)
            if cache.related[0] != signature:
                cache.related = (signature, {c.id: [r.id for r in library.related(c)] for c in library.cases})
            self.by_id = {c.id: c for c in library.cases}

    def related(self, case: Case) -> list[Case]:
        if self.cache is None:
            return self.library.related(case)
        return [self.by_id[i] for i in self.cache.related[1][case.id]]

    # -- links: built from ids and slugs, checked here whatever the validator let through --
    @staticmethod
    def root_of(page: str) -> str:
        return "../" * link_target(page).count("/")

    def link(self, page: str, text: str, target: str) -> Markup:
        return Markup(f"[{md_escape(text)}]({self.root_of(page)}{link_target(target)})")

    @staticmethod
    def url_of(page: str) -> str:
        """The directory URL (mkdocs.yml: use_directory_urls) of a page under docs/."""
        stem = link_target(page).removesuffix(".md")
        return "" if stem == "index" else stem.removesuffix("/index") + "/"

    def a(self, page: str, text: str, target: str) -> Markup:
        """A raw-HTML link from `page` to the page `target`: MkDocs does not rewrite links in
        raw HTML, so the href is relative to the page's directory URL, as MkDocs writes it."""
        href = posixpath.relpath(self.url_of(target) or ".", self.url_of(page) or ".")
        return Markup(f'<a href="{"./" if href == "." else href + "/"}">{html_text(text)}</a>')

    def case_a(self, page: str, case: Case) -> Markup:
        return self.a(page, case.title, f"cases/{case.id}.md")

    def catalog_a(self, page: str, facet: str, key: str) -> Markup:
        catalog = self.library.catalog_of(facet, key)
        return self.a(page, catalog.label, catalog.path)

    def case_link(self, page: str, case: Case) -> Markup:
        return self.link(page, case.title, f"cases/{case.id}.md")

    # -- pages -------------------------------------------------------------------------------
    def cached(self, page: str, inputs: tuple | None) -> bool:
        """True when the cache holds `page` rendered from `inputs` (then taken from it)."""
        if self.cache is None or inputs is None:
            return False
        hit = self.cache.pages.get(page)
        if hit is None or hit[0] != inputs:
            return False
        self.pages[page] = hit[1]
        return True

    def write(self, page: str, template: str, inputs: tuple | None = None, **context) -> None:
        """Render `page`; `inputs`: everything the page shows, for the cache (None: always render)."""
        if self.cached(page, inputs):
            return
        self.pages[page] = self.env.get_template(template).render(page=page, w=self, lib=self.library, **context)
        if self.cache is not None:
            self.cache.rendered += 1
            if inputs is not None:
                self.cache.pages[page] = (inputs, self.pages[page])

    def write_case(self, case: Case) -> None:
        page = f"cases/{case.id}.md"
        related = self.related(case)
        inputs = (case, tuple(related)) if self.cache is not None else None
        if self.cached(page, inputs):  # before the front matter, which costs as much as the page
            return
        source = self.library.vocab.source(case.source.publication)
        # indexed by `casebook index` from the record (search.case_documents), not by Material
        self.write(page, "case.tmpl.md", inputs, case=case, source=source, related=related,
                   meta=front_matter(title=case.title, description=case.summary, case_id=case.id, search=NOT_INDEXED,
                                     **research.case_meta(self.library, case)))

    def write_catalog(self, catalog: Catalog, facet_label: str) -> None:
        """The catalog's pages, `library.CATALOG_PAGE` cases each, linked to one another."""
        volume = volume_slug(catalog)
        # raw HTML links are not rewritten by MkDocs: climb from the page's directory URL
        pdf_href = (Markup("../" * (catalog.path.count("/") + 1) + f"{DOWNLOADS}/" + safe_name(f"{volume}.pdf"))
                    if volume in self.built_volumes else None)
        pages = catalog.page_count
        for number in range(1, pages + 1):
            title = f"{facet_label}：{catalog.label}" + (f"（第 {number} 页）" if number > 1 else "")
            cases = catalog.page_cases(number)
            inputs = (tuple(cases), len(catalog.cases), number, pages, pdf_href)
            self.write(catalog.page_path(number), "catalog.tmpl.md", inputs, catalog=catalog, facet_label=facet_label,
                       pdf_href=pdf_href, number=number, pages=pages, cases=cases,
                       first=catalog.page_first(number),
                       meta=front_matter(title=title, catalog=catalog.facet, search=NOT_INDEXED))

    def page_links(self, page: str, catalog: Catalog, number: int) -> Markup:
        """"上一页 · 1 2 3 · 下一页" between the pages of a catalog; the current page unlinked."""
        if catalog.page_count == 1:
            return Markup("")
        parts = [self.a(page, "上一页", catalog.page_path(number - 1))] if number > 1 else []
        parts += [Markup(f'<strong aria-current="page">{n}</strong>') if n == number
                  else self.a(page, str(n), catalog.page_path(n)) for n in range(1, catalog.page_count + 1)]
        if number < catalog.page_count:
            parts.append(self.a(page, "下一页", catalog.page_path(number + 1)))
        return Markup(" ").join(parts)

    def write_catalog_index(self, facet: str, facet_label: str) -> None:
        self.write(f"catalogs/{facet}/index.md", "catalog-index.tmpl.md",
                   facet=facet, facet_label=facet_label, catalogs=self.library.catalogs[facet],
                   meta=front_matter(title=f"按{facet_label}浏览", catalog=facet, search=NOT_INDEXED))

    def write_all(self) -> dict[str, str]:
        cases = self.library.cases
        forked = None
        if self.cache is None and len(cases) >= PARALLEL_FROM:
            # the second core renders the second half of the case pages (citations included)
            # while this process renders the first half and every other page
            self.library.related(cases[0]), self.library.history  # built once, before the fork
            half = len(cases) // 2
            forked = _fork_cases(self, half)
            cases = cases[:half]
        for case in cases:
            self.write_case(case)
        if forked is not None:
            pool, result = forked
            self.pages.update(result.get())
            pool.join()
        for facet, label in FACETS:
            self.write_catalog_index(facet, label)
            for catalog in self.library.catalogs[facet]:
                if catalog.cases:
                    self.write_catalog(catalog, label)
        self.write("index.md", "home.tmpl.md", facets=FACETS,
                   meta=front_matter(search=NOT_INDEXED))  # Material titles the home page with site_name
        self.write("overview.md", "overview.tmpl.md", meta=front_matter(title="案例概览", search=NOT_INDEXED),
                   **overview(self.library))
        self.write("downloads.md", "downloads.tmpl.md", volumes=plan_volumes(self.library), built=self.built_volumes,
                   meta=front_matter(title="下载 PDF", search=NOT_INDEXED))
        research.write_pages(self)
        return self.pages


PARALLEL_FROM = 200  # cases; below this a second process costs more than it saves
_WRITER: PageWriter | None = None  # the writer a forked process renders with


def _render_cases_from(start: int) -> dict[str, str]:
    for case in _WRITER.library.cases[start:]:
        _WRITER.write_case(case)
    return _WRITER.pages


def _fork_cases(writer: PageWriter, start: int):
    """The case pages from `start` on, rendered by a forked process: (the closed pool, an
    AsyncResult whose get() gives them, page → Markdown)."""
    global _WRITER
    _WRITER = writer
    pool = multiprocessing.get_context("fork").Pool(1)
    result = pool.apply_async(_render_cases_from, (start,))
    pool.close()
    return pool, result


def handwritten_pages(docs_dir: Path) -> list[str]:
    """The Markdown pages under docs/ (posix, relative) that the build does not generate."""
    pages = [p.relative_to(docs_dir).as_posix() for p in docs_dir.rglob("*.md")]
    return sorted(p for p in pages if p.split("/")[0] not in GENERATED)


def generated_files(docs_dir: Path) -> set[str]:
    """Paths under docs/ (posix, relative) of the files the build owns, as they are now."""
    found = set()
    for name in GENERATED:
        target = docs_dir / name
        if target.is_dir():
            found.update(p.relative_to(docs_dir).as_posix() for p in target.rglob("*") if not p.is_dir())
        elif target.exists():
            found.add(name)
    return found


@dataclass
class Rendered:
    """Every generated page, and what the sync changed on disk: `changed` (new or different
    files, data included) and `removed`."""
    pages: list[str]
    changed: list[str]
    removed: list[str]


def sync_generated(docs_dir: Path, files: dict[str, bytes], written: set[str] = frozenset(),
                   known: set[str] | None = None) -> tuple[list[str], list[str]]:
    """Make the generated part of docs/ hold exactly `files`: write a file only when its
    bytes differ, delete generated files that are no longer produced (a deleted record's
    page) and the folders they leave empty. Untouched files keep their mtime, so that
    `mkdocs serve` sees only real changes. `written`: pages known to be on disk as they are
    in `files` (reused from make serve's cache), not read again; `known`: the generated files
    on disk, when the caller knows them (else the folders are listed). Returns (changed, removed)."""
    removed = sorted((generated_files(docs_dir) if known is None else known) - set(files))
    for rel in removed:
        (docs_dir / rel).unlink(missing_ok=True)
    changed = []
    for rel, data in files.items():
        if rel in written and (docs_dir / rel).is_file():
            continue
        target = inside(docs_dir, rel)  # a path outside docs/, whatever a slug says, is refused
        if target.is_file() and target.read_bytes() == data:
            continue
        if target.is_dir():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        changed.append(rel)
    for name in GENERATED if removed else ():  # deepest first: a folder emptied by its children goes too
        top = docs_dir / name
        if top.is_dir():
            for folder in sorted([top, *(p for p in top.rglob("*") if p.is_dir())], reverse=True):
                if not any(folder.iterdir()):
                    folder.rmdir()
    return changed, removed


def render_site(library: Library, docs_dir: Path, template_dir: Path, cache: PageCache | None = None) -> Rendered:
    """Render every generated page and data file in memory, then sync them into docs/."""
    pages = PageWriter(library, template_dir, frozenset(built_volumes(library, docs_dir)), cache).write_all()
    files = {page: text.encode("utf-8") for page, text in pages.items()} | \
        data_files(library, cache.export if cache is not None else None)
    # a file the last run synced into this same folder with these bytes is on disk as it is
    same_folder = cache is not None and cache.docs == docs_dir
    written = {rel for rel, data in files.items() if cache.synced.get(rel) == data} if same_folder else set()
    changed, removed = sync_generated(docs_dir, files, written, set(cache.synced) if same_folder else None)
    if cache is not None:
        cache.docs, cache.synced = docs_dir, files
    return Rendered(list(pages), changed, removed)
