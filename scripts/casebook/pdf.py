"""Print HTML → PDF volumes with WeasyPrint, from the project's own print templates.

WeasyPrint embeds Noto CJK as CID fonts, so the text of the PDFs copies and searches
correctly (Chromium's print-to-PDF embeds Type 3 fonts and garbles part of the text).
"""
from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .figures import format_cn
from .library import Library
from .volumes import Volume, plan_volumes

REQUIRED_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC")


class PdfError(Exception):
    """The PDFs cannot be made here (message in Chinese, for whoever runs `make pdf`)."""


def missing_fonts() -> list[str]:
    if shutil.which("fc-list") is None:
        return list(REQUIRED_FONTS)
    families = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    return [f for f in REQUIRED_FONTS if f not in families]


def make_environment(template_dir: Path) -> Environment:
    env = Environment(loader=FileSystemLoader(template_dir), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["figure"] = lambda m: format_cn(m.value, m.unit, m.approx)
    return env


def volume_html(volume: Volume, library: Library, template_dir: Path, generated: str) -> str:
    env = make_environment(template_dir)
    css = (template_dir / "print.css").read_text(encoding="utf-8")
    return env.get_template("volume.html").render(
        volume=volume, css=css, generated=generated, sources={s.id: s for s in library.vocab.sources})


def write_volumes(library: Library, out_dir: Path, template_dir: Path,
                  only: set[str] | None = None) -> list[Path]:
    from weasyprint import HTML  # imported late: the rest of the pipeline runs without it

    lacking = missing_fonts()
    if lacking:
        raise PdfError(f"未找到中文字体 {'、'.join(lacking)}，无法生成 PDF（否则汉字会显示为方框）。"
                       "请先安装 Debian 软件包 fonts-noto-cjk：sudo apt-get install fonts-noto-cjk")
    out_dir.mkdir(parents=True, exist_ok=True)
    generated = datetime.date.today().isoformat()
    written = []
    for volume in plan_volumes(library):
        if only and volume.slug not in only:
            continue
        target = out_dir / volume.filename
        HTML(string=volume_html(volume, library, template_dir, generated)).write_pdf(target)
        written.append(target)
    return written
