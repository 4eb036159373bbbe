"""Self-check of the project's question sets (eval/*.jsonl): schema, and every gold label points at
a unit that exists in the decision it names, with its must_include strings in the gold text.

Article numbers are read from the source files twice — with a plain local regex, and with
`ingest.parse_file` — and the two must agree, so a parser change cannot make this check vacuous.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import HUHEHAOTE, ROOT, SHANDONG, XIZANG

from assistant.metrics import QUESTION_TYPES, Question, load_questions
from ingest import parse_file

EVAL = ROOT / "eval"
DEV, TEST, SHANDONG_SET = EVAL / "seeds_dev.jsonl", EVAL / "seeds_test.jsonl", EVAL / "shandong.jsonl"
DEV2 = EVAL / "seeds_dev2.jsonl"  # written blind (see eval/README.md)
ALL_SETS = (DEV, TEST, SHANDONG_SET, DEV2)

SOURCES = {"西藏": XIZANG, "呼和浩特": HUHEHAOTE, "山东": SHANDONG}
REGIONS = {"西藏": "西藏自治区", "呼和浩特": "呼和浩特市", "山东": "山东省"}
# What each decision holds (read off the texts); used as is when ../shared is not mounted.
KNOWN = {
    "西藏": {"articles": set(range(1, 19)), "kinds": {"note", "preamble", "closing"}},
    "呼和浩特": {"articles": set(range(1, 18)), "kinds": {"note", "preamble", "closing"}},
    "山东": {"articles": set(range(1, 12)), "kinds": {"note", "preamble", "closing"}},
}

_CN = "一二三四五六七八九"


def _cn_number(text: str) -> int:
    if "十" not in text:
        return _CN.index(text) + 1
    tens, _, units = text.partition("十")
    return (_CN.index(tens) + 1 if tens else 1) * 10 + (_CN.index(units) + 1 if units else 0)


def regex_articles(path: Path) -> set[int]:
    """Article numbers at line starts: 「十六、」 (西藏, 山东) or 「11.」 (呼和浩特)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".txt":
        return {int(n) for n in re.findall(r"^\s*(\d{1,2})\.", text, flags=re.M)}
    return {_cn_number(n) for n in re.findall(r"^\s*([一二三四五六七八九十]{1,3})、", text, flags=re.M)}


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def decisions() -> dict[str, dict]:
    """doc → {"articles": {n: text}, "kinds": {kind: text}} from the parser, for the files present."""
    out = {}
    for doc, path in SOURCES.items():
        if not path.exists():
            continue
        parsed = parse_file(path)
        assert parsed.document.region == REGIONS[doc]
        out[doc] = {
            "articles": {c.article: c.text for c in parsed.clauses if c.kind == "article"},
            "kinds": {c.kind: c.text for c in parsed.clauses if c.kind != "article"},
        }
    return out


@pytest.fixture(scope="module")
def sets() -> dict[Path, list[Question]]:
    return {path: load_questions([path]) for path in ALL_SETS}


def _refs(q: Question):
    return list(q.gold) + list(q.also)


def test_sources_agree_with_the_known_structure(decisions):
    assert {"西藏", "呼和浩特"} <= set(decisions)
    for doc, parsed in decisions.items():
        assert regex_articles(SOURCES[doc]) == KNOWN[doc]["articles"], doc
        assert set(parsed["articles"]) == KNOWN[doc]["articles"], doc
        assert set(parsed["kinds"]) >= KNOWN[doc]["kinds"], doc


def test_all_sets_load_with_unique_ids_and_enough_questions(sets):
    everything = load_questions(ALL_SETS)  # also rejects ids repeated across files
    assert len(everything) >= 130
    assert sum(q.expect_refusal for q in everything) >= 20
    assert len(sets[SHANDONG_SET]) >= 20
    dev, test = len(sets[DEV]), len(sets[TEST])
    assert abs(dev - test) <= 0.2 * max(dev, test)


def test_every_type_is_in_dev_and_in_test(sets):
    for path in (DEV, TEST):
        counts = Counter(q.type for q in sets[path])
        assert set(counts) == set(QUESTION_TYPES), path.name
        assert counts["unanswerable"] >= 10, path.name


def test_gold_and_also_point_at_existing_units(sets, decisions):
    for path, questions in sets.items():
        for q in questions:
            for ref in _refs(q):
                assert ref.doc in KNOWN, f"{q.id}: unknown decision {ref.doc!r}"
                if path != SHANDONG_SET:
                    assert ref.doc != "山东", f"{q.id}: the seed sets are scored on an index without 山东"
                known = decisions.get(ref.doc, KNOWN[ref.doc])
                if ref.article is not None:
                    assert ref.article in known["articles"], f"{q.id}: {ref.label} does not exist"
                else:
                    assert ref.kind in known["kinds"], f"{q.id}: {ref.label} does not exist"


def test_labels_are_consistent(sets):
    for questions in sets.values():
        for q in questions:
            keys = [(r.doc, r.article, r.kind) for r in q.gold]
            also = [(r.doc, r.article, r.kind) for r in q.also]
            assert len(set(keys)) == len(keys), f"{q.id}: repeated gold entry"
            assert len(set(also)) == len(also), f"{q.id}: repeated also entry"
            assert not set(keys) & set(also), f"{q.id}: an entry is both gold and also"
            assert q.type in QUESTION_TYPES, q.id
            assert (q.type == "unanswerable") == q.expect_refusal, q.id
            if q.expect_refusal:
                assert not q.gold and not q.also and not q.must_include, q.id
            if q.type == "followup":
                assert q.history, f"{q.id}: a follow-up needs history"
            if q.type == "compare":
                # one side may lack the provision (「…西藏决定有类似规定吗？」): then it is `also`, for the contrast
                assert len({r.doc for r in _refs(q)}) >= 2, f"{q.id}: a comparison needs labels from two decisions"


def test_locality_restrictions_are_respected(sets):
    """A question naming one locality (or filtered to it) has gold/also from that decision only."""
    for questions in sets.values():
        for q in questions:
            named = {doc for doc in KNOWN if doc in q.question}
            if q.filters:
                assert set(q.filters) == {"region"}, q.id
                regions = set(q.filters["region"])
                assert regions <= set(REGIONS.values()), q.id
                named |= {doc for doc, region in REGIONS.items() if region in regions}
                assert not any(doc in q.question for doc in KNOWN), f"{q.id}: filters only when the text names none"
            if q.type == "filtered":
                assert len(named) == 1, f"{q.id}: a filtered question names (or filters to) one locality"
            if len(named) == 1 and q.type != "compare":  # 「两地…，呼和浩特有没有专门一条」 compares both
                assert {r.doc for r in _refs(q)} <= named, f"{q.id}: gold outside {named}"


def test_shandong_questions_need_the_shandong_decision(sets):
    for q in sets[SHANDONG_SET]:
        if q.expect_refusal:
            assert "山东" in q.question, f"{q.id}: an unanswerable Shandong question names 山东"
        else:
            assert any(r.doc == "山东" for r in q.gold), f"{q.id}: no Shandong gold"


def test_must_include_strings_are_in_the_gold_text(sets, decisions):
    for questions in sets.values():
        for q in questions:
            if not q.must_include or any(r.doc not in decisions for r in q.gold):
                continue
            texts = [
                decisions[r.doc]["articles"][r.article] if r.article is not None else decisions[r.doc]["kinds"][r.kind]
                for r in q.gold
            ]
            gold_text = _squash("".join(texts))
            for needle in q.must_include:
                assert _squash(needle) in gold_text, f"{q.id}: 「{needle}」 is not in its gold text"


def test_unanswerable_questions_name_nothing_the_decisions_cover(sets, decisions):
    """The distinctive term of each restricted refusal question is absent from that decision."""
    absent = {
        "d-una-09": ("呼和浩特", "强制医疗"),
        "d-una-10": ("西藏", "黄河"),
        "t-una-09": ("呼和浩特", "边境"),
        "t-una-10": ("西藏", "强制隔离"),
        "s-una-02": ("山东", "列席"),
        "s-una-03": ("山东", "12309"),
    }
    by_id = {q.id: q for qs in sets.values() for q in qs}
    for qid, (doc, term) in absent.items():
        assert by_id[qid].expect_refusal
        if doc in decisions:
            whole = "".join(decisions[doc]["articles"].values()) + "".join(decisions[doc]["kinds"].values())
            assert term not in whole, f"{qid}: {doc} does mention 「{term}」"
            # …while the other decision does, which is what makes the question a trap
            others = [d for d in decisions if d != doc]
            assert any(term in "".join(decisions[o]["articles"].values()) for o in others), qid
