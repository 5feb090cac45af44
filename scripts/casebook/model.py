"""The case record: the schema's single definition.

The JSON Schema that editors' tools use (schema/case.schema.json) is exported from these
models plus the vocabularies (see schema.py); field descriptions are in Chinese because
editors read them in their editor's hover text.
"""
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StringConstraints

from .figures import APPROX_VALUES

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
PERIOD_PATTERN = r"^\d{4}(–\d{4})?$"
AS_OF_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"
SUMMARY_MAX = 200          # longer summaries are a warning…
FIRST_YEAR = 1925          # the founding of the All-China Federation of Trade Unions
MAX_VALUE = 10 ** 15       # …no union figure comes near a thousand trillion

# Limits that keep one record from costing every reader (search and finder data carry its
# text) or the checks; each is far above what a real record needs (CONTRIBUTING.md lists them).
LIMITS = {"title": 60, "organization": 60, "place": 40, "summary": 400, "problem": 2000,
          "measure_title": 40, "detail": 1000, "lessons": 1000, "tag": 40, "tags": 30, "measures": 20,
          "metrics": 100, "label": 80, "quote": 200, "section": 200}


def Text(limit: int):  # noqa: N802 — reads as a type in the fields below
    return Annotated[str, StringConstraints(min_length=1, max_length=limit, strip_whitespace=True)]

Approx = Literal[APPROX_VALUES]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Region(_Strict):
    province: Text(LIMITS["place"]) = Field(description="省级行政区全称，如 云南省、广西壮族自治区；全总层面的举措写 全国")
    city: Optional[Text(LIMITS["place"])] = Field(None, description="地级市，如 深圳市（可选）")
    district: Optional[Text(LIMITS["place"])] = Field(None, description="县、区，如 余杭区（可选）")


class Measure(_Strict):
    title: Text(LIMITS["measure_title"]) = Field(description="做法的小标题，20 字以内")
    detail: Text(LIMITS["detail"]) = Field(description="做法的具体内容，用本库自己的话写 1–3 句")


class Metric(_Strict):
    label: Text(LIMITS["label"]) = Field(description="统计的是什么，如 县域产业（行业）工会会员")
    value: Annotated[Union[StrictInt, StrictFloat], Field(gt=-MAX_VALUE, lt=MAX_VALUE)] = Field(
        description="换算为基本单位的数值：780万 → 7800000")
    unit: Text(10) = Field(description="基本单位，见 cases/_vocab/units.yaml，如 人、人次、家、元、%；不要写 万、亿")
    approx: Optional[Approx] = Field(None, description="原文对数字的限定：多、余、近、约、超过、以上、不低于、不少于、低于")
    as_of: Optional[Annotated[str, StringConstraints(pattern=AS_OF_PATTERN)]] = Field(
        None, description="数据时间（可选）：年 2023、年月 2023-11 或日期 2023-11-30")
    quote: Text(LIMITS["quote"]) = Field(description="原文中写明该数字的最短逐字片段，如 会员780万人")


class SourceRef(_Strict):
    publication: Text(80) = Field(description="来源出版物的编号，见 cases/_vocab/sources.yaml")
    section: Optional[Text(LIMITS["section"])] = Field(None, description="案例在来源中的位置，如所在标题（可选）")


class Case(_Strict):
    id: Annotated[str, StringConstraints(pattern=ID_PATTERN)] = Field(
        description="案例编号：小写英文字母、数字和连字符，与文件名相同")
    title: Text(LIMITS["title"]) = Field(description="案例标题")
    organization: Text(LIMITS["organization"]) = Field(description="实施单位，如 云南省总工会")
    region: Region
    level: Text(40) = Field(description="实施单位层级，见 cases/_vocab/levels.yaml")
    themes: Annotated[list[Text(40)], Field(min_length=1, max_length=3)] = Field(
        description="1–3 个工作领域，见 cases/_vocab/themes.yaml")
    tags: Annotated[list[Text(LIMITS["tag"])], Field(max_length=LIMITS["tags"])] = Field(default_factory=list, description="自由关键词，如 枫桥经验")
    year: Annotated[StrictInt, Field(ge=FIRST_YEAR, le=2100)] = Field(description="做法所报告的年份")
    period: Optional[Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]] = Field(
        None, description="时间跨度（可选），如 2021–2024")
    summary: Text(LIMITS["summary"]) = Field(description=f"一两句话的摘要，{SUMMARY_MAX} 字以内")
    problem: Text(LIMITS["problem"]) = Field(description="针对问题")
    measures: Annotated[list[Measure], Field(min_length=1, max_length=LIMITS["measures"])] = Field(description="主要做法")
    lessons: Optional[Text(LIMITS["lessons"])] = Field(None, description="经验启示（可选）")
    metrics: Annotated[list[Metric], Field(max_length=LIMITS["metrics"])] = Field(default_factory=list, description="成效数据，每项附原文引文")
    source: SourceRef
