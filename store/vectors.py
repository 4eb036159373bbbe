"""Dense vectors in Chroma: embedded `PersistentClient` under the index dir, or `HttpClient` for a server.

Vectors are always computed by our own `Embeddings` (the collection has no embedding function:
Chroma's default one downloads a model). One record per chunk; metadata carries what filters
need (doc_id, kind, region, status, doc_type) and the clause identity (clause_id, ordinal, article).

One collection per index, named from the index's id (`collection_name`), so indexes sharing a
Chroma server never see or delete each other's vectors. The collection's metadata names the
embedding model and the generation of records.sqlite its content was last written for.

Opening an embedded store runs Chroma's SQLite migrations, which are not safe against a second
process doing the same on a new store ("table collections already exists"): embedded clients are
created, and their collection opened, under `chroma.lock` in the index dir (held only for that;
separate from write.lock, which a writer may already hold when it opens its client).

An embedded (persistent) client keeps the HNSW graph in memory: after another process writes,
that copy is stale and queries can fail with "Error finding id". `reopen()` drops this
process's client for a fresh one, which reads the graph from disk again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from store.errors import StoreError

log = logging.getLogger(__name__)

OPEN_LOCK_FILE = "chroma.lock"
OPEN_LOCK_TIMEOUT_S = 300.0
LEGACY_COLLECTION = "jueding_clauses"  # the one collection every index used before index ids


MAX_PIECES_FETCHED = 4  # pieces of a long clause read back by id (an article over 4 × 450 tokens is rare)


def split_chunk_id(chunk_id: str) -> tuple[str, bool]:
    """(clause_id, whether the chunk is one sentence of the clause) from "<clause_id>#<piece>"."""
    clause_id, _, piece = chunk_id.rpartition("#")
    return clause_id, piece.startswith("s")


def sentence_number(chunk_id: str) -> int | None:
    """n of "<clause_id>#s<n>" (the clause's n-th sentence in `chunking.sentence_texts`); None: not a sentence."""
    piece = chunk_id.rpartition("#")[2]
    return int(piece[1:]) if piece.startswith("s") and piece[1:].isdigit() else None


def collection_name(index_id: str) -> str:
    return f"jueding-{index_id}"
FILTER_KEYS = ("region", "doc_id", "kind", "status", "doc_type")


def make_client(index_dir: Path, chroma_url: str | None, *, fresh: bool = False):
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if chroma_url:
        url = urlparse(chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise StoreError(f"bad Chroma URL {chroma_url!r}: expected http://host:port")
        port = url.port or (443 if url.scheme == "https" else 8000)
        try:
            client = chromadb.HttpClient(host=url.hostname, port=port, ssl=url.scheme == "https", settings=settings)
            client.heartbeat()
        except Exception as exc:  # chromadb raises several transport errors
            raise StoreError(f"cannot reach the Chroma server at {chroma_url}: {exc}") from exc
        return client
    path = index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    if fresh:  # chromadb shares one client per path in a process: forget it, so the next one reloads
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(path), None)
    return chromadb.PersistentClient(path=str(path), settings=settings)


@contextmanager
def _opening(index_dir: Path, chroma_url: str | None):
    """Serialise opening an embedded store across processes (and threads); a no-op for a server."""
    if chroma_url:
        yield
        return
    from filelock import FileLock, Timeout

    lock = FileLock(str(index_dir / OPEN_LOCK_FILE), thread_local=False)
    try:
        lock.acquire(timeout=OPEN_LOCK_TIMEOUT_S)
    except Timeout:
        raise StoreError(f"another process has been opening the vector store in {index_dir} for over "
                         f"{OPEN_LOCK_TIMEOUT_S:.0f} s; stop it and retry") from None
    except OSError as exc:  # a read-only index dir: nobody can create the store there, no race to guard
        log.debug("opening %s without %s: %s", index_dir / "chroma", OPEN_LOCK_FILE, exc)
        yield
        return
    try:
        yield
    finally:
        lock.release()


def chroma_where(filters: dict[str, list[str]] | None) -> dict | None:
    """Chroma `where` for normalised filters ({key: [values]})."""
    if not filters:
        return None
    clauses = [{key: {"$in": list(values)}} for key, values in filters.items()]
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class VectorStore:
    def __init__(self, index_dir: Path, chroma_url: str | None, name: str, embedding_model: str,
                 *, fresh: bool = False):
        self._index_dir, self._url = index_dir, chroma_url
        self._name = name
        self._model = embedding_model
        with _opening(index_dir, chroma_url):
            self._client = make_client(index_dir, chroma_url, fresh=fresh)
            if not chroma_url:
                self._adopt_legacy()
            self._collection = self._open_collection()
        self._max_batch = self._client.get_max_batch_size()

    def _open_collection(self):
        return self._client.get_or_create_collection(
            self._name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": self._model, "generation": 0})

    def _adopt_legacy(self) -> None:
        """An embedded store under this index dir belongs to this index alone: rename its old collection."""
        names = {getattr(c, "name", c) for c in self._client.list_collections()}
        if LEGACY_COLLECTION in names and self._name not in names:
            log.info("renaming Chroma collection %s to %s", LEGACY_COLLECTION, self._name)
            self._client.get_collection(LEGACY_COLLECTION).modify(name=self._name)

    def reopen(self) -> None:
        """A fresh client (see the module docstring): call when another process changed the index."""
        with _opening(self._index_dir, self._url):
            self._client = make_client(self._index_dir, self._url, fresh=True)
            self._collection = self._open_collection()

    @property
    def generation(self) -> int:
        """The records.sqlite generation this collection was last written for (-1 unknown)."""
        try:
            return int((self._collection.metadata or {}).get("generation", -1))
        except (TypeError, ValueError):
            return -1

    def set_generation(self, generation: int) -> None:
        self._collection.modify(metadata={"embedding_model": self._model, "generation": int(generation)})

    def chunk_counts(self) -> dict[str, int]:
        """{doc_id: number of vectors} over the whole collection (for verification after a crash)."""
        counts: dict[str, int] = {}
        offset, step = 0, 5000
        while True:
            got = self._collection.get(include=["metadatas"], limit=step, offset=offset)
            for meta in got["metadatas"]:
                doc_id = (meta or {}).get("doc_id", "")
                counts[doc_id] = counts.get(doc_id, 0) + 1
            if len(got["ids"]) < step:
                return counts
            offset += step

    def count(self) -> int:
        return self._collection.count()

    def upsert(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict], texts: list[str]) -> None:
        step = self._max_batch
        for start in range(0, len(ids), step):
            end = start + step
            self._collection.upsert(
                ids=ids[start:end], embeddings=vectors[start:end], metadatas=metadatas[start:end],
                documents=texts[start:end],
            )

    def delete_doc(self, doc_id: str) -> None:
        self._collection.delete(where={"doc_id": doc_id})

    def delete_docs(self, doc_ids: list[str]) -> None:
        for start in range(0, len(doc_ids), 500):
            self._collection.delete(where={"doc_id": {"$in": doc_ids[start:start + 500]}})

    def reset(self) -> None:
        try:
            self._client.delete_collection(self._name)
        except Exception:  # noqa: BLE001 - absent collection: nothing to delete
            log.debug("collection %s absent at reset", self._name)
        with _opening(self._index_dir, self._url):
            self._collection = self._open_collection()

    def query(self, vector: np.ndarray, n: int, filters: dict[str, list[str]] | None) -> list[tuple[str, float, bool]]:
        """(clause_id, cosine similarity, is a sentence) of the `n` nearest chunks, nearest first.

        Only ids and distances are fetched (metadata would double the time of a small query);
        a chunk id is "<clause_id>#<piece>" for the clause (or a piece of a long one) and
        "<clause_id>#s<n>" for one of its sentences.
        """
        if n <= 0:
            return []
        result = self._collection.query(
            query_embeddings=[vector], n_results=n, where=chroma_where(filters), include=["distances"])
        nearest = []
        for chunk_id, dist in zip(result["ids"][0], result["distances"][0], strict=True):
            clause_id, sentence = split_chunk_id(chunk_id)
            nearest.append((clause_id, 1.0 - float(dist), sentence))
        return nearest

    def all_vectors(self, step: int = 5000) -> Iterator[tuple[str, np.ndarray]]:
        """(chunk id, vector) of every chunk, read in pages."""
        offset = 0
        while True:
            got = self._collection.get(include=["embeddings"], limit=step, offset=offset)
            for chunk_id, embedding in zip(got["ids"], got["embeddings"], strict=True):
                yield chunk_id, np.asarray(embedding, np.float32)
            if len(got["ids"]) < step:
                return
            offset += step

    def clause_vectors(self, clause_ids: list[str]) -> list[tuple[str, np.ndarray]]:
        """(clause_id, vector) of the whole-clause chunks (or the pieces of a long one) of these clauses."""
        if not clause_ids:
            return []
        ids = [f"{c}#{piece}" for c in clause_ids for piece in range(MAX_PIECES_FETCHED)]
        got = self._collection.get(ids=ids, include=["embeddings"])
        return [(split_chunk_id(chunk_id)[0], np.asarray(embedding, np.float32))
                for chunk_id, embedding in zip(got["ids"], got["embeddings"], strict=True)]

    def sentence_vectors(self, counts: dict[str, int]) -> list[tuple[str, int, np.ndarray]]:
        """(clause_id, n, vector) of the sentence chunks of these clauses ({clause_id: number of sentences})."""
        ids = [f"{c}#s{n}" for c, count in counts.items() for n in range(count)]
        if not ids:
            return []
        got = self._collection.get(ids=ids, include=["embeddings"])
        return [(split_chunk_id(chunk_id)[0], sentence_number(chunk_id), np.asarray(embedding, np.float32))
                for chunk_id, embedding in zip(got["ids"], got["embeddings"], strict=True)]

    def close(self) -> None:
        self._collection = None
        self._client = None
