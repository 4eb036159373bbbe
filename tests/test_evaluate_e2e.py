"""`python -m assistant.evaluate` end to end: the real command, the real Assistant, a real index."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

QUESTIONS = [
    {"id": "e2e-12309", "question": "12309检察服务中心有什么要求？", "type": "exact",
     "gold": [{"doc": "西藏", "article": 6}], "must_include": ["12309"]},
    {"id": "e2e-liexi", "question": "检察长列席审判委员会会议是怎么规定的？", "type": "exact",
     "gold": [{"doc": "西藏", "article": 16}, {"doc": "呼和浩特", "article": 12}]},
    {"id": "e2e-meta", "question": "呼和浩特的决定什么时候施行？", "type": "meta",
     "gold": [{"doc": "呼和浩特", "kind": "closing"}], "must_include": ["公布之日"]},
    {"id": "e2e-fu", "question": "那审判机关呢？", "type": "followup", "history": [["公安机关需配合哪些事项", ""]],
     "gold": [{"doc": "西藏", "article": 16}, {"doc": "呼和浩特", "article": 12}]},
    {"id": "e2e-una", "question": "检察官的工资标准是多少？", "type": "unanswerable", "gold": [], "expect_refusal": True},
]

EXTRA_DECISION = """测试市人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定

（2025年1月1日测试市第一届人民代表大会常务委员会第一次会议通过）

为了测试，作出如下决定：

一、检察机关应当加强对养蜂场蜂蜜质量的法律监督，确保蜂蜜标签真实。

二、检察机关应当加强对灯塔航标设施的保护。

本决定自公布之日起施行。
"""


def run(args, tmp_path):
    return subprocess.run(
        [sys.executable, "-m", "assistant.evaluate", *map(str, args), "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )


def write(path, rows):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_the_command_scores_the_seed_index(tmp_path):
    qfile = write(tmp_path / "q.jsonl", QUESTIONS)
    out = tmp_path / "out"
    proc = run([qfile, "--index-dir", tmp_path / "index", "--out", out, "--mode", "extractive"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "recall@5" in proc.stdout and "unanswerable" in proc.stdout
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    for key in ("recall@1", "recall@3", "recall@5", "mrr", "citation_precision", "citation_recall",
                "invalid_citations", "refusal_accuracy", "latency_ms_p50", "latency_ms_p95", "n_questions",
                "per_type"):
        assert key in metrics, key
    assert metrics["n_questions"] == 5 and metrics["errors"] == 0
    assert metrics["invalid_citations"] == 0
    # exact terms that occur in one article each: the real clauses' titles/regions match the gold labels
    assert metrics["per_type"]["exact"]["recall@5"] == 1.0
    assert metrics["per_type"]["meta"]["recall@5"] == 1.0
    assert metrics["latency_ms_p50"] > 0
    assert (out / "report.md").exists() and (out / "per_type.png").stat().st_size > 1000
    results = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    followup = next(r for r in results if r["id"] == "e2e-fu")
    assert followup["query"] != "那审判机关呢？"  # retrieval used the rewritten question

    # the same run again, compared with the first and gated on a floor it cannot meet
    proc = run([qfile, "--index-dir", tmp_path / "index", "--out", tmp_path / "out2", "--mode", "extractive",
                "--compare", out / "metrics.json", "--fail-under", "recall@5=1.01"], tmp_path)
    assert proc.returncode == 1
    assert "compared with" in proc.stdout
    assert [line for line in proc.stderr.splitlines() if line.startswith("FAIL")] == [
        f"FAIL: recall@5 = {metrics['recall@5']:.4g} is below the floor 1.01"
    ]


def test_corpus_option_adds_files_to_a_temporary_index(tmp_path):
    extra = tmp_path / "ceshi.txt"
    extra.write_text(EXTRA_DECISION, encoding="utf-8")
    qfile = write(tmp_path / "q.jsonl", [
        {"id": "c1", "question": "蜂蜜标签真实有什么要求？", "type": "exact", "gold": [{"doc": "测试市", "article": 1}]},
        {"id": "c2", "question": "灯塔航标设施的保护", "type": "exact", "gold": [{"doc": "测试", "article": 2}]},
    ])
    out = tmp_path / "out"
    proc = run([qfile, "--corpus", extra, "--out", out, "--mode", "extractive"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["recall@5"] == 1.0
    assert metrics["run"]["index"].startswith("temporary: bundled corpus + ")
