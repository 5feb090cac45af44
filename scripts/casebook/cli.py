"""Command line: `python -m scripts.casebook check|pages|index|pdf|search|new|schema`
(the Makefile's targets call these).

Messages an editor reads are in Chinese; each problem is one line `path:line: field: message`.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .library import load_library
from .schema import schema_text
from .vocab import VocabularyError, load_vocabularies

# The project folder; the site, PDF and search modules are imported by the commands that use
# them, so that `make check` does not pay for WeasyPrint, jieba and lunr at every run.
PROJECT = Path(__file__).resolve().parents[2]


def github_annotation(problem, level: str) -> str:
    """A GitHub Actions workflow command that marks the offending line in the PR diff."""
    def escape(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def escape_property(text: str) -> str:
        return escape(text).replace(":", "%3A").replace(",", "%2C")

    title = escape_property(problem.field or "记录")
    return f"::{level} file={escape_property(problem.file)},line={problem.line},title={title}::{escape(problem.message)}"


def sources_folder(args) -> Path | None:
    """The folder of source texts: --sources, else $CASEBOOK_SOURCES, else none."""
    folder = args.sources or os.environ.get("CASEBOOK_SOURCES") or None
    return Path(folder) if folder else None


def refresh_schema(root: Path, vocab) -> bool:
    """Re-export schema/case.schema.json when the vocabularies changed it (it lists their
    values for editors' YAML tools); True when the file was rewritten."""
    target = root / "schema" / "case.schema.json"
    text = schema_text(vocab)
    if not target.is_file() or target.read_text(encoding="utf-8") == text:  # no schema kept here
        return False
    target.parent.mkdir(exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return True


def cmd_check(args) -> int:
    sources = sources_folder(args)
    if sources is not None and not sources.is_dir():
        print(f"原文副本文件夹“{sources}”不存在，请检查 SOURCES= 后的路径。", file=sys.stderr)
        return 2
    library, report = load_library(args.root, sources)
    if refresh_schema(args.root, library.vocab):
        print("词表有变化，已重新导出 schema/case.schema.json，请把它与修改一起提交。")
    if args.files:
        wanted = {str(Path(f).resolve()) for f in args.files}
        keep = lambda p: str((args.root / p.file).resolve()) in wanted  # noqa: E731
        report.errors = [p for p in report.errors if keep(p)]
        report.warnings = [p for p in report.warnings if keep(p)]
    if args.format == "github":
        for problem in report.errors:
            print(github_annotation(problem, "error"))
        for problem in report.warnings:
            print(github_annotation(problem, "warning"))
    else:
        for problem in report.errors:
            print(problem)
        if report.warnings:
            print(f"\n提示（{len(report.warnings)} 条，不影响通过）：")
            for problem in report.warnings:
                print(f"  {problem}")
    if not report.sources_checked and args.format != "github":
        print("未核对原文：要核对引文是否逐字一致、行文是否照抄原文，请运行 make check SOURCES=<原文副本文件夹>"
              "（如 make check SOURCES=../shared/sources）。")
    total = len(report.records) + len({p.file for p in report.errors})
    if report.errors:
        print(f"\n检查未通过：{len(report.errors)} 个错误，涉及 {len({p.file for p in report.errors})} 个文件"
              f"（共 {total} 个记录文件）。", file=sys.stderr)
        return 1
    print(f"检查通过：{len(report.records)} 个案例。")
    return 0


def valid_library(args, output: str):
    """The library, or None after printing why `output` cannot be made from invalid records."""
    library, report = load_library(args.root)
    if report.errors:
        for problem in report.errors:
            print(problem)
        print(f"记录有错误，未生成{output}；请先运行 make check 并修正。", file=sys.stderr)
        return None
    return library


def cmd_pages(args) -> int:
    from .build import generate_docs

    library = valid_library(args, "页面")
    if library is None:
        return 1
    written, words = generate_docs(library, args.root)
    print(f"已生成 {len(written.pages)} 个页面（{len(library.cases)} 个案例），检索词典 {words} 个词。")
    return 0


def cmd_new(args) -> int:
    from .scaffold import ScaffoldError, create_case

    vocab = load_vocabularies(args.root / "cases" / "_vocab", args.root)
    ask = lambda value, prompt: value or input(prompt).strip()  # noqa: E731
    title = ask(args.title, "案例标题：")
    organization = ask(args.organization, "实施单位（如 云南省总工会）：")
    province = ask(args.province, "省份全称（全总层面写 全国）：")
    year = ask(args.year, "年份（如 2024）：")
    keyword = args.id or ask(args.keyword, "编号关键词（英文或拼音，2–4 个词，如 social-insurance-data）：")
    if not str(year).isdigit():
        print(f"年份“{year}”应为四位数字，如 2024", file=sys.stderr)
        return 1
    try:
        path, level = create_case(args.root / "cases", vocab, title, organization, province, int(year),
                                  args.id or None, keyword)
    except ScaffoldError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"已创建 {path.relative_to(args.root)}：请按文件中的注释填写，然后运行 make check。")
    print(f"层级已按实施单位名称填为“{level}”，请核对（县级市的总工会为“县级”）。" if level else
          "无法从实施单位名称判断层级，请在 level 处填写（可选值见 cases/_vocab/levels.yaml）。")
    return 0


def cmd_pdf(args) -> int:
    from .invariant import InvariantError, check_pdf
    from .pdf import PdfError, write_volumes
    from .volumes import DOWNLOADS, plan_volumes

    library = valid_library(args, " PDF")
    if library is None:
        return 1
    try:
        written = write_volumes(library, args.out or args.root / "docs" / DOWNLOADS,
                                PROJECT / "overrides" / "print", set(args.only) or None)
        whole = next(v for v in plan_volumes(library) if v.slug == "library")
        for path in written:
            if path.name == whole.filename:
                check_pdf(path, whole)  # every case title, in the contents and in the body
    except (PdfError, InvariantError) as err:
        print(err, file=sys.stderr)
        return 1
    for path in written:
        print(f"已生成 {path}（{path.stat().st_size // 1024} KB）")
    return 0


def cmd_index(args) -> int:
    """The search index of an already built site (site/search/), e.g. after `mkdocs build`
    alone; `make build` makes it beside MkDocs (`cmd_build`)."""
    from .build import index_site
    from .invariant import InvariantError, check_site

    site = args.root / "site"
    if not (site / "search" / "search_index.json").is_file():
        print("没有找到 site/search/search_index.json，请先运行 mkdocs build。", file=sys.stderr)
        return 1
    library = valid_library(args, "检索索引")
    if library is None:
        return 1
    target = index_site(library, args.root, site / "search")
    shards = len(list((site / "search" / "shards").glob("*.json")))
    print(f"已生成检索索引 {target.relative_to(args.root)}（{shards} 个分片，读者检索时按需下载）")
    try:
        check_site(library, site)  # nothing lost between the records and the built site
    except InvariantError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


def cmd_build(args) -> int:
    import time

    from .build import BuildError, build
    from .invariant import InvariantError

    start = time.perf_counter()
    library = valid_library(args, "网站")
    if library is None:
        return 1
    timings = {"load": time.perf_counter() - start}
    try:
        site = build(library, args.root, timings)
    except (BuildError, InvariantError) as err:
        print(f"网站构建失败：{err}", file=sys.stderr)
        return 1
    shards = len(list((site / "search" / "shards").glob("*.json")))
    print(f"已生成网站 {site.relative_to(args.root)}：{len(library.cases)} 个案例，检索索引 {shards} 个分片。")
    if args.timings:
        print("用时（秒）：" + "，".join(f"{name} {seconds:.2f}" for name, seconds in timings.items()))
    return 0


def cmd_search(args) -> int:
    from .search import SiteSearch

    index = args.root / "site" / "search" / "search_index.json"
    if not index.is_file():
        print("没有找到 site/search/search_index.json，请先运行 make build。", file=sys.stderr)
        return 1
    engine = SiteSearch.from_site(args.root / "site")
    library, _ = load_library(args.root)
    by_id = {c.id: c for c in library.cases}
    pages = engine.search(args.query)
    if not pages:
        print(f"没有找到与“{args.query}”相关的案例。")
        return 0
    print(f"“{args.query}”的检索结果（与网站顶部搜索框的排序一致），前 {min(len(pages), args.limit)} 条：")
    for rank, page in enumerate(pages[:args.limit], 1):
        case = by_id.get(page.strip("/").split("/")[-1]) if page.startswith("cases/") else None
        label = f"{case.title}｜{case.organization}｜{case.year}｜{case.id}" if case else page
        print(f"{rank:3d}. {label}")
    return 0


def cmd_schema(args) -> int:
    target = args.root / "schema" / "case.schema.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(schema_text(load_vocabularies(args.root / "cases" / "_vocab", args.root)), encoding="utf-8")
    print(f"已写入 {args.root / 'schema' / 'case.schema.json'}")
    return 0


def cmd_mkdocs(args) -> int:
    """MkDocs itself, quiet: no Material end-of-life banner, no jieba loading lines (jieba runs
    inside Material's search plugin), so an editor sees only what needs attention."""
    import logging

    import jieba
    from mkdocs.__main__ import cli

    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    jieba.setLogLevel(logging.WARNING)
    try:
        cli.main(args=args.mkdocs_args, prog_name="mkdocs", standalone_mode=False)
    except SystemExit as stop:
        return stop.code or 0
    except Exception as err:  # click reports its own usage errors; anything else is a failed build
        print(f"网站构建失败：{err}", file=sys.stderr)
        return 1
    return 0


def cmd_serve(args) -> int:
    from .serve import serve
    return serve(args.root, args.port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="casebook", description="工会改革创新案例库工具")
    parser.add_argument("--root", type=Path, default=PROJECT, help="项目根目录（含 cases/ 和 docs/）")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="校验全部案例记录")
    check.add_argument("files", nargs="*", help="只报告这些文件的问题（仍校验全部记录）")
    check.add_argument("--format", choices=["text", "github"], default="text",
                       help="github：输出为 GitHub Actions 注释")
    check.add_argument("--sources", default=None,
                       help="原文副本文件夹：核对引文和改写（也可设环境变量 CASEBOOK_SOURCES）")
    check.set_defaults(func=cmd_check)
    pdf = sub.add_parser("pdf", help="生成 PDF 分册（全部、各领域、各来源）")
    pdf.add_argument("--out", type=Path, default=None, help="输出目录，默认 docs/downloads（生成网站时复制到 site/downloads）")
    pdf.add_argument("--only", nargs="*", default=[], help="只生成这些分册，如 library theme-women-workers")
    pdf.set_defaults(func=cmd_pdf)
    sub.add_parser("index", help="构建完成后预生成分片检索索引（site/search/）").set_defaults(func=cmd_index)
    search = sub.add_parser("search", help="在已构建的网站中检索（与顶部搜索框一致），查找可能重复的案例")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=10)
    search.set_defaults(func=cmd_search)
    new = sub.add_parser("new", help="新建案例记录骨架")
    new.add_argument("--title", default="")
    new.add_argument("--organization", default="")
    new.add_argument("--province", default="")
    new.add_argument("--year", default="")
    new.add_argument("--id", default="")
    new.add_argument("--keyword", default="", help="编号中的关键词（英文或拼音），如 social-insurance-data")
    new.set_defaults(func=cmd_new)
    sub.add_parser("pages", help="由记录生成网站页面").set_defaults(func=cmd_pages)
    build = sub.add_parser("build", help="生成网站到 site/（页面、MkDocs、检索索引）")
    build.add_argument("--timings", action="store_true", help="列出各步骤用时")
    build.set_defaults(func=cmd_build)
    sub.add_parser("schema", help="导出 JSON Schema").set_defaults(func=cmd_schema)
    mkdocs = sub.add_parser("mkdocs", help="运行 MkDocs（build 或 serve），不显示无关提示")
    mkdocs.add_argument("mkdocs_args", nargs=argparse.REMAINDER)
    mkdocs.set_defaults(func=cmd_mkdocs)
    serve = sub.add_parser("serve", help="生成页面并在本机预览；记录或词表改动后自动更新")
    serve.add_argument("--port", type=int, default=None, help="端口，默认取环境变量 PORT，否则 8000")
    serve.set_defaults(func=cmd_serve)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except VocabularyError as err:
        for problem in err.problems:
            print(problem)
        print(f"\n词表文件有误（{len(err.problems)} 个错误），无法继续校验；请先修正 cases/_vocab/ 中的上述位置。",
              file=sys.stderr)
        return 2
