"""Passage vectors cached by (model, text) hash, so no text is embedded twice by the same model.

Kept in its own SQLite file, which survives `--rebuild` (a rebuild with the same model is cheap).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np


def text_key(model_id: str, text: str) -> str:
    return hashlib.blake2b(f"{model_id}\x1f{text}".encode(), digest_size=16).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path, model_id: str):
        self.model_id = model_id
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=60.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)")

    def get_many(self, keys: list[str], dimension: int) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, vec FROM vectors WHERE dim = ? AND key IN ({marks})", [dimension, *chunk])
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        rows = [(k, int(v.shape[0]), np.asarray(v, np.float32).tobytes()) for k, v in items.items()]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def embed(self, texts: list[str], embed: Callable[[list[str]], np.ndarray],
              dimension: int, *, role: str = "passage") -> tuple[np.ndarray, int]:
        """Vectors for `texts` (cache first); returns them and how many were newly embedded.
        `role` keeps passage and query vectors of the same text apart (e5 prefixes them differently)."""
        keys = [text_key(self.model_id if role == "passage" else f"{self.model_id}\x1e{role}", t) for t in texts]
        cached = self.get_many(keys, dimension)
        missing = [i for i, key in enumerate(keys) if key not in cached]
        fresh: dict[str, np.ndarray] = {}
        if missing:
            todo = {keys[i]: texts[i] for i in missing}  # identical texts embedded once
            vectors = embed(list(todo.values()))
            if vectors.shape[1] != dimension:
                raise ValueError(f"the model gave {vectors.shape[1]}-dimensional vectors, expected {dimension}")
            fresh = dict(zip(todo.keys(), vectors, strict=True))
            self.put_many(fresh)
        rows = [cached.get(k) if k in cached else fresh[k] for k in keys]
        out = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 0), np.float32)
        return out, len(fresh)

    def close(self) -> None:
        with self._lock:
            self._db.close()
