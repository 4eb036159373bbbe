"""Full Document and Clause records in SQLite (Chroma metadata cannot hold tuples or None).

Writes are one transaction per document, and upserts keyed by content-derived ids, so a rerun
after a crash simply overwrites. Which documents count is decided by the manifest, not here.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from ingest.records import Clause, Document
from store.codec import clause_from_json, clause_to_json, document_from_json, document_to_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (doc_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clauses (
    clause_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS clauses_doc ON clauses (doc_id, ordinal);
"""


class RecordStore:
    def __init__(self, path: Path):
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def put(self, document: Document, clauses: Iterable[Clause]) -> None:
        rows = [(c.clause_id, c.doc_id, c.ordinal, clause_to_json(c)) for c in clauses]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute("DELETE FROM clauses WHERE doc_id = ?", (document.doc_id,))
                self._db.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?, ?)", (document.doc_id, document_to_json(document))
                )
                self._db.executemany("INSERT OR REPLACE INTO clauses VALUES (?, ?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def delete(self, doc_id: str) -> int:
        with self._lock:
            self._db.execute("BEGIN")
            n = self._db.execute("DELETE FROM clauses WHERE doc_id = ?", (doc_id,)).rowcount
            self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            self._db.execute("COMMIT")
        return n

    def clear(self) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM clauses")
            self._db.execute("DELETE FROM documents")
            self._db.execute("COMMIT")

    def doc_ids(self) -> set[str]:
        with self._lock:
            return {row[0] for row in self._db.execute("SELECT doc_id FROM documents")}

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
