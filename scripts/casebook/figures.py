"""Chinese figures as printed in the sources: "130多万人次" ⇄ value 1300000, approx 多.

The validator uses this to check that a metric's value agrees with the figure in its
verbatim quote; the renderer uses it to print a value the way a Chinese reader writes it.
"""
from __future__ import annotations

import re
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, localcontext
from typing import NamedTuple

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
MAGNITUDES = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}

# Bounds that keep every figure a real one and every computation exact and cheap, whatever
# a record holds. A report's largest figures are a few 万亿元 (10^12); anything beyond these
# limits is refused with a message rather than computed.
MAX_MAGNITUDE_CHARS = 3   # 万/亿 characters in one figure (万亿 has two)
MAX_NUMBER_CHARS = 24     # digits, or Chinese numeral characters, of one figure
MAX_VALUE = Decimal(10) ** 16  # 一亿亿
# Exact for any figure within the bounds (at most 24 + 3 × 8 digits).
_EXACT = Context(prec=100, Emax=1_000, Emin=-1_000)

VALUE_TOO_LARGE = "数值过大，请核对：本库的数值不超过一亿亿（10000000000000000）"
VALUE_NOT_FINITE = "数值应为有限的数字，请核对"
QUOTE_TOO_LARGE = "引文中的数字过大，无法核对，请摘录写明该数字的原文"
NO_FIGURE = "引文中没有数字，请摘录写明该数字的原文"
LISTED_FIGURES = 10  # a mismatch message names at most this many of the quote's figures

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


class Figure(NamedTuple):
    """One number found in a text, normalised to base units (a tuple: cheap to make by
    the hundred thousand)."""
    value: Decimal
    infix: str | None   # 多 / 余 inside the figure: "130多万", "318万余"
    start: int
    end: int


def parse_cn_numeral(text: str) -> Decimal | None:
    """Value of a Chinese numeral such as 三千, 十五, 千万; None when malformed (十三五)."""
    total, section, digit = Decimal(0), Decimal(0), None
    with localcontext(_EXACT):
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


def _value(num: str, mag: str) -> Decimal | None | bool:
    """The value of one figure; None when it is no number (十三五); False when it is too
    large to be real (too many digits or 万/亿, or above MAX_VALUE)."""
    if (len(num) > MAX_NUMBER_CHARS or len(mag) > MAX_MAGNITUDE_CHARS
            or len(mag) + num.count("万") + num.count("亿") > MAX_MAGNITUDE_CHARS):
        return False
    base = Decimal(num) if num[0].isdigit() else parse_cn_numeral(num)
    if base is None:
        return None
    if mag:
        with localcontext(_EXACT):
            for ch in mag:
                base *= MAGNITUDES[ch]
    return False if base > MAX_VALUE else base


_UNSEEN = object()


def _scan(text: str) -> tuple[list[Figure], int]:
    """The figures of `text`, and how many more it holds that are too large to be real.
    Linear in the length of `text` (each distinct spelling is evaluated once)."""
    figures, too_large, values = [], 0, {}
    for m in _FIGURE.finditer(text):
        num, infix, mag, post = m.groups()
        value = values.get((num, mag), _UNSEEN)
        if value is _UNSEEN:
            value = values[num, mag] = _value(num, mag)
        if value is False:
            too_large += 1
        elif value is not None:
            start, end = m.span()
            figures.append(Figure(value, infix or post, start, end))
    return figures, too_large


def find_figures(text: str) -> list[Figure]:
    """Every number in `text`, with 万/亿 applied: "7532.85万元" → 75328500. Numbers too large
    to be real (see MAX_VALUE) are left out."""
    return _scan(text)[0]


_PREFIX_FORMS = tuple((name, tuple(forms)) for name, forms in APPROX_PREFIX.items())
_PREFIX_ENDINGS = frozenset(form[-1] for forms in APPROX_PREFIX.values() for form in forms)


def _approx_of(text: str, fig: Figure) -> str | None:
    """The qualifier the text attaches to this figure, if any. Looks only at the characters
    next to the figure (no slicing), so checking every figure of a text stays linear."""
    if fig.infix:
        return fig.infix
    if fig.start and text[fig.start - 1] in _PREFIX_ENDINGS:
        for name, forms in _PREFIX_FORMS:
            if text.endswith(forms, 0, fig.start):
                return name
    for name, forms in APPROX_SUFFIX.items():
        # allow a short unit between the figure and 以上: "80%以上", "9%以上", "85%以上"
        for form in forms:
            if text.find(form, fig.end, fig.end + 4) != -1:
                return name
    return None


def _decimal(value) -> Decimal:
    """`value` as a Decimal; NaN for anything that is not a number (never raises)."""
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:  # decimal.InvalidOperation: not a number at all
        return Decimal("NaN")


def _listing(figures: list[Figure]) -> str:
    shown = "、".join(format_plain(f.value) for f in figures[:LISTED_FIGURES])
    return shown if len(figures) <= LISTED_FIGURES else f"{shown}等 {len(figures)} 个数字"


def check_metric(value: float | int, approx: str | None, quote: str) -> str | None:
    """Why `value`/`approx` disagree with the figure in `quote`; None when they agree.
    Never raises, and takes time linear in the length of the quote."""
    wanted = _decimal(value)
    if not wanted.is_finite():
        return VALUE_NOT_FINITE
    if abs(wanted) > MAX_VALUE:
        return VALUE_TOO_LARGE
    figures, too_large = _scan(quote)
    if not figures:
        return QUOTE_TOO_LARGE if too_large else NO_FIGURE
    matches = [f for f in figures if f.value == wanted]
    if not matches:
        return (f"数值 {format_plain(wanted)} 与引文中的数字（{_listing(figures)}）不一致，"
                "请按“万=10000、亿=100000000”换算")
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
    """A number without trailing zeros or exponent: 75328500, 15.4. Exact for any finite
    number (normalised with as many digits as it has); "NaN" and "Infinity" as such."""
    d = _decimal(value)
    if d.is_finite():
        d = d.normalize(Context(prec=max(1, len(d.as_tuple().digits)), Emax=MAX_EMAX, Emin=MIN_EMIN))
    return format(d, "f")


def format_cn(value: float | int, unit: str = "", approx: str | None = None, quote: str = "") -> str:
    """A value as a Chinese reader writes it: 1300000, 人次, 多 → "130多万人次"; where the
    quote puts 多/余 after 万 ("7万多名"), so does the result. Never raises: a value the
    validator refuses (above MAX_VALUE, not finite) is printed in plain digits."""
    d = _decimal(value)
    mag = ""
    if d.is_finite() and abs(d) <= MAX_VALUE:
        with localcontext(_EXACT):
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
