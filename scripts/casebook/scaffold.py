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


def propose_id(title: str, province: str, year: int, vocab: Vocabularies, keyword: str = "",
               organization: str = "") -> str:
    """year-province-place-keyword: "2017-zhejiang-wenling-social-insurance-data". The place
    is the organisation's city or county in pinyin (温岭市总工会 → wenling) when it is not the
    province itself; the keyword is the editor's (English or pinyin), else the title's pinyin."""
    slug = next(r.slug for r in vocab.regions if r.name == province)
    place = _place_of(organization, province, vocab)
    words = re.findall(r"[a-z0-9]+", keyword.lower()) if keyword.strip() else pinyin_words(title)
    place_word = "".join(re.findall(r"[a-z0-9]+", "".join(lazy_pinyin(place)).lower()))
    return "-".join(filter(None, [str(year), slug, place_word, *words[:MAX_WORDS]]))


_PLACE = re.compile(r"(.+?)(?:自治州|市|县|区|旗|盟)")


def _place_of(organization: str, province: str, vocab: Vocabularies) -> str:
    name = organization
    for region in vocab.regions:  # 浙江省温岭市总工会 → 温岭市总工会
        for prefix in (region.name, region.short):
            if name.startswith(prefix) and len(name) > len(prefix) + 3:
                name = name[len(prefix):]
    places = _PLACE.findall(name.split("总工会")[0])
    if not places or places[-1] == vocab.region(province).short or places[-1].startswith(("全国", "中华")):
        return ""
    return places[-1]


# The level an organisation's name implies, most specific ending first. A 市总工会 may be a
# county-level city (温岭市): the editor is told to check.
_LEVEL_BY_NAME = (
    (("街道总工会", "乡总工会", "镇总工会", "街道工会", "乡工会", "镇工会"), "乡镇街道"),
    (("公司工会", "企业工会", "园区工会", "集团工会", "服务站", "联合工会", "楼宇工会"), "企业园区"),
    (("区总工会", "县总工会", "旗总工会"), "县级"),
    (("州总工会", "盟总工会"), "地市级"),
    (("市总工会",), "地市级"),
    (("省总工会", "自治区总工会"), "省级"),
    (("全国总工会", "全总"), "全国"),
)


def guess_level(organization: str, vocab: Vocabularies) -> str | None:
    if any(organization == f"{r.name}总工会" for r in vocab.regions):  # 北京市总工会 is provincial
        return "全国" if organization == "全国总工会" else "省级"
    for endings, level in _LEVEL_BY_NAME:
        if organization.endswith(endings) and level in vocab.level_names:
            return level
    return None


def _scalar(value: str) -> str:
    """A YAML-safe scalar: JSON strings are valid YAML."""
    return json.dumps(value, ensure_ascii=False)


def fill_template(template: str, case_id: str, title: str, organization: str, province: str, year: int,
                  level: str | None) -> str:
    replacements = {
        "id": case_id, "title": _scalar(title), "organization": _scalar(organization),
        "  province": _scalar(province), "year": str(year),
        # no guess: an empty value, which the check reports until the editor chooses
        "level": _scalar(level) if level else '""',
    }
    text = template.replace("$schema=../schema/", "$schema=../../schema/")
    for key, value in replacements.items():
        text = re.sub(rf"^{key}: .*$", f"{key}: {value}", text, count=1, flags=re.M)
    return text


def create_case(cases_dir: Path, vocab: Vocabularies, title: str, organization: str,
                province: str, year: int, case_id: str | None = None, keyword: str = "") -> tuple[Path, str | None]:
    """The new record's path and the level filled in from the organisation's name (None when
    the name does not tell)."""
    if province not in vocab.province_names:
        raise ScaffoldError(f"未知省份“{province}”，请写全称，如 云南省、广西壮族自治区，全总层面写 全国")
    case_id = case_id or propose_id(title, province, year, vocab, keyword, organization)
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", case_id):
        raise ScaffoldError(f"编号“{case_id}”只能使用小写英文字母、数字和连字符")
    existing = [p for p in case_files(cases_dir) if p.stem == case_id]
    if existing:
        raise ScaffoldError(f"编号“{case_id}”已被 {existing[0].relative_to(cases_dir.parent)} 使用，"
                            "请用 ID=… 指定另一个编号")
    target = cases_dir / str(year) / f"{case_id}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    template = (cases_dir / "_template.yaml").read_text(encoding="utf-8")
    level = guess_level(organization, vocab)
    target.write_text(fill_template(template, case_id, title, organization, province, year, level),
                      encoding="utf-8")
    return target, level
