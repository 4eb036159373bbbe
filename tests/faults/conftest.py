"""Shared helpers of the fault suite: small generated decision files, `python -m ingest` subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOPICS = ["公安机关", "审判机关", "司法行政机关", "监察机关", "各级人民政府", "税务机关", "市场监管部门", "生态环境部门"]
QUESTIONS = ["公安机关需配合哪些事项", "检察建议应当在多长时间内回复", "生态环境部门如何配合公益诉讼", "第7号决定的施行日期"]


def write_decisions(folder: Path, start: int, n: int) -> list[Path]:
    """`n` small distinct decisions (3-4 articles each), numbered from `start`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        body = "\n".join([
            f"# 第{i}号市人民代表大会常务委员会关于加强检察机关法律监督工作的决定",
            "",
            f"第一条 {TOPICS[i % len(TOPICS)]}应当支持检察机关依法履行第{i}项法律监督职责。",
            f"第二条 {TOPICS[(i + 3) % len(TOPICS)]}收到检察建议后，应当在{i % 5 + 1}个月内书面回复。",
            f"第三条 检察机关在公益诉讼第{i}类案件中，可以商请{TOPICS[(i + 5) % len(TOPICS)]}协助调查取证。",
            f"第四条 本决定自20{10 + i % 15}年{i % 12 + 1}月1日起施行。",
        ])
        path = folder / f"decision-{i:03d}.md"
        path.write_text(body + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def ingest_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "ingest", *map(str, args)]


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "ANONYMIZED_TELEMETRY": "False"}


def run_ingest(*args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(ingest_cmd(*args), cwd=ROOT, env=env(), capture_output=True, text=True, timeout=timeout)


def popen_ingest(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen(ingest_cmd(*args), cwd=ROOT, env=env(), text=True, start_new_session=True, **kw)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def fingerprint(index_dir: Path) -> dict:
    """What must be identical between two builds: documents, counts, stores, top-5 answers."""
    from store import ClauseIndex

    with ClauseIndex.open(index_dir, embedding_model=None, create=False) as idx:
        stats = idx.stats(verify=True)
        return {
            "documents": sorted(e.document.doc_id for e in idx.documents()),
            "counts": {k: stats[k] for k in ("documents", "clauses", "vectors", "stored_documents",
                                              "chroma_records", "keyword_rows")},
            "top5": {q: [h.clause.clause_id for h in idx.search(q, k=5)] for q in QUESTIONS},
        }


@pytest.fixture(scope="session")
def decisions(tmp_path_factory):
    folder = tmp_path_factory.mktemp("decisions")
    return write_decisions(folder / "a", 0, 20), write_decisions(folder / "b", 20, 20)


@pytest.fixture(scope="session")
def clean_build(tmp_path_factory, decisions):
    """The reference: all 40 files added by one process."""
    index_dir = tmp_path_factory.mktemp("clean") / "idx"
    proc = run_ingest("add", *decisions[0], *decisions[1], "--dense", "all", "--index-dir", index_dir)
    assert proc.returncode == 0, proc.stderr
    return fingerprint(index_dir)
