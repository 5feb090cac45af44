"""A realistic synthetic library for benchmarks: `realistic_library(n)` and `write_corpus(root, n)`.

Cloning the real records under new ids (the old benchmark corpus) gives text that gzip
collapses and figures no real library would show: every size measured on it came out far too
small. Here the real records are only templates. Each synthetic case takes its prose from the
sentences of *all* records, per field kind (summaries from summary sentences, measures from
measure sentences, …) and recombined so that no two cases share a prose field; organisation,
region, level, themes, year, tags and source vary within the vocabularies; every metric has
its own value and a quote that states it. Every record is valid under the validator and none
is reported as a possible duplicate. Deterministic for a given seed.

Benchmark corpora only: the text is real sentences in new combinations, so it says nothing
true about any organisation and must never be published.
"""
from __future__ import annotations

import difflib
import json
import random
import re
import shutil
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]

# Union bodies under a region's name: "云南省" + "教育工会" → 云南省教育工会. Together with the 35
# regions they give over a thousand organisations, so that a 10,000-case library has about ten
# cases per organisation, as a real one might.
UNION_BODIES = (
    "总工会", "教育工会", "交通运输工会", "机械冶金建材工会", "金融工会", "能源化学工会", "农林水利气象工会",
    "国防工会", "财贸轻纺烟草工会", "海员建设工会", "邮电工会", "商贸流通工会", "卫生健康工会", "科技工会",
    "文化体育工会", "建设工会", "铁路工会", "民航工会", "电力工会", "水利工会", "职工服务中心", "工会干部学校",
    "直属机关工会", "国资委工会", "新就业形态工会联合会", "快递行业工会联合会", "非公企业工会联合会",
    "开发区总工会", "高新区总工会", "工业园区工会联合会", "农民工工会联合会", "产业工会联合会",
)
_SENTENCE = re.compile(r"[^。；！？]+[。；！？]?")
SUMMARY_TARGET = 200   # the validator warns above this
TITLE_MAX = 60


def sentences(text: str) -> list[str]:
    """The sentences (and ；-clauses) of a text, each with its closing mark."""
    return [s.strip() for s in _SENTENCE.findall(text.replace("\n", "")) if len(s.strip()) >= 6]


def _close(text: str) -> str:
    """Recombined clauses end as a sentence does."""
    return text[:-1] + "。" if text.endswith(("；", "，")) else text if text.endswith(("。", "！", "？")) else text + "。"


class _Pools:
    """The real records cut into pieces, one pool per field kind."""

    def __init__(self, cases) -> None:
        self.summary = sorted({s for c in cases for s in sentences(c.summary)})
        self.problem = sorted({s for c in cases for s in sentences(c.problem)})
        self.lessons = sorted({s for c in cases if c.lessons for s in sentences(c.lessons)})
        self.detail = sorted({s for c in cases for m in c.measures for s in sentences(m.detail)})
        self.measure_title = sorted({m.title for c in cases for m in c.measures if len(m.title) <= 20})
        self.tags = sorted({t for c in cases for t in c.tags})
        # label, unit, a typical value: the value's size is kept, its digits are new
        self.metrics = sorted({(m.label, m.unit, int(m.value)) for c in cases for m in c.metrics
                               if m.label and not re.search(r"\d$", m.label)})
        self.sections = sorted({c.source.section for c in cases if c.source.section})


class _Unique:
    """Draws combinations of pieces that no earlier case has used for the same field."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: dict[str, set[str]] = {}

    def draw(self, field: str, make) -> str:
        seen = self.seen.setdefault(field, set())
        for _ in range(1000):
            text = make()
            if text not in seen:
                seen.add(text)
                return text
        raise RuntimeError(f"corpus: ran out of distinct {field} combinations")


def _joined(rng: random.Random, pool: list[str], low: int, high: int, limit: int) -> str:
    """low–high pieces of `pool` in a new order, kept under `limit` characters."""
    text = ""
    for piece in rng.sample(pool, rng.randint(low, high)):
        if text and len(text) + len(piece) > limit:
            break
        text += piece
    return _close(text[:limit].rstrip("，；"))


def _new_value(rng: random.Random, unit: str, typical: int) -> int:
    if unit == "%":
        return rng.randint(1, 99)
    digits = max(1, len(str(abs(typical))))
    digits = max(1, min(12, digits + rng.randint(-1, 1)))
    return rng.randint(10 ** (digits - 1), 10 ** digits - 1)


def _metric(rng: random.Random, pools: _Pools, year: int) -> dict:
    from scripts.casebook.figures import check_metric, format_cn

    label, unit, typical = rng.choice(pools.metrics)
    value = _new_value(rng, unit, typical)
    quote = f"{label}{format_cn(value, unit)}"[-200:]
    if check_metric(value, None, quote) is not None:  # a label whose own figures would confuse the quote
        quote = format_cn(value, unit)
    metric = {"label": label, "value": value, "unit": unit}
    if rng.random() < 0.3:
        metric["as_of"] = str(year)
    metric["quote"] = quote
    return metric


def _record(i: int, rng: random.Random, pools: _Pools, unique: _Unique, vocab, organization: str,
            region, year: int, earlier: list[str]) -> dict:
    """One record; `earlier`: the titles of the organisation's earlier cases, which this one's
    title must not resemble (the validator would report a possible duplicate)."""
    from scripts.casebook.validate import SIMILAR_TITLE

    def distinct(title: str) -> bool:
        return all(difflib.SequenceMatcher(None, other, title).ratio() < SIMILAR_TITLE for other in earlier)

    measures = []
    titles = rng.sample(pools.measure_title, rng.randint(2, 5))
    for title in titles:
        detail = unique.draw("detail", lambda: _joined(rng, pools.detail, 1, 3, 400))
        measures.append({"title": title, "detail": detail})
    short = organization.removeprefix(region.name)
    for _ in range(100):
        title = unique.draw("title", lambda: f"{region.short}{short}{'、'.join(rng.sample(titles, 2))}"[:TITLE_MAX])
        if distinct(title):
            break
        titles = rng.sample(pools.measure_title, len(titles))
    earlier.append(title)
    themes = rng.sample(vocab.theme_names, rng.randint(1, 3))
    record = {
        "id": f"{year}-{region.slug}-case-{i}",
        "title": title,
        "organization": organization,
        "region": {"province": region.name},
        "level": rng.choice(vocab.level_names),
        "themes": themes,
        "tags": rng.sample(pools.tags, rng.randint(1, 6)),
        "year": year,
    }
    if rng.random() < 0.2:
        record["period"] = f"{year - rng.randint(1, 5)}–{year}"
    record["summary"] = unique.draw("summary", lambda: _joined(rng, pools.summary, 2, 3, SUMMARY_TARGET))
    record["problem"] = unique.draw("problem", lambda: _joined(rng, pools.problem, 2, 3, 600))
    record["measures"] = measures
    if rng.random() < 0.85:
        record["lessons"] = unique.draw("lessons", lambda: _joined(rng, pools.lessons, 2, 3, 400))
    record["metrics"] = [_metric(rng, pools, year) for _ in range(rng.randint(1, 6))]
    source = {"publication": rng.choice(vocab.source_ids)}
    if pools.sections and rng.random() < 0.5:
        source["section"] = rng.choice(pools.sections)
    record["source"] = source
    return record


def realistic_records(n: int, seed: int = 0) -> list[dict]:
    """n synthetic records as plain data (what a YAML file holds), valid and distinct."""
    import datetime

    from scripts.casebook.library import load_library

    real, _ = load_library(ROOT)
    vocab = real.vocab
    pools = _Pools(real.cases)
    rng = random.Random(seed)
    unique = _Unique(rng)
    this_year = datetime.date.today().year
    years = list(range(2013, min(2025, this_year) + 1))
    regions = list(vocab.regions)
    organisations = [(r, r.name + body) for r in regions for body in UNION_BODIES]
    rng.shuffle(organisations)
    records, used_titles = [], {}
    for i in range(n):
        region, organization = organisations[i % len(organisations)]
        records.append(_record(i, rng, pools, unique, vocab, organization, region, rng.choice(years),
                               used_titles.setdefault(organization, [])))
    return records


def realistic_library(n: int, seed: int = 0):
    """A Library of n synthetic cases (see the module's description)."""
    from scripts.casebook.library import build_library, load_library
    from scripts.casebook.model import Case

    vocab = load_library(ROOT)[0].vocab
    return build_library([Case.model_validate(r) for r in realistic_records(n, seed)], vocab)


# -- files in the records' own format ---------------------------------------------------------
_HEADER = "# yaml-language-server: $schema=../../schema/case.schema.json\n"
_PROSE = {"summary", "problem", "lessons", "detail"}
_WRAP = 60


# A plain scalar that YAML reads back as the same text: no indicator first, no ": " or " #"
# inside, nothing that reads as a number, boolean or null.
_PLAIN = re.compile(r"[^-?:,\[\]{}#&*!|>'\"%@`\s0-9.+~]([^:#]|:(?! )|(?<! )#)*(?<![: ])")
_NOT_TEXT = re.compile(r"(?i)(true|false|null|yes|no|on|off|y|n)")


def _scalar(value) -> str:
    """A value as a record writes it: plain when YAML reads it back unchanged, else quoted."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and not _NOT_TEXT.fullmatch(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _folded(text: str, indent: str) -> str:
    """A folded block as editors write prose: lines broken after ；or ，(the loader joins
    Chinese lines without a space)."""
    lines, line = [], ""
    for piece in re.findall(r"[^；，]+[；，]?", text):
        if line and len(line) + len(piece) > _WRAP:
            lines.append(line)
            line = ""
        line += piece
    lines.append(line)
    return ">-\n" + "".join(f"{indent}{ln}\n" for ln in lines)


def _emit(key: str, value, indent: str) -> str:
    if isinstance(value, dict):
        return f"{indent}{key}:\n" + "".join(_emit(k, v, indent + "  ") for k, v in value.items())
    if isinstance(value, list):
        out = f"{indent}{key}:\n"
        for item in value:
            if isinstance(item, dict):
                first = True
                for k, v in item.items():
                    body = _emit(k, v, indent + "    ")
                    out += (indent + "  - " + body[len(indent) + 4:]) if first else body
                    first = False
            else:
                out += f"{indent}  - {_scalar(item)}\n"
        return out
    if key in _PROSE:
        return f"{indent}{key}: {_folded(str(value), indent + '  ')}"
    return f"{indent}{key}: {_scalar(value)}\n"


def record_yaml(record: dict) -> str:
    return _HEADER + "".join(_emit(k, v, "") for k, v in record.items())


# What a build of the project needs besides the records (generated pages are left out).
_PROJECT_FILES = ("mkdocs.yml", "cases/_vocab", "cases/_template.yaml", "docs", "overrides", "schema")
_GENERATED_DOCS = ("cases", "catalogs", "index.md", "downloads.md", "overview.md", "data", "lunr.min.js")


def write_corpus(root: Path, n: int, seed: int = 0) -> None:
    """A project tree at `root` with n synthetic records under cases/ and copies of everything
    else a build needs (mkdocs.yml, vocabularies, template, docs/, overrides/, schema/): build it
    with `python -m scripts.casebook --root <root> pages` and `mkdocs build -f <root>/mkdocs.yml`."""
    root = Path(root)
    for name in _PROJECT_FILES:
        source, target = ROOT / name, root / name
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True,
                            ignore=lambda d, names: [x for x in names if x in _GENERATED_DOCS]
                            if Path(d).resolve().is_relative_to(ROOT / "docs") else [])
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    for record in realistic_records(n, seed):
        path = root / "cases" / str(record["year"]) / f"{record['id']}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(record_yaml(record), encoding="utf-8")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Write a synthetic benchmark corpus")
    parser.add_argument("root", type=Path)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    write_corpus(args.root, args.cases, args.seed)
