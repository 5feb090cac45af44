"""The web editor at /admin/ (Decap CMS) and the record template, generated from the model.

One definition, three outputs: the fields of `model.Case` (their order, types, limits and
patterns, and their Chinese `title` and `description`) plus the vocabularies give
- cases/_template.yaml: its comments are the fields' titles and descriptions;
- admin/config.yml: Decap's collection over cases/, a form field per model field;
- admin/record-layout.js: the key order and text fields of the record format that the
  editor writes (overrides/admin/casebook-cms.js), so that a case saved from the form is laid
  out exactly like the hand-written ones and passes `make check` as it is.

The repository and branch the editor commits to come from one place, `extra.admin` in
mkdocs.yml; `build_admin` copies Decap's pinned npm build (node_modules/decap-cms/dist) and
js-yaml next to them, so /admin/ loads nothing from another host.
"""
from __future__ import annotations

import json
import re
import shutil
import typing
from pathlib import Path

import yaml
from pydantic import BaseModel

from .load import parse_yaml
from .messages import PATTERN_MEANING
from .model import AS_OF_PATTERN, ID_PATTERN, PERIOD_PATTERN, Case
from .vocab import Vocabularies

PROJECT = Path(__file__).resolve().parents[2]
STATIC = PROJECT / "overrides" / "admin"        # index.html, casebook-cms.js: hand-written
ADMIN_DIR = "admin"                              # under docs/, hence /admin/ on the site
COLLECTION = "cases"
# Text fields this long are paragraphs: a multi-line box in the form, `>-` in the file.
PARAGRAPH_MIN = 400
# The values each vocabulary-bound field may take, by field path (as schema.py lists them).
VOCABULARY_FIELDS = {
    ("region", "province"): lambda v: v.province_names,
    ("level",): lambda v: v.level_names,
    ("themes",): lambda v: v.theme_names,
    ("metrics", "unit"): lambda v: v.unit_names,
    ("source", "publication"): lambda v: [{"label": f"{s.cited}（{s.id}）", "value": s.id} for s in v.sources],
}
# The model's id pattern, beginning with the year (as every id made by `make new` does).
ID_IN_EDITOR = "^[0-9]{4}-" + ID_PATTERN[1:]
PATTERN_NAMES = {ID_PATTERN: "id", PERIOD_PATTERN: "period", AS_OF_PATTERN: "as_of"}
# Decap's files: the single-file build and the chunks it loads lazily from its own folder.
DECAP_DIST = Path("node_modules") / "decap-cms" / "dist"
DECAP_FILES = re.compile(r"^(?:decap-cms\.js|\d+\.decap-cms\.js|[0-9a-f]+\.wasm|decap-cms\.js\.LICENSE\.txt)$")
JS_YAML = Path("node_modules") / "js-yaml" / "dist" / "js-yaml.min.js"
MEDIA_FOLDER = "docs/assets/uploads"  # Decap requires one; the form has no file fields


class AdminSettingsError(Exception):
    """mkdocs.yml's `extra.admin` is missing or malformed (message in Chinese)."""


# -- the model, walked ------------------------------------------------------------------------
def _constraints(info) -> dict:
    """min_length, max_length, pattern, ge, le of a field (of a list itself, not of its items),
    wherever pydantic keeps them: the field's metadata or its Annotated/Optional wrappers."""
    found: dict = {}

    def take(meta):
        for name in ("min_length", "max_length", "pattern", "ge", "le"):
            value = getattr(meta, name, None)
            if value is not None:
                found.setdefault(name, value)

    def walk(tp):
        for meta in getattr(tp, "__metadata__", ()):
            take(meta)
            if hasattr(meta, "metadata"):
                for inner in meta.metadata:
                    take(inner)
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            walk(typing.get_args(tp)[0])
        elif origin is typing.Union:
            for arg in typing.get_args(tp):
                walk(arg)

    for meta in info.metadata:
        take(meta)
    walk(info.annotation)
    return found


def _strip(tp):
    """The type without Optional/Annotated wrappers."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin is typing.Union and type(None) in typing.get_args(tp):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
        else:
            return tp


def _item_type(tp):
    """list[X] → X (unwrapped), else None."""
    tp = _strip(tp)
    if typing.get_origin(tp) is list:
        return typing.get_args(tp)[0]
    return None


def _item_constraints(tp) -> dict:
    """The constraints on the items of list[X]."""
    tp = _strip(tp)
    item = typing.get_args(tp)[0]
    found: dict = {}
    for meta in getattr(item, "__metadata__", ()):
        for name in ("min_length", "max_length", "pattern"):
            if getattr(meta, name, None) is not None:
                found[name] = getattr(meta, name)
    return found


def _is_model(tp) -> bool:
    return isinstance(_strip(tp), type) and issubclass(_strip(tp), BaseModel)


def _scalar_kind(tp) -> str:
    tp = _strip(tp)
    if typing.get_origin(tp) is typing.Literal:
        return "choice"
    if typing.get_origin(tp) is typing.Union:
        return "float"  # StrictInt | StrictFloat
    if tp is int:
        return "int"
    return "text"


def field_text(model: type[BaseModel], name: str) -> tuple[str, str]:
    """(label, hint) of a field: its Chinese title and description in the model."""
    info = model.model_fields[name]
    if not info.title or not info.description:
        raise ValueError(f"{model.__name__}.{name} has no title or description")
    return info.title, info.description


# -- Decap's form -----------------------------------------------------------------------------
def _length_pattern(limits: dict, label: str) -> list[str] | None:
    if "max_length" not in limits:
        return None
    return [f"^[\\s\\S]{{{limits.get('min_length', 0)},{limits['max_length']}}}$", f"{label}最多 {limits['max_length']} 字"]


def _scalar_widget(tp, limits: dict, path: tuple, vocab: Vocabularies, label: str) -> dict:
    if path in VOCABULARY_FIELDS:
        return {"widget": "select", "options": VOCABULARY_FIELDS[path](vocab)}
    kind = _scalar_kind(tp)
    if kind == "choice":
        return {"widget": "select", "options": list(typing.get_args(_strip(tp)))}
    if kind in ("int", "float"):
        widget = {"widget": "number", "value_type": kind}
        if "ge" in limits:
            widget["min"] = limits["ge"]
        if "le" in limits:
            widget["max"] = limits["le"]
        return widget
    widget = {"widget": "text" if limits.get("max_length", 0) >= PARAGRAPH_MIN else "string"}
    if path == ("id",):  # the file's folder is the id's first four characters (see decap_config)
        widget["pattern"] = [ID_IN_EDITOR, "编号以四位年份开头，只能使用小写英文字母、数字和连字符，如 2024-yunnan-dianzhong-water-contest"]
    elif "pattern" in limits:
        # the form writes the quotes a YAML date needs itself: advice about them is for files
        meaning = PATTERN_MEANING[PATTERN_NAMES[limits["pattern"]]].split("（加引号")[0]
        widget["pattern"] = [limits["pattern"], meaning]
    else:
        pattern = _length_pattern(limits, label)
        if pattern:
            widget["pattern"] = pattern
    return widget


def _decap_field(model: type[BaseModel], name: str, vocab: Vocabularies, parent: tuple = ()) -> dict:
    info = model.model_fields[name]
    label, hint = field_text(model, name)
    path = parent + (name,)
    field: dict = {"name": name, "label": label, "hint": hint}
    if not info.is_required():
        field["required"] = False
    limits = _constraints(info)
    item = _item_type(info.annotation)
    if _is_model(info.annotation):
        sub = _strip(info.annotation)
        field.update(widget="object", collapsed=False,
                     fields=[_decap_field(sub, n, vocab, path) for n in sub.model_fields])
    elif item is not None and _is_model(item):
        sub = _strip(item)
        first = next(iter(sub.model_fields))
        field.update(widget="list", summary=f"{{{{fields.{first}}}}}", collapsed=False,
                     fields=[_decap_field(sub, n, vocab, path) for n in sub.model_fields])
    elif item is not None and path in VOCABULARY_FIELDS:
        field.update(widget="select", multiple=True, options=VOCABULARY_FIELDS[path](vocab))
    elif item is not None:
        item_limits = _item_constraints(info.annotation)
        field.update(widget="list", field={"name": name, "label": label,
                                           **_scalar_widget(item, item_limits, path, vocab, label)})
    else:
        field.update(_scalar_widget(info.annotation, limits, path, vocab, label))
    if item is not None:
        if "min_length" in limits:
            field["min"] = limits["min_length"]
        if "max_length" in limits:
            field["max"] = limits["max_length"]
        if not info.is_required() and field["widget"] == "list":
            field["default"] = []
    return field


def decap_fields(vocab: Vocabularies) -> list[dict]:
    return [_decap_field(Case, name, vocab) for name in Case.model_fields]


def admin_settings(root: Path) -> dict:
    """`extra.admin` of mkdocs.yml: repo (owner/name), branch, and optionally base_url (the
    OAuth proxy Decap's GitHub login goes through) and auth_endpoint."""
    class Loader(yaml.SafeLoader):
        pass

    # mkdocs.yml holds !!python tags (the slugify setting) that only MkDocs constructs
    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    # and MkDocs' !ENV (site_url); neither is read here
    Loader.add_constructor("!ENV", lambda loader, node: None)
    config = yaml.load((root / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506
    settings = ((config or {}).get("extra") or {}).get("admin")
    if not isinstance(settings, dict) or not re.fullmatch(r"[\w.-]+/[\w.-]+", str(settings.get("repo", ""))):
        raise AdminSettingsError("mkdocs.yml 中缺少 extra.admin.repo（GitHub 仓库，格式为 所有者/仓库名），网页编辑器无法生成")
    return {"repo": settings["repo"], "branch": str(settings.get("branch") or "main"),
            **{k: str(settings[k]) for k in ("base_url", "auth_endpoint") if settings.get(k)}}


def decap_config(vocab: Vocabularies, settings: dict, local_backend: str | None = None) -> dict:
    """Decap's config.yml. `local_backend` (a decap-server URL) is for the tests: that server
    stands in for GitHub, saving each case on a branch of a local repository."""
    backend = {"name": "github", "repo": settings["repo"], "branch": settings["branch"],
               "open_authoring": True, "always_fork": True, "squash_merges": True,
               "commit_messages": {"create": "新增案例 {{slug}}", "update": "修改案例 {{slug}}",
                                   "delete": "删除案例 {{slug}}",
                                   "openAuthoring": "{{message}}（{{author-login}} 经网页编辑器提交）"}}
    backend.update({k: settings[k] for k in ("base_url", "auth_endpoint") if k in settings})
    config: dict = {"backend": backend, "publish_mode": "editorial_workflow"}
    if local_backend:
        config["local_backend"] = {"url": local_backend}
    config.update({
        "locale": "zh_Hans",
        "media_folder": MEDIA_FOLDER,
        "collections": [{
            "name": COLLECTION,
            "label": "案例",
            "label_singular": "案例",
            "description": "每个案例一个文件 cases/<年份>/<编号>.yaml。保存后在“工作流”中标记为“待审核”，即提交为拉取请求，由维护者检查合并。",
            "folder": "cases",
            # cases/<year>/<id>.yaml: ids begin with their year (the form requires it), and
            # the year is the id's first four characters because Decap turns the dot of
            # {{fields.year}} in a path into a dash; truncate(4) appends "...", which the
            # slug cleaning drops
            "path": "{{slug | truncate(4)}}/{{slug}}",
            "slug": "{{fields.id}}",
            "identifier_field": "title",
            "extension": "yaml",
            "format": "casebook-yaml",
            # casebook-cms.js marks the files that are case records: cases/ also holds the
            # template and the vocabularies, which are not
            "filter": {"field": "casebook_record", "value": True},
            "summary": "{{fields.title}}（{{fields.organization}}，{{fields.year}}）",
            "sortable_fields": ["title", "year"],
            "create": True,
            "delete": False,
            "editor": {"preview": True},
            "fields": decap_fields(vocab),
        }],
    })
    return config


def config_text(vocab: Vocabularies, settings: dict, local_backend: str | None = None) -> str:
    head = ("# Generated by scripts/casebook/admin.py from scripts/casebook/model.py, cases/_vocab/ and\n"
            "# extra.admin in mkdocs.yml; never edited by hand.\n")
    return head + yaml.safe_dump(decap_config(vocab, settings, local_backend), allow_unicode=True,
                                 sort_keys=False, width=10_000)


# -- the record format ------------------------------------------------------------------------
def record_layout() -> dict:
    """What casebook-cms.js needs to write a record like the hand-written ones: the key order
    of every mapping (by path), the paragraph fields written as `>-`, the list fields always
    written (`[]` when empty), and the first line of every record."""
    order: dict[str, list[str]] = {}
    paragraphs: list[str] = []
    lists: list[str] = []

    def walk(model: type[BaseModel], path: str):
        order[path] = list(model.model_fields)
        for name, info in model.model_fields.items():
            key = f"{path}.{name}" if path else name
            item = _item_type(info.annotation)
            if _is_model(info.annotation):
                walk(_strip(info.annotation), key)
            elif item is not None:
                lists.append(key)
                if _is_model(item):
                    walk(_strip(item), key)
            elif _constraints(info).get("max_length", 0) >= PARAGRAPH_MIN:
                paragraphs.append(key)

    walk(Case, "")
    return {"order": order, "paragraphs": paragraphs, "lists": lists,
            "first_line": "# yaml-language-server: $schema=../../schema/case.schema.json"}


def layout_script() -> str:
    return ("// Generated by scripts/casebook/admin.py from the model; never edited by hand.\n"
            f"window.CASEBOOK_RECORD = {json.dumps(record_layout(), ensure_ascii=False, indent=1)};\n")


# -- the template -----------------------------------------------------------------------------
TEMPLATE_HEAD = """\
# yaml-language-server: $schema=../schema/case.schema.json
# 案例记录模板。复制本文件到 cases/<年份>/<编号>.yaml（或运行 make new），逐项填写后删除不需要的可选字段。
# 填写说明见 CONTRIBUTING.md。以“#”开头的是注释，可以保留也可以删除。
# 本文件由 scripts/casebook/admin.py 按 scripts/casebook/model.py 中各字段的说明生成，请勿直接修改。
"""
# The template's example values, in the model's order; optional fields in OPTIONAL_EXAMPLES
# are shown commented out. validate.py reports any of them left unchanged in a record.
TEMPLATE_EXAMPLE = {
    "id": "2024-province-short-name", "title": "案例标题", "organization": "某某省总工会",
    "region": {"province": "云南省"}, "level": "省级", "themes": ["工会服务职工"], "tags": ["关键词"],
    "year": 2024, "summary": "一两句话的摘要。", "problem": "针对的问题。",
    "measures": [{"title": "做法小标题", "detail": "做法的具体内容。"}], "lessons": "经验启示。",
    "metrics": [{"label": "示例：会员人数", "value": 7800000, "unit": "人", "quote": "示例：会员780万人"}],
    "source": {"publication": "innovation-cases-2024", "section": "某某省总工会"},
}
OPTIONAL_EXAMPLES = {("region", "city"): "昆明市", ("region", "district"): "五华区", ("period",): "2018–2023",
                     ("metrics", "approx"): "多", ("metrics", "as_of"): "2023"}


def yaml_scalar(value) -> str:
    """A scalar as the records write it: plain when the loader reads it back as the same
    string, else double-quoted (JSON strings are YAML)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    try:
        plain_ok = parse_yaml(f"k: {text}\n", "").data == {"k": text}
    except Exception:  # noqa: BLE001 — any failure to read it back means quoting
        plain_ok = False
    return text if plain_ok and text == text.strip() else json.dumps(text, ensure_ascii=False)


def _template_lines(model: type[BaseModel], data: dict, indent: str, path: tuple, first_prefix: str = "",
                    names: list[str] | None = None) -> list[str]:
    lines: list[str] = []
    for i, name in enumerate(names or list(model.model_fields)):
        info = model.model_fields[name]
        lead = first_prefix if i == 0 and first_prefix else indent
        key = path + (name,)
        shape = tuple(p for p in key)
        if name not in data:
            example = OPTIONAL_EXAMPLES.get(shape)
            if example is not None:
                lines.append(f"{indent}# {name}: {yaml_scalar(example)}")
            continue
        value = data[name]
        item = _item_type(info.annotation)
        if _is_model(info.annotation):
            lines.append(f"{lead}{name}:")
            lines += _template_lines(_strip(info.annotation), value, indent + "  ", key)
        elif item is not None and _is_model(item):
            lines.append(f"{lead}{name}:")
            for entry in value:
                lines += _template_lines(_strip(item), entry, indent + "    ", key, first_prefix=indent + "  - ")
        elif item is not None:
            lines.append(f"{lead}{name}:")
            lines += [f"{indent}  - {yaml_scalar(v)}" for v in value]
        else:
            lines.append(f"{lead}{name}: {yaml_scalar(value)}")
    return lines


def template_text() -> str:
    """cases/_template.yaml: for each field, its title and description as a comment (and
    those of the fields inside it), then the example value."""
    out = [TEMPLATE_HEAD]
    for name, info in Case.model_fields.items():
        label, hint = field_text(Case, name)
        comment = [f"# {label}：{hint}"]
        sub = _strip(info.annotation) if _is_model(info.annotation) else None
        item = _item_type(info.annotation)
        sub = sub or (_strip(item) if item is not None and _is_model(item) else None)
        if sub is not None:
            for sub_name in sub.model_fields:
                sub_label, sub_hint = field_text(sub, sub_name)
                comment.append(f"#   {sub_name}（{sub_label}）：{sub_hint}")
        if name in TEMPLATE_EXAMPLE:
            body = _template_lines(Case, {name: TEMPLATE_EXAMPLE[name]}, "", (), names=[name])
        else:
            body = [f"# {name}: {yaml_scalar(OPTIONAL_EXAMPLES[(name,)])}"]
        out.append("\n".join(comment + body) + "\n")
    return "".join(out)


# -- the build --------------------------------------------------------------------------------
def _copy_if_changed(source: Path, target: Path) -> None:
    if not target.is_file() or target.read_bytes() != source.read_bytes():  # untouched: mkdocs serve idles
        shutil.copyfile(source, target)


def _write_if_changed(target: Path, text: str) -> None:
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


def material_stylesheet() -> str:
    """The name of Material's main stylesheet, as MkDocs copies it to assets/stylesheets/."""
    import material

    found = sorted((Path(material.__file__).parent / "templates" / "assets" / "stylesheets").glob("main.*.min.css"))
    if not found:
        raise FileNotFoundError("Material for MkDocs main stylesheet not found")
    return found[0].name


def build_admin(vocab: Vocabularies, root: Path, docs_dir: Path, local_backend: str | None = None) -> Path:
    """docs/admin/: the editor's page, its generated config and record layout, and Decap's
    files from node_modules; MkDocs copies the folder to site/admin/ as it is."""
    dist = PROJECT / DECAP_DIST
    if not (dist / "decap-cms.js").is_file() or not (PROJECT / JS_YAML).is_file():
        raise FileNotFoundError("缺少 node_modules/decap-cms 或 js-yaml，请先运行 npm ci（make 会自动运行）")
    target = docs_dir / ADMIN_DIR
    target.mkdir(parents=True, exist_ok=True)
    wanted = {"index.html", "casebook-cms.js", "config.yml", "record-layout.js", "js-yaml.min.js"}
    for source in sorted(dist.iterdir()):
        if DECAP_FILES.match(source.name):
            _copy_if_changed(source, target / source.name)
            wanted.add(source.name)
    _copy_if_changed(PROJECT / JS_YAML, target / "js-yaml.min.js")
    _copy_if_changed(STATIC / "casebook-cms.js", target / "casebook-cms.js")
    page = (STATIC / "index.html").read_text(encoding="utf-8").replace("@MATERIAL_CSS@", material_stylesheet())
    _write_if_changed(target / "index.html", page)
    _write_if_changed(target / "config.yml", config_text(vocab, admin_settings(root), local_backend))
    _write_if_changed(target / "record-layout.js", layout_script())
    for stale in target.iterdir():  # files of an older Decap version
        if stale.name not in wanted and stale.is_file():
            stale.unlink()
    return target


if __name__ == "__main__":  # python -m scripts.casebook.admin: rewrite cases/_template.yaml
    (PROJECT / "cases" / "_template.yaml").write_text(template_text(), encoding="utf-8")
    print("已重新生成 cases/_template.yaml")
