"""Validation findings in the words an editor needs: pydantic's errors translated, with the
allowed value the editor most likely meant. Shared by the records' and the vocabularies' checks."""
from __future__ import annotations

import difflib


def suggest(value: str, options: list[str]) -> str | None:
    """The allowed value an editor most likely meant: "女工" → "女职工工作"."""
    value = value[:100]  # a suggestion never needs more; keeps difflib cheap on hostile input

    def is_subsequence(short: str, long: str) -> bool:
        chars = iter(long)
        return all(ch in chars for ch in short)

    within = [o for o in options if is_subsequence(value, o) or is_subsequence(o, value)]
    if within:
        return min(within, key=lambda o: abs(len(o) - len(value)))
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.5)
    return close[0] if close else None


def unknown(kind: str, value: str, options: list[str], where: str) -> str:
    guess = suggest(value, options)
    if guess:
        return f"未知{kind}“{value[:100]}”，是否应为“{guess}”？"
    return f"未知{kind}“{value[:100]}”，可选值见 {where}"


# What a pattern means, by the field it constrains (the last named part of its path).
PATTERN_MEANING = {
    "id": "编号只能使用小写英文字母、数字和连字符，如 2024-yunnan-dianzhong-water-contest",
    "slug": "只能使用小写英文字母、数字和连字符（用于网址），如 women-workers",
    "period": "格式应为 2021–2024（中间是短横“–”）或单个年份 2024",
    "as_of": "应为年 2023、年月 2023-11 或日期 2023-11-30（加引号书写，如 \"2023-11-30\"）",
    "date": "应为年 2017、年月 2017-12 或日期 2017-12-11（加引号书写）",
    "url": "应为以 http:// 或 https:// 开头的网址，且不含空格、引号和尖括号",
    "text_file": "应为原文副本的文件名，如 004_e2de244b57a95646.txt（只含字母、数字、点、下划线和连字符）",
}


def pydantic_message(err: dict, field_names: dict[tuple, list[str]],
                     patterns: dict[str, str] = PATTERN_MEANING) -> tuple[tuple, str]:
    """(field path, Chinese message) for one pydantic error; `field_names` lists the allowed
    field names by parent path, for spelling suggestions; `patterns` says what each pattern means."""
    loc = tuple(p for p in err["loc"] if p not in ("int", "float", "bool", "str"))
    kind = err["type"]
    ctx = err.get("ctx", {})
    named = [p for p in loc if isinstance(p, str)]
    last = named[-1] if named else ""
    if kind in ("greater_than", "less_than"):  # only metric values have open bounds
        return loc, "数值过大，请核对（应换算为基本单位，且绝对值小于 10 的 15 次方）"
    if len(err["loc"]) > 1 and err["loc"][-1] in ("int", "float"):
        return loc, "应为数字，如 7800000 或 15.4（不要加引号或单位）"
    if kind == "missing":
        return loc, "缺少必填字段"
    if kind == "extra_forbidden":
        parent = tuple(p for p in loc[:-1] if not isinstance(p, int))
        names = field_names.get(parent, [])
        guess = suggest(str(loc[-1]), names)
        hint = f"是否应为“{guess}”？" if guess else f"允许的字段：{'、'.join(names)}"
        return loc, f"未知字段“{str(loc[-1])[:100]}”，{hint}"
    if kind == "string_pattern_mismatch":
        return loc, patterns.get(last, "格式不正确")
    messages = {
        "string_type": "应为文字",
        "int_type": "应为整数，如 2024（不要加引号）",
        "bool_type": "应为 true 或 false",
        "list_type": "应为列表，每项一行，以“- ”开头",
        "model_type": "应为包含子字段的结构（下一行缩进书写子字段）",
        "dict_type": "应为包含子字段的结构（下一行缩进书写子字段）",
        "string_too_short": "不能为空",
        "string_too_long": f"过长：最多 {ctx.get('max_length')} 字",
        "greater_than_equal": f"不能小于 {ctx.get('ge')}",
        "less_than_equal": f"不能大于 {ctx.get('le')}",
        "too_short": f"至少需要 {ctx.get('min_length')} 项",
        "too_long": f"最多 {ctx.get('max_length')} 项",
        "literal_error": f"应为以下之一：{str(ctx.get('expected', '')).replace(chr(39), '')}",
    }
    return loc, messages.get(kind, "值不符合要求，请参照 cases/_template.yaml 填写")
