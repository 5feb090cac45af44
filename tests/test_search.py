"""Search quality, asserted on the built site's own index without a browser.

`SiteSearch` replays the site's search worker on the prebuilt index; a Node run of the
worker itself checks that the replay ranks exactly as the browser does.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from scripts.casebook.build import build_site, index_site
from scripts.casebook.library import build_library, load_library
from scripts.casebook.model import Case
from scripts.casebook.search import (T2S_BUCKETS, SiteSearch, query_index, search_tags, t2s_buckets, t2s_table,
                                     to_simplified, user_terms)
from scripts.casebook.vocab import SearchTerm, SearchTermsError, VocabularyError, load_vocabularies, thesaurus

LIBRARY, _ = load_library(ROOT)

# (query, cases that must all be in the top 3): phrases, places, organisations, themes,
# programme names and the words readers use for them.
QUERIES = [
    ("枫桥", ["2024-fujian-longyan-station-fengqiao"]),
    ("社会化工会工作者", ["2024-xinjiang-social-union-workers"]),
    ("以技提薪", ["2024-zhejiang-taizhou-skills-pay"]),
    ("深圳", ["2017-guangdong-shenzhen-labour-disputes"]),
    ("云南", ["2024-yunnan-dianzhong-water-contest"]),
    ("滇中引水", ["2024-yunnan-dianzhong-water-contest"]),
    ("康乃馨", ["2024-jiangsu-carnation-service"]),
    ("川工之家", ["2024-sichuan-chuangongzhijia-app"]),
    ("豫工惠", ["2017-henan-internet-plus-services"]),
    ("错峰服务", ["2017-tianjin-binhai-offpeak-service"]),
    ("检察+工会", ["2024-hubei-procuratorate-union"]),
    ("集体协商参考信息", ["2024-guangdong-guangzhou-bargaining-data"]),
    ("职工书屋", ["2016-national-workers-bookhouses"]),
    ("兼职副主席", ["2016-national-frontline-leadership"]),
    ("减上补下", ["2016-national-staffing-shift"]),
    ("大国工匠", ["2016-national-great-craftsmen-brand"]),
    ("河北大工匠", ["2024-hebei-craftsmen-press-hall"]),
    ("双沟通", ["2024-beijing-dual-communication"]),
    ("九号议事", ["2024-shandong-jining-ninth-day-talks"]),
    ("职工科技节", ["2024-shaanxi-workers-tech-festival"]),
    ("工会送岗位", ["2024-anhui-union-job-delivery"]),
    ("三高职工", ["2013-shanghai-three-high-workers"]),
    ("劳模列席政协", ["2024-chongqing-model-workers-cppcc"]),
    ("一地六园", ["2024-ningxia-ideological-education-base"]),
    ("工人文化宫", ["2017-shaanxi-workers-cultural-palaces"]),
    ("聚力计划", ["2017-guangdong-shenzhen-labour-disputes"]),
    ("余杭", ["2017-zhejiang-yuhang-new-economy-unions"]),
    ("滨海新区", ["2017-tianjin-binhai-offpeak-service"]),
    ("广西 农民工", ["2017-guangxi-migrant-worker-services"]),
    ("女职工", ["2024-jiangsu-carnation-service"]),
    ("外卖骑手", ["2024-guangdong-guangzhou-bargaining-data"]),      # synonym: 外卖配送员
    ("讨薪", ["2016-national-migrant-worker-services"]),              # synonym: 欠薪
    ("困难职工解困脱困", ["2016-national-hardship-relief"]),
    ("新就业形态", ["2024-guangdong-guangzhou-bargaining-data"]),
    ("工会驿站", ["2024-fujian-longyan-station-fengqiao"]),
    ("安康杯", ["2016-national-safety-health-rights"]),
    ("五一劳动奖章", ["2016-national-mayday-awards"]),
    ("就业援助月", ["2016-national-employment-aid-month"]),
    ("江苏 产业工会", ["2017-jiangsu-county-industry-unions"]),
    ("劳资纠纷", ["2017-guangdong-shenzhen-labour-disputes", "2013-guangdong-rule-of-law-disputes"]),
    ("律师团", ["2013-guangdong-rule-of-law-disputes"]),
    ("网上工会", ["2016-national-internet-plus-union"]),
    ("工会经费", ["2016-national-funds-to-grassroots"]),
]


@pytest.fixture(scope="module")
def engine(site) -> SiteSearch:
    return SiteSearch.from_site(site)


def ids(pages: list[str]) -> list[str]:
    return [p.strip("/").split("/")[-1] for p in pages if p.startswith("cases/")]


def test_query_set_is_large_enough():
    assert len(QUERIES) >= 30


@pytest.mark.parametrize("query, expected", QUERIES, ids=[q for q, _ in QUERIES])
def test_expected_cases_in_top_three(engine, query, expected):
    top = ids(engine.search(query))[:3]
    assert set(expected) <= set(top), top


def test_a_phrase_found_in_one_case_brings_it_first(engine):
    """Every tag of every record that stands in exactly one case page's text."""
    texts = {c.id: engine.plain[i] for i, (page, _) in enumerate(engine.pages)
             for c in LIBRARY.cases if page == f"cases/{c.id}/"}
    checked, wrong = 0, []
    for case in LIBRARY.cases:
        for tag in case.tags:
            holders = [cid for cid, text in texts.items() if tag.lower() in text]
            if holders == [case.id]:
                checked += 1
                first = ids(engine.search(tag))[:1]
                if first != [case.id]:
                    wrong.append((tag, case.id, first))
    assert checked >= 100
    assert wrong == []


def test_place_and_organisation_names_bring_their_cases_first(engine):
    wrong = []
    groups = {}
    for case in LIBRARY.cases:
        short = LIBRARY.vocab.region(case.region.province).short
        for name in {short, case.region.province, case.organization} - {"全国"}:
            groups.setdefault(name, set()).add(case.id)
    for name, wanted in groups.items():
        top = ids(engine.search(name))[:len(wanted)]
        if set(top) != wanted:
            wrong.append((name, sorted(wanted), top))
    assert len(groups) >= 40
    assert wrong == []


def test_catalog_and_home_pages_are_not_indexed(engine):
    pages = [page for page, _ in engine.pages]
    assert not [p for p in pages if p.startswith("catalogs/") or p in ("", "downloads/")]
    assert sum(p.startswith("cases/") for p in pages) == len(LIBRARY.cases)


def test_user_dictionary_keeps_library_terms_whole():
    terms = user_terms(LIBRARY)
    for term in ("社会化工会工作者", "滇中引水", "以技提薪", "深圳市总工会", "新就业形态", "外卖骑手"):
        assert term in terms


def node_replay(site, queries: list[str], *material) -> list[dict]:
    if shutil.which("node") is None or not (ROOT / "node_modules" / "lunr").is_dir():
        pytest.fail("需要 node 和 npm ci 安装的 lunr")
    run = subprocess.run(["node", "scripts/tools/search_replay.mjs", str(site),
                          "docs/assets/javascripts/casebook-search.js", *map(str, material)],
                         input="\n".join(queries), capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


PARITY_QUERIES = [q for q, _ in QUERIES] + ["深圳", "全总", "3+X", "APP", "不存在的词语", "勞動模範", "楓橋經驗", "工会"]


def test_worker_in_node_ranks_exactly_like_the_replay_and_fetches_the_same_files(site):
    """The worker and the replay, each from a cold start, query by query."""
    browser = node_replay(site, PARITY_QUERIES)
    replay = SiteSearch.from_site(site)
    expected = []
    for query in PARITY_QUERIES:
        replay.fetched = []
        expected.append({"pages": replay.search(query), "fetched": replay.fetched})
    assert [b["pages"] for b in browser] == [e["pages"] for e in expected]
    assert [sorted(b["fetched"]) for b in browser] == [sorted(e["fetched"]) for e in expected]


def test_the_preview_serves_the_index_a_build_installs(site):
    """`make serve` keeps the index in docs/search/ (serve.Indexer), which MkDocs copies into
    the preview: its search ranks as the built site's."""
    from scripts.casebook.build import index_files_of
    from scripts.casebook.search import sync_index

    work = site.parent
    changed = sync_index(work / "docs" / "search", index_files_of(LIBRARY, work))
    assert "manifest.json" in changed and sync_index(work / "docs" / "search", index_files_of(LIBRARY, work)) == []
    try:
        run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(work / "mkdocs.yml"),
                              "-d", str(work / "served")], capture_output=True, text=True, cwd=work)
        assert run.returncode == 0, run.stderr
    finally:
        shutil.rmtree(work / "docs" / "search")
    assert [s["pages"] for s in node_replay(work / "served", PARITY_QUERIES)] == \
        [p["pages"] for p in node_replay(site, PARITY_QUERIES)]


def test_case_documents_are_what_materials_indexer_reads_from_the_case_page(site, tmp_path):
    """The search entries of every case page, made from the record, equal what Material's
    own indexer extracts from the page MkDocs renders (sections marked data-search-exclude
    left out), once the page is no longer excluded from it; the tags (search_tags) are the
    entries' own."""
    from scripts.casebook.search import case_documents, handwritten_documents, segment

    work = site.parent
    shutil.copyfile(work / "mkdocs.yml", tmp_path / "mkdocs.yml")
    (tmp_path / "overrides").symlink_to(work / "overrides")
    (tmp_path / "build").mkdir()
    shutil.copyfile(work / "build" / "jieba_userdict.txt", tmp_path / "build" / "jieba_userdict.txt")
    (tmp_path / "docs" / "cases").mkdir(parents=True)
    pages = []
    for case in LIBRARY.cases:
        text = (work / "docs" / "cases" / f"{case.id}.md").read_text(encoding="utf-8")
        assert "search:\n  exclude: true\n" in text
        (tmp_path / "docs" / "cases" / f"{case.id}.md").write_text(text.replace("search:\n  exclude: true\n", ""),
                                                                   encoding="utf-8")
        pages.append(f"cases/{case.id}.md")
    _, material = handwritten_documents(tmp_path, sorted(pages))
    ours = [{**e, "title": segment(e["title"]), "text": segment(e["text"])}
            for case in sorted(LIBRARY.cases, key=lambda c: c.id) for e in case_documents(case, LIBRARY)]
    assert len(ours) == len(material) > 5 * len(LIBRARY.cases)
    for mine, theirs in zip(ours, material):
        assert {k: v for k, v in mine.items() if k != "tags"} == theirs  # tags are not on the page


# -- the sharded index: a query reads only what it needs -------------------------------------
def test_a_query_reads_its_characters_converter_files_a_few_shards_and_the_pages_it_lists(site):
    engine = SiteSearch.from_site(site)
    found = engine.search("滇中引水")
    shards = [f for f in engine.fetched if f.startswith("shards/")]
    pages = [f for f in engine.fetched if f.startswith("pages/")]
    converter = [f for f in engine.fetched if f.startswith("t2s/")]
    assert converter == [f"t2s/{b}.json" for b in sorted({ord(c) % T2S_BUCKETS for c in "滇中引水"})], engine.fetched
    assert 1 <= len(shards) <= 3, engine.fetched
    assert len(pages) == len(found) <= len(engine.locations)
    total = len(list((site / "search" / "shards").glob("*.json")))
    assert total > 100 * len(shards)


def test_every_term_is_in_the_shard_of_its_longest_listed_prefix(site):
    manifest = json.loads((site / "search" / "manifest.json").read_text(encoding="utf-8"))
    keys = set(manifest["keys"])
    seen = 0
    for number, key in enumerate(manifest["keys"]):
        assert key[:-1] in keys or len(key) == 1  # prefix-closed
        path = site / "search" / "shards" / f"{number}.json"
        if number in manifest["empty"]:
            assert not path.exists()
            continue
        for term, *_ in json.loads(path.read_text(encoding="utf-8")):
            longest = max(k for k in (term[:j] for j in range(1, len(term) + 1)) if k in keys)
            assert longest == key, (term, key)
            seen += 1
    assert seen > 1000


def test_the_sharded_index_scores_as_the_whole_lunr_index(site):
    """lunr.py on every term of every shard and on the fetched terms only: same scores."""
    from lunr.index import Index
    from lunr.query import Query, QueryPresence

    engine = SiteSearch.from_site(site)
    rows = sorted((r for path in (site / "search" / "shards").glob("*.json")
                   for r in json.loads(path.read_text(encoding="utf-8"))), key=lambda r: r[0])
    whole = Index.load(query_index(rows, engine.manifest["fields"], engine.manifest["version"]))
    found = 0
    for query in ("滇中引水", "工会", "劳模列席政协", "广西 农民工"):
        parts = engine.parts(query)
        part_index = Index.load(query_index(engine.rows_for(parts), engine.manifest["fields"], engine.manifest["version"]))

        def run(index):
            q = index.create_query()
            for term in parts:
                q.term(term, wildcard=Query.WILDCARD_TRAILING, presence=QueryPresence.REQUIRED, use_pipeline=False)
            return [(r["ref"], r["score"]) for r in index.query(q)]
        assert run(part_index) == run(whole), query
        found += bool(run(whole))
    assert found >= 3


def test_indexing_twice_leaves_the_index_as_it_is(tmp_path):
    library = build_library(LIBRARY.cases[:3], LIBRARY.vocab)
    site = build_site(tmp_path, library)
    files = {p: p.read_bytes() for p in (site / "search").rglob("*") if p.is_file()}
    index_site(library, tmp_path, site / "search")  # `casebook index` on a built site
    index_site(library, tmp_path, site / "search")
    assert {p: p.read_bytes() for p in (site / "search").rglob("*") if p.is_file()} == files
    assert ids(SiteSearch.from_site(site).search(LIBRARY.cases[0].title))[:1] == [LIBRARY.cases[0].id]


# -- Traditional and Simplified --------------------------------------------------------------
@pytest.mark.parametrize("traditional, simplified", [("勞動模範", "劳动模范"), ("楓橋", "枫桥"),
                                                      ("楓橋經驗", "枫桥经验"), ("乾燥", "干燥"), ("乾隆", "乾隆")])
def test_traditional_text_is_converted_as_opencc_converts_it(traditional, simplified):
    import opencc

    table = t2s_table()
    assert to_simplified(traditional, table) == simplified == opencc.OpenCC("t2s").convert(traditional)
    # the files a query fetches: the buckets of its characters hold what the whole table says
    needed = [t2s_buckets(table)[ord(c) % T2S_BUCKETS] for c in traditional]
    part = {kind: {k: v for b in needed for k, v in b[kind].items()} for kind in ("chars", "phrases")}
    assert to_simplified(traditional, part) == simplified


@pytest.mark.parametrize("traditional, simplified", [("勞動模範", "劳动模范"), ("楓橋", "枫桥"), ("職工書屋", "职工书屋")])
def test_a_traditional_query_finds_what_the_simplified_one_finds(engine, traditional, simplified):
    found = engine.search(simplified)
    assert found and engine.search(traditional) == found


# -- synonyms: a reader's word is expanded only to words that mean the same thing ----------
# A record in the style of a new case whose source speaks of “新经济、新业态组织”: about new
# business forms in general, not about delivery riders or couriers.
NEW_ECONOMY = {
    "id": "2017-zhejiang-test-new-economy",
    "title": "推动新经济、新业态组织建会",
    "organization": "测试市总工会",
    "region": {"province": "浙江省"},
    "level": "县级",
    "themes": ["基层工会建设"],
    "tags": ["新业态", "新经济组织", "建会"],
    "year": 2017,
    "summary": "测试市总工会针对电子商务、民宿业等新经济、新业态组织精准推进建会，新业态组织建会率明显提高。",
    "problem": "新业态组织规模小、变动快，按传统办法建会难以覆盖。",
    "measures": [
        {"title": "摸清新业态组织底数", "detail": "逐一排查辖区内的新经济、新业态组织，建立新业态组织建会台账。"},
        {"title": "新业态组织分类建会", "detail": "对新业态集聚区推行区域性、行业性联合建会，新业态组织应建尽建。"},
    ],
    "metrics": [],
    "source": {"publication": "reform-conference-2017"},
}
COURIER_WORDS = ["外卖骑手", "外卖配送员", "快递员", "快递小哥", "网约车司机", "货车司机"]


def make_case(**changes) -> Case:
    return Case.model_validate({**NEW_ECONOMY, **changes})


def test_a_case_about_new_business_forms_is_not_tagged_with_the_kinds_of_worker():
    tags = search_tags(make_case(), LIBRARY)
    assert not set(COURIER_WORDS) & set(tags), tags
    assert {"新业态", "新就业形态"} <= set(tags)  # the true synonym still applies


def test_a_narrower_word_brings_its_synonyms_and_the_broader_word_only():
    case = make_case(tags=[], title="外卖配送员入会", summary="为外卖配送员建会。",
                     problem="外卖配送员入会难。", measures=[{"title": "上门", "detail": "到站点发展会员。"}])
    tags = search_tags(case, LIBRARY)
    assert {"外卖配送员", "外卖骑手", "新就业形态", "新业态"} <= set(tags)
    assert not {"快递员", "快递小哥", "网约车司机", "货车司机"} & set(tags), tags


# (words in a record's text, words its search tags must include, words they must not include):
# every entry of search_terms.yaml, reviewed under the rule.
READER_WORDS = [
    ("新业态", ["新就业形态"], COURIER_WORDS),
    ("新就业形态劳动者", ["新业态"], COURIER_WORDS),
    ("快递小哥", ["快递员", "新就业形态"], ["外卖骑手", "网约车司机"]),
    ("网约车司机", ["新就业形态"], ["外卖骑手", "货车司机"]),
    ("集体协商", [], ["工资集体协商", "工资协商"]),
    ("工资协商", ["工资集体协商", "集体协商"], []),
    ("“互联网+”工会", ["网上工会", "智慧工会"], []),
    ("数字化 APP", [], ["网上工会", "智慧工会"]),
    ("女职工", ["女工"], ["母婴室"]),
    ("母婴室", ["女职工"], []),
    ("帮扶", [], ["困难职工", "解困脱困"]),
    ("困难职工", [], ["解困脱困", "帮扶"]),
    ("解困脱困", ["困难职工"], []),
    ("律师", [], ["法律援助", "法援"]),
    ("法援", ["法律援助"], []),
    ("讨薪", ["欠薪", "拖欠工资"], []),
    ("劳资纠纷", ["劳动争议", "劳动纠纷"], []),
    ("外来务工人员", ["农民工", "进城务工人员"], []),
    ("劳动模范", ["劳模"], []),
]


@pytest.mark.parametrize("text, wanted, unwanted", READER_WORDS, ids=[t for t, _, _ in READER_WORDS])
def test_search_terms_apply_only_where_they_mean_the_same(text, wanted, unwanted):
    case = make_case(title="测试", summary=text, problem="无。", tags=[],
                     measures=[{"title": "做法", "detail": "内容。"}])
    tags = set(search_tags(case, LIBRARY))
    assert set(wanted) <= tags and not set(unwanted) & tags, sorted(tags)


@pytest.fixture(scope="module")
def engine_with_new_economy_case(tmp_path_factory) -> SiteSearch:
    """The real library plus a record that speaks of 新业态 throughout, built as a site."""
    library = build_library([*LIBRARY.cases, make_case()], LIBRARY.vocab)
    return SiteSearch.from_site(build_site(tmp_path_factory.mktemp("new-economy"), library))


@pytest.mark.parametrize("query", ["外卖骑手", "外卖配送员"])
def test_a_case_about_new_business_forms_does_not_outrank_the_delivery_rider_case(
        engine_with_new_economy_case, query):
    found = ids(engine_with_new_economy_case.search(query))
    assert found[:1] == ["2024-guangdong-guangzhou-bargaining-data"], found
    assert NEW_ECONOMY["id"] not in found


def test_a_case_about_new_business_forms_is_found_by_its_synonym(engine_with_new_economy_case):
    assert NEW_ECONOMY["id"] in ids(engine_with_new_economy_case.search("新就业形态"))[:3]


def test_search_terms_file_reads_as_synonym_groups_and_relations():
    words = thesaurus(LIBRARY.vocab.search_terms)
    groups = {group[0]: set(group) for group in words.groups}
    assert groups["外卖骑手"] == {"外卖骑手", "外卖配送员"}
    assert groups["新就业形态"] == {"新就业形态", "新业态"}
    assert words.words_for("外卖配送员") == ["新就业形态", "新业态", "外卖骑手", "外卖配送员"]
    dictionary = set(user_terms(LIBRARY))
    assert {w for group in words.groups for w in group if len(w) >= 2} <= dictionary


def entries(*rows):
    return [SearchTerm(term=row[0], also=row[1], includes=row[2] if len(row) > 2 else []) for row in rows]


def test_relations_are_transitive_and_name_a_group_by_any_of_its_words():
    words = thesaurus(entries(("外卖骑手", ["外卖配送员"]), ("新就业形态", ["新业态"]),
                              ("新业态", [], ["外卖配送员"]), ("灵活就业", [], ["新就业形态"])))
    assert words.words_for("外卖骑手") == ["外卖骑手", "外卖配送员", "新就业形态", "新业态", "灵活就业"]
    assert words.words_for("新业态") == ["新就业形态", "新业态", "灵活就业"]
    assert words.words_for("灵活就业") == ["灵活就业"]


@pytest.mark.parametrize("pairs, message", [
    ((("欠薪", ["讨薪"]), ("讨薪", ["拖欠工资"])), "同时写在"),
    ((("新就业形态", ["新业态"], ["新业态"]),), "是同义词"),
    ((("甲", [], ["乙"]), ("乙", [], ["甲"])), "包括了自己"),
], ids=["word in two groups", "synonym as narrower", "cycle"])
def test_contradictory_search_terms_are_refused_with_a_chinese_message(pairs, message):
    with pytest.raises(SearchTermsError, match=message):
        thesaurus(entries(*pairs))


def test_make_check_reports_a_contradictory_search_terms_file(tree):
    path = tree.root / "cases" / "_vocab" / "search_terms.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "- term: 讨薪\n  also: [拖欠工资]\n", encoding="utf-8")
    with pytest.raises(VocabularyError) as err:
        load_vocabularies(tree.root / "cases" / "_vocab", tree.root)
    assert [str(p) for p in err.value.problems] == [
        "cases/_vocab/search_terms.yaml:1: “讨薪”同时写在“欠薪”和“讨薪”两组同义词中；同一个说法只能属于一组，请合并两组或删去一处"]


def test_make_search_reads_the_same_shards(site, tmp_path, capsys):
    """`make search Q=…` (casebook search) ranks from the built site's shards as the header does."""
    from scripts.casebook import cli

    (tmp_path / "site").symlink_to(site)
    (tmp_path / "cases").symlink_to(ROOT / "cases")
    assert cli.main(["--root", str(tmp_path), "search", "楓橋"]) == 0
    lines = capsys.readouterr().out.splitlines()
    case = next(c for c in LIBRARY.cases if c.id == "2024-fujian-longyan-station-fengqiao")
    assert lines[1] == f"  1. {case.title}｜{case.organization}｜{case.year}｜{case.id}"
    assert len(lines) - 1 == min(10, len(SiteSearch.from_site(site).search("枫桥")))


@pytest.mark.parametrize("synthetic", [0, 300])
def test_the_compact_index_builder_gives_lunr_pys_rows(site, synthetic):
    """search.term_rows_of (flat lists, used by the build) and lunr.py's own builder and
    serializer (search.build_index, search.term_rows) give identical rows: same terms, term
    indexes, documents and weights."""
    from scripts.casebook.search import build_index, case_entries, documents, pages_of, term_rows, term_rows_of
    from scripts.corpus import realistic_library

    library = LIBRARY if not synthetic else build_library(
        [*LIBRARY.cases, *realistic_library(synthetic, seed=3).cases], LIBRARY.vocab)
    config, docs = documents(case_entries(library), site.parent, ["about.md", "finder.md"])
    rows = term_rows_of(config, pages_of(docs))
    assert len(rows) > 2000
    assert rows == term_rows(build_index({"config": config, "docs": docs}))
