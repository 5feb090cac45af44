"""`make new`: a skeleton record with a proposed ASCII id, in the right folder."""
from __future__ import annotations

import json
import re
from pathlib import Path

from pypinyin import lazy_pinyin

from .validate import case_files
from .vocab import Vocabularies

MAX_WORDS = 4


class ScaffoldError(Exception):
    """Something the editor must change before a skeleton can be written (message in Chinese)."""


def pinyin_words(text: str, limit: int = MAX_WORDS) -> list[str]:
    """"康乃馨服务站" → ["kang", "nai", "xin", "fu"]: ASCII words for an id."""
    words = []
    for part in lazy_pinyin(text):
        words += re.findall(r"[a-z0-9]+", part.lower())
    return words[:limit]


def propose_id(title: str, province: str, year: int, vocab: Vocabularies) -> str:
    slug = next(r.slug for r in vocab.regions if r.name == province)
    return "-".join([str(year), slug, *pinyin_words(title)])


def _scalar(value: str) -> str:
    """A YAML-safe scalar: JSON strings are valid YAML."""
    return json.dumps(value, ensure_ascii=False)


def fill_template(template: str, case_id: str, title: str, organization: str, province: str, year: int) -> str:
    replacements = {
        "id": case_id, "title": _scalar(title), "organization": _scalar(organization),
        "  province": _scalar(province), "year": str(year),
    }
    text = template.replace("$schema=../schema/", "$schema=../../schema/")
    for key, value in replacements.items():
        text = re.sub(rf"^{key}: .*$", f"{key}: {value}", text, count=1, flags=re.M)
    return text


def create_case(cases_dir: Path, vocab: Vocabularies, title: str, organization: str,
                province: str, year: int, case_id: str | None = None) -> Path:
    if province not in vocab.province_names:
        raise ScaffoldError(f"未知省份“{province}”，请写全称，如 云南省、广西壮族自治区，全总层面写 全国")
    case_id = case_id or propose_id(title, province, year, vocab)
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", case_id):
        raise ScaffoldError(f"编号“{case_id}”只能使用小写英文字母、数字和连字符")
    existing = [p for p in case_files(cases_dir) if p.stem == case_id]
    if existing:
        raise ScaffoldError(f"编号“{case_id}”已被 {existing[0].relative_to(cases_dir.parent)} 使用，"
                            "请用 ID=… 指定另一个编号")
    target = cases_dir / str(year) / f"{case_id}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    template = (cases_dir / "_template.yaml").read_text(encoding="utf-8")
    target.write_text(fill_template(template, case_id, title, organization, province, year), encoding="utf-8")
    return target
