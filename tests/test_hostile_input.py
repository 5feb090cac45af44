"""Input from contributors nobody knows: every file under cases/ is refused with a clean
`path:line: field: message`, never a traceback, and before any costly work."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT, VALID, line

from scripts.casebook.validate import validate
from scripts.casebook.vocab import load_vocabularies

F = "cases/2024/2024-yunnan-test-case.yaml"


def check(tree):
    report = validate(tree.root / "cases", load_vocabularies(tree.root / "cases" / "_vocab"), tree.root)
    return [str(p) for p in report.errors]


# -- 3. tracebacks become messages -------------------------------------------------------------
def test_control_byte(tree):
    tree.write_case(VALID.replace("summary: 一句话摘要。", "summary: 一句\x00话摘要。").encode("utf-8"))
    assert check(tree) == [f"{F}:{line(VALID, 'summary:')}: 含有不可见字符 U+0000（控制字符），它会让文字显示得与实际内容不同，请删除"]


def test_deep_nesting(tree):
    tree.write_case(VALID.replace("tags: [滇中引水]", "tags: " + "[" * 329))
    assert check(tree) == [f"{F}:{line(VALID, 'tags:')}: 嵌套层次过深（超过 8 层），请参照 cases/_template.yaml 的结构书写"]


@pytest.mark.parametrize("field, old", [("year", "year: 2024"), ("metrics 第1项 value", "value: 7800000")])
def test_five_thousand_digits(tree, field, old):
    tree.write_case(VALID.replace(old, old.split(":")[0] + ": " + "9" * 5000))
    assert check(tree) == [f"{F}:{line(VALID, old)}: {field}: 数字位数过多（最多 15 位），请核对"]


def test_runaway_magnitudes_in_a_quote(tree):
    tree.write_case(VALID.replace("quote: 会员780万人", "quote: 1" + "亿" * 60_000))
    assert check(tree) == [f"{F}:{line(VALID, 'quote:')}: metrics 第1项 quote: 过长：最多 200 字"]


def test_folder_named_like_a_record(tree):
    tree.write_case()
    (tree.root / "cases" / "2024" / "x.yaml").mkdir()
    assert check(tree) == ["cases/2024/x.yaml:1: 年份文件夹中只能有记录文件，不能再有文件夹"]


def test_broken_symlink_and_symlink_loop(tree):
    tree.write_case()
    (tree.root / "cases" / "2024" / "broken.yaml").symlink_to(tree.root / "nowhere.yaml")
    (tree.root / "cases" / "2024" / "loop.yaml").symlink_to(tree.root / "cases" / "2024" / "loop.yaml")
    assert check(tree) == ["cases/2024/broken.yaml:1: 记录不能是符号链接，请改为普通文件",
                           "cases/2024/loop.yaml:1: 记录不能是符号链接，请改为普通文件"]


def test_symlink_to_a_file_outside_the_repository_is_not_read(tree, tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-secret.yaml"
    outside.write_text(VALID, encoding="utf-8")
    (tree.root / "cases" / "2024").mkdir(parents=True)
    (tree.root / "cases" / "2024" / "2024-yunnan-test-case.yaml").symlink_to(outside)
    assert check(tree) == [f"{F}:1: 记录不能是符号链接，请改为普通文件"]


# -- 4. what passed the check and crashed the build ---------------------------------------------
def test_value_beyond_any_figure(tree):
    tree.write_case(VALID.replace("value: 7800000", "value: 1e40").replace("quote: 会员780万人", "quote: 会员1e40人"))
    assert check(tree) == [f"{F}:{line(VALID, 'value:')}: metrics 第1项 value: "
                           "数值过大，请核对（应换算为基本单位，且绝对值小于 10 的 15 次方）"]


# -- 5. cheap inputs that held CI for minutes -----------------------------------------------------
def test_huge_quote_is_refused_by_size_before_it_is_parsed(tree):
    # its cost is measured by `make bench` (scripts/bench.py check-hostile), not asserted here
    tree.write_case(VALID.replace("quote: 会员780万人", 'quote: "' + "1," * 300_000 + '"'))
    assert check(tree) == [f"{F}:1: 文件过大（600 KB，上限 200 KB），一个案例记录通常不到 10 KB，请检查是否粘贴了整篇原文"]


def test_long_titles_are_refused_before_any_comparison(tree):
    tree.write_case(VALID.replace("title: 测试案例", "title: " + "工会" * 4000))
    tree.write("cases/2024/2024-yunnan-second.yaml", VALID.replace("2024-yunnan-test-case", "2024-yunnan-second")
               .replace("title: 测试案例", "title: " + "工会" * 4000 + "二"))
    assert check(tree) == [
        f"cases/2024/2024-yunnan-second.yaml:{line(VALID, 'title:')}: title: 过长：最多 60 字",
        f"{F}:{line(VALID, 'title:')}: title: 过长：最多 60 字"]


def test_twenty_megabyte_record(tree):
    tree.write_case(VALID + "# " + "长" * 7_000_000 + "\n")
    assert check(tree) == [f"{F}:1: 文件过大（21000 KB，上限 200 KB），一个案例记录通常不到 10 KB，请检查是否粘贴了整篇原文"]


# -- 6. content integrity ------------------------------------------------------------------------
@pytest.mark.parametrize("char, name", [("\u202e", "从右到左覆盖"), ("\u200b", "零宽空格")])
def test_invisible_and_direction_changing_characters(tree, char, name):
    tree.write_case(VALID.replace("title: 测试案例", f"title: {char * 3}"))
    assert check(tree) == [f"{F}:{line(VALID, 'title:')}: 含有不可见字符 U+{ord(char):04X}（{name}），"
                           "它会让文字显示得与实际内容不同，请删除"]


@pytest.mark.parametrize("written", ["33:44", "0x7E8", "2_024", "0o3750"])
def test_yaml_1_1_number_forms_are_not_numbers(tree, written):
    tree.write_case(VALID.replace("year: 2024", f"year: {written}"))
    assert check(tree) == [f"{F}:{line(VALID, 'year:')}: year: 应为整数，如 2024（不要加引号）"]


def test_reversed_period(tree):
    text = VALID.replace("year: 2024", "year: 2024\nperiod: 2025–2020")
    tree.write_case(text)
    assert check(tree) == [f"{F}:{line(text, 'period:')}: period: 时间跨度“2025–2020”的起始年份应早于结束年份，如 2020–2025"]


@pytest.mark.parametrize("as_of, message", [
    ("2024-02-30", "日期“2024-02-30”不存在，请核对年、月、日"),
    ("2023年", "应为年 2023、年月 2023-11 或日期 2023-11-30（加引号书写，如 \"2023-11-30\"）")])
def test_impossible_as_of(tree, as_of, message):
    text = VALID.replace("    quote: 会员780万人", f'    as_of: "{as_of}"\n    quote: 会员780万人')
    tree.write_case(text)
    assert check(tree) == [f"{F}:{line(text, 'as_of:')}: metrics 第1项 as_of: {message}"]


def test_unit_must_come_from_the_vocabulary(tree):
    tree.write_case(VALID.replace("unit: 人", "unit: 万"))
    assert check(tree) == [f"{F}:{line(VALID, 'unit:')}: metrics 第1项 unit: 未知单位“万”，可选值见 cases/_vocab/units.yaml"
                           "；“万”“亿”是数量级，不是单位"]


def test_a_value_cannot_forge_a_line_in_the_check_output(tree):
    tree.write_case(VALID.replace("level: 省级", 'level: "省\\n::error::伪造"'))
    run = subprocess.run([sys.executable, "-m", "scripts.casebook", "--root", str(tree.root), "check"],
                         cwd=ROOT, capture_output=True, text=True, env={**os.environ, "CASEBOOK_SOURCES": ""})
    assert not any(out.startswith("::") for out in run.stdout.splitlines())
    assert f"{F}:{line(VALID, 'level:')}: level: 未知层级“省\\n::error::伪造”" in run.stdout


@pytest.mark.parametrize("name", ["2024-yunnan-test-case.YAML", "2024-yunnan-test-case.json",
                                  "2024-yunnan-test-case.yaml.bak", "2024-yunnan-test-case.yml"])
def test_files_that_would_not_be_published_are_errors(tree, name):
    tree.write(f"cases/2024/{name}", VALID)
    assert check(tree) == [f"cases/2024/{name}:1: 记录文件的扩展名应为 .yaml（小写），否则不会发布"]


def test_records_outside_a_year_folder_are_errors(tree):
    tree.write("cases/2024-yunnan-test-case.yaml", VALID)
    tree.write("cases/misc/2024-yunnan-test-case.yaml", VALID)
    assert check(tree) == [
        "cases/2024-yunnan-test-case.yaml:1: cases/ 中只能有年份文件夹（如 2024/）、_vocab/ 和 _template.yaml；"
        "记录请放到 cases/<年份>/<编号>.yaml，否则不会发布",
        "cases/misc:1: cases/ 中只能有年份文件夹（如 2024/）、_vocab/ 和 _template.yaml；"
        "记录请放到 cases/<年份>/<编号>.yaml，否则不会发布"]


# -- 1. vocabularies: every slug and id is a safe URL part, every URL http(s) ---------------------
@pytest.mark.parametrize("file, entry, message", [
    ("sources", "- id: x\n  title: 标题\n  url: \"javascript://%0aalert(1)\"\n",
     "第{n}项 url: 应为以 http:// 或 https:// 开头的网址，且不含空格、引号和尖括号"),
    ("sources", "- id: y\n  title: 标题\n  url: \"https://example.org/\\\"><script>alert(1)</script>\"\n",
     "第{n}项 url: 应为以 http:// 或 https:// 开头的网址，且不含空格、引号和尖括号"),
    ("regions", "- {name: 测试省, short: 测试, slug: '<img src=x onerror=alert(1)>'}\n",
     "第{n}项 slug: 只能使用小写英文字母、数字和连字符（用于网址），如 women-workers"),
    ("levels", "- {name: 社区, slug: ../../../../x}\n",
     "第{n}项 slug: 只能使用小写英文字母、数字和连字符（用于网址），如 women-workers"),
    ("themes", "- {name: 测试领域, slug: Test_Theme}\n",
     "第{n}项 slug: 只能使用小写英文字母、数字和连字符（用于网址），如 women-workers"),
])
def test_vocabulary_payloads_are_refused(tree, file, entry, message):
    from scripts.casebook.vocab import VocabularyError
    path = tree.root / "cases" / "_vocab" / f"{file}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + entry, encoding="utf-8")
    with pytest.raises(VocabularyError) as err:
        load_vocabularies(tree.root / "cases" / "_vocab", tree.root)
    where = len(text.splitlines()) + 1 + ("url:" in entry) * 2
    n = len(getattr(load_vocabularies(ROOT / "cases" / "_vocab"), file)) + 1  # the appended entry
    assert [str(p) for p in err.value.problems] == [f"cases/_vocab/{file}.yaml:{where}: {message.format(n=n)}"]
