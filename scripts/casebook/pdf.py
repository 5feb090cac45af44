"""Print HTML → PDF volumes with WeasyPrint, from the project's own print templates.

WeasyPrint embeds Noto CJK as CID fonts, so the text of the PDFs copies and searches
correctly (Chromium's print-to-PDF embeds Type 3 fonts and garbles part of the text).

A volume is rendered in chunks of cases so that memory stays bounded however large the
volume: each chunk is laid out, written and dropped. Chunks hold no page numbers, so all of
them are rendered at once by two worker processes, both busy from the start; the running
header and the page numbers are stamped when the parts are joined (`pdfjoin`). The front
matter (cover and table of contents) is laid out first with placeholder page numbers to learn
its length, and last, once every chunk's page count is known, with the real ones.
Every part is a tagged PDF (WeasyPrint's PDF/UA-1 variant) whose line spans the worker folds
into their parents; the main process joins the chunks in order as they are written, while the
others render, into one structure tree with one subset per font for the whole file, puts the
front matter before them and adds the outline.
"""
from __future__ import annotations

import datetime
import multiprocessing
import os
import queue
import resource
import shutil
import subprocess
import tempfile
import traceback
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .figures import format_metric
from .library import Library
from .text import file_name, inert, inside, nest_quotes
from .volumes import Volume, current, plan_volumes, read_digests, volume_digests, write_digests

REQUIRED_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC")
CHUNK_CASES = 40
MAX_PROCESSES = 2
# A safety valve: workers are replaced after this many runs (a second or two each). A worker
# rendering chunks of 40 cases stays at ~285 MB however many it renders (measured over 14); the
# growth to ~670 MB once reported was a measuring artefact (see measure_pdf in scripts/bench.py).
TASKS_PER_PROCESS = 30
# Tagged (structure tree, marked content, /Lang from <html lang>, /Title from <title> shown as
# the window title): what a screen reader needs.
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}
PLACEHOLDER_PAGE = 9999  # as wide as any real page number, so the contents keep their length
MM = 72 / 25.4
# The running header (the volume's title) and the page number, stamped on every page but the
# cover, in the margins of print.css's @page (22 mm top, 20 mm bottom): body font, grey.
SERIF = "NotoSerifCJKsc-Regular"


def running_text(volume_title: str):
    from .pdfjoin import RunningText, Stamp

    return Stamp((RunningText(inert(volume_title), SERIF, 8.5, 0.4, -12 * MM, "/Header"),
                  RunningText("{page}", SERIF, 9, 0.267, 9 * MM, "/Footer")))


class PdfError(Exception):
    """The PDFs cannot be made here (message in Chinese, for whoever runs `make pdf`)."""


def missing_fonts() -> list[str]:
    if shutil.which("fc-list") is None:
        return list(REQUIRED_FONTS)
    families = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    return [f for f in REQUIRED_FONTS if f not in families]


def _inert(value):
    """Every value printed (before autoescaping): text without control characters and bidi
    overrides; Markup (the project's own stylesheet) as it is."""
    return inert(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def make_environment(template_dir: Path) -> Environment:
    env = Environment(loader=FileSystemLoader(template_dir), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, finalize=_inert)
    env.filters["figure"] = format_metric
    env.filters["nest_quotes"] = nest_quotes
    return env


@dataclass
class Task:
    """One WeasyPrint run: lay out a template, report its pages, write it unless only measuring."""
    volume: str          # slug
    index: int           # chunk number from 0, or FRONT_COUNT / FRONT
    template: str
    context: dict
    target: Path | None


FRONT_COUNT, FRONT = -1, -2


class Renderer:
    """The templates and the stylesheet, loaded once per process."""

    def __init__(self, template_dir: Path, sources: dict, generated: str):
        self.env = make_environment(template_dir)
        # the stylesheet is the project's own file, not record text: inserted as is
        self.css = Markup((template_dir / "print.css").read_text(encoding="utf-8"))
        self.sources = sources
        self.generated = generated

    def render(self, template: str, **context):
        from weasyprint import HTML  # imported late: the rest of the pipeline runs without it

        html = self.env.get_template(template).render(css=self.css, sources=self.sources,
                                                       generated=self.generated, **context)
        return HTML(string=html).render()

    def run(self, task: Task, report) -> None:
        """report(("laid_out", slug, index, pages, {anchor: page index})) as soon as the layout
        is known (the front matter may then start), then report(("written", slug, index))."""
        document = self.render(task.template, **task.context)
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages):
            for anchor in page.anchors:
                anchors.setdefault(anchor, number)
        report(("laid_out", task.volume, task.index, len(document.pages), anchors))
        if task.target is not None:
            document.write_pdf(task.target, **PDF_OPTIONS)
            del document
            from .pdfjoin import tidy_part

            tidy_part(task.target)  # here, in parallel, rather than in the joining process
        report(("written", task.volume, task.index))


def _worker(renderer_args: tuple, tasks, results) -> None:
    renderer = Renderer(*renderer_args)
    for _ in range(TASKS_PER_PROCESS):
        task = tasks.get()
        if task is None:
            break
        try:
            renderer.run(task, results.put)
        except BaseException:  # noqa: BLE001 - handed to the parent, which stops the build
            results.put(("failed", task.volume, task.index, traceback.format_exc()))
            return
    results.put(("retired", "", os.getpid(), peak_rss_mb()))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def entries(volume: Volume) -> list[tuple[str | None, object]]:
    """(section title before this case, or None; case), in reading order."""
    out = []
    for section in volume.sections:
        out += [(section.title if i == 0 else None, case) for i, case in enumerate(section.cases)]
    return out


class VolumeJob:
    """The WeasyPrint runs for one volume: the front matter measured, every chunk (at once, in
    any order), then the front matter with the page on which each case starts."""

    def __init__(self, volume: Volume, target: Path, work: Path, chunk_cases: int):
        self.volume, self.target, self.work = volume, target, work
        all_entries = entries(volume)
        self.chunks = [all_entries[n:n + chunk_cases] for n in range(0, len(all_entries), chunk_cases)]
        # chunks print no volume-wide data: no need to send every case to every process
        self.header = replace(volume, cases=[], sections=[])
        self.layouts: dict[int, tuple[int, dict[str, int]]] = {}  # index → pages, anchors
        self.starts: dict[str, int] = {}  # anchor → page number (from 1) in the volume
        self.front_pages: int | None = None
        self.unwritten = {FRONT, *range(len(self.chunks))}
        self.joiner = None
        self.joined = 0  # chunks joined so far
        self.finished = False

    def part(self, index: int) -> Path:
        return self.work / f"{self.volume.slug}-{'front' if index == FRONT else f'{index:06d}'}.pdf"

    def first(self) -> list[Task]:
        placeholders = {c.id: PLACEHOLDER_PAGE for c in self.volume.cases}
        return [Task(self.volume.slug, FRONT_COUNT, "front.html", {"volume": self.volume, "pages": placeholders}, None),
                *(self.chunk(index) for index in range(len(self.chunks)))]

    def chunk(self, index: int) -> Task:
        return Task(self.volume.slug, index, "chunk.html", {"volume": self.header, "entries": self.chunks[index]},
                    self.part(index))

    def laid_out(self, index: int, pages: int, anchors: dict[str, int]) -> list[Task]:
        """The tasks that can start now."""
        if index == FRONT:
            if pages != self.front_pages:
                raise RuntimeError("table of contents changed length with real page numbers")
            return []
        if index == FRONT_COUNT:
            self.front_pages = pages
            self._advance()  # chunks written before the front matter was measured
        else:
            self.layouts[index] = (pages, anchors)
        if self.front_pages is None or len(self.layouts) < len(self.chunks):
            return []
        next_page = self.front_pages + 1
        for chunk in range(len(self.chunks)):
            pages, anchors = self.layouts[chunk]
            for anchor, number in anchors.items():
                self.starts.setdefault(anchor, next_page + number)
            next_page += pages
        pages_of = {c.id: self.starts[c.id] for c in self.volume.cases}
        return [Task(self.volume.slug, FRONT, "front.html", {"volume": self.volume, "pages": pages_of},
                     self.part(FRONT))]

    def written(self, index: int) -> bool:
        """Joins what can be joined now; True when the volume is written."""
        self.unwritten.discard(index)
        self._advance()
        return not self.unwritten

    def _advance(self) -> None:
        """The body's parts are joined in order as soon as they are written (and the length of
        the front matter known), while the others are rendered; the front matter last."""
        from .pdfjoin import Joiner, OutlineEntry

        if self.front_pages is None:
            return
        if self.joiner is None:
            self.joiner = Joiner(self.front_pages, running_text(self.volume.title))
        while self.joined < len(self.chunks) and self.joined not in self.unwritten:
            self.joiner.append(self.part(self.joined))
            self.joined += 1
        if self.joined == len(self.chunks) and FRONT not in self.unwritten and not self.finished:
            outline = [OutlineEntry(inert(section.title), self.starts[section.cases[0].id] - 1,
                                    [OutlineEntry(inert(case.title), self.starts[case.id] - 1) for case in section.cases])
                       for section in self.volume.sections]
            self.joiner.finish(self.part(FRONT), self.target, outline)
            self.finished = True
            for index in (FRONT, *range(len(self.chunks))):
                self.part(index).unlink()


def render_volumes(jobs: list[VolumeJob], renderer_args: tuple, processes: int) -> list[float]:
    """Run every job, in this process or in `processes` worker processes. Returns the peak
    resident memory (MB) of each worker process that ran."""
    by_slug = {job.volume.slug: job for job in jobs}

    def handle(message) -> list[Task]:
        kind, slug, index, *rest = message
        job = by_slug[slug]
        if kind == "failed":
            raise RuntimeError(f"PDF {slug} part {index} failed:\n{rest[0]}")
        if kind == "laid_out":
            return job.laid_out(index, *rest)
        job.written(index)
        return []

    if processes <= 1 or len(jobs) == 0:
        renderer = Renderer(*renderer_args)
        pending = deque(task for job in jobs for task in job.first())
        while pending:
            messages: list = []
            renderer.run(pending.popleft(), messages.append)
            for message in messages:
                pending.extendleft(reversed(handle(message)))  # the front matter next, as below
        return []

    context = multiprocessing.get_context("spawn")  # a fresh process: no inherited font or layout state
    tasks, results = context.Queue(), context.Queue()

    def start_worker():
        worker = context.Process(target=_worker, args=(renderer_args, tasks, results), daemon=True)
        worker.start()
        return worker

    workers = [start_worker() for _ in range(processes)]
    peaks: list[float] = []
    # Tasks are handed out one ahead of the workers, not all at once, so that a volume's front
    # matter, due once its chunks are laid out, goes before the next volume's chunks: each
    # volume is finished and its joined file let go of before the next is begun.
    pending = deque(task for job in jobs for task in job.first())
    in_flight = 0

    def feed():
        nonlocal in_flight
        while pending and in_flight < processes + 1:
            tasks.put(pending.popleft())
            in_flight += 1

    try:
        feed()
        open_jobs = len(jobs)
        while open_jobs:
            try:
                message = results.get(timeout=5)
            except queue.Empty:
                if any(worker.exitcode not in (None, 0) for worker in workers):
                    raise RuntimeError("a PDF worker process ended unexpectedly") from None
                continue
            if message[0] == "retired":
                retired = next(w for w in workers if w.pid == message[2])
                peaks.append(message[3])
                retired.join()
                workers = [w for w in workers if w is not retired] + [start_worker()]
                continue
            pending.extendleft(reversed(handle(message)))
            if message[0] == "written":
                in_flight -= 1
                if not by_slug[message[1]].unwritten:
                    open_jobs -= 1
            feed()
        for _ in workers:
            tasks.put(None)
        running = {worker.pid for worker in workers}
        while running:  # each worker says once that it ends, with its peak memory
            message = results.get(timeout=60)
            if message[0] == "retired":
                running.discard(message[2])
                peaks.append(message[3])
        for worker in workers:
            worker.join()
        return peaks
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()


class VolumeWriter:
    """Renders volumes chunk by chunk and joins the pieces."""

    def __init__(self, library: Library, template_dir: Path, generated: str, processes: int = 1):
        self.renderer_args = (template_dir, {s.id: s for s in library.vocab.sources}, generated)
        self.processes = processes
        self.worker_peaks_mb: list[float] = []  # of the last write_all, for the benchmark

    def write_all(self, targets: list[tuple[Volume, Path]], chunk_cases: int = CHUNK_CASES) -> list[Path]:
        with tempfile.TemporaryDirectory() as tmp:
            jobs = [VolumeJob(volume, target, Path(tmp), chunk_cases) for volume, target in targets]
            self.worker_peaks_mb = render_volumes(jobs, self.renderer_args, self.processes)
        return [target for _, target in targets]

    def write(self, volume: Volume, target: Path, chunk_cases: int = CHUNK_CASES) -> Path:
        return self.write_all([(volume, target)], chunk_cases)[0]


def default_processes() -> int:
    """Both cores of the build machines; no more, since each WeasyPrint process holds the CJK
    fonts and a chunk's layout (~300 MB) and the whole run is kept under 1 GB."""
    return max(1, min(MAX_PROCESSES, len(os.sched_getaffinity(0))))


def write_volumes(library: Library, out_dir: Path, template_dir: Path,
                  only: set[str] | None = None, processes: int | None = None,
                  stats: dict | None = None) -> list[Path]:
    """The volumes' PDFs in `out_dir` (all, or those in `only`); a volume whose file was made
    from what it holds now (its digest, see volumes.py) is kept as it is. `stats` receives
    "worker_peaks_mb", the peak memory of each worker process (for the benchmark)."""
    lacking = missing_fonts()
    if lacking:
        raise PdfError(f"未找到中文字体 {'、'.join(lacking)}，无法生成 PDF（否则汉字会显示为方框）。"
                       "请先安装 Debian 软件包 fonts-noto-cjk：sudo apt-get install fonts-noto-cjk")
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = plan_volumes(library)
    wanted = [v for v in plan if not only or v.slug in only]
    targets = {v.slug: inside(out_dir, file_name(v.filename)) for v in wanted}
    digests = volume_digests(library, wanted)
    recorded = read_digests(out_dir)
    fresh = current(recorded, digests, out_dir)
    stale = [v for v in wanted if v.slug not in fresh]
    for volume in stale:  # until it is written again, the old file is not current
        recorded.pop(volume.slug, None)
    write_digests(out_dir, recorded)
    writer = VolumeWriter(library, template_dir, datetime.date.today().isoformat(),
                          default_processes() if processes is None else processes)
    writer.write_all([(volume, targets[volume.slug]) for volume in stale])
    if stats is not None:
        stats["worker_peaks_mb"] = writer.worker_peaks_mb
    recorded.update({v.slug: digests[v.slug] for v in stale})
    if not only:  # volumes that no longer exist (a theme without cases) leave the site
        planned = {v.slug for v in plan}
        for slug in [s for s in recorded if s not in planned]:
            del recorded[slug]
            inside(out_dir, file_name(f"{slug}.pdf")).unlink(missing_ok=True)
    write_digests(out_dir, recorded)
    return list(targets.values())
