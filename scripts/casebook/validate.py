"""Every record checked against the model, the vocabularies and its own quotes.

All findings are collected before anything is reported: an editor fixes a whole file in
one go instead of one error per run. Errors fail the check; warnings are advice.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from .figures import check_metric
from .load import Document, Problem, format_field, load_file
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


def suggest(value: str, options: list[str]) -> str | None:
    """The allowed value an editor most likely meant: "女工" → "女职工工作"."""
    def is_subsequence(short: str, long: str) -> bool:
        chars = iter(long)
        return all(ch in chars for ch in short)

    within = [o for o in options if is_subsequence(value, o) or is_subsequence(o, value)]
    if within:
        return min(within, key=lambda o: abs(len(o) - len(value)))
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.5)
    return close[0] if close else None


def _unknown(kind: str, value: str, options: list[str], where: str) -> str:
    guess = suggest(value, options)
    if guess:
        return f"未知{kind}“{value}”，是否应为“{guess}”？"
    return f"未知{kind}“{value}”，可选值见 {where}"


_FIELD_NAMES = {
    (): list(Case.model_fields), ("region",): list(Region.model_fields),
    ("measures",): list(Measure.model_fields), ("metrics",): list(Metric.model_fields),
    ("source",): list(SourceRef.model_fields),
}


def _pydantic_message(err: dict) -> tuple[tuple, str]:
    loc = tuple(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx", {})
    if loc and loc[-1] in ("int", "float") and len(loc) > 1:
        return loc[:-1], "应为数字，如 7800000 或 15.4（不要加引号或单位）"
    if kind == "missing":
        return loc, "缺少必填字段"
    if kind == "extra_forbidden":
        parent = tuple(p for p in loc[:-1] if not isinstance(p, int))
        names = _FIELD_NAMES.get(parent, [])
        guess = suggest(str(loc[-1]), names)
        hint = f"是否应为“{guess}”？" if guess else f"允许的字段：{'、'.join(names)}"
        return loc, f"未知字段“{loc[-1]}”，{hint}"
    messages = {
        "string_type": "应为文字",
        "int_type": "应为整数，如 2024（不要加引号）",
        "list_type": "应为列表，每项一行，以“- ”开头",
        "model_type": "应为包含子字段的结构（下一行缩进书写子字段）",
        "dict_type": "应为包含子字段的结构（下一行缩进书写子字段）",
        "string_too_short": "不能为空",
        "greater_than_equal": f"不能小于 {ctx.get('ge')}",
        "less_than_equal": f"不能大于 {ctx.get('le')}",
        "too_short": f"至少需要 {ctx.get('min_length')} 项",
        "too_long": f"最多 {ctx.get('max_length')} 项",
        "literal_error": f"应为以下之一：{str(ctx.get('expected', '')).replace(chr(39), '')}",
    }
    if kind == "string_pattern_mismatch":
        if loc == ("id",):
            return loc, "编号只能使用小写英文字母、数字和连字符，如 2024-yunnan-dianzhong-water-contest"
        return loc, "格式应为 2021–2024（中间是短横“–”）或单个年份 2024"
    return loc, messages.get(kind, err["msg"])


def _check_vocabulary(case: Case, vocab: Vocabularies) -> list[tuple[tuple, str]]:
    found = []
    for i, theme in enumerate(case.themes):
        if theme not in vocab.theme_names:
            found.append((("themes", i), _unknown("领域", theme, vocab.theme_names, "cases/_vocab/themes.yaml")))
        elif case.themes.index(theme) != i:
            found.append((("themes", i), f"领域“{theme}”重复，请删除一处"))
    if case.level not in vocab.level_names:
        found.append((("level",), _unknown("层级", case.level, vocab.level_names, "cases/_vocab/levels.yaml")))
    if case.region.province not in vocab.province_names:
        found.append((("region", "province"),
                      _unknown("省份", case.region.province, vocab.province_names, "cases/_vocab/regions.yaml")))
    if case.source.publication not in vocab.source_ids:
        found.append((("source", "publication"),
                      _unknown("来源", case.source.publication, vocab.source_ids, "cases/_vocab/sources.yaml")
                      + "；新的来源请先在 cases/_vocab/sources.yaml 中登记"))
    return found


def _check_metrics(case: Case) -> list[tuple[tuple, str]]:
    found = []
    for i, metric in enumerate(case.metrics):
        if metric.unit[0] in "万亿" and len(metric.unit) > 1:
            found.append((("metrics", i, "unit"),
                          f"单位“{metric.unit}”含数量级，请把数值换算为基本单位“{metric.unit[1:]}”"))
        why = check_metric(metric.value, metric.approx, metric.quote)
        if why:
            found.append((("metrics", i, "value"), why))
    return found


def _check_place(case: Case, path: Path) -> list[tuple[tuple, str]]:
    found = []
    if case.id != path.stem:
        found.append((("id",), f"编号“{case.id}”与文件名“{path.name}”不一致，请使二者相同"))
    if path.parent.name != str(case.year):
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


def check_document(doc: Document, path: Path, vocab: Vocabularies) -> tuple[Case | None, list, list]:
    """Errors and warnings of one loaded file, as (field path, message) pairs."""
    if not isinstance(doc.data, dict):
        return None, [((), "文件应为“字段: 值”形式的结构，请参照 cases/_template.yaml")], []
    try:
        case = Case.model_validate(doc.data)
    except ValidationError as err:
        # a union (int | float) reports once per member: keep each message once
        return None, list(dict.fromkeys(_pydantic_message(e) for e in err.errors())), []
    errors = (_check_place(case, path) + _check_vocabulary(case, vocab) + _check_metrics(case)
              + _template_leftovers(doc))
    return (None if errors else case), errors, _warnings(case)


# Example text from cases/_template.yaml that must not reach the library unchanged.
TEMPLATE_TEXT = {("title",): "案例标题", ("summary",): "一两句话的摘要。", ("problem",): "针对的问题。",
                 ("measures", 0, "title"): "做法小标题", ("measures", 0, "detail"): "做法的具体内容。",
                 ("lessons",): "经验启示。", ("tags", 0): "关键词", ("organization",): "某某省总工会"}
SIMILAR_TITLE = 0.6


def _template_leftovers(doc: Document) -> list[tuple[tuple, str]]:
    found = []
    for loc, text in TEMPLATE_TEXT.items():
        value = doc.data
        for key in loc:
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                value = None
                break
        if value == text:
            found.append((loc, f"仍是模板中的示例文字“{text}”，请改写为本案例的内容"))
    return found


def _possible_duplicates(records: list[Record]) -> list[Problem]:
    """Same organisation and a similar title: likely the same case entered twice."""
    found = []
    for i, later in enumerate(records):
        for earlier in records[:i]:
            a, b = earlier.case, later.case
            ratio = difflib.SequenceMatcher(None, a.title, b.title).ratio()
            if a.organization == b.organization and ratio >= SIMILAR_TITLE:
                found.append(Problem(later.doc.file, later.doc.line_of(("title",)), "title",
                                     f"可能与 {earlier.doc.file}（“{a.title}”）重复：实施单位相同、标题相近，请确认不是同一案例"))
    return found


def case_files(cases_dir: Path) -> list[Path]:
    """Record files: cases/<year>/*.yaml, skipping the vocabularies and _template.yaml."""
    return sorted(p for p in cases_dir.rglob("*.y*ml")
                  if not any(part.startswith("_") for part in p.relative_to(cases_dir).parts))


def validate(cases_dir: Path, vocab: Vocabularies, root: Path | None = None) -> Report:
    root = root or cases_dir.parent
    report = Report()
    seen: dict[str, str] = {}
    for path in case_files(cases_dir):
        shown = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        if path.suffix != ".yaml":
            report.errors.append(Problem(shown, 1, "", "记录文件的扩展名应为 .yaml"))
            continue
        doc, problem = load_file(path, shown)
        if problem:
            report.errors.append(problem)
            continue
        case, errors, warnings = check_document(doc, path, vocab)
        report.errors += [Problem(shown, doc.line_of(loc), format_field(loc), msg) for loc, msg in errors]
        report.warnings += [Problem(shown, doc.line_of(loc), format_field(loc), msg) for loc, msg in warnings]
        if case is None:
            continue
        if case.id in seen:
            report.errors.append(Problem(shown, doc.line_of(("id",)), "id",
                                         f"编号“{case.id}”与 {seen[case.id]} 重复，请改用另一个编号"))
            continue
        seen[case.id] = shown
        report.records.append(Record(case, doc, path))
    report.warnings += _possible_duplicates(report.records)
    return report
