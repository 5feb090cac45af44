"""The case record: the schema's single definition.

The JSON Schema that editors' tools use (schema/case.schema.json) is exported from these
models plus the vocabularies (see schema.py); field descriptions are in Chinese because
editors read them in their editor's hover text. Each field's `title` (its Chinese label) and
`description` (the hint) are also the comments of cases/_template.yaml and the labels and
hints of the web editor's form (admin.py generates both).
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
    province: Text(LIMITS["place"]) = Field(title="省份", description="省级行政区全称，如 云南省、广西壮族自治区；全总层面的举措写 全国")
    city: Optional[Text(LIMITS["place"])] = Field(None, title="地市", description="地级市，如 深圳市（可选）")
    district: Optional[Text(LIMITS["place"])] = Field(None, title="区县", description="县、区，如 余杭区（可选）")


class Measure(_Strict):
    title: Text(LIMITS["measure_title"]) = Field(title="小标题", description="做法的小标题，20 字以内")
    detail: Text(LIMITS["detail"]) = Field(title="说明", description="做法的具体内容，用本库自己的话写 1–3 句")


class Metric(_Strict):
    label: Text(LIMITS["label"]) = Field(title="指标", description="统计的是什么，如 县域产业（行业）工会会员")
    value: Annotated[Union[StrictInt, StrictFloat], Field(gt=-MAX_VALUE, lt=MAX_VALUE)] = Field(
        title="数值", description="换算为基本单位的数值：780万 → 7800000；金额一律以“元”为单位：7532.85万元 → 75328500")
    unit: Text(10) = Field(title="单位", description="基本单位，见 cases/_vocab/units.yaml，如 人、人次、家、元、%；不要写 万、亿")
    approx: Optional[Approx] = Field(None, title="限定词", description="照原文对数字的限定词填写：多、余、近、约、超过、以上、不低于、不少于、低于（原文没有就不填）")
    as_of: Optional[Annotated[str, StringConstraints(pattern=AS_OF_PATTERN)]] = Field(
        None, title="数据时间", description="可选：年 2023、年月 2023-11 或日期 2023-11-30")
    quote: Text(LIMITS["quote"]) = Field(title="原文引文", description="原文中写明该数字的最短逐字片段，必须一字不差，如 会员780万人")


class SourceRef(_Strict):
    publication: Text(80) = Field(title="来源出版物", description="来源出版物的编号，见 cases/_vocab/sources.yaml")
    section: Optional[Text(LIMITS["section"])] = Field(None, title="所在部分", description="案例在来源中的位置，如所在标题（可选）")


class Case(_Strict):
    id: Annotated[str, StringConstraints(pattern=ID_PATTERN)] = Field(
        title="案例编号", description="小写英文字母、数字和连字符，必须与文件名相同，如 2024-yunnan-dianzhong-water-contest")
    title: Text(LIMITS["title"]) = Field(title="案例标题", description="用本库自己的话概括做法，40 字以内")
    organization: Text(LIMITS["organization"]) = Field(
        title="实施单位", description="工会的名称，地市和区县工会不加省名，如 云南省总工会、深圳市总工会、杭州市余杭区总工会")
    region: Region = Field(title="地区", description="实施单位所在的地区；city、district 可选")
    level: Text(40) = Field(title="层级", description="实施单位的层级，可选值见 cases/_vocab/levels.yaml")
    themes: Annotated[list[Text(40)], Field(min_length=1, max_length=3)] = Field(
        title="工作领域", description="1–3 个，读者最先会去找的领域放第一个；可选值见 cases/_vocab/themes.yaml")
    tags: Annotated[list[Text(LIMITS["tag"])], Field(max_length=LIMITS["tags"])] = Field(
        default_factory=list, title="关键词", description="项目名称、地名、口号等读者可能搜索的词，照原文写，如 枫桥经验")
    year: Annotated[StrictInt, Field(ge=FIRST_YEAR, le=2100)] = Field(title="年份", description="来源所报告的年份（整数）")
    period: Optional[Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]] = Field(
        None, title="时间跨度", description="可选，如 2018–2023，中间是短横“–”")
    summary: Text(LIMITS["summary"]) = Field(title="摘要", description=f"一两句话，{SUMMARY_MAX} 字以内：谁、做了什么、取得什么成效")
    problem: Text(LIMITS["problem"]) = Field(title="针对问题", description="这项做法要解决的问题或需求，只写来源支持的内容")
    measures: Annotated[list[Measure], Field(min_length=1, max_length=LIMITS["measures"])] = Field(
        title="主要做法", description="2–5 条，每条一个小标题（20 字以内）和一到三句说明，用自己的话写")
    lessons: Optional[Text(LIMITS["lessons"])] = Field(
        None, title="经验启示", description="可选；一两句话，基于来源所述成效，不作推测")
    metrics: Annotated[list[Metric], Field(max_length=LIMITS["metrics"])] = Field(
        default_factory=list, title="成效", description="来源中表示成效的每个数字一项，每项附原文引文")
    source: SourceRef = Field(title="来源", description="案例出自哪一份来源、在其中的位置")
