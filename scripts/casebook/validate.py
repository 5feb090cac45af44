"""Every record checked against the model, the vocabularies, its own quotes and — when the
source texts are at hand — its source.

All findings are collected before anything is reported: an editor fixes a whole file in
one go instead of one error per run. Errors fail the check; warnings are advice. Every check
is linear in the size of the record and of the library.
"""
from __future__ import annotations

import bisect
import contextlib
import datetime
import difflib
import gc
import marshal
import os
import re
import signal
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from .fidelity import SourceLibrary
from .figures import check_metric
from .load import Document, LoadError, Problem, format_field, load_file, read_file, shown
from .messages import pydantic_message, unknown
from .model import SUMMARY_MAX, Case, Measure, Metric, Region, SourceRef
from .vocab import Vocabularies


@dataclass
class Record:
    """A valid case with the document it came from (for line numbers)."""
    case: Case
    doc: Document
    path: Path


@dataclass
class Report:
    records: list[Record] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    sources_checked: bool = False


_FIELD_NAMES = {
    (): list(Case.model_fields), ("region",): list(Region.model_fields),
    ("measures",): list(Measure.model_fields), ("metrics",): list(Metric.model_fields),
    ("source",): list(SourceRef.model_fields),
}


def _check_vocabulary(case: Case, vocab: Vocabularies) -> list[tuple[tuple, str]]:
    found = []
    for i, theme in enumerate(case.themes):
        if theme not in vocab.theme_names:
            found.append((("themes", i), unknown("领域", theme, vocab.theme_names, "cases/_vocab/themes.yaml")))
        elif case.themes.index(theme) != i:
            found.append((("themes", i), f"领域“{theme}”重复，请删除一处"))
    if case.level not in vocab.level_names:
        found.append((("level",), unknown("层级", case.level, vocab.level_names, "cases/_vocab/levels.yaml")))
    if case.region.province not in vocab.province_names:
        found.append((("region", "province"),
                      unknown("省份", case.region.province, vocab.province_names, "cases/_vocab/regions.yaml")))
    if case.source.publication not in vocab.source_ids:
        found.append((("source", "publication"),
                      unknown("来源", case.source.publication, vocab.source_ids, "cases/_vocab/sources.yaml")
                      + "；新的来源请先在 cases/_vocab/sources.yaml 中登记（见 CONTRIBUTING.md）"))
    return found


def _check_metrics(case: Case, vocab: Vocabularies) -> list[tuple[tuple, str]]:
    found = []
    for i, metric in enumerate(case.metrics):
        if metric.unit[0] in "万亿" and len(metric.unit) > 1:
            found.append((("metrics", i, "unit"),
                          f"单位“{metric.unit}”含数量级，请把数值换算为基本单位“{metric.unit[1:]}”"))
        elif metric.unit not in vocab.unit_names:
            found.append((("metrics", i, "unit"), unknown("单位", metric.unit, vocab.unit_names, "cases/_vocab/units.yaml")
                          + "；“万”“亿”是数量级，不是单位"))
        if metric.as_of and (why := _date_problem(metric.as_of)):
            found.append((("metrics", i, "as_of"), why))
        why = check_metric(metric.value, metric.approx, metric.quote)
        if why:
            found.append((("metrics", i, "value"), why))
    return found


def _date_problem(text: str) -> str | None:
    parts = [int(p) for p in text.split("-")]
    try:
        datetime.date(parts[0], *(parts[1:] + [1] * (3 - len(parts))))
    except ValueError:
        return f"日期“{text}”不存在，请核对年、月、日"
    return None


def _check_time(case: Case) -> list[tuple[tuple, str]]:
    found = []
    this_year = datetime.date.today().year
    if case.year > this_year:
        found.append((("year",), f"年份 {case.year} 晚于今年（{this_year} 年），请核对"))
    if case.period and "–" in case.period:
        start, end = map(int, case.period.split("–"))
        if start >= end:
            found.append((("period",), f"时间跨度“{case.period}”的起始年份应早于结束年份，如 2020–2025"))
        elif end > this_year or start < 1925:
            found.append((("period",), f"时间跨度“{case.period}”应在 1925 年到今年（{this_year} 年）之间"))
    return found


def _check_place(case: Case, path: Path) -> list[tuple[tuple, str]]:
    found = []
    if case.id != path.stem:
        found.append((("id",), f"编号“{case.id}”与文件名“{path.name}”不一致，请使二者相同"))
    if path.parent.name != str(case.year) and case.year <= datetime.date.today().year:
        found.append((("year",), f"年份 {case.year} 与所在文件夹“{path.parent.name}”不一致，"
                                 f"请把文件放到 cases/{case.year}/"))
    return found


def _warnings(case: Case) -> list[tuple[tuple, str]]:
    found = []
    if len(case.summary) > SUMMARY_MAX:
        found.append((("summary",), f"摘要 {len(case.summary)} 字，超过 {SUMMARY_MAX} 字，建议精简"))
    if not case.metrics:
        found.append((("metrics",), "没有成效数据；如来源给出了数字，请补充"))
    return found


# Template values that are legitimate choices, not example text left behind.
_TEMPLATE_CHOICES = {("region", "province"), ("level",), ("themes", "*"), ("year",),
                     ("source", "publication"), ("metrics", "*", "unit"), ("metrics", "*", "value")}


def _leaves(data, path: tuple = ()):
    """(path with list positions, path with positions as "*", value) of every scalar."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _leaves(value, path + (i,))
    else:
        yield path, tuple("*" if isinstance(p, int) else p for p in path), data


_EXAMPLE = object()  # the key under which the example tree holds the example value of its shape


def template_examples(template: Document | None) -> dict:
    """The example values of cases/_template.yaml that must not reach the library unchanged,
    as a tree {field: {…, _EXAMPLE: value}} ("*" for any list position), built once per run,
    so that a record is walked only along the fields the template gives examples for."""
    trie: dict = {}
    if template is None or not isinstance(template.data, dict):
        return trie
    for _, shape, value in _leaves(template.data):
        if shape in _TEMPLATE_CHOICES or value in (None, ""):
            continue
        node = trie
        for part in shape:
            node = node.setdefault(part, {})
        node[_EXAMPLE] = value
    return trie


def _template_leftovers(doc: Document, examples: dict) -> list[tuple[tuple, str]]:
    """Every scalar of the record (in file order) whose shape (`_leaves`) and value are one of
    the template's examples (`template_examples`)."""
    found: list = []
    if examples:
        _walk_examples(doc.data, examples, (), found)
    return found


def _walk_examples(data, trie: dict, path: tuple, found: list) -> None:
    # a function of its own: a nested one calling itself would be a reference cycle per record
    if isinstance(data, dict):
        for key, value in data.items():
            if key in trie:
                _walk_examples(value, trie[key], path + (key,), found)
    elif isinstance(data, list):
        if "*" in trie:
            for i, value in enumerate(data):
                _walk_examples(value, trie["*"], path + (i,), found)
    elif _EXAMPLE in trie and trie[_EXAMPLE] == data and not isinstance(data, bool):
        found.append((path, f"仍是模板中的示例“{data}”，请改写为本案例的内容"))


def check_document(doc: Document, path: Path, vocab: Vocabularies,
                   examples: dict | None = None) -> tuple[Case | None, list, list]:
    """Errors and warnings of one loaded file, as (field path, message) pairs."""
    if not isinstance(doc.data, dict):
        return None, [((), "文件应为“字段: 值”形式的结构，请参照 cases/_template.yaml")], []
    leftovers = _template_leftovers(doc, examples or {})
    try:
        case = Case.model_validate(doc.data)
    except ValidationError as err:
        # a union (int | float) reports once per member: keep each message once
        return None, list(dict.fromkeys(pydantic_message(e, _FIELD_NAMES) for e in err.errors())) + leftovers, []
    errors = (_check_time(case) + _check_place(case, path) + _check_vocabulary(case, vocab)
              + _check_metrics(case, vocab) + leftovers)
    return (None if errors else case), errors, _warnings(case)


SIMILAR_TITLE = 0.6
_COMMON_PAIR = 50  # a title character pair found in more titles of one organisation says nothing


def _possible_duplicates(records: list[Record]) -> list[Problem]:
    """Same organisation and a similar title: likely the same case entered twice.

    Records are grouped by organisation, and within a group only titles that share an
    uncommon pair of characters are compared, so the work grows with the library, not with
    its square."""
    found = []
    by_org: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_org[record.case.organization].append(record)
    for group in by_org.values():
        titles = [record.case.title for record in group]
        pairs = [{title[j:j + 2] for j in range(len(title) - 1)} for title in titles]
        holders: dict[str, list[int]] = defaultdict(list)  # the records holding a pair, in order
        for i, held in enumerate(pairs):
            for pair in held:
                holders[pair].append(i)
        chars = [set(title) for title in titles]
        for i, later in enumerate(group):
            candidates: set[int] = set()
            for pair in pairs[i]:
                holding = holders[pair]
                if len(holding) <= _COMMON_PAIR:
                    candidates.update(holding[:bisect.bisect_left(holding, i)])
            title, matcher = titles[i], None
            for k in sorted(candidates):
                other = titles[k]
                # ratio() = 2 × matching characters / total length, and the matching characters
                # are at most the distinct characters shared plus the repeats of either title
                shared = len(chars[i] & chars[k]) + min(len(title) - len(chars[i]), len(other) - len(chars[k]))
                if 2.0 * shared / (len(title) + len(other)) < SIMILAR_TITLE:
                    continue
                if matcher is None:
                    matcher = difflib.SequenceMatcher(None, "", title)  # `title` indexed once
                matcher.set_seq1(other)
                if matcher.quick_ratio() >= SIMILAR_TITLE and matcher.ratio() >= SIMILAR_TITLE:
                    earlier = group[k]
                    found.append(Problem(later.doc.file, later.doc.line_of(("title",)), "title",
                                         f"可能与 {earlier.doc.file}（“{earlier.case.title}”）重复：实施单位相同、"
                                         "标题相近，请确认不是同一案例"))
    return found


_YEAR_FOLDER = re.compile(r"^\d{4}$")


def scan_cases(cases_dir: Path, root: Path) -> tuple[list[Path], list[Problem]]:
    """Record files, cases/<year>/<id>.yaml, and a problem for everything else under cases/:
    a file that is not published must never pass unnoticed."""
    records, _, problems = _scan(cases_dir, root)
    return records, problems


def _scan(cases_dir: Path, root: Path) -> tuple[list[Path], list[str], list[Problem]]:
    """`scan_cases`, with each record's path as messages show it (`shown`)."""
    records, displays, problems = [], [], []
    for entry in sorted(cases_dir.iterdir()):
        if entry.name == "_vocab" and entry.is_dir() and not entry.is_symlink():
            continue
        if entry.name == "_template.yaml" and entry.is_file() and not entry.is_symlink():
            continue
        if not (_YEAR_FOLDER.match(entry.name) and entry.is_dir() and not entry.is_symlink()):
            problems.append(Problem(shown(entry, root), 1, "", "cases/ 中只能有年份文件夹（如 2024/）、_vocab/ 和 "
                                    "_template.yaml；记录请放到 cases/<年份>/<编号>.yaml，否则不会发布"))
            continue
        folder = shown(entry, root)
        # DirEntry knows from the directory listing what each entry is: no stat per file
        with os.scandir(entry) as listing:
            files = sorted(listing, key=lambda item: item.name)
        for item in files:
            display = f"{folder}/{item.name}"
            if item.is_symlink():
                problems.append(Problem(display, 1, "", "记录不能是符号链接，请改为普通文件"))
            elif item.is_dir():
                problems.append(Problem(display, 1, "", "年份文件夹中只能有记录文件，不能再有文件夹"))
            elif not item.name.endswith(".yaml") or item.name == ".yaml":  # Path.suffix of ".yaml" is ""
                problems.append(Problem(display, 1, "", "记录文件的扩展名应为 .yaml（小写），否则不会发布"))
            else:
                records.append(entry / item.name)
                displays.append(display)
    return records, displays, problems


def case_files(cases_dir: Path) -> list[Path]:
    """The record files under cases/ (what `scan_cases` accepts)."""
    return scan_cases(cases_dir, cases_dir.parent)[0]


class CheckCache:
    """The results of loading and checking each record file, kept between runs by `make serve`:
    a file whose bytes are unchanged (vocabularies and template too) is not parsed or checked
    again, and keeps its Case object, so that the renderer can tell unchanged cases by identity."""

    def __init__(self) -> None:
        self.context: tuple | None = None
        self.files: dict[str, tuple[bytes, tuple]] = {}

    def get(self, display: str, raw: bytes):
        hit = self.files.get(display)
        return hit[1] if hit is not None and hit[0] == raw else None

    def put(self, display: str, raw: bytes, result: tuple) -> None:
        self.files[display] = (raw, result)


def _read(path: Path) -> bytes | None:
    try:
        return read_file(path)
    except (LoadError, OSError):  # reported by load_file, which checks the file again
        return None


@dataclass
class _Checking:
    """What checking one record file needs besides the file: the same for every file."""
    vocab: Vocabularies
    examples: dict
    texts: SourceLibrary | None


def _examine(path: Path, display: str, raw: bytes | None, how: _Checking) -> tuple:
    """(doc, problem, case, errors, warnings, missing_text) of one record file, `raw` being its
    bytes when already read: loaded, checked, and checked against its source text when the
    texts are given (`missing_text`: the source whose text is not at hand)."""
    doc, problem = load_file(path, display, raw)
    if problem:
        return None, problem, None, [], [], None
    case, errors, warnings = check_document(doc, path, how.vocab, how.examples)
    missing = None
    if case is not None and how.texts is not None:
        text = how.texts.text(how.vocab.source(case.source.publication).text_file)
        if text is None:
            missing = case.source.publication
        else:
            errors = errors + how.texts.check(case, text)
            case = None if errors else case
    return doc, problem, case, errors, warnings, missing


# -- two processes --------------------------------------------------------------------------------
# With at least this many files to check, a second process (fork) checks part of them: below it,
# starting the process and passing its results back costs more than it saves.
PARALLEL_MIN = 400
# The share of the files (the first ones) the main process checks itself while the second
# checks the rest: both finish together, then the main process turns the second one's results
# back into objects (a Case is validated again from its data: cheaper than unpickling one).
_OWN_SHARE = 0.5


def _compact(result: tuple) -> tuple:
    """`_examine`'s result as plain data `marshal` can carry between processes."""
    doc, problem, case, errors, warnings, missing = result
    if problem is not None:
        return (problem.file, problem.line, problem.field, problem.message), None, None, False, [], [], None
    return None, doc.data, doc.lines, case is not None, errors, warnings, missing


def _expand(compact: tuple, display: str) -> tuple:
    """The inverse of `_compact`: the Case made again from the data it was validated from."""
    problem, data, lines, valid, errors, warnings, missing = compact
    if problem is not None:
        return None, Problem(*problem), None, [], [], None
    return (Document(display, data, lines), None, Case.model_validate(data) if valid else None,
            errors, warnings, missing)


def can_fork() -> bool:
    """A second process can start as a copy of this one: fork exists, and no other thread could
    hold a lock the copy would inherit held (`make serve` runs threads: it checks in one process)."""
    return hasattr(os, "fork") and threading.active_count() == 1


def _examine_all(jobs: list[tuple], how: _Checking, parallel: bool) -> list[tuple]:
    """`_examine` of every (path, display, raw) job, in their order; with `parallel`, the last
    part of the jobs in a forked second process. If that process fails in any way, its part
    is checked here: the results never depend on how they were computed."""
    if not parallel:
        return [_examine(*job, how) for job in jobs]
    split = int(len(jobs) * _OWN_SHARE)
    theirs = jobs[split:]
    if how.texts is not None:  # read and index each source text once, before the copy
        for source in how.vocab.sources:
            how.texts.text(source.text_file)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the second process: check its part, hand it back, exit without cleanup
        status = 1
        try:
            os.close(read_end)
            blob = marshal.dumps([_compact(_examine(*job, how)) for job in theirs])
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(blob)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        results = [_examine(*job, how) for job in jobs[:split]]
        with os.fdopen(read_end, "rb") as pipe:
            blob = pipe.read()
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    _, status = os.waitpid(pid, 0)
    try:
        compacts = marshal.loads(blob) if status == 0 else None
    except (EOFError, ValueError, TypeError):
        compacts = None
    if compacts is None or len(compacts) != len(theirs):
        return results + [_examine(*job, how) for job in theirs]
    return results + [_expand(compact, display) for compact, (_, display, _) in zip(compacts, theirs)]


@contextlib.contextmanager
def _collector_paused():
    """Loading a library makes millions of objects that live on and form no reference cycles
    (tests/test_check_parallel.py checks that none are left behind): the cycle collector's passes
    over them are pure cost, a tenth of `make check` at 10,000 records. Paused while loading;
    then freeze() + unfreeze() moves what was made straight into the oldest generation, where
    only a full collection looks at it again, instead of leaving it all in the youngest, which
    the collector would go through at its next run."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:  # nobody else keeps objects frozen
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


def validate(cases_dir: Path, vocab: Vocabularies, root: Path | None = None,
             sources: Path | None = None, cache: CheckCache | None = None,
             parallel: bool | None = None) -> Report:
    """Check every record; with `sources` (the folder of source texts), also check quotes and
    prose against each record's source. `cache` (make serve) skips files unchanged since the
    last run with the same vocabularies and template. `parallel`: check the files in two
    processes (None: when there are at least PARALLEL_MIN files to check and `can_fork`); the
    report is the same either way."""
    with _collector_paused():
        return _validate(cases_dir, vocab, root, sources, cache, parallel)


def _validate(cases_dir: Path, vocab: Vocabularies, root: Path | None, sources: Path | None,
              cache: CheckCache | None, parallel: bool | None) -> Report:
    root = root or cases_dir.parent
    report = Report(sources_checked=sources is not None)
    paths, displays, report.errors = _scan(cases_dir, root)
    template, _ = load_file(cases_dir / "_template.yaml") if (cases_dir / "_template.yaml").is_file() else (None, None)
    examples = template_examples(template)
    how = _Checking(vocab, examples, SourceLibrary(sources) if sources else None)
    cached = cache is not None and how.texts is None
    if cached and cache.context != (vocab, examples):
        cache.context, cache.files = (vocab, examples), {}
    results: list = [None] * len(paths)
    jobs, positions = [], []
    for i, (path, display) in enumerate(zip(paths, displays)):
        raw = _read(path) if cached else None  # read once: for the cache and for the loader
        hit = cache.get(display, raw) if cached and raw is not None else None
        if hit is not None:
            results[i] = hit + (None,)
        else:
            jobs.append((path, display, raw))
            positions.append(i)
    parallel = (len(jobs) >= PARALLEL_MIN if parallel is None else parallel) and can_fork()
    for i, job, result in zip(positions, jobs, _examine_all(jobs, how, parallel)):
        results[i] = result
        if cached and job[2] is not None:
            cache.put(job[1], job[2], result[:5])
    missing_texts: set[str] = set()
    seen: dict[str, str] = {}
    for path, display, (doc, problem, case, errors, warnings, missing) in zip(paths, displays, results):
        if problem:
            report.errors.append(problem)
            continue
        if missing is not None:
            missing_texts.add(missing)
        problems = [Problem(display, doc.line_of(loc), format_field(loc), msg) for loc, msg in errors]
        report.errors += sorted(problems, key=lambda p: p.line)
        report.warnings += sorted((Problem(display, doc.line_of(loc), format_field(loc), msg) for loc, msg in warnings),
                                  key=lambda p: p.line)
        if case is None:
            continue
        if case.id in seen:
            report.errors.append(Problem(display, doc.line_of(("id",)), "id",
                                         f"编号“{case.id}”与 {seen[case.id]} 重复，请改用另一个编号"))
            continue
        seen[case.id] = display
        report.records.append(Record(case, doc, path))
    for key in sorted(missing_texts):
        name = vocab.source(key).text_file
        report.warnings.append(Problem("cases/_vocab/sources.yaml", 1, key,
                                       f"原文副本 {name or '（未登记 text_file）'} 不在 {sources} 中，"
                                       "引用该来源的记录未核对引文和改写"))
    report.warnings += _possible_duplicates(report.records)
    return report
