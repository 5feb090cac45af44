"""JSON Schema for editors' tools, exported from the model and the vocabularies.

The vocabularies are merged in as enums so that an editor's YAML extension completes
themes, levels, provinces and sources while typing. The committed copy is checked for
staleness by the tests.
"""
from __future__ import annotations

import json

from .model import Case
from .vocab import Vocabularies



def build_schema(vocab: Vocabularies) -> dict:
    schema = Case.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "工会改革创新案例库：案例记录"
    props, defs = schema["properties"], schema["$defs"]
    props["themes"]["items"]["enum"] = vocab.theme_names
    props["level"]["enum"] = vocab.level_names
    defs["Region"]["properties"]["province"]["enum"] = vocab.province_names
    defs["SourceRef"]["properties"]["publication"]["enum"] = vocab.source_ids
    return schema


def schema_text(vocab: Vocabularies) -> str:
    return json.dumps(build_schema(vocab), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
