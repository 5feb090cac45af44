"""Print HTML → PDF volumes with WeasyPrint, from the project's own print templates.

WeasyPrint embeds Noto CJK as CID fonts, so the text of the PDFs copies and searches
correctly (Chromium's print-to-PDF embeds Type 3 fonts and garbles part of the text).

A volume is rendered in chunks of cases so that memory stays bounded however large the
volume: each chunk is laid out, written and dropped before the next; its first page number
continues from the previous chunk. The front matter (cover and table of contents) is laid
out first with placeholder page numbers to learn its length, and last with the real ones.
The tagged parts are then joined by `pdfjoin` (pikepdf): one structure tree, one subset per
font for the whole file, and the outline (section → case).
"""
from __future__ import annotations

import datetime
import shutil
import subprocess
import tempfile
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .figures import format_metric
from .library import Library
from .text import file_name, inert, inside, nest_quotes
from .volumes import Volume, plan_volumes

REQUIRED_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC")
CHUNK_CASES = 40
# Tagged (structure tree, marked content, /Lang from <html lang>, /Title from <title> shown as
# the window title): what a screen reader needs.
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}
PLACEHOLDER_PAGE = 9999  # as wide as any real page number, so the contents keep their length


class PdfError(Exception):
    """The PDFs cannot be made here (message in Chinese, for whoever runs `make pdf`)."""


def missing_fonts() -> list[str]:
    if shutil.which("fc-list") is None:
        return list(REQUIRED_FONTS)
    families = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    return [f for f in REQUIRED_FONTS if f not in families]


def css_string(text: str) -> Markup:
    """A CSS string literal for a <style> block. Everything but plain ASCII letters, digits and
    spaces becomes a six-digit escape, so no quote, backslash or `<` can end it early."""
    return Markup('"' + "".join(c if c.isascii() and (c.isalnum() or c == " ") else f"\\{ord(c):06x}"
                                for c in inert(str(text))) + '"')


def _inert(value):
    """Every value printed (before autoescaping): text without control characters and bidi
    overrides; Markup (the project's own stylesheet, CSS strings) as it is."""
    return inert(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def make_environment(template_dir: Path) -> Environment:
    env = Environment(loader=FileSystemLoader(template_dir), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, finalize=_inert)
    env.filters["figure"] = format_metric
    env.filters["css_string"] = css_string
    env.filters["nest_quotes"] = nest_quotes
    return env


class VolumeWriter:
    """Renders one volume, chunk by chunk, and joins the pieces."""

    def __init__(self, library: Library, template_dir: Path, generated: str):
        self.env = make_environment(template_dir)
        # the stylesheet is the project's own file, not record text: inserted as is
        self.css = Markup((template_dir / "print.css").read_text(encoding="utf-8"))
        self.sources = {s.id: s for s in library.vocab.sources}
        self.generated = generated

    def _render(self, template: str, **context):
        from weasyprint import HTML  # imported late: the rest of the pipeline runs without it

        html = self.env.get_template(template).render(css=self.css, sources=self.sources,
                                                       generated=self.generated, **context)
        return HTML(string=html).render()

    def front(self, volume: Volume, pages: dict[str, int]):
        return self._render("front.html", volume=volume, pages=pages)

    @staticmethod
    def entries(volume: Volume) -> list[tuple[str | None, object]]:
        """(section title before this case, or None; case), in reading order."""
        out = []
        for section in volume.sections:
            out += [(section.title if i == 0 else None, case) for i, case in enumerate(section.cases)]
        return out

    def write(self, volume: Volume, target: Path, chunk_cases: int = CHUNK_CASES) -> Path:
        from .pdfjoin import OutlineEntry, join

        front_pages = len(self.front(volume, {c.id: PLACEHOLDER_PAGE for c in volume.cases}).pages)
        entries = self.entries(volume)
        starts: dict[str, int] = {}
        with tempfile.TemporaryDirectory() as tmp:
            parts, next_page = [], front_pages + 1
            for n in range(0, len(entries), chunk_cases):
                chunk = entries[n:n + chunk_cases]
                document = self._render("chunk.html", volume=volume, entries=chunk, first_page=next_page)
                for index, page in enumerate(document.pages):
                    for case_id in page.anchors:
                        starts.setdefault(case_id, next_page + index)
                part = Path(tmp) / f"part-{n:06d}.pdf"
                document.write_pdf(part, **PDF_OPTIONS)
                parts.append(part)
                next_page += len(document.pages)
                del document  # the chunk's layout is not needed any more
            front = self.front(volume, {c.id: starts[c.id] for c in volume.cases})
            if len(front.pages) != front_pages:
                raise RuntimeError("table of contents changed length with real page numbers")
            front_file = Path(tmp) / "front.pdf"
            front.write_pdf(front_file, **PDF_OPTIONS)
            outline = [OutlineEntry(inert(section.title), starts[section.cases[0].id] - 1,
                                    [OutlineEntry(inert(case.title), starts[case.id] - 1) for case in section.cases])
                       for section in volume.sections]
            join([front_file, *parts], target, outline)
        return target


def write_volumes(library: Library, out_dir: Path, template_dir: Path,
                  only: set[str] | None = None) -> list[Path]:
    lacking = missing_fonts()
    if lacking:
        raise PdfError(f"未找到中文字体 {'、'.join(lacking)}，无法生成 PDF（否则汉字会显示为方框）。"
                       "请先安装 Debian 软件包 fonts-noto-cjk：sudo apt-get install fonts-noto-cjk")
    out_dir.mkdir(parents=True, exist_ok=True)
    writer = VolumeWriter(library, template_dir, datetime.date.today().isoformat())
    return [writer.write(volume, inside(out_dir, file_name(volume.filename)))
            for volume in plan_volumes(library) if not only or volume.slug in only]
