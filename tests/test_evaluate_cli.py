"""`python -m assistant.evaluate` driven against a stand-in Assistant (no index, no model).

The stand-in has the public surface the command relies on — `ask(question, history=, filters=)`
returning an `Answer`, `retrieve(query, k=, filters=)` returning `Hit`s, `settings.k` — so the
run loop, the invalid-citation check, follow-up handling and every output file are exercised here;
tests/test_evaluate_e2e.py runs the same command on the real index.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import pytest

from assistant import evaluate
from assistant.metrics import load_questions
from assistant.records import Answer, Citation
from assistant.settings import Settings
from ingest.records import Clause
from store.records import Hit

TITLES = {
    "xz": ("西藏自治区人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定", "西藏自治区"),
    "hh": ("呼和浩特市人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定", "呼和浩特市"),
}


def make_clause(doc: str, article: int | None, text: str, kind: str = "article") -> Clause:
    title, region = TITLES[doc]
    return Clause(doc, title, region, kind, article if kind == "article" else None, None, None,
                  f"第{article}条" if kind == "article" else "施行条款", text, ordinal=article or 99,
                  paragraphs=(text,))


CLAUSES = [
    make_clause("xz", 16, "十六、公安机关应当与检察机关共同推动侦查监督。审判机关应当落实检察长列席。"),
    make_clause("xz", 11, "十一、检察机关应当加强未成年人检察工作。"),
    make_clause("xz", 6, "六、优化12309检察服务中心功能。"),
    make_clause("hh", 11, "11.公安机关应当自觉接受并积极配合检察机关的法律监督。"),
    make_clause("hh", 12, "12.审判机关应当自觉接受并积极配合检察机关的法律监督。"),
    make_clause("hh", 4, "4.加强未成年人综合司法保护。"),
    make_clause("hh", None, "本决定自公布之日起施行。", kind="closing"),
]


@dataclass
class PlainAnswer:
    """An answer that does not say which clauses were shown (the evaluator then re-retrieves)."""

    text: str
    citations: list
    refused: bool
    query: str


@dataclass
class StandIn:
    """Keyword retrieval over CLAUSES; the answer cites the top hits containing a query term."""

    settings: Settings = field(default_factory=lambda: Settings.from_env(k=3))
    calls: list = field(default_factory=list)
    cite_outside: bool = False  # also cite 西藏第六条, never retrieved for these queries
    show_outside: bool = False  # …and list it among the clauses shown (Answer.sources)
    plain: bool = False  # answer with PlainAnswer (no sources)

    def retrieve(self, query, k=5, filters=None):
        self.calls.append(("retrieve", query, k, filters))
        regions = set((filters or {}).get("region", []))
        terms = [t for t in ("公安", "审判", "未成年", "12309", "施行", "公布") if t in query]
        pool = [c for c in CLAUSES if not regions or c.region in regions]
        scored = sorted(pool, key=lambda c: (-sum(t in c.text for t in terms), c.doc_id, c.ordinal))
        return [Hit(c, 1.0 / (i + 1)) for i, c in enumerate(scored[:k])]

    def ask(self, question, history=None, filters=None):
        self.calls.append(("ask", question, history, filters))
        if "工资" in question:
            return Answer(text="现有决定中没有相关规定。", refused=True, query=question)
        if "爆炸" in question:
            raise RuntimeError("boom")
        query = question
        if history and question.startswith("那"):
            query = history[-1][0].replace("公安", question[1:3])
        hits = self.retrieve(query, k=self.settings.k, filters=filters)
        cited = [h.clause for h in hits if any(t in h.clause.text for t in ("公安", "审判", "未成年", "12309", "公布"))
                 and any(t in query for t in ("公安", "审判", "未成年", "12309", "施行"))
                 and (("公安" in query) == ("公安" in h.clause.text) or "施行" in query)]
        shown = [h.clause for h in hits]
        if self.cite_outside:
            cited.append(CLAUSES[2])
        if self.show_outside:
            shown.append(CLAUSES[2])
        text = "；".join(c.text for c in cited)
        citations = [Citation.from_clause(c) for c in cited]
        if self.plain:
            return PlainAnswer(text=text, citations=citations, refused=not cited, query=query)
        return Answer(text=text, citations=citations, refused=not cited, query=query, sources=tuple(shown))


QUESTIONS = [
    {"id": "e1", "question": "公安机关需配合哪些事项", "type": "entity",
     "gold": [{"doc": "西藏", "article": 16}, {"doc": "呼和浩特", "article": 11}]},
    {"id": "f1", "question": "那审判机关呢？", "type": "followup", "history": [["公安机关需配合哪些事项", ""]],
     "gold": [{"doc": "西藏", "article": 16}, {"doc": "呼和浩特", "article": 12}]},
    {"id": "m1", "question": "呼和浩特的决定什么时候施行？", "type": "meta",
     "gold": [{"doc": "呼和浩特", "kind": "closing"}], "must_include": ["公布之日"]},
    {"id": "r1", "question": "未成年人检察有哪些要求？", "type": "filtered", "filters": {"region": ["西藏自治区"]},
     "gold": [{"doc": "西藏", "article": 11}]},
    {"id": "u1", "question": "检察官的工资标准是多少？", "type": "unanswerable", "gold": [], "expect_refusal": True},
]


@pytest.fixture
def qfile(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def stand_in(monkeypatch):
    holder = {"assistant": StandIn()}

    def fake_open(args, tmpdir):
        a = holder["assistant"]
        return a, replace(a.settings, answer_mode=args.mode or "extractive")

    monkeypatch.setattr(evaluate, "open_assistant", fake_open)
    return holder


def test_full_run_writes_every_output(qfile, tmp_path, stand_in, capsys):
    out = tmp_path / "out"
    assert evaluate.main([str(qfile), "--out", str(out), "--quiet"]) == 0
    stdout = capsys.readouterr().out
    assert "recall@5" in stdout and "followup" in stdout and "unanswerable" in stdout
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    for key in ("recall@1", "recall@3", "recall@5", "mrr", "citation_precision", "citation_recall", "citation_f1",
                "invalid_citations", "refusal_accuracy", "must_include", "latency_ms_p50", "latency_ms_p95",
                "n_questions", "per_type"):
        assert key in metrics, key
    assert metrics["n_questions"] == 5
    assert set(metrics["per_type"]) == {"entity", "followup", "meta", "filtered", "unanswerable"}
    assert metrics["per_type"]["entity"]["recall@5"] == 1.0
    assert metrics["refusal_accuracy"] == 1.0
    assert metrics["invalid_citations"] == 0
    assert metrics["must_include"] == 1.0
    assert metrics["run"]["answer_k"] == 3
    assert (out / "per_type.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    results = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in results] == ["e1", "f1", "m1", "r1", "u1"]
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "# Evaluation report" in report and "| recall@5 |" in report


def test_followups_retrieve_with_the_rewritten_query_and_filters_reach_both_calls(qfile, tmp_path, stand_in):
    evaluate.main([str(qfile), "--out", str(tmp_path / "o"), "--quiet"])
    calls = stand_in["assistant"].calls
    asks = [c for c in calls if c[0] == "ask"]
    assert asks[1] == ("ask", "那审判机关呢？", [("公安机关需配合哪些事项", "")], None)
    scored = [c for c in calls if c[0] == "retrieve" and c[2] == 5]  # the metric retrievals (depth 5)
    assert scored[0][1] == "公安机关需配合哪些事项"
    assert scored[1][1] == "审判机关需配合哪些事项"  # Answer.query, not the bare follow-up
    assert asks[3][3] == {"region": ["西藏自治区"]}
    assert scored[3][3] == {"region": ["西藏自治区"]}


@pytest.mark.parametrize("plain", [False, True], ids=["Answer.sources", "re-retrieval"])
def test_citation_outside_the_shown_clauses_is_invalid(qfile, tmp_path, stand_in, plain):
    stand_in["assistant"] = StandIn(cite_outside=True, plain=plain)
    out = tmp_path / "o"
    code = evaluate.main([str(qfile), "--out", str(out), "--quiet", "--fail-under", "invalid_citations=0"])
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    # 西藏第六条 is cited in the 4 answered questions but shown only in the one restricted to 西藏
    # (whose three hits are all the 西藏 clauses there are)
    assert metrics["invalid_citations"] == 3
    assert code == 1
    assert "无效引用" in (out / "report.md").read_text(encoding="utf-8")
    if plain:  # re-retrieved with Answer.query at the answerer's k (settings.k = 3)
        assert ("retrieve", "公安机关需配合哪些事项", 3, None) in stand_in["assistant"].calls


def test_the_answers_own_sources_are_preferred_over_re_retrieval(qfile, tmp_path, stand_in):
    stand_in["assistant"] = StandIn(cite_outside=True, show_outside=True)
    out = tmp_path / "o"
    assert evaluate.main([str(qfile), "--out", str(out), "--quiet"]) == 0
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8"))["invalid_citations"] == 0
    # the only depth-3 retrievals are the answerer's own (4 answered questions): no re-retrieval
    assert len([c for c in stand_in["assistant"].calls if c[0] == "retrieve" and c[2] == 3]) == 4


def test_fail_under_prints_one_line_per_failed_floor(qfile, tmp_path, stand_in, capsys):
    code = evaluate.main([str(qfile), "--out", str(tmp_path / "o"), "--quiet",
                          "--fail-under", "recall@1=1.01,citation_precision=0.5,latency_ms_p95=-1"])
    assert code == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("FAIL")]
    assert len(err) == 2
    assert err[0].startswith("FAIL: recall@1 = ") and "below the floor 1.01" in err[0]
    assert "latency_ms_p95" in err[1] and "above the allowed maximum" in err[1]


def test_compare_prints_deltas(qfile, tmp_path, stand_in, capsys):
    old_dir = tmp_path / "old"
    old_dir.mkdir()
    (old_dir / "metrics.json").write_text(json.dumps({"recall@5": 0.5, "per_type": {}}), encoding="utf-8")
    assert evaluate.main([str(qfile), "--out", str(tmp_path / "o"), "--quiet", "--compare", str(old_dir)]) == 0
    stdout = capsys.readouterr().out
    line = next(line for line in stdout.splitlines() if line.startswith("recall@5") and "+" in line)
    assert "0.500" in line and "1.000" in line and "+0.500" in line
    assert "Compared with" in (tmp_path / "o" / "report.md").read_text(encoding="utf-8")


def test_a_question_that_raises_is_reported_not_fatal(tmp_path, stand_in, capsys):
    path = tmp_path / "q.jsonl"
    rows = QUESTIONS[:1] + [{"id": "x", "question": "爆炸了", "type": "topic", "gold": [{"doc": "西藏", "article": 1}]}]
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in rows), encoding="utf-8")
    out = tmp_path / "o"
    assert evaluate.main([str(path), "--out", str(out), "--quiet"]) == 1
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8"))["errors"] == 1
    assert "RuntimeError: boom" in (out / "report.md").read_text(encoding="utf-8")
    assert "raised an error" in capsys.readouterr().err


def test_usage_errors_exit_2(qfile, tmp_path, stand_in, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    assert evaluate.main([str(bad), "--quiet"]) == 2
    assert "bad.jsonl:1" in capsys.readouterr().err
    assert evaluate.main([str(qfile), "--corpus", str(qfile), "--index-dir", str(tmp_path)]) == 2
    assert evaluate.main([str(qfile), "--fail-under", "nonsense=1"]) == 2
    assert evaluate.main([str(qfile), "--compare", str(tmp_path / "missing.json")]) == 2
    assert evaluate.main([str(tmp_path / "nope.jsonl")]) == 2


def test_the_bundled_question_sets_load(qfile):
    from assistant.settings import PROJECT_ROOT

    qs = load_questions(sorted((PROJECT_ROOT / "eval").glob("*.jsonl")))
    assert len(qs) >= 130
