"""Concurrent writers, a writer while an index serves, kill -9 mid-ingest: real `python -m ingest add`
subprocesses on the bundled e5 over 40 small generated decisions; every outcome equals a clean build."""

from __future__ import annotations

import sqlite3
import sys
import time

from faults.conftest import QUESTIONS, ROOT, env, fingerprint, popen_ingest, run_ingest, stop

import subprocess


def committed(index_dir) -> int:
    try:
        db = sqlite3.connect(f"file:{index_dir / 'records.sqlite'}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT count(*) FROM entries").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def small_batches(*args) -> subprocess.Popen:
    """`python -m ingest add` committing every 3 documents (many generations, many kill points)."""
    code = ("import sys; import store.index as s; s.FLUSH_DOCS = 3; from ingest.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, env=env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def test_two_concurrent_adds_lose_nothing(tmp_path, decisions, clean_build):
    index_dir = tmp_path / "idx"
    a = popen_ingest("add", *decisions[0], "--dense", "all", "--index-dir", index_dir,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    b = popen_ingest("add", *decisions[1], "--dense", "all", "--index-dir", index_dir,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out_a, err_a = a.communicate(timeout=300)
        out_b, err_b = b.communicate(timeout=300)
    finally:
        stop(a)
        stop(b)
    assert a.returncode == 0 and b.returncode == 0, err_a + err_b
    assert "20 added" in out_a and "20 added" in out_b
    assert "Traceback" not in err_a + err_b
    assert fingerprint(index_dir) == clean_build
    rerun = run_ingest("add", *decisions[0], *decisions[1], "--dense", "all", "--index-dir", index_dir)
    assert "0 added, 0 replaced, 40 unchanged" in rerun.stdout, rerun.stderr


def test_two_processes_creating_one_vector_store_at_once(tmp_path):
    """Chroma's migrations on a new embedded store race ("table collections already exists") unless
    the store is opened under chroma.lock: two processes open ten new stores in lockstep."""
    code = ("import sys, time; from pathlib import Path; from store.vectors import VectorStore\n"
            "root, start = Path(sys.argv[1]), float(sys.argv[2])\n"
            "for i in range(10):\n"
            "    while time.time() < start + 0.4 * i: time.sleep(0.001)\n"
            "    VectorStore(root / str(i), None, 'jueding-race', 'm', fresh=True).close()\n")
    start = time.time() + 8  # both have imported chromadb by then
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), str(start)], cwd=ROOT, env=env(),
                              text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    errs = []
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        errs.append((proc.returncode, err))
    assert all(rc == 0 for rc, _ in errs), errs


def test_kill_9_mid_ingest_then_rerun_equals_a_clean_build(tmp_path, decisions, clean_build):
    index_dir = tmp_path / "idx"
    files = [*decisions[0], *decisions[1]]
    for wait_for in (0, 9, 24):  # killed before any commit, after a few batches, later on
        proc = small_batches("add", *files, "--dense", "all", "--index-dir", index_dir)
        try:
            deadline = time.monotonic() + 120
            while proc.poll() is None and committed(index_dir) <= wait_for and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            stop(proc)
        assert committed(index_dir) < 40, "the add finished before it could be killed"
    rerun = run_ingest("add", *files, "--dense", "all", "--index-dir", index_dir)
    assert rerun.returncode == 0 and "Traceback" not in rerun.stderr, rerun.stderr
    assert fingerprint(index_dir) == clean_build
    assert not [p for p in index_dir.iterdir() if p.name.startswith((".keyword-", ".writer-"))]


def test_an_open_index_keeps_answering_while_another_process_adds(tmp_path, decisions, clean_build):
    from store import ClauseIndex

    index_dir = tmp_path / "idx"
    first = run_ingest("add", *decisions[0], "--dense", "all", "--index-dir", index_dir)
    assert first.returncode == 0, first.stderr
    errors, answered, generations = [], 0, set()
    with ClauseIndex.open(index_dir) as reader:  # the app's view: opened once, never reopened
        reader.search(QUESTIONS[0])
        writer = small_batches("add", *decisions[1], "--dense", "all", "--index-dir", index_dir)
        try:
            while writer.poll() is None:
                for question in QUESTIONS:
                    try:
                        hits = reader.search(question, k=5)
                        answered += 1
                        assert hits, question
                        generations.add(reader.generation)
                    except Exception as exc:  # noqa: BLE001 - counted and reported
                        errors.append(f"{type(exc).__name__}: {exc}")
            out, err = writer.communicate(timeout=60)
        finally:
            stop(writer)
        assert writer.returncode == 0, err
        assert errors == [] and answered > 0
        assert len(generations) >= 2  # it swapped to newer generations while answering
        # the new documents are answered without a restart, exactly as a fresh open answers them
        assert reader.stats()["documents"] == 40
        assert {q: [h.clause.clause_id for h in reader.search(q, k=5)] for q in QUESTIONS} == clean_build["top5"]


def test_threads_of_one_index_keep_answering_while_another_thread_adds(tmp_path, decisions, clean_build,
                                                                        monkeypatch):
    """The web app's case: its ingest job syncs on the same ClauseIndex its answering threads search. They
    keep the state they serve until the sync ends (no keyword index rebuilt per committed batch), then swap."""
    import threading

    import store.index as store_index
    from store import ClauseIndex
    from store.files import sync_paths

    index_dir = tmp_path / "idx"
    first = run_ingest("add", *decisions[0], "--dense", "all", "--index-dir", index_dir)
    assert first.returncode == 0, first.stderr
    monkeypatch.setattr(store_index, "FLUSH_DOCS", 3)  # many commits
    builds = []
    build = ClauseIndex._build_keyword
    monkeypatch.setattr(ClauseIndex, "_build_keyword",
                        lambda self, manifest: builds.append(threading.current_thread().name) or build(self, manifest))
    errors, served = [], set()
    with ClauseIndex.open(index_dir) as index:
        index.search(QUESTIONS[0])
        before = index.generation
        writer = threading.Thread(target=lambda: sync_paths(index, list(decisions[1]), max_bytes=10**7, dense=True),
                                  name="ingest-job")
        writer.start()
        while writer.is_alive():
            for question in QUESTIONS:
                try:
                    assert index.search(question, k=5), question
                    served.add(index.generation)
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    errors.append(f"{type(exc).__name__}: {exc}")
        writer.join()
        after = index.generation
        assert errors == [] and after > before
        assert served <= {before, after}  # the old state until the sync ended (then the new), never a half-added one
        assert builds == ["ingest-job"]  # one keyword index, built by the writer at the end
        assert index.stats()["documents"] == 40
        assert {q: [h.clause.clause_id for h in index.search(q, k=5)] for q in QUESTIONS} == clean_build["top5"]
