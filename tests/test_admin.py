"""The web editor's generated files: config.yml and the template follow the model and the
vocabularies; /admin/ on the built site loads from the site alone, without console errors."""
from __future__ import annotations

import os
import re

import yaml
from conftest import ROOT, recording_page, served

from scripts.casebook.admin import config_text, decap_config, template_text
from scripts.casebook.figures import APPROX_VALUES
from scripts.casebook.model import ID_PATTERN, Case
from scripts.casebook.vocab import load_vocabularies

VOCAB = load_vocabularies(ROOT / "cases" / "_vocab")
SETTINGS = {"repo": "example/casebook", "branch": "main"}


def fields_by_path(fields, parent=()):
    for f in fields:
        yield parent + (f["name"],), f
        yield from fields_by_path(f.get("fields", []), parent + (f["name"],))


def test_template_is_generated_from_the_model():
    assert (ROOT / "cases" / "_template.yaml").read_text(encoding="utf-8") == template_text(), \
        "cases/_template.yaml 已过期：请运行 .venv/bin/python -m scripts.casebook.admin 重新生成"


def test_config_follows_the_model_and_the_vocabularies():
    config = decap_config(VOCAB, SETTINGS)
    assert config["backend"]["open_authoring"] is True and config["publish_mode"] == "editorial_workflow"
    assert config["locale"] == "zh_Hans" and config["backend"]["repo"] == "example/casebook"
    fields = config["collections"][0]["fields"]
    assert [f["name"] for f in fields] == list(Case.model_fields)
    by_path = dict(fields_by_path(fields))
    for name, info in Case.model_fields.items():
        assert (by_path[(name,)]["label"], by_path[(name,)]["hint"]) == (info.title, info.description)
        assert by_path[(name,)].get("required", True) == info.is_required(), name
    assert by_path[("themes",)]["options"] == VOCAB.theme_names and by_path[("themes",)]["multiple"]
    assert (by_path[("themes",)]["min"], by_path[("themes",)]["max"]) == (1, 3)
    assert by_path[("level",)]["options"] == VOCAB.level_names
    assert by_path[("region", "province")]["options"] == VOCAB.province_names
    assert [o["value"] for o in by_path[("source", "publication")]["options"]] == VOCAB.source_ids
    assert by_path[("metrics", "unit")]["options"] == VOCAB.unit_names
    assert by_path[("metrics", "approx")]["options"] == list(APPROX_VALUES)
    assert [f["name"] for f in by_path[("metrics",)]["fields"]] == ["label", "value", "unit", "approx", "as_of", "quote"]
    assert by_path[("measures",)]["widget"] == "list" and by_path[("measures",)]["min"] == 1
    assert "min" not in by_path[("tags",)] and by_path[("tags",)]["max"] == 30  # no tags is fine
    assert "min" not in by_path[("metrics",)] and by_path[("metrics",)]["max"] == 100
    assert by_path[("tags",)]["field"]["pattern"][0] == r"^[\s\S]{1,40}$"
    # the form's id rule is the model's plus the leading year its file's folder is taken from,
    # which every record's id has
    id_rule = by_path[("id",)]["pattern"][0]
    assert id_rule == "^[0-9]{4}-" + ID_PATTERN[1:]
    records = list((ROOT / "cases").glob("[0-9]*/*.yaml"))
    assert records and [p.stem for p in records if not re.match(id_rule, p.stem) or p.stem[:4] != p.parent.name] == []
    assert by_path[("title",)]["pattern"][0] == r"^[\s\S]{1,60}$"
    assert by_path[("year",)]["value_type"] == "int" and by_path[("metrics", "value")]["value_type"] == "float"
    assert (by_path[("year",)]["min"], by_path[("year",)]["max"]) == (1925, 2100)
    assert by_path[("summary",)]["widget"] == "text" and by_path[("metrics", "quote")]["widget"] == "string"
    # a vocabulary change is a config change
    assert yaml.safe_load(config_text(VOCAB, SETTINGS)) == config


def test_admin_loads_from_the_site_alone(site, browser):
    with served(site) as base, recording_page(browser) as page:
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/admin/")
        page.get_by_text("使用 GitHub 登录").wait_for()
        # the login button shows once config.yml is read: everything before it was requested
        loaded = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
        assert f"{base}/admin/config.yml" in loaded and f"{base}/admin/decap-cms.js" in loaded
        assert [u for u in page.requests + loaded if not u.startswith(base)] == []
        assert errors == []
        if os.environ.get("CASEBOOK_SCREENSHOTS"):  # for CONTRIBUTING.md
            page.set_viewport_size({"width": 1200, "height": 500})
            page.screenshot(path=str(ROOT / os.environ["CASEBOOK_SCREENSHOTS"] / "login.png"))
    config = yaml.safe_load((site / "admin" / "config.yml").read_text(encoding="utf-8"))
    assert config["backend"]["name"] == "github" and "local_backend" not in config


def test_hostile_vocabularies_stay_data_in_the_config(payload_site):
    from payloads import LEVEL, REGION, SOURCE_HTML_URL, THEME

    config = yaml.safe_load((payload_site / "admin" / "config.yml").read_text(encoding="utf-8"))
    by_path = dict(fields_by_path(config["collections"][0]["fields"]))
    assert THEME.name in by_path[("themes",)]["options"] and LEVEL.name in by_path[("level",)]["options"]
    assert REGION.name in by_path[("region", "province")]["options"]
    assert {"label": f"{SOURCE_HTML_URL.cited}（payload-source）", "value": "payload-source"} in \
        by_path[("source", "publication")]["options"]


def test_hostile_records_round_trip_through_the_editors_format(payload_site, browser):
    """Record text that looks like YAML, HTML or Markdown is written by the editor's format
    so that the loader reads back exactly the same record."""
    from payloads import payload_library

    from scripts.casebook.load import parse_yaml

    cases = [c.model_dump(exclude_none=True) for c in payload_library().cases]
    tricky = dict(cases[-1], title="甲: 乙 #丙", tags=["- 列表", "{a: 1}", "'单引号'", '"双引号"', "true", "2024",
                                                      "2023-11-30", "1+6+N", "% 百分", "@提及", "a\tb", " 前后空格 "],
                  summary="第一段\n\n第二段: 含冒号\n- 像列表")
    with served(payload_site) as base, recording_page(browser) as page:
        page.goto(f"{base}/admin/")
        page.get_by_text("使用 GitHub 登录").wait_for()
        written = page.evaluate("cases => cases.map(c => CASEBOOK_FORMAT.toFile(c))", cases + [tricky])
        assert page.evaluate("window.__pwned") is None
    for case, text in zip(cases + [tricky], written):
        assert text.startswith("# yaml-language-server: $schema=../../schema/case.schema.json\n")
        # paragraphs are kept, the blank line between them being how a folded block writes one
        assert parse_yaml(text, "x.yaml").data == dict(case, summary=case["summary"].replace("\n\n", "\n"))
