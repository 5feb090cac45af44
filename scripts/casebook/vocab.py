"""The allowed values — themes, levels, regions, sources — read from cases/_vocab/*.yaml."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .load import format_field, load_file

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Theme(_Entry):
    name: str
    slug: str
    description: str = ""
    note: Optional[str] = None


class Level(_Entry):
    name: str
    slug: str
    description: str = ""


class Region(_Entry):
    name: str
    short: str
    slug: str
    tile: Optional[Annotated[list[int], Field(min_length=2, max_length=2)]] = None  # [row, column] on the overview map


class Source(_Entry):
    id: str
    title: str
    subtitle: Optional[str] = None
    description: str = ""
    event: Optional[str] = None
    publisher: Optional[str] = None
    authors: list[str] = []
    date: Optional[str] = None
    date_note: Optional[str] = None
    url: Optional[str] = None
    text_file: Optional[str] = None


class SearchTerm(_Entry):
    term: str
    also: list[str] = []


VOCAB_FILES = {"themes": Theme, "levels": Level, "regions": Region, "sources": Source,
               "search_terms": SearchTerm}


@dataclass(frozen=True)
class Vocabularies:
    themes: list[Theme]
    levels: list[Level]
    regions: list[Region]
    sources: list[Source]
    search_terms: list[SearchTerm]

    @property
    def theme_names(self) -> list[str]:
        return [t.name for t in self.themes]

    @property
    def level_names(self) -> list[str]:
        return [t.name for t in self.levels]

    @property
    def province_names(self) -> list[str]:
        return [t.name for t in self.regions]

    @property
    def source_ids(self) -> list[str]:
        return [t.id for t in self.sources]

    def region(self, name: str) -> Region:
        return next(r for r in self.regions if r.name == name)

    def source(self, key: str) -> Source:
        return next(t for t in self.sources if t.id == key)


class VocabularyError(Exception):
    """A vocabulary file is unreadable: nothing else can be checked."""


def _load_list(path: Path, model: type[_Entry]) -> list:
    doc, problem = load_file(path)
    if problem:
        raise VocabularyError(str(problem))
    if not isinstance(doc.data, list):
        raise VocabularyError(f"{path}:1: 应为条目列表，每项以“- ”开头")
    entries, errors = [], []
    for i, item in enumerate(doc.data):
        try:
            entries.append(model.model_validate(item))
        except ValidationError as err:
            for e in err.errors():
                loc = (i,) + tuple(e["loc"])
                errors.append(f"{path}:{doc.line_of(loc)}: {format_field(loc)}: {e['msg']}")
    for key in ("name", "id", "slug", "term"):
        values = [getattr(e, key) for e in entries if hasattr(e, key)]
        errors += [f"{path}: {key} “{v}” 重复" for v in sorted({v for v in values if values.count(v) > 1})]
    if errors:
        raise VocabularyError("\n".join(errors))
    return entries


def load_vocabularies(vocab_dir: Path) -> Vocabularies:
    return Vocabularies(**{name: _load_list(vocab_dir / f"{name}.yaml", model)
                           for name, model in VOCAB_FILES.items()})
