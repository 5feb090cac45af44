"""What an editor meets in `make check` (the editors' issue, round 2): source checks, template
leftovers, implausible years, Chinese YAML advice, 1-based positions in line order, registering
a source, `make new`'s level and id, and the quiet Makefile."""
from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, VALID, line

from scripts.casebook.fidelity import SourceText
from scripts.casebook.scaffold import guess_level, propose_id
from scripts.casebook.validate import validate
from scripts.casebook.vocab import VocabularyError, load_vocabularies

F = "cases/2024/2024-yunnan-test-case.yaml"
VOCAB = load_vocabularies(ROOT / "cases" / "_vocab")
# A stand-in for the source text of innovation-cases-2024 (the real texts stay outside the
# repository): a line break inside a figure's sentence, as the extracted texts have them.
SOURCE = ("云南省总工会组织参建职工开展劳动竞赛，全省会员780万人。各级工会受理职工投诉\n\n1200件，"
          "建立省内首家建设工程工会联合会并覆盖全体参建单位，确保全线标段施工任务安全有序推进。\n")


@pytest.fixture
def sources(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / VOCAB.source("innovation-cases-2024").text_file).write_text(SOURCE, encoding="utf-8")
    return folder


def check(tree, sources=None):
    report = validate(tree.root / "cases", load_vocabularies(tree.root / "cases" / "_vocab"), tree.root, sources)
    return [str(p) for p in report.errors], [str(p) for p in report.warnings]


def cli(tree, *args, env=None):
    """The command line on `tree`, without the source texts `make test SOURCES=…` passes on."""
    return subprocess.run([sys.executable, "-m", "scripts.casebook", "--root", str(tree.root), *args], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "CASEBOOK_SOURCES": "", **(env or {})})


# -- 1. quotes and copied prose, against the source texts -------------------------------------
def test_valid_record_passes_the_source_checks(tree, sources):
    tree.write_case()
    assert check(tree, sources) == ([], [])


def test_quote_with_one_character_changed_is_refused(tree, sources):
    text = VALID.replace("    quote: 会员780万人", "    quote: 受理职工申诉1200件").replace("value: 7800000", "value: 1200") \
        .replace("unit: 人", "unit: 件")
    tree.write_case(text)
    assert check(tree, sources)[0] == [
        f"{F}:{line(text, 'quote:')}: metrics 第1项 quote: 引文与来源原文（002_2c5c2410e35df418.txt）不一致："
        "原文在“受理职工”之后是“投诉1200件”，引文却是“申诉1200件”；引文必须一字不差"]


def test_quote_across_a_line_break_of_the_source_matches(tree, sources):
    text = VALID.replace("    quote: 会员780万人", "    quote: 受理职工投诉1200件").replace("value: 7800000", "value: 1200") \
        .replace("unit: 人", "unit: 件")
    tree.write_case(text)
    assert check(tree, sources) == ([], [])


STRETCH = "请用本库自己的话改写（《》中的书名和“”中的名称除外）"


@pytest.mark.parametrize("field, written, message", [
    # word for word
    ("summary", "建立省内首家建设工程工会联合会并覆盖全体参建单位。",
     "与来源原文有连续 24 个字相同或几乎相同（“建立省内首家建设工程工会联合会并覆盖全体参建单位”），" + STRETCH),
    # a character swapped and a 、 added
    ("summary", "建立省内首个建设工程工会联合会、并覆盖全体参建单位。",
     "与来源原文有连续 24 个字相同或几乎相同（“建立省内首个建设工程工会联合会并覆盖全体参建单位”），" + STRETCH),
    # 14 characters in a row, below the stretch rule: the clause as a whole is still the source's
    ("problem", "需要全线标段施工任务安全、有序推进。",
     "这一句与来源原文几乎相同（82% 的六字片段见于原文）：“需要全线标段施工任务安全、有序推进”，请用本库自己的话改写"),
    # a name in quotation marks is a fact, not copying
    ("summary", "成立“省内首家建设工程工会联合会并覆盖全体参建单位”。", None),
], ids=["word for word", "character swapped", "whole clause", "name in quotation marks"])
def test_copied_prose(tree, sources, field, written, message):
    old = {"summary": "summary: 一句话摘要。", "problem": "problem: 职工找不到工会。"}[field]
    text = VALID.replace(old, f"{field}: {written}")
    tree.write_case(text)
    assert check(tree, sources)[0] == ([f"{F}:{line(text, field + ':')}: {field}: {message}"] if message else [])


def test_detector_on_the_kinds_the_review_found(tmp_path):
    # a source sentence with 办结→办理, one with its 、 dropped; a real paraphrase passes
    path = tmp_path / "s.txt"
    path.write_text("2016年，全国工会直接指导地方工会办结职工法律援助案件，并向市人大常委会、市政协主要领导汇报工作。",
                    encoding="utf-8")
    source = SourceText.read(path)
    assert source.copied_stretches("全国工会直接指导地方工会办理职工法律援助案件") == [
        "全国工会直接指导地方工会办理职工法律援助案件"]
    assert source.copied_stretches("向市人大常委会市政协主要领导汇报") == ["向市人大常委会市政协主要领导汇报"]
    assert source.copied_stretches("地方工会在全总指导下办理了法律援助案件") == []


def test_check_without_sources_says_they_were_skipped_and_how_to_run_them(tree):
    tree.write_case()
    run = cli(tree, "check", env={"CASEBOOK_SOURCES": ""})
    assert run.returncode == 0
    assert ("未核对原文：要核对引文是否逐字一致、行文是否照抄原文，请运行 make check SOURCES=<原文副本文件夹>"
            "（如 make check SOURCES=../shared/sources）。") in run.stdout


def test_check_with_sources_from_the_environment(tree, sources):
    text = VALID.replace("summary: 一句话摘要。", "summary: 建立省内首家建设工程工会联合会并覆盖全体参建单位。")
    tree.write_case(text)
    run = cli(tree, "check", env={"CASEBOOK_SOURCES": str(sources)})
    assert run.returncode == 1
    assert "未核对原文" not in run.stdout
    assert run.stdout.startswith(f"{F}:{line(text, 'summary:')}: summary: 与来源原文有连续 24 个字")


def test_missing_sources_folder_is_an_error(tree):
    tree.write_case()
    run = cli(tree, "check", "--sources", str(tree.root / "nowhere"))
    assert run.returncode == 2
    assert f"原文副本文件夹“{tree.root / 'nowhere'}”不存在" in run.stderr


# -- 4. template leftovers; 5. implausible years ----------------------------------------------
def test_template_example_metric_and_section_are_leftovers(tree):
    shutil.copy(ROOT / "cases" / "_template.yaml", tree.root / "cases" / "_template.yaml")
    text = (VALID.replace("  - label: 会员\n", "  - label: 示例：会员人数\n").replace("quote: 会员780万人", "quote: 示例：会员780万人")
            .replace("  publication: innovation-cases-2024", "  publication: innovation-cases-2024\n  section: 某某省总工会"))
    tree.write_case(text)
    assert check(tree)[0] == [
        f"{F}:{line(text, 'label:')}: metrics 第1项 label: 仍是模板中的示例“示例：会员人数”，请改写为本案例的内容",
        f"{F}:{line(text, 'quote:')}: metrics 第1项 quote: 仍是模板中的示例“示例：会员780万人”，请改写为本案例的内容",
        f"{F}:{line(text, 'section:')}: source section: 仍是模板中的示例“某某省总工会”，请改写为本案例的内容"]


def test_year_after_this_year_is_refused_even_in_its_own_folder(tree):
    text = VALID.replace("year: 2024", "year: 2099")
    tree.write_case(text, year="2099")
    this_year = datetime.date.today().year
    assert check(tree)[0] == [f"cases/2099/2024-yunnan-test-case.yaml:{line(text, 'year:')}: year: "
                              f"年份 2099 晚于今年（{this_year} 年），请核对"]


def test_year_before_the_acftu_is_refused(tree):
    text = VALID.replace("year: 2024", "year: 1900")
    tree.write_case(text, year="1900")
    assert check(tree)[0] == [f"cases/1900/2024-yunnan-test-case.yaml:{line(text, 'year:')}: year: 不能小于 1925"]


# -- 6. YAML syntax in Chinese, with the right advice --------------------------------------------
@pytest.mark.parametrize("broken, needle, message", [
    ("title: 测试：案例: 二", "title:", "这一行多了一个冒号“: ”。值里含有冒号时，请给整个值加上引号，如 title: \"甲: 乙\"；"
                                     "也可能是上一行缺少“字段名:”"),
    ("title: 测试案例\n\tsubtitle: x", "subtitle", "含有制表符（Tab）。YAML 只能用空格缩进，请把 Tab 换成空格"),
    ('title: "测试案例', "title:", "引号没有闭合：请在值的末尾补上对应的引号"),
    ("title: @测试", "title:", "值不能以 @、` 或 % 开头：请给整个值加上引号"),
])
def test_yaml_syntax_errors_are_explained_in_chinese(tree, broken, needle, message):
    text = VALID.replace("title: 测试案例", broken)
    tree.write_case(text)
    assert check(tree)[0] == [f"{F}:{line(text, needle)}: YAML 语法错误：{message}"]


# -- 7. positions count from 1, problems in line order -----------------------------------------
def test_positions_count_from_one_and_problems_follow_the_lines(tree):
    text = (VALID.replace("value: 7800000", "value: 780").replace("level: 省级", "level: 省")
            .replace("  - 劳动和技能竞赛", "  - 劳动和技能竞赛\n  - 女工"))
    tree.write_case(text)
    assert check(tree)[0] == [
        f"{F}:{line(text, 'level:')}: level: 未知层级“省”，是否应为“省级”？",
        f"{F}:{line(text, '女工')}: themes 第2项: 未知领域“女工”，是否应为“女职工工作”？",
        f"{F}:{line(text, 'value:')}: metrics 第1项 value: 数值 780 与引文中的数字（7800000）不一致，"
        "请按“万=10000、亿=100000000”换算"]


# -- 3. registering a source ----------------------------------------------------------------
NEW_SOURCE = """\
- id: wenling-reform
  title: 温岭市总工会改革工作报道
  title_assigned: true
  date_note: 文本未载日期；据文中“今年”“截至11月底”和与2016年的比较推断为2017年末（本库推断）。
  text_file: 004_e2de244b57a95646.txt
"""


def test_a_registered_source_updates_the_schema_on_check(tree):
    shutil.copytree(ROOT / "schema", tree.root / "schema")
    (tree.root / "cases" / "_vocab" / "sources.yaml").write_text(
        (ROOT / "cases" / "_vocab" / "sources.yaml").read_text(encoding="utf-8") + NEW_SOURCE, encoding="utf-8")
    tree.write_case(VALID.replace("publication: innovation-cases-2024", "publication: wenling-reform"))
    run = cli(tree, "check")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[0] == "词表有变化，已重新导出 schema/case.schema.json，请把它与修改一起提交。"
    assert '"wenling-reform"' in (tree.root / "schema" / "case.schema.json").read_text(encoding="utf-8")
    assert cli(tree, "check").stdout.splitlines()[0] != run.stdout.splitlines()[0]  # once only


def test_source_errors_are_chinese_with_lines(tree):
    path = tree.root / "cases" / "_vocab" / "sources.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original + "- id: Wenling Union Reform\n  text_file: ../../etc/passwd\n"
                    "- id: reform-year-2016\n  title: 重复\n", encoding="utf-8")
    first = len(original.splitlines()) + 1
    n = len(VOCAB.sources) + 1  # the position of the first appended entry
    with pytest.raises(VocabularyError) as err:
        load_vocabularies(tree.root / "cases" / "_vocab", tree.root)
    assert [str(p) for p in err.value.problems] == [
        f"cases/_vocab/sources.yaml:{first}: 第{n}项 id: 只能使用小写英文字母、数字和连字符（用于网址），如 women-workers",
        f"cases/_vocab/sources.yaml:{first}: 第{n}项 title: 缺少必填字段",
        f"cases/_vocab/sources.yaml:{first + 1}: 第{n}项 text_file: 应为原文副本的文件名，如 004_e2de244b57a95646.txt"
        "（只含字母、数字、点、下划线和连字符）",
        f"cases/_vocab/sources.yaml:{first + 2}: 第{n + 1}项 id: “reform-year-2016”与第4项重复，请删除或改用另一个值"]


def test_vocabulary_errors_stop_the_check_with_a_chinese_summary(tree):
    tree.write_case()
    path = tree.root / "cases" / "_vocab" / "levels.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "- {name: 社区, slug: ../../../../x}\n", encoding="utf-8")
    run = cli(tree, "check")
    assert run.returncode == 2
    assert run.stdout.splitlines() == [
        "cases/_vocab/levels.yaml:8: 第7项 slug: 只能使用小写英文字母、数字和连字符（用于网址），如 women-workers"]
    assert "词表文件有误（1 个错误），无法继续校验" in run.stderr


# -- make new: level from the organisation's name, id from place and keyword ---------------------
@pytest.mark.parametrize("organization, level", [
    ("云南省总工会", "省级"), ("北京市总工会", "省级"), ("深圳市总工会", "地市级"), ("杭州市余杭区总工会", "县级"),
    ("温岭市城东街道总工会", "乡镇街道"), ("全国总工会", "全国"), ("海能电商园", None)])
def test_make_new_guesses_the_level_from_the_name(organization, level):
    assert guess_level(organization, VOCAB) == level


def test_make_new_id_is_place_and_keyword():
    assert propose_id("以社保数据推动建会", "浙江省", 2017, VOCAB, "social insurance data", "温岭市总工会") == \
        "2017-zhejiang-wenling-social-insurance-data"
    assert propose_id("余杭新经济组织建会", "浙江省", 2017, VOCAB, "new-economy", "杭州市余杭区总工会") == \
        "2017-zhejiang-yuhang-new-economy"


def test_new_command_reports_the_level_it_filled_in(tree):
    shutil.copy(ROOT / "cases" / "_template.yaml", tree.root / "cases" / "_template.yaml")
    run = cli(tree, "new", "--title", "社保数据建会", "--organization", "温岭市总工会", "--province", "浙江省",
              "--year", "2017", "--keyword", "social-insurance-data")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "已创建 cases/2017/2017-zhejiang-wenling-social-insurance-data.yaml：请按文件中的注释填写，然后运行 make check。",
        "层级已按实施单位名称填为“地市级”，请核对（县级市的总工会为“县级”）。"]
    text = (tree.root / "cases" / "2017" / "2017-zhejiang-wenling-social-insurance-data.yaml").read_text(encoding="utf-8")
    assert "\nlevel: \"地市级\"\n" in text


# -- quiet commands -------------------------------------------------------------------------
def test_failed_make_check_ends_with_the_chinese_summary(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(".venv", "node_modules", "site", ".git", "docs"),
                    symlinks=True)
    (project / ".venv").symlink_to(ROOT / ".venv")
    bad = project / "cases" / "2024" / "2024-yunnan-dianzhong-water-contest.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("level: 省级", "level: 省"), encoding="utf-8")
    # a make of its own: not the SOURCES=… an outer `make test SOURCES=…` hands down (environment, MAKEFLAGS)
    outer = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "SOURCES", "CASEBOOK_SOURCES")
    run = subprocess.run(["make", "-s", "check"], cwd=project, capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k not in outer})
    assert run.returncode != 0
    assert "make: ***" not in run.stderr and "Error" not in run.stderr
    assert run.stderr.strip().splitlines()[-1] == "检查未通过：1 个错误，涉及 1 个文件（共 44 个记录文件）。".replace(
        "44", str(len(list((ROOT / "cases").glob("20*/*.yaml")))))


def test_a_title_the_library_supplied_is_printed_as_such(tree):
    from scripts.casebook.build import TEMPLATES
    from scripts.casebook.library import load_library
    from scripts.casebook.render import render_site

    (tree.root / "cases" / "_vocab" / "sources.yaml").write_text(
        (ROOT / "cases" / "_vocab" / "sources.yaml").read_text(encoding="utf-8") + NEW_SOURCE, encoding="utf-8")
    tree.write_case(VALID.replace("publication: innovation-cases-2024", "publication: wenling-reform"))
    library, report = load_library(tree.root)
    assert report.errors == []
    render_site(library, tree.root / "docs", TEMPLATES)
    page = (tree.root / "docs" / "cases" / "2024-yunnan-test-case.md").read_text(encoding="utf-8")
    assert "据［温岭市总工会改革工作报道］（本库拟题）整理。" in page
    catalog = (tree.root / "docs" / "catalogs" / "sources" / "wenling-reform.md").read_text(encoding="utf-8")
    assert "［温岭市总工会改革工作报道］（本库拟题）" in catalog
