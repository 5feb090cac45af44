"""One test per class of bad record: the exact `path:line: field: message` an editor sees."""
from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT, VALID, line

from scripts.casebook.validate import validate
from scripts.casebook.vocab import load_vocabularies

F = "cases/2024/2024-yunnan-test-case.yaml"


def check(tree):
    vocab = load_vocabularies(tree.root / "cases" / "_vocab")
    report = validate(tree.root / "cases", vocab, tree.root)
    return [str(p) for p in report.errors], [str(p) for p in report.warnings], report


def test_valid_record_has_no_errors(tree):
    tree.write_case()
    errors, warnings, report = check(tree)
    assert errors == [] and warnings == []
    assert [r.case.id for r in report.records] == ["2024-yunnan-test-case"]


def test_unknown_theme_suggests_the_right_one(tree):
    text = VALID.replace("  - 劳动和技能竞赛", "  - 劳动和技能竞赛\n  - 女工")
    tree.write_case(text)
    assert check(tree)[0] == [f"{F}:{line(text, '女工')}: themes 第2项: 未知领域“女工”，是否应为“女职工工作”？"]


def test_yaml_syntax_error_names_the_line(tree):
    tree.write_case(VALID.replace("title: 测试案例", "title: [测试案例"))
    errors = check(tree)[0]
    assert len(errors) == 1
    # PyYAML notices the unclosed bracket on the next line; the editor is sent to where it opened
    assert errors == [f"{F}:{line(VALID, 'title')}: YAML 语法错误：方括号 [ ] 没有闭合，或其中的值含有冒号（请给该值加引号）"]


def test_duplicate_key_is_an_error_not_a_silent_overwrite(tree):
    text = VALID.replace("summary: 一句话摘要。", "summary: 一句话摘要。\nsummary: 另一个摘要。")
    tree.write_case(text)
    first, second = line(text, "summary:"), line(text, "summary:", 2)
    assert check(tree)[0] == [
        f"{F}:{second}: summary: 字段重复（第 {first} 行已有同名字段），只会保留其中一个而丢失另一个，请合并为一处"]


def test_unknown_field_suggests_spelling(tree):
    text = VALID.replace("summary:", "sumary:")
    tree.write_case(text)
    assert check(tree)[0] == [f"{F}:1: summary: 缺少必填字段",
                              f"{F}:{line(text, 'sumary')}: sumary: 未知字段“sumary”，是否应为“summary”？"]


def test_missing_nested_field_points_at_its_parent(tree):
    tree.write_case(VALID.replace("    quote: 会员780万人\n", ""))
    assert check(tree)[0] == [f"{F}:{line(VALID, '- label: 会员')}: metrics 第1项 quote: 缺少必填字段"]


def test_wrong_types(tree):
    tree.write_case(VALID.replace("year: 2024", 'year: "2024"').replace("value: 7800000", "value: 780万"))
    assert check(tree)[0] == [f"{F}:{line(VALID, 'year:')}: year: 应为整数，如 2024（不要加引号）",
                              f"{F}:{line(VALID, 'value:')}: metrics 第1项 value: 应为数字，如 7800000 或 15.4（不要加引号或单位）"]


def test_id_must_match_file_name(tree):
    tree.write_case(VALID, name="2024-yunnan-other")
    assert check(tree)[0] == ["cases/2024/2024-yunnan-other.yaml:1: id: "
                              "编号“2024-yunnan-test-case”与文件名“2024-yunnan-other.yaml”不一致，请使二者相同"]


def test_id_must_be_an_ascii_slug(tree):
    tree.write_case(VALID.replace("id: 2024-yunnan-test-case", "id: 2024_云南"))
    assert check(tree)[0] == [f"{F}:1: id: 编号只能使用小写英文字母、数字和连字符，如 2024-yunnan-dianzhong-water-contest"]


def test_duplicate_ids_across_files(tree):
    tree.write_case()
    tree.write("cases/2023/2024-yunnan-test-case.yaml", VALID.replace("year: 2024", "year: 2023"))
    errors = check(tree)[0]
    assert errors == ["cases/2024/2024-yunnan-test-case.yaml:1: id: "
                      "编号“2024-yunnan-test-case”与 cases/2023/2024-yunnan-test-case.yaml 重复，请改用另一个编号"]


def test_year_must_match_folder(tree):
    tree.write_case(VALID, year="2023")
    assert check(tree)[0] == [f"cases/2023/2024-yunnan-test-case.yaml:{line(VALID, 'year:')}: year: "
                              "年份 2024 与所在文件夹“2023”不一致，请把文件放到 cases/2024/"]


def test_unknown_level_province_and_source(tree):
    tree.write_case(VALID.replace("level: 省级", "level: 省")
                    .replace("province: 云南省", "province: 云南")
                    .replace("publication: innovation-cases-2024", "publication: innovation-2024"))
    assert check(tree)[0] == [
        f"{F}:{line(VALID, 'province:')}: region province: 未知省份“云南”，是否应为“云南省”？",
        f"{F}:{line(VALID, 'level:')}: level: 未知层级“省”，是否应为“省级”？",
        f"{F}:{line(VALID, 'publication:')}: source publication: 未知来源“innovation-2024”，是否应为“innovation-cases-2024”？"
        "；新的来源请先在 cases/_vocab/sources.yaml 中登记（见 CONTRIBUTING.md）",
    ]


def test_empty_file(tree):
    tree.write_case("")
    assert check(tree)[0] == [f"{F}:1: 文件为空"]


def test_comment_only_file(tree):
    tree.write_case("# 只有注释\n")
    assert check(tree)[0] == [f"{F}:1: 文件中没有内容（只有注释）"]


def test_not_utf8_names_the_line(tree):
    tree.write_case(VALID.replace("title: 测试案例", "title: 测试").encode("utf-8")
                    .replace("测试".encode(), "测试".encode("gb18030")))
    assert check(tree)[0] == [f"{F}:{line(VALID, 'title:')}: 文件不是 UTF-8 编码，请用 UTF-8 重新保存"]


def test_alias_is_refused(tree):
    tree.write_case(VALID.replace("summary: 一句话摘要。", "summary: &s 一句话摘要。")
                    .replace("problem: 职工找不到工会。", "problem: *s"))
    assert check(tree)[0] == [f"{F}:{line(VALID, 'problem:')}: 不支持 YAML 别名“*s”，请把内容直接写出"]


def test_value_must_agree_with_quote(tree):
    tree.write_case(VALID.replace("value: 7800000", "value: 780"))
    assert check(tree)[0] == [
        f"{F}:{line(VALID, 'value:')}: metrics 第1项 value: 数值 780 与引文中的数字（7800000）不一致，请按“万=10000、亿=100000000”换算"]


def test_approx_must_be_given_when_the_quote_qualifies_the_figure(tree):
    tree.write_case(VALID.replace("quote: 会员780万人", "quote: 会员780多万人"))
    assert check(tree)[0] == [f"{F}:{line(VALID, 'value:')}: metrics 第1项 value: 引文写作“多”，请填写 approx: 多"]


def test_unit_with_magnitude_is_refused(tree):
    tree.write_case(VALID.replace("unit: 人", "unit: 万人"))
    assert check(tree)[0] == [f"{F}:{line(VALID, 'unit:')}: metrics 第1项 unit: 单位“万人”含数量级，请把数值换算为基本单位“人”"]


def test_all_errors_are_collected_across_files(tree):
    tree.write_case(VALID.replace("level: 省级", "level: 省"))
    tree.write("cases/2024/2024-yunnan-second.yaml", "")
    errors = check(tree)[0]
    assert len(errors) == 2


def test_long_summary_is_a_warning_not_an_error(tree):
    tree.write_case(VALID.replace("summary: 一句话摘要。", "summary: " + "长" * 201))
    errors, warnings, _ = check(tree)
    assert errors == []
    assert warnings == [f"{F}:{line(VALID, 'summary:')}: summary: 摘要 201 字，超过 200 字，建议精简"]


def test_folded_chinese_lines_join_without_spaces(tree):
    tree.write_case(VALID.replace("problem: 职工找不到工会。", "problem: >-\n  第一行，\n  第二行 ABC\n  def。"))
    report = check(tree)[2]
    assert report.records[0].case.problem == "第一行，第二行 ABC def。"


def test_check_command_exit_codes_and_output(tree):
    tree.write_case(VALID.replace("level: 省级", "level: 省"))
    run = subprocess.run([sys.executable, "-m", "scripts.casebook", "--root", str(tree.root), "check"],
                         cwd=ROOT, capture_output=True, text=True, env={**os.environ, "CASEBOOK_SOURCES": ""})
    assert run.returncode == 1
    assert run.stdout.splitlines()[0] == f"{F}:{line(VALID, 'level:')}: level: 未知层级“省”，是否应为“省级”？"
    assert "检查未通过：1 个错误" in run.stderr
    tree.write_case()
    run = subprocess.run([sys.executable, "-m", "scripts.casebook", "--root", str(tree.root), "check"],
                         cwd=ROOT, capture_output=True, text=True, env={**os.environ, "CASEBOOK_SOURCES": ""})
    assert run.returncode == 0
    assert run.stdout.splitlines() == [
        "未核对原文：要核对引文是否逐字一致、行文是否照抄原文，请运行 make check SOURCES=<原文副本文件夹>"
        "（如 make check SOURCES=../shared/sources）。",
        "检查通过：1 个案例。"]
