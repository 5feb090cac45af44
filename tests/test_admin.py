"""The web editor's generated files: config.yml and the template follow the model and the
vocabularies; /admin/ on the built site loads from the site alone, without console errors."""
from __future__ import annotations

import yaml
from conftest import ROOT, recording_page, served

from scripts.casebook.admin import config_text, decap_config, template_text
from scripts.casebook.figures import APPROX_VALUES
from scripts.casebook.model import Case
from scripts.casebook.vocab import load_vocabularies

VOCAB = load_vocabularies(ROOT / "cases" / "_vocab")
SETTINGS = {"repo": "example/casebook", "branch": "main"}


def fields_by_path(fields, parent=()):
    for f in fields:
        yield parent + (f["name"],), f
        yield from fields_by_path(f.get("fields", []), parent + (f["name"],))


def test_template_is_generated_from_the_model():
    assert (ROOT / "cases" / "_template.yaml").read_text(encoding="utf-8") == template_text(), \
        "cases/_template.yaml 已过期：请运行 python -c 'from scripts.casebook.admin import template_text' 重新生成"


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
        page.wait_for_load_state("networkidle")
        assert [u for u in page.requests if not u.startswith(base)] == []
        assert errors == []
    config = yaml.safe_load((site / "admin" / "config.yml").read_text(encoding="utf-8"))
    assert config["backend"]["name"] == "github" and "local_backend" not in config
