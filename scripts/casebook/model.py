"""The case record: the schema's single definition.

The JSON Schema that editors' tools use (schema/case.schema.json) is exported from these
models plus the vocabularies (see schema.py); field descriptions are in Chinese because
editors read them in their editor's hover text.
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StringConstraints

from .figures import APPROX_VALUES

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
PERIOD_PATTERN = r"^\d{4}(–\d{4})?$"
SUMMARY_MAX = 200

Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Approx = Literal[APPROX_VALUES]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Region(_Strict):
    province: Text = Field(description="省级行政区全称，如 云南省、广西壮族自治区；全总层面的举措写 全国")
    city: Optional[Text] = Field(None, description="地级市，如 深圳市（可选）")
    district: Optional[Text] = Field(None, description="县、区，如 余杭区（可选）")


class Measure(_Strict):
    title: Text = Field(description="做法的小标题，20 字以内")
    detail: Text = Field(description="做法的具体内容，用本库自己的话写 1–3 句")


class Metric(_Strict):
    label: Text = Field(description="统计的是什么，如 县域产业（行业）工会会员")
    value: Union[StrictInt, StrictFloat] = Field(description="换算为基本单位的数值：780万 → 7800000")
    unit: Text = Field(description="基本单位，如 人、人次、家、元、%；不要写 万、亿")
    approx: Optional[Approx] = Field(None, description="原文对数字的限定：多、余、近、约、超过、以上、不低于、不少于、低于")
    as_of: Optional[Text] = Field(None, description="数据时间，如 2023-11-30、2023（可选）")
    quote: Text = Field(description="原文中写明该数字的最短逐字片段，如 会员780万人")


class SourceRef(_Strict):
    publication: Text = Field(description="来源出版物的编号，见 cases/_vocab/sources.yaml")
    section: Optional[Text] = Field(None, description="案例在来源中的位置，如所在标题（可选）")


class Case(_Strict):
    id: Annotated[str, StringConstraints(pattern=ID_PATTERN)] = Field(
        description="案例编号：小写英文字母、数字和连字符，与文件名相同")
    title: Text = Field(description="案例标题")
    organization: Text = Field(description="实施单位，如 云南省总工会")
    region: Region
    level: Text = Field(description="实施单位层级，见 cases/_vocab/levels.yaml")
    themes: Annotated[list[Text], Field(min_length=1, max_length=3)] = Field(
        description="1–3 个工作领域，见 cases/_vocab/themes.yaml")
    tags: list[Text] = Field(default_factory=list, description="自由关键词，如 枫桥经验")
    year: Annotated[StrictInt, Field(ge=1949, le=2100)] = Field(description="做法所报告的年份")
    period: Optional[Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]] = Field(
        None, description="时间跨度（可选），如 2021–2024")
    summary: Text = Field(description=f"一两句话的摘要，{SUMMARY_MAX} 字以内")
    problem: Text = Field(description="针对问题")
    measures: Annotated[list[Measure], Field(min_length=1)] = Field(description="主要做法")
    lessons: Optional[Text] = Field(None, description="经验启示（可选）")
    metrics: list[Metric] = Field(default_factory=list, description="成效数据，每项附原文引文")
    source: SourceRef
