"""Self-check of the blind question bank (eval/bank_*.jsonl) over the 38-document decisions corpus.

Every gold/also entry names exactly one document (its `doc` is a substring of one title only) and an
article or kind that the parser finds in that document; ids are unique across the three splits and the
two fresh ones (eval/fresh_*.jsonl, written blind later over the same 38 documents).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from assistant.metrics import load_questions
from ingest.parser import parse_file

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SPLITS = [ROOT / "eval" / f"bank_{name}.jsonl" for name in ("dev", "test", "sealed")]
FRESH = [ROOT / "eval" / f"fresh_{name}.jsonl" for name in ("dev", "test")]  # written later, same corpus
EDGE = [ROOT / "eval" / f"edge_{name}.jsonl" for name in ("dev", "test")]  # places and documents not indexed
OUTLINE = [ROOT / "eval" / f"outline_{name}.jsonl" for name in ("dev", "dev2", "test")]  # questions about a whole document
USERS = [ROOT / "eval" / "users_dev.jsonl",  # written blind in the fifteenth step, dev only
         ROOT / "eval" / "users_dev2.jsonl",  # and in the sixteenth
         ROOT / "eval" / "bank_dev2.jsonl",  # and in the seventeenth, in the bank's style mix,
         ROOT / "eval" / "seeds_dev3.jsonl"]  # with one on the two seeds (scored on an index of those two)

pytestmark = pytest.mark.skipif(not (SHARED / "corpora" / "lawrefbook").is_dir(),
                                reason="needs ../shared/corpora/lawrefbook beside the checkout")


@lru_cache(maxsize=1)
def decisions() -> dict[str, tuple[set[int], set[str]]]:
    """title → (article numbers, clause kinds) for the seeds and every LawRefBook file named 决定/决议."""
    files = sorted((SHARED / "seeds").glob("*.txt"))
    lawref = SHARED / "corpora" / "lawrefbook"
    files += sorted(p for p in lawref.rglob("*.md") if "决定" in p.name or "决议" in p.name)
    out = {}
    for path in files:
        parsed = parse_file(path)
        out[parsed.document.title] = ({c.article for c in parsed.clauses if c.kind == "article"},
                                      {c.kind for c in parsed.clauses})
    return out


def test_the_corpus_is_38_documents():
    assert len(decisions()) == 38


def test_ids_unique_across_splits_and_every_type_in_each_split():
    questions = load_questions(SPLITS + FRESH + EDGE + OUTLINE + USERS)  # raises on a repeated id
    assert len(load_questions(SPLITS)) >= 400 and len(questions) >= 550
    for split in SPLITS + FRESH:
        types = {q.type for q in load_questions([split])}
        assert {"plain", "unanswerable", "followup", "compare", "meta", "article"} <= types, split.name


def test_edge_sets_are_half_refusals_with_their_kind_noted():
    for split in EDGE:
        questions = load_questions([split])
        assert len(questions) == 60 and sum(q.expect_refusal for q in questions) == 30, split.name
        assert all(q.expect_refusal == (q.type == "unanswerable") for q in questions), split.name


@pytest.mark.parametrize("split", SPLITS + FRESH + EDGE + OUTLINE + USERS, ids=lambda p: p.name)
def test_every_label_names_one_document_and_an_existing_unit(split):
    problems = []
    for q in load_questions([split]):
        for ref in (*q.gold, *q.also):
            titles = [t for t in decisions() if ref.doc in t]
            if len(titles) != 1:
                problems.append(f"{q.id}: {ref.doc!r} matches {len(titles)} titles")
                continue
            articles, kinds = decisions()[titles[0]]
            if ref.article is not None and ref.article not in articles:
                problems.append(f"{q.id}: {ref.doc} has no article {ref.article}")
            if ref.kind is not None and ref.kind not in kinds:
                problems.append(f"{q.id}: {ref.doc} has no {ref.kind}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("split", OUTLINE, ids=lambda p: p.name)
def test_an_article_count_asked_is_the_documents_and_all_its_articles_are_gold(split):
    from ingest.numerals import parse_chinese_numeral

    for q in load_questions([split]):
        if not q.must_include:
            continue
        (count,) = [parse_chinese_numeral(m[1:-1]) for m in q.must_include]
        (title,) = [t for t in decisions() if q.gold[0].doc in t]
        assert decisions()[title][0] == set(range(1, count + 1)) == {ref.article for ref in q.gold}, q.id
