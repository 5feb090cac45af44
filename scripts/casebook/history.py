"""Each record's history, read from Git at build time: the dates and commit subjects of the
commits that changed `cases/<year>/<id>.yaml`.

One `git log --name-only` over cases/ gives every record's changes at once, so the cost is
one process whatever the number of records. A record is known by its file name (the id), so
a record moved to another year's folder keeps its history. Without usable history — no Git,
not a repository, or a shallow clone whose oldest commit would pass for every record's first
— the history is empty and `note` says why (in Chinese: the pages print it).

The first commit that touched a record is its publication date on this site (what citations
give as 发布日期); the newest is its 最后更新. Dates are committer dates (when the change was
committed to the repository, in UTC as YYYY-MM-DD).
"""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .text import inert

# Separators Git cannot meet in a date or a one-line subject.
_COMMIT = "\x1e"
_FIELD = "\x1f"
NO_GIT = "本次构建没有可用的 Git 历史（{why}），因此未列出修改记录。"
# Readers see the summaries; a commit subject with no Chinese in it (a developer's English
# message) is shown as what it did to the record instead.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
ADDED, REVISED = "收入本库", "修订"


@dataclass(frozen=True)
class Change:
    date: str      # YYYY-MM-DD, UTC
    summary: str   # the commit's subject line


@dataclass
class History:
    """Changes per record id, newest first; empty with a `note` when Git history is missing."""
    changes: dict[str, list[Change]] = field(default_factory=dict)
    note: str | None = None

    @property
    def available(self) -> bool:
        return self.note is None

    def of(self, case_id: str) -> list[Change]:
        return self.changes.get(case_id, [])

    def published(self, case_id: str) -> str | None:
        """The date the record first entered the repository."""
        changes = self.of(case_id)
        return changes[-1].date if changes else None

    def updated(self, case_id: str) -> str | None:
        changes = self.of(case_id)
        return changes[0].date if changes else None


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    # UTC dates whatever the builder's time zone; no pager, no localised output
    env = {**os.environ, "TZ": "UTC", "LC_ALL": "C", "GIT_PAGER": "cat"}
    return subprocess.run(["git", "-C", str(root), "-c", "core.quotePath=false", *args],
                          capture_output=True, text=True, encoding="utf-8", errors="replace", env=env)


def parse_log(output: str) -> dict[str, list[Change]]:
    """The changes of every record in the output of `git log --format=<_COMMIT>%cd<_FIELD>%s
    --name-only -- cases/`, newest first as Git lists them."""
    changes: dict[str, list[Change]] = {}
    for commit in output.split(_COMMIT)[1:]:
        header, _, files = commit.partition("\n")
        date, _, subject = header.partition(_FIELD)
        change = Change(date.strip(), inert(subject.strip()))
        seen = set()
        for name in files.splitlines():
            parts = name.strip().split("/")
            # cases/<year>/<id>.yaml only: not the vocabularies, not the template
            if len(parts) == 3 and parts[0] == "cases" and not parts[1].startswith("_") and parts[2].endswith(".yaml"):
                case_id = parts[2].removesuffix(".yaml")
                if case_id not in seen:
                    seen.add(case_id)
                    changes.setdefault(case_id, []).append(change)
    for listed in changes.values():
        for i, change in enumerate(listed):
            if not _HAN.search(change.summary):
                listed[i] = Change(change.date, ADDED if i == len(listed) - 1 else REVISED)
    return changes


def read_history(root: Path | None) -> History:
    """The history of every record under root/cases, from one `git log` pass."""
    if root is None:
        return History(note=NO_GIT.format(why="案例不是从项目文件夹读取的"))
    try:
        shallow = _git(root, "rev-parse", "--is-shallow-repository")
    except FileNotFoundError:
        return History(note=NO_GIT.format(why="未安装 git"))
    if shallow.returncode != 0:
        return History(note=NO_GIT.format(why="项目文件夹不是 Git 仓库"))
    if shallow.stdout.strip() == "true":
        return History(note=NO_GIT.format(why="浅克隆只含最近的提交；发布流程应以 fetch-depth: 0 检出"))
    log = _git(root, "log", "--no-renames", "--relative", "--date=format-local:%Y-%m-%d",
               f"--format={_COMMIT}%cd{_FIELD}%s", "--name-only", "--", "cases/")
    if log.returncode != 0:  # e.g. a repository without any commit yet
        return History(note=NO_GIT.format(why="仓库中还没有提交"))
    return History(parse_log(log.stdout))
