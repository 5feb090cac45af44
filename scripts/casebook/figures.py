"""Chinese figures as printed in the sources: "130多万人次" ⇄ value 1300000, approx 多.

The validator uses this to check that a metric's value agrees with the figure in its
verbatim quote; the renderer uses it to print a value the way a Chinese reader writes it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
MAGNITUDES = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}

# Qualifiers an editor may put in `approx`, with the spellings that may stand in the quote.
# Prefix forms stand right before the number, suffix forms right after it (or after its unit).
APPROX_PREFIX = {"近": ("近",), "约": ("约",), "超过": ("超过", "突破", "超", "上"),
                 "不低于": ("不低于",), "不少于": ("不少于",), "低于": ("低于",)}
APPROX_INFIX = ("多", "余")
APPROX_SUFFIX = {"以上": ("以上",)}
APPROX_VALUES = tuple(APPROX_PREFIX) + APPROX_INFIX + tuple(APPROX_SUFFIX)

_FIGURE = re.compile(
    r"(?P<num>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿]+)"
    r"(?P<infix>多|余)?(?P<mag>[万亿]*)(?P<post>多|余)?"
)


@dataclass(frozen=True)
class Figure:
    """One number found in a text, normalised to base units."""
    value: Decimal
    infix: str | None   # 多 / 余 inside the figure: "130多万", "318万余"
    start: int
    end: int


def parse_cn_numeral(text: str) -> Decimal | None:
    """Value of a Chinese numeral such as 三千, 十五, 千万; None when malformed (十三五)."""
    total, section, digit = Decimal(0), Decimal(0), None
    for ch in text:
        if ch in CN_DIGITS:
            if digit is not None and CN_DIGITS[ch] != 0:
                return None
            digit = CN_DIGITS[ch]
        elif ch in CN_SMALL_UNITS:
            section += (digit if digit is not None else 1) * CN_SMALL_UNITS[ch]
            digit = None
        else:  # 万 or 亿
            section += digit or 0
            if section == 0:
                section = Decimal(1)
            total = (total + section) * MAGNITUDES[ch]
            section, digit = Decimal(0), None
    return total + section + (digit or 0)


def find_figures(text: str) -> list[Figure]:
    """Every number in `text`, with 万/亿 applied: "7532.85万元" → 75328500."""
    figures = []
    for m in _FIGURE.finditer(text):
        num = m["num"]
        base = Decimal(num) if num[0].isdigit() else parse_cn_numeral(num)
        if base is None:
            continue
        for ch in m["mag"]:
            base *= MAGNITUDES[ch]
        figures.append(Figure(base, m["infix"] or m["post"], m.start(), m.end()))
    return figures


def _approx_of(text: str, fig: Figure) -> str | None:
    """The qualifier the text attaches to this figure, if any."""
    if fig.infix:
        return fig.infix
    before, after = text[:fig.start], text[fig.end:]
    for name, forms in APPROX_PREFIX.items():
        if any(before.endswith(form) for form in forms):
            return name
    for name, forms in APPROX_SUFFIX.items():
        # allow a short unit between the figure and 以上: "80%以上", "9%以上", "85%以上"
        if any(form in after[:4] for form in forms):
            return name
    return None


def check_metric(value: float | int, approx: str | None, quote: str) -> str | None:
    """Why `value`/`approx` disagree with the figure in `quote`; None when they agree."""
    figures = find_figures(quote)
    if not figures:
        return "引文中没有数字，请摘录写明该数字的原文"
    wanted = Decimal(str(value))
    matches = [f for f in figures if f.value == wanted]
    if not matches:
        found = "、".join(format_plain(f.value) for f in figures)
        return f"数值 {format_plain(wanted)} 与引文中的数字（{found}）不一致，请按“万=10000、亿=100000000”换算"
    said = {_approx_of(quote, f) for f in matches}
    if approx is None:
        infixes = {f.infix for f in matches if f.infix}
        if infixes and None not in said:
            return f"引文写作“{next(iter(infixes))}”，请填写 approx: {next(iter(infixes))}"
        return None
    if approx not in said:
        return f"引文中没有与数字相连的“{approx}”，请核对 approx 是否与原文一致"
    return None


def format_plain(value: Decimal | float | int) -> str:
    """A number without trailing zeros or exponent: 75328500, 15.4."""
    d = Decimal(str(value)).normalize()
    text = format(d, "f")
    return text


def format_cn(value: float | int, unit: str = "", approx: str | None = None, quote: str = "") -> str:
    """A value as a Chinese reader writes it: 1300000, 人次, 多 → "130多万人次"; where the
    quote puts 多/余 after 万 ("7万多名"), so does the result."""
    d = Decimal(str(value))
    mag = ""
    for name, size in (("亿", MAGNITUDES["亿"]), ("万", MAGNITUDES["万"])):
        if abs(d) >= size and (d / size) == (d / size).quantize(Decimal("0.01")):
            d, mag = d / size, name
            break
    number = format_plain(d)
    if approx in APPROX_INFIX:
        if mag and f"{number}{mag}{approx}" in quote:
            return f"{number}{mag}{approx}{unit}"
        if mag and number == "1":      # 10000, 余 → "万余", not "1余万"
            return f"{mag}{approx}{unit}"
        if mag and "." in number:      # 157000, 多 → "15.7万多"
            return f"{number}{mag}{approx}{unit}"
        return f"{number}{approx}{mag}{unit}"
    if approx in APPROX_SUFFIX:
        return f"{number}{mag}{unit}{approx}"
    prefix = approx or ""
    return f"{prefix}{number}{mag}{unit}"


def format_metric(metric) -> str:
    """A record's metric as pages and PDFs print it."""
    return format_cn(metric.value, metric.unit, metric.approx, metric.quote)
