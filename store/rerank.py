"""Optional cross-encoder re-ranking through sentence-transformers (the `st` extra)."""

from __future__ import annotations

import threading

import numpy as np

from store.embeddings import ST_PREFIX, LazyModel
from store.errors import StoreError


class CrossEncoderReranker(LazyModel):
    """Scores (query, clause text) pairs with a sentence-transformers `CrossEncoder`, loaded on first use."""

    def __init__(self, model: str, *, device: str = "cpu", batch_size: int = 16):
        self.model_name_or_path = model[len(ST_PREFIX) :] if model.startswith(ST_PREFIX) else model
        self.device = device
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def _load(self):
        try:
            from sentence_transformers import CrossEncoder
        except ImportError as exc:
            raise StoreError(
                "a reranker needs sentence-transformers: pip install 'jueding-qa[st]' "
                "(or unset JUEDING_RERANKER_MODEL)"
            ) from exc
        try:
            return CrossEncoder(self.model_name_or_path, device=self.device)
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot load cross-encoder {self.model_name_or_path!r}: {exc}") from exc

    def scores(self, query: str, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, np.float32)
        model = self.model
        with self._lock:
            out = model.predict([(query, t) for t in texts], batch_size=self.batch_size, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)[:, 0]
