"""Search quality, asserted on the built site's own index without a browser.

`SiteSearch` replays the site's search worker on the prebuilt index; a Node run of the
worker itself checks that the replay ranks exactly as the browser does.
"""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from conftest import ROOT

from scripts.casebook.library import load_library
from scripts.casebook.search import SiteSearch, user_terms

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


def test_worker_in_node_ranks_exactly_like_the_replay(site, engine):
    if shutil.which("node") is None or not (ROOT / "node_modules" / "lunr").is_dir():
        pytest.fail("需要 node 和 npm ci 安装的 lunr")
    queries = [q for q, _ in QUERIES] + ["深圳", "全总", "3+X", "APP", "不存在的词语"]
    run = subprocess.run(["node", "scripts/tools/search_replay.mjs", str(site),
                          "docs/assets/javascripts/casebook-search.js"],
                         input="\n".join(queries), capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    browser = [json.loads(line) for line in run.stdout.splitlines()]
    assert browser == [engine.search(q) for q in queries]
