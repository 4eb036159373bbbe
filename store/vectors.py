"""Dense vectors in Chroma: embedded `PersistentClient` under the index dir, or `HttpClient` for a server.

Vectors are always computed by our own `Embeddings` (the collection has no embedding function:
Chroma's default one downloads a model). One record per chunk; metadata carries what filters
need (doc_id, kind, region, status, doc_type) and the clause identity (clause_id, ordinal, article).
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from store.errors import StoreError

log = logging.getLogger(__name__)

COLLECTION = "jueding_clauses"
FILTER_KEYS = ("region", "doc_id", "kind", "status", "doc_type")


def make_client(index_dir: Path, chroma_url: str | None):
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
    return chromadb.PersistentClient(path=str(path), settings=settings)


def chroma_where(filters: dict[str, list[str]] | None) -> dict | None:
    """Chroma `where` for normalised filters ({key: [values]})."""
    if not filters:
        return None
    clauses = [{key: {"$in": list(values)}} for key, values in filters.items()]
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class VectorStore:
    def __init__(self, index_dir: Path, chroma_url: str | None = None, collection: str = COLLECTION):
        self._client = make_client(index_dir, chroma_url)
        self._name = collection
        self._collection = self._open_collection()
        self._max_batch = self._client.get_max_batch_size()

    def _open_collection(self):
        return self._client.get_or_create_collection(
            self._name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

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

    def reset(self) -> None:
        try:
            self._client.delete_collection(self._name)
        except Exception:  # noqa: BLE001 - absent collection: nothing to delete
            log.debug("collection %s absent at reset", self._name)
        self._collection = self._open_collection()

    def query(self, vector: np.ndarray, n: int, filters: dict[str, list[str]] | None) -> list[tuple[str, float]]:
        """(clause_id, cosine similarity) of the `n` nearest chunks, nearest first.

        Only ids and distances are fetched (metadata would double the time of a small query);
        a chunk id is "<clause_id>#<piece>".
        """
        if n <= 0:
            return []
        result = self._collection.query(
            query_embeddings=[vector], n_results=n, where=chroma_where(filters), include=["distances"])
        return [(chunk_id.rsplit("#", 1)[0], 1.0 - float(dist))
                for chunk_id, dist in zip(result["ids"][0], result["distances"][0], strict=True)]

    def vectors_of(self, clause_ids: list[str]) -> list[tuple[str, np.ndarray]]:
        """(clause_id, vector) for every chunk of the given clauses that has a vector."""
        if not clause_ids:
            return []
        got = self._collection.get(where={"clause_id": {"$in": clause_ids}}, include=["embeddings"])
        return [(chunk_id.rsplit("#", 1)[0], np.asarray(e, np.float32))
                for chunk_id, e in zip(got["ids"], got["embeddings"], strict=True)]

    def close(self) -> None:
        self._collection = None
        self._client = None
