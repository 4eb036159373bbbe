"""The index's one source of truth, in SQLite: records, the manifest, and the generation.

Tables:
    documents, clauses   full Document/Clause records (Chroma metadata cannot hold tuples or None)
    entries              the manifest's documents: which documents count, with their counts
    sources              source_key -> (doc_id, source_hash): lets a rerun skip unchanged files
    meta                 schema_version, embedding_model, dimension, index_id, generation

A document counts once its `entries` row exists. `commit` writes records, entries, sources and a
new generation in ONE transaction, so a kill -9 leaves either the previous state or the new one;
records without an entry (none, since they share the transaction, unless an older layout left
them) are purged by the next writer. Derived stores (keyword index, Chroma) record the generation
and fingerprint they were built from and are checked against these tables.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.records import Clause, Document
from store.codec import clause_from_json, clause_to_json, document_from_json, document_to_json
from store.errors import IndexCorruptError, StoreError

FILENAME = "records.sqlite"
BUSY_TIMEOUT_S = 60.0  # readers never block writers in WAL mode; a checkpoint may wait briefly

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (doc_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clauses (
    clause_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS clauses_doc ON clauses (doc_id, ordinal);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, region TEXT NOT NULL, status TEXT NOT NULL,
    doc_type TEXT NOT NULL, source_key TEXT NOT NULL, n_clauses INTEGER NOT NULL, n_chunks INTEGER NOT NULL,
    content_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (source_key TEXT PRIMARY KEY, doc_id TEXT NOT NULL, source_hash TEXT);
"""

ENTRY_FIELDS = ("title", "region", "status", "doc_type", "source_key", "n_clauses", "n_chunks", "content_hash")


@dataclass
class Change:
    """One writer's batch, committed atomically by `RecordStore.commit`."""

    put: list[tuple[Document, tuple[Clause, ...], dict]] = field(default_factory=list)  # (doc, clauses, entry)
    sources: dict[str, dict] = field(default_factory=dict)  # source_key -> {"doc_id", "source_hash"}
    drop: list[str] = field(default_factory=list)  # doc_ids whose entry and records go
    drop_sources: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)


def damaged(path: Path, exc: Exception, index_dir: Path) -> IndexCorruptError:
    return IndexCorruptError(
        f"the index database {path} is damaged ({exc}); rebuild the index: "
        f"python -m ingest add --rebuild PATH... --index-dir {index_dir}")


class RecordStore:
    def __init__(self, path: Path, *, check: bool = True):
        self.path = path
        self._lock = threading.RLock()
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self._open(path, check)
                return
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if busy and time.monotonic() < deadline:
                    # Switching a new database to WAL takes an exclusive lock without waiting on the busy
                    # handler: two processes creating one index at once meet here. Try again shortly.
                    db = getattr(self, "_db", None)
                    if db is not None:
                        db.close()
                    time.sleep(0.1)
                    continue
                if busy:
                    raise StoreError(f"the index database {path} is busy ({exc}); try again") from exc
                raise damaged(path, exc, path.parent) from exc
            except sqlite3.DatabaseError as exc:
                raise damaged(path, exc, path.parent) from exc

    def _open(self, path: Path, check: bool) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_S)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        if check:
            row = self._db.execute("PRAGMA quick_check").fetchone()
            if row and row[0] != "ok":
                raise sqlite3.DatabaseError(row[0])

    # ------------------------------------------------------------------ manifest tables

    def meta(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT key, value FROM meta"))

    def generation(self) -> int:
        """The number of committed changes: cheap enough to ask before every question."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def snapshot(self) -> tuple[dict[str, str], dict[str, dict], dict[str, dict]]:
        """(meta, entries, sources) read in one transaction: a consistent state."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                meta = dict(self._db.execute("SELECT key, value FROM meta"))
                entries = {row[0]: dict(zip(ENTRY_FIELDS, row[1:], strict=True))
                           for row in self._db.execute(f"SELECT doc_id, {', '.join(ENTRY_FIELDS)} FROM entries "
                                                       "ORDER BY rowid")}
                sources = {k: {"doc_id": d, "source_hash": h}
                           for k, d, h in self._db.execute("SELECT source_key, doc_id, source_hash FROM sources "
                                                           "ORDER BY rowid")}
            finally:
                self._db.execute("COMMIT")
        return meta, entries, sources

    def ensure_identity(self, embedding_model: str, schema_version: int) -> dict[str, str]:
        """Give a new index its id and model; returns meta."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                meta = dict(self._db.execute("SELECT key, value FROM meta"))
                fresh = {"index_id": uuid.uuid4().hex, "embedding_model": embedding_model,
                         "schema_version": str(schema_version), "generation": "0"}
                for key, value in fresh.items():
                    if key not in meta:
                        self._db.execute("INSERT INTO meta VALUES (?, ?)", (key, value))
                        meta[key] = value
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return meta

    def commit(self, change: Change) -> int:
        """Apply `change` and bump the generation, all in one transaction; returns the new generation."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                db = self._db
                for doc_id in change.drop:
                    db.execute("DELETE FROM clauses WHERE doc_id = ?", (doc_id,))
                    db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
                    db.execute("DELETE FROM entries WHERE doc_id = ?", (doc_id,))
                for key in change.drop_sources:
                    db.execute("DELETE FROM sources WHERE source_key = ?", (key,))
                for document, clauses, entry in change.put:
                    db.execute("DELETE FROM clauses WHERE doc_id = ?", (document.doc_id,))
                    db.execute("INSERT OR REPLACE INTO documents VALUES (?, ?)",
                               (document.doc_id, document_to_json(document)))
                    db.executemany("INSERT OR REPLACE INTO clauses VALUES (?, ?, ?, ?)",
                                   [(c.clause_id, c.doc_id, c.ordinal, clause_to_json(c)) for c in clauses])
                    db.execute("DELETE FROM entries WHERE doc_id = ?", (document.doc_id,))  # keeps list order
                    db.execute(f"INSERT INTO entries (doc_id, {', '.join(ENTRY_FIELDS)}) VALUES "
                               f"(?, {', '.join('?' * len(ENTRY_FIELDS))})",
                               (document.doc_id, *(entry[f] for f in ENTRY_FIELDS)))
                for key, src in change.sources.items():
                    db.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?)",
                               (key, src["doc_id"], src.get("source_hash")))
                for key, value in change.meta.items():
                    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
                row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
                generation = (int(row[0]) if row else 0) + 1
                db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(generation),))
                db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return generation

    def clear(self) -> int:
        """Forget every document (meta kept, model and dimension reset by the caller's change)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for table in ("clauses", "documents", "entries", "sources"):
                    self._db.execute(f"DELETE FROM {table}")
                row = self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
                generation = (int(row[0]) if row else 0) + 1
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(generation),))
                self._db.execute("DELETE FROM meta WHERE key = 'dimension'")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return generation

    def import_manifest(self, data: dict) -> None:
        """One-time migration of an older index's manifest.json into these tables."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for doc_id, entry in data.get("documents", {}).items():
                    self._db.execute(f"INSERT OR REPLACE INTO entries (doc_id, {', '.join(ENTRY_FIELDS)}) VALUES "
                                     f"(?, {', '.join('?' * len(ENTRY_FIELDS))})",
                                     (doc_id, *(entry.get(f, "") for f in ENTRY_FIELDS)))
                for key, src in data.get("sources", {}).items():
                    self._db.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?)",
                                     (key, src["doc_id"], src.get("source_hash")))
                meta = {"embedding_model": data.get("embedding_model"), "schema_version": data.get("schema_version"),
                        "dimension": data.get("dimension")}
                for key, value in meta.items():
                    if value is not None:
                        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, str(value)))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------------ records

    def doc_ids(self) -> set[str]:
        with self._lock:
            return {row[0] for row in self._db.execute("SELECT doc_id FROM documents")}

    def orphans(self) -> set[str]:
        """Documents with records but no entry (left by an older layout's interrupted run)."""
        with self._lock:
            return {row[0] for row in self._db.execute(
                "SELECT doc_id FROM documents WHERE doc_id NOT IN (SELECT doc_id FROM entries) "
                "UNION SELECT DISTINCT doc_id FROM clauses WHERE doc_id NOT IN (SELECT doc_id FROM entries)")}

    def delete(self, doc_id: str) -> int:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            n = self._db.execute("DELETE FROM clauses WHERE doc_id = ?", (doc_id,)).rowcount
            self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            self._db.execute("COMMIT")
        return n

    def document(self, doc_id: str) -> Document | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return document_from_json(row[0]) if row else None

    def clauses_of(self, doc_id: str) -> list[Clause]:
        with self._lock:
            rows = self._db.execute("SELECT data FROM clauses WHERE doc_id = ? ORDER BY ordinal", (doc_id,)).fetchall()
        return [clause_from_json(r[0]) for r in rows]

    def clauses_by_id(self, clause_ids: list[str]) -> dict[str, Clause]:
        found: dict[str, Clause] = {}
        with self._lock:
            for start in range(0, len(clause_ids), 500):
                chunk = clause_ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for cid, data in self._db.execute(f"SELECT clause_id, data FROM clauses WHERE clause_id IN ({marks})", chunk):
                    found[cid] = clause_from_json(data)
        return found

    def iter_clauses(self, doc_ids: Iterable[str]) -> Iterator[Clause]:
        """Clauses of the given documents, in document order, doc by doc."""
        for doc_id in doc_ids:
            yield from self.clauses_of(doc_id)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def read_legacy_manifest(index_dir: Path) -> dict | None:
    path = index_dir / "manifest.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"the old index manifest {path} is unreadable ({exc}); rebuild the index: "
                         f"python -m ingest add --rebuild PATH... --index-dir {index_dir}") from exc
