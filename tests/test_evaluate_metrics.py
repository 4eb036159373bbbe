"""Metric functions on hand-built clauses, hits and answers (no index, no model)."""

from __future__ import annotations

import json

import pytest

from assistant.metrics import (
    GoldRef,
    Outcome,
    Question,
    QuestionSetError,
    Unit,
    aggregate,
    check_floors,
    citation_scores,
    deltas,
    is_miss,
    load_questions,
    parse_floors,
    percentile,
    recall_at,
    reciprocal_rank,
    score_question,
)
from assistant.records import Citation
from ingest.records import Clause
from store.records import Hit

XZ_TITLE = "西藏自治区人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定"
HH_TITLE = "呼和浩特市人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定"


def clause(doc: str, article: int | None = None, kind: str = "article", paragraphs: int = 1) -> Clause:
    title, region, doc_id = (XZ_TITLE, "西藏自治区", "xz") if doc == "xz" else (HH_TITLE, "呼和浩特市", "hh")
    paras = tuple(f"{article}款{i}" for i in range(1, paragraphs + 1))
    return Clause(
        doc_id=doc_id,
        doc_title=title,
        region=region,
        kind=kind,
        article=article if kind == "article" else None,
        paragraph=None,
        part=None,
        label=f"第{article}条" if kind == "article" else kind,
        text="\n".join(paras),
        ordinal=article or 0,
        paragraphs=paras,
    )


def units(*clauses: Clause) -> list[Unit]:
    return [Unit.of(Hit(c, 1.0)) for c in clauses]


def cites(*clauses: Clause) -> list[Unit]:
    return [Unit.of(Citation.from_clause(c)) for c in clauses]


def question(**kw) -> Question:
    data = {"id": "q", "question": "公安机关需配合哪些事项", "type": "entity"}
    data.update(kw)
    return Question.from_dict(data)


GOLD2 = [{"doc": "西藏", "article": 16}, {"doc": "呼和浩特", "article": 11}]


def test_gold_matches_title_or_region_and_article_or_kind():
    ref = GoldRef("西藏", article=16)
    assert ref.matches(Unit.of(clause("xz", 16)))
    assert not ref.matches(Unit.of(clause("hh", 16)))
    assert not ref.matches(Unit.of(clause("xz", 6)))
    assert GoldRef("呼和浩特市", kind="closing").matches(Unit.of(clause("hh", kind="closing")))
    assert not GoldRef("呼和浩特", kind="closing").matches(Unit.of(clause("hh", kind="note")))
    # substring of the title, not of the region
    assert GoldRef("人民代表大会常务委员会关于加强新时代", article=16).matches(Unit.of(clause("hh", 16)))


def test_paragraph_hits_count_for_their_article():
    whole = clause("xz", 16, paragraphs=5)
    para = whole.paragraph_view(3)
    assert para.paragraph == 3
    assert Unit.of(para).key == Unit.of(whole).key == ("xz", "article:16")
    assert GoldRef("西藏", article=16).matches(Unit.of(Hit(para, 0.5)))


def test_recall_is_capped_fraction_and_mrr_is_first_gold_rank():
    gold = [GoldRef("西藏", article=16), GoldRef("呼和浩特", article=11), GoldRef("呼和浩特", article=17)]
    retrieved = units(clause("hh", 11), clause("xz", 7), clause("xz", 16), clause("hh", 9), clause("hh", 12))
    assert recall_at(gold, retrieved, 1) == 1.0  # one gold in top 1, capped denominator 1
    assert recall_at(gold, retrieved, 3) == pytest.approx(2 / 3)
    assert recall_at(gold, retrieved, 5) == pytest.approx(2 / 3)
    assert reciprocal_rank(gold, retrieved) == 1.0
    later = units(clause("xz", 7), clause("xz", 8), clause("hh", 17))
    assert recall_at(gold, later, 1) == 0.0
    assert reciprocal_rank(gold, later) == pytest.approx(1 / 3)
    assert reciprocal_rank(gold, units(clause("xz", 1))) == 0.0
    assert recall_at([], later, 5) is None and reciprocal_rank([], later) is None


def test_duplicate_paragraph_hits_do_not_double_count():
    gold = [GoldRef("西藏", article=16), GoldRef("呼和浩特", article=11)]
    c16 = clause("xz", 16, paragraphs=5)
    retrieved = units(c16.paragraph_view(2), c16.paragraph_view(3), clause("hh", 11))
    assert recall_at(gold, retrieved, 2) == 0.5
    assert recall_at(gold, retrieved, 3) == 1.0


def test_citation_precision_recall_f1_with_also():
    q = question(gold=GOLD2, also=[{"doc": "西藏", "article": 8}])
    o = Outcome(cited=cites(clause("xz", 16), clause("xz", 8), clause("xz", 2)))
    p, r, f1 = citation_scores(q, o)
    assert p == pytest.approx(2 / 3)  # 16 gold, 8 also, 2 neither
    assert r == 0.5  # 呼和浩特 11 not cited
    assert f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))


def test_citations_of_the_same_article_count_once():
    q = question(gold=GOLD2)
    c16 = clause("xz", 16, paragraphs=5)
    o = Outcome(cited=cites(c16.paragraph_view(2), c16.paragraph_view(4), clause("hh", 1)))
    p, r, _ = citation_scores(q, o)
    assert p == 0.5 and r == 0.5


def test_refused_answerable_question_scores_recall_zero_and_no_precision():
    q = question(gold=GOLD2)
    p, r, f1 = citation_scores(q, Outcome(refused=True))
    assert p is None and r == 0.0 and f1 == 0.0
    # answered but cited nothing: an unsupported answer, precision 0
    p, r, f1 = citation_scores(q, Outcome(refused=False, text="……"))
    assert p == 0.0 and r == 0.0 and f1 == 0.0


def test_unanswerable_questions_have_no_retrieval_or_citation_scores():
    q = question(type="unanswerable", gold=[], expect_refusal=True)
    s = score_question(q, Outcome(refused=True, retrieved=units(clause("xz", 1))))
    assert s["recall@5"] is None and s["mrr"] is None and s["citation_precision"] is None
    assert s["refusal_ok"] is True
    s = score_question(q, Outcome(refused=False, cited=cites(clause("xz", 1))))
    assert s["refusal_ok"] is False
    assert is_miss(q, s)


def test_must_include_ignores_whitespace():
    q = question(type="meta", gold=[{"doc": "西藏", "kind": "closing"}], must_include=["2024年8月1日", "废止"])
    s = score_question(q, Outcome(text="本决定自2024年 8月1日起施行。"))
    assert s["must_include"] == 0.5
    assert s["missing_must_include"] == ["废止"]


def test_must_include_is_not_satisfied_by_a_refusal_or_an_echo_of_the_question():
    q = question(type="paraphrase", question="举报线索有奖励吗？", gold=[{"doc": "西藏", "article": 6}],
                 must_include=["奖励"])
    echo = "现有决定中未找到与「举报线索有奖励吗？」相关的规定。"
    assert score_question(q, Outcome(refused=True, text=echo))["must_include"] == 0.0
    assert score_question(q, Outcome(refused=False, text=echo))["must_include"] == 0.0
    assert score_question(q, Outcome(text="……检察机关应当依照有关规定给予奖励。"))["must_include"] == 1.0


def test_aggregate_overall_and_per_type():
    q1 = question(id="a", gold=GOLD2)
    q2 = question(id="b", type="meta", gold=[{"doc": "呼和浩特", "kind": "closing"}], must_include=["公布之日"])
    q3 = question(id="c", type="unanswerable", gold=[], expect_refusal=True)
    q4 = question(id="d", type="unanswerable", gold=[], expect_refusal=True)
    rows = [
        (q1, score_question(q1, Outcome(retrieved=units(clause("xz", 16), clause("hh", 2)),
                                        cited=cites(clause("xz", 16)), latency_ms=10))),
        (q2, score_question(q2, Outcome(retrieved=units(clause("hh", 17), clause("hh", kind="closing")),
                                        cited=cites(clause("hh", kind="closing")),
                                        text="本决定自公布之日起施行。", latency_ms=30))),
        (q3, score_question(q3, Outcome(refused=True, latency_ms=20))),
        (q4, score_question(q4, Outcome(refused=False, latency_ms=40))),
    ]
    m = aggregate(rows)
    assert m["n_questions"] == 4 and m["n_answerable"] == 2
    assert m["recall@1"] == pytest.approx((1.0 + 0.0) / 2)
    assert m["recall@3"] == pytest.approx((0.5 + 1.0) / 2)
    assert m["mrr"] == pytest.approx((1.0 + 0.5) / 2)
    assert m["citation_precision"] == 1.0
    assert m["citation_recall"] == pytest.approx((0.5 + 1.0) / 2)
    assert m["refusal_accuracy"] == 0.75
    assert m["false_refusal_rate"] == 0.0 and m["false_answer_rate"] == 0.5
    assert m["must_include"] == 1.0
    assert m["latency_ms_p50"] == 25.0
    assert m["invalid_citations"] == 0
    assert list(m["per_type"]) == ["entity", "meta", "unanswerable"]
    una = m["per_type"]["unanswerable"]
    assert una["n_questions"] == 2 and una["recall@5"] is None and una["refusal_accuracy"] == 0.5
    assert m["per_type"]["meta"]["recall@1"] == 0.0
    json.dumps(m)  # serialisable


def test_percentile_interpolates():
    assert percentile([], 50) is None
    assert percentile([5], 95) == 5
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)


def test_floors_parse_and_check():
    floors = parse_floors("recall@5=0.95, citation_precision=0.9,invalid_citations=0,per_type.exact.recall@1=0.8")
    metrics = {
        "recall@5": 0.96,
        "citation_precision": 0.85,
        "invalid_citations": 2,
        "per_type": {"exact": {"recall@1": None}},
    }
    failures = check_floors(metrics, floors)
    assert len(failures) == 3
    assert failures[0].startswith("citation_precision = 0.85 is below the floor 0.9")
    assert "invalid_citations = 2 is above the allowed maximum 0" in failures[1]
    assert "per_type.exact.recall@1 is undefined" in failures[2]
    assert check_floors({"recall@5": 1.0}, parse_floors("recall@5=0.95")) == []
    for bad in ("recall@5", "recall@5=high", "bogus=1", "per_type.recall@5=1"):
        with pytest.raises(ValueError):
            parse_floors(bad)


def test_deltas_cover_overall_and_changed_per_type_keys():
    old = {"recall@5": 0.8, "invalid_citations": 1, "per_type": {"exact": {"recall@5": 0.5}}, "run": {"k": 5}}
    new = {"recall@5": 0.9, "invalid_citations": 0, "per_type": {"exact": {"recall@5": 0.75}}, "run": {"k": 5}}
    rows = {key: (a, b, d) for key, a, b, d in deltas(old, new)}
    assert rows["recall@5"][2] == pytest.approx(0.1)
    assert rows["invalid_citations"] == (1, 0, -1)
    assert rows["per_type.exact.recall@5"][2] == pytest.approx(0.25)
    assert "run" not in rows


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"id": "x", "question": "q", "type": "entity"}', "'gold' must be a list"),
        ('{"id": "x", "question": "q", "type": "entity", "gold": []}', "needs at least one gold"),
        ('{"id": "x", "question": "q", "type": "u", "gold": [{"doc": "西藏", "article": 1}], "expect_refusal": true}',
         "cannot have gold"),
        ('{"id": "x", "question": "q", "type": "entity", "gold": [{"doc": "西藏"}]}', "exactly one of"),
        ('{"id": "x", "question": "q", "type": "entity", "gold": [{"doc": "西藏", "article": "16"}]}',
         "positive integer"),
        ('{"id": "x", "question": "q", "type": "meta", "gold": [{"doc": "西藏", "kind": "ending"}]}', "'kind' must"),
        ('{"id": "x", "question": "q", "type": "followup", "gold": [{"doc": "西藏", "article": 1}], "history": ["a"]}',
         "history"),
        ('{"id": "x", "question": "q", "type": "entity", "gold": [{"doc": "西藏", "article": 1}], "answer": 1}',
         "unknown keys"),
        ("not json", "not valid JSON"),
    ],
)
def test_bad_question_lines_are_rejected_with_the_line(tmp_path, line, message):
    path = tmp_path / "q.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match=message) as info:
        load_questions([path])
    assert f"{path}:1" in str(info.value)


def test_load_questions_reads_all_fields_and_rejects_duplicate_ids(tmp_path):
    path = tmp_path / "q.jsonl"
    rows = [
        {"id": "a", "question": "那审判机关呢？", "type": "followup", "history": [["公安机关需配合哪些事项", ""]],
         "gold": GOLD2, "also": [{"doc": "西藏", "article": 8}], "filters": {"region": ["西藏自治区"]}},
        {"id": "b", "question": "检察官的工资标准是多少？", "type": "unanswerable", "gold": [], "expect_refusal": True},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n", encoding="utf-8")
    qs = load_questions([path])
    assert [q.id for q in qs] == ["a", "b"]
    assert qs[0].history == (("公安机关需配合哪些事项", ""),)
    assert qs[0].also == (GoldRef("西藏", article=8),)
    assert qs[0].filters == {"region": ["西藏自治区"]}
    assert qs[0].source == str(path)
    assert qs[1].expect_refusal and not qs[1].answerable
    with pytest.raises(QuestionSetError, match="duplicate id 'a'"):
        load_questions([path, path])
