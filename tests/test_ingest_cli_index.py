"""`python -m ingest add|list|remove` as a user runs them (subprocesses, tmp index dirs)."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest import parse_file
from store import ClauseIndex
from store.chunking import sentence_texts
from store_fakes import index_meta, indexed_doc_ids

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
LAWREFBOOK = ROOT.parent / "shared" / "corpora" / "lawrefbook"


def vector_texts(*names: str) -> list[str]:
    """The texts the index embeds for these bundled files: each clause (none is over the token limit)
    and each of its sentences."""
    paths = [CORPUS / n for n in names] or sorted(CORPUS.iterdir())
    return [t for path in paths for c in parse_file(path).clauses for t in (c.text, *sentence_texts(c))]


def ingest(*args: str, check_rc: int | None = 0) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "ingest", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    if check_rc is not None:
        assert proc.returncode == check_rc, proc.stdout + proc.stderr
    return proc


def summary_seconds(stdout: str) -> float:
    return float(re.search(r"in ([0-9.]+)s", stdout).group(1))


def test_add_twice_second_run_embeds_nothing(tmp_path):
    index_dir = str(tmp_path / "idx")
    first = ingest("add", str(CORPUS), "--index-dir", index_dir)
    texts = vector_texts()
    fresh = len(set(texts))  # a one-sentence clause's sentence is its own text: embedded once
    assert "2 added" in first.stdout and f"{fresh} text(s) embedded, {len(texts) - fresh} from cache" in first.stdout
    started = time.perf_counter()
    second = ingest("add", str(CORPUS), "--index-dir", index_dir)
    wall = time.perf_counter() - started
    assert "0 added, 0 replaced, 2 unchanged" in second.stdout
    assert "0 text(s) embedded" in second.stdout
    assert summary_seconds(second.stdout) < 2.0
    print(f"re-add of the unchanged seeds: {summary_seconds(second.stdout):.2f}s in the command, {wall:.2f}s wall")

    listing = ingest("list", "--index-dir", index_dir).stdout
    assert "西藏自治区人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定" in listing
    assert re.search(r"\b21 clauses\b", listing) and re.search(r"\b20 clauses\b", listing)
    assert "2 document(s), 41 clauses" in listing


def test_rejected_files_are_reported_one_line_each_and_the_rest_ingest(tmp_path):
    bad = tmp_path / "in"
    bad.mkdir()
    (bad / "empty.md").write_text("", encoding="utf-8")
    (bad / "binary.txt").write_bytes(b"\x00\x01\x02binary\x00")
    (bad / "notes.xyz").write_text("公安机关", encoding="utf-8")
    good = CORPUS / "huhehaote-2023-jiancha-jiandu.txt"
    index_dir = str(tmp_path / "idx")
    proc = ingest("add", str(good), str(bad / "empty.md"), str(bad / "binary.txt"), str(bad / "notes.xyz"),
                  str(tmp_path / "missing.md"), "--index-dir", index_dir, check_rc=1)
    assert "1 added" in proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines[0] == "4 file(s) rejected:"
    for name in ("empty.md", "binary.txt", "notes.xyz", "missing.md"):
        assert sum(name in line for line in lines[1:]) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "1 document(s), 20 clauses" in ingest("list", "--index-dir", index_dir).stdout


def test_remove_by_id_or_prefix(tmp_path):
    index_dir = str(tmp_path / "idx")
    ingest("add", str(CORPUS), "--index-dir", index_dir)
    with ClauseIndex.open(index_dir, embedding_model=None) as idx:
        doc_ids = {e.document.region: e.document.doc_id for e in idx.documents()}
    assert ingest("remove", "zzzz", "--index-dir", index_dir, check_rc=1).stderr.startswith("error:")
    out = ingest("remove", doc_ids["呼和浩特市"][:8], "--index-dir", index_dir).stdout
    assert "20 clauses" in out
    listing = ingest("list", "--index-dir", index_dir).stdout
    assert "1 document(s), 21 clauses" in listing and doc_ids["呼和浩特市"] not in listing
    with ClauseIndex.open(index_dir) as idx:
        assert idx.stats(verify=True)["chroma_records"] == len(vector_texts("xizang-2024-jiancha-jiandu.md"))
        assert {h.clause.region for h in idx.search("公安机关需配合哪些事项")} == {"西藏自治区"}


def test_list_without_an_index_fails_cleanly(tmp_path):
    proc = ingest("list", "--index-dir", str(tmp_path / "none"), check_rc=1)
    assert "no index" in proc.stderr and "Traceback" not in proc.stderr


def test_model_change_asks_for_rebuild_and_rebuild_works(tmp_path):
    index_dir = tmp_path / "idx"
    ingest("add", str(CORPUS / "xizang-2024-jiancha-jiandu.md"), "--index-dir", str(index_dir))
    index_meta(index_dir, embedding_model="st:some/other-model")
    proc = ingest("add", str(CORPUS), "--index-dir", str(index_dir), check_rc=2)
    assert "python -m ingest add --rebuild" in proc.stderr and "Traceback" not in proc.stderr
    proc = ingest("add", str(CORPUS), "--index-dir", str(index_dir), "--rebuild")
    assert "2 added" in proc.stdout
    kept = vector_texts("xizang-2024-jiancha-jiandu.md")  # 西藏's vectors were kept in the cache
    new = vector_texts("huhehaote-2023-jiancha-jiandu.txt")
    fresh = len(set(new) - set(kept))
    assert f"{fresh} text(s) embedded, {len(kept) + len(new) - fresh} from cache" in proc.stdout


def _law_files(n: int) -> list[str]:
    files = sorted(p for p in LAWREFBOOK.rglob("*.md") if p.is_file())
    return [str(p) for p in files[:n]]


@pytest.mark.skipif(not LAWREFBOOK.is_dir(), reason="LawRefBook corpus not available")
def test_kill_9_during_add_leaves_a_usable_index_and_a_rerun_completes(tmp_path):
    index_dir = tmp_path / "idx"
    ingest("add", str(CORPUS), "--index-dir", str(index_dir))  # dense seeds first
    laws = _law_files(400)
    cmd = [sys.executable, "-m", "ingest", "add", "--keyword-only", "--index-dir", str(index_dir), *laws]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if len(indexed_doc_ids(index_dir)) >= 102:
                    break
            except (OSError, ValueError, sqlite3.Error):
                pass
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the add finished before it could be killed"

    with ClauseIndex.open(index_dir) as idx:  # the previous index is usable as it stands
        n_after_kill = idx.stats()["documents"]
        assert 102 <= n_after_kill < 402
        hits = idx.search("公安机关需配合哪些事项", filters={"region": ["西藏自治区", "呼和浩特市"]})
        assert ("西藏自治区", 16) in [(h.clause.region, h.clause.article) for h in hits]
        assert "dense" in hits[0].scores

    rerun = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert rerun.returncode in (0, 1), rerun.stderr  # 1: corpus files the parser rejects
    clean_dir = tmp_path / "clean"
    ingest("add", str(CORPUS), "--index-dir", str(clean_dir))
    subprocess.run([*cmd[:6], str(clean_dir), *laws], cwd=ROOT, capture_output=True, timeout=600)

    with ClauseIndex.open(index_dir) as idx, ClauseIndex.open(clean_dir) as clean:
        got, want = idx.stats(verify=True), clean.stats(verify=True)
        assert got == want
        assert got["stored_documents"] == got["documents"] and got["keyword_rows"] == got["clauses"]
        assert got["chroma_records"] == got["vectors"] == len(vector_texts())
        assert [e.document.doc_id for e in idx.documents()] == [e.document.doc_id for e in clean.documents()]
        query = "公安机关需配合哪些事项"
        assert [h.clause.clause_id for h in idx.search(query, k=10)] == [
            h.clause.clause_id for h in clean.search(query, k=10)]
    print(f"kill -9 after {n_after_kill} documents; rerun and clean run agree: {got}")
    assert not any(index_dir.glob(".*.tmp"))
    assert os.listdir(index_dir)
