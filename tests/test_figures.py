"""Chinese figures: parsing what the sources print, and printing values back."""
from __future__ import annotations

from decimal import Decimal

import pytest

from scripts.casebook.figures import check_metric, find_figures, format_cn


@pytest.mark.parametrize("text, values", [
    ("会员780万人", ["7800000"]),
    ("挽回经济损失7532.85万元", ["75328500"]),
    ("服务女职工130多万人次", ["1300000"]),
    ("为318万余名会员", ["3180000"]),
    ("建成“驿站枫桥”百余家", ["100"]),
    ("受理劳动争议咨询千余件", ["1000"]),
    ("涉案金额近千万元", ["10000000"]),
    ("新建万余家职工书屋", ["10000"]),
    ("1.5万~2.5万元", ["15000", "25000"]),
    ("阅读量超过2.8亿", ["280000000"]),
    ("成功举办七届职工科技节", ["7"]),
    ("“十三五”规划", []),
])
def test_find_figures(text, values):
    assert [f.value for f in find_figures(text)] == [Decimal(v) for v in values]


@pytest.mark.parametrize("value, approx, quote", [
    (1300000, "多", "服务女职工130多万人次"),
    (3180000, "余", "为318万余名会员"),
    (10000000, "近", "涉案金额近千万元"),
    (280000000, "超过", "阅读量超过2.8亿"),
    (80, "以上", "比例高达80%以上"),
    (3100, "不低于", "月实发工资不低于3100元"),
    (11165, "超过", "一年建会突破11165家"),
    (15.4, None, "分别增至15.4%和13.5%"),
    (13.5, None, "分别增至15.4%和13.5%"),
])
def test_check_metric_accepts_agreeing_values(value, approx, quote):
    assert check_metric(value, approx, quote) is None


@pytest.mark.parametrize("value, approx, quote, message", [
    (780, None, "会员780万人", "数值 780 与引文中的数字（7800000）不一致，请按“万=10000、亿=100000000”换算"),
    (1300000, None, "130多万人次", "引文写作“多”，请填写 approx: 多"),
    (1300000, "近", "130万人次", "引文中没有与数字相连的“近”，请核对 approx 是否与原文一致"),
    (5, None, "全覆盖", "引文中没有数字，请摘录写明该数字的原文"),
])
def test_check_metric_explains_disagreement(value, approx, quote, message):
    assert check_metric(value, approx, quote) == message


@pytest.mark.parametrize("value, unit, approx, text", [
    (1300000, "人次", "多", "130多万人次"),
    (75328500, "元", None, "7532.85万元"),
    (80, "%", "以上", "80%以上"),
    (280000000, "次", "超过", "超过2.8亿次"),
    (2946, "人", None, "2946人"),
    (10000, "家", "余", "万余家"),
    (157000, "人", "多", "15.7万多人"),
    (2000000, "户", "余", "200余万户"),
])
def test_format_cn(value, unit, approx, text):
    assert format_cn(value, unit, approx) == text


def test_format_cn_follows_the_quote():
    assert format_cn(70000, "名", "多", "7万多名职工志愿者") == "7万多名"
    assert format_cn(3180000, "名", "余", "为318万余名会员") == "318万余名"
    assert format_cn(1300000, "人次", "多", "服务女职工130多万人次") == "130多万人次"


# -- hostile numbers: every call returns, with a message, in time linear in the quote ----------
VALUE_TOO_LARGE = "数值过大，请核对：本库的数值不超过一亿亿（10000000000000000）"
QUOTE_TOO_LARGE = "引文中的数字过大，无法核对，请摘录写明该数字的原文"
NOT_FINITE = "数值应为有限的数字，请核对"


@pytest.mark.parametrize("value, quote, message", [
    (1e40, "1" + "0" * 40, VALUE_TOO_LARGE),              # was decimal.InvalidOperation
    (10**17, "1亿亿", VALUE_TOO_LARGE),
    (1, "1" + "亿" * 125_001, QUOTE_TOO_LARGE),           # was decimal.Overflow
    (1, "1" * 1_000_000, QUOTE_TOO_LARGE),
    (1, "一万" * 300_000, QUOTE_TOO_LARGE),
    (1, "1亿亿亿亿元", QUOTE_TOO_LARGE),                  # four magnitude characters
    (5, "超过1亿亿亿亿元，另有5家", None),                 # an absurd figure does not hide a real one
    (float("nan"), "1", NOT_FINITE),
    (float("inf"), "1", NOT_FINITE),
    ("七", "7", NOT_FINITE),
    (10**12, "投资1万亿元", None),                         # the largest figures reports print
    (10**16, "10000000000000000", None),                  # the bound itself
])
def test_check_metric_is_total_on_hostile_numbers(value, quote, message):
    assert check_metric(value, None, quote) == message


def test_check_metric_is_linear_in_the_quote():
    """300,000 figures: each is looked at once (no slicing of the quote per figure). This
    took 7 s when every figure copied the text before it; now about a second."""
    assert check_metric(1, None, "1," * 300_000) is None


def test_mismatch_names_the_first_ten_figures_only():
    quote = "1," * 3_000
    assert check_metric(2, None, quote) == ("数值 2 与引文中的数字（1、1、1、1、1、1、1、1、1、1等 3000 个数字）不一致，"
                                            "请按“万=10000、亿=100000000”换算")
    assert check_metric(1, "近", quote) == "引文中没有与数字相连的“近”，请核对 approx 是否与原文一致"


def test_find_figures_leaves_out_figures_too_large_to_be_real():
    assert [f.value for f in find_figures("1万亿元和1亿亿亿亿元")] == [Decimal(10**12)]
    assert find_figures("1" * 25) == []
    assert [f.value for f in find_figures("1" * 24)] == []  # 24 digits, but above 一亿亿
    assert [f.value for f in find_figures("9" * 16)] == [Decimal("9" * 16)]


@pytest.mark.parametrize("value, text", [
    (1e40, "10000000000000000000000000000000000000000人"),  # was decimal.InvalidOperation
    (10**400, "1" + "0" * 400 + "人"),                      # exact, not rounded to 28 digits
    (10**40 + 1, "1" + "0" * 39 + "1人"),
    (float("nan"), "NaN人"),
    (float("inf"), "Infinity人"),
    (1e-7, "0.0000001人"),
    (10**16, "100000000亿人"),
])
def test_format_cn_is_total(value, text):
    assert format_cn(value, "人", None, "1," * 1000) == text
