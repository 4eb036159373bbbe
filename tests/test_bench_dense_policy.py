"""The `--dense auto` bulk policy: decisions and small batches embedded, the rest keyword-only,
and a rerun of an unchanged batch neither re-parses nor embeds anything."""

from __future__ import annotations

import pytest

from store import ClauseIndex
from store.bulk import SMALL_BATCH, dense_policy, is_decision
from store_fakes import FakeEmbeddings, make_parsed


def test_dense_policy_modes():
    law = make_parsed("道路交通", "北京市", ["第一条 为了维护道路交通秩序。"], doc_type="条例").document
    decision = make_parsed("法律监督", "西藏自治区", ["一、加强法律监督。"]).document
    assert dense_policy("all", 5000) is True and dense_policy("none", 1) is False
    assert dense_policy("auto", SMALL_BATCH) is True  # a user's upload: everything embedded
    policy = dense_policy("auto", SMALL_BATCH + 1)
    assert policy is is_decision and policy(decision) and not policy(law)
    with pytest.raises(ValueError):
        dense_policy("some", 3)


def test_unchanged_keyword_only_documents_are_not_reparsed(tmp_path):
    emb = FakeEmbeddings()
    docs = [make_parsed("法律监督", "西藏自治区", ["一、公安机关应当配合检察机关。"]),
            make_parsed("道路交通", "北京市", ["第一条 机动车应当靠右行驶。"], doc_type="条例")]
    loads: list[str] = []

    def items():
        for p in docs:
            def load(p=p):
                loads.append(p.document.doc_type)
                return p
            yield p.document.source_path, load, "hash-" + p.document.doc_id

    with ClauseIndex.open(tmp_path / "idx", embeddings=emb) as index:
        first = index.sync(items(), dense=is_decision)
        assert first.added == 2 and len(loads) == 2
        assert {e.document.doc_type: e.n_vectors > 0 for e in index.documents()} == {"决定": True, "条例": False}
        loads.clear()
        n_embedded = len(emb.embedded)
        again = index.sync(items(), dense=is_decision)
        assert again.unchanged == 2 and loads == [] and len(emb.embedded) == n_embedded
        upgrade = index.sync(items(), dense=True)  # asking for vectors later embeds the keyword-only law
        assert upgrade.unchanged + upgrade.replaced + upgrade.added == 2 and loads == ["条例"]
        assert all(e.n_vectors > 0 for e in index.documents())
