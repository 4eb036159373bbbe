"""ClauseIndex plumbing on real Chroma + bm25s in tmp dirs, with deterministic fake embeddings."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from store_fakes import (FakeEmbeddings, index_meta, indexed_doc_ids, indexed_sources, make_parsed, police_doc,
                         vector_count)

from store import ClauseIndex, DocumentNotFoundError, IndexMismatchError, IndexNotFoundError, StoreError
from store.codec import from_lc_document, to_lc_document


def open_index(path, embeddings=None, **kw):
    return ClauseIndex.open(path, embeddings=embeddings or FakeEmbeddings(), **kw)


@pytest.fixture
def two_docs():
    return police_doc("甲省"), police_doc("乙市", extra="乙市特有的数字检察建设")


def test_sync_counts_and_second_sync_costs_nothing(tmp_path, two_docs):
    fake = FakeEmbeddings()
    with open_index(tmp_path / "idx", fake) as idx:
        assert idx.is_empty
        report = idx.sync([("a.md", two_docs[0]), ("b.md", two_docs[1])])
        assert (report.added, report.replaced, report.unchanged) == (2, 0, 0)
        assert report.clauses == 10 and report.embedded == len(fake.embedded) > 0
        n_embedded = len(fake.embedded)
        again = idx.sync([("a.md", two_docs[0]), ("b.md", two_docs[1])])
        assert (again.added, again.unchanged, again.embedded) == (0, 2, 0)
        assert len(fake.embedded) == n_embedded
        assert not idx.is_empty
        stats = idx.stats(verify=True)
        assert stats["documents"] == stats["stored_documents"] == 2
        assert stats["clauses"] == stats["keyword_rows"] == 10
        assert stats["vectors"] == stats["chroma_records"] == vector_count(*two_docs) > 10


def test_search_returns_whole_parsed_clauses_best_first(tmp_path, two_docs):
    with open_index(tmp_path / "idx") as idx:
        idx.sync([("a.md", two_docs[0]), ("b.md", two_docs[1])])
        hits = idx.search("公安机关需配合哪些事项", k=4)
    assert [h.clause.article for h in hits[:2]] == [2, 2]
    parsed = {c.clause_id: c for d in two_docs for c in d.clauses}
    for hit in hits:
        assert hit.clause == parsed[hit.clause.clause_id]  # exactly as parsed, paragraphs included
        assert 0.0 <= hit.score <= 1.0
        assert {"bm25", "dense", "bm25_norm", "dense_norm"} <= hit.scores.keys()
    assert hits[0].clause.paragraphs == two_docs[0].clauses[1].paragraphs
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len({h.clause.clause_id for h in hits}) == len(hits)


def test_alias_expansion_finds_the_official_term(tmp_path, two_docs):
    with open_index(tmp_path / "idx") as idx:
        idx.sync([("a.md", two_docs[0])])
        assert "公安" in idx.prepare_query("警察要配合检察院做什么").terms
        hits = idx.search("警察要配合什么", k=1, dense_weight=0)
    assert hits[0].clause.article == 2


def test_alias_expansion_reaches_the_dense_side_as_term_vectors(tmp_path, two_docs):
    class CountingEmbeddings(FakeEmbeddings):
        def __init__(self):
            super().__init__()
            self.queries: list[str] = []

        def embed_query(self, text):
            self.queries.append(text)
            return super().embed_query(text)

    fake = CountingEmbeddings()
    with open_index(tmp_path / "idx", fake) as idx:
        idx.sync([("a.md", two_docs[0])])
        fake.queries.clear()  # opening probes the model's dimension
        prepared = idx.prepare_query("警察要配合什么")
        assert prepared.dense_text == "警察要配合什么" and "公安机关" in prepared.dense_terms
        hits = idx.search("警察要配合什么", k=1, bm25_weight=0)
        assert hits[0].clause.article == 2  # found by meaning alone, through the 公安机关 vector
        assert fake.queries == ["警察要配合什么"]  # the term vectors were embedded by the sync
        idx.expand_dense_query = False
        assert idx.prepare_query("警察要配合什么").dense_terms == ()
    fresh = CountingEmbeddings()
    with open_index(tmp_path / "idx", fresh) as idx:  # another process: term vectors come from the index
        fresh.queries.clear()
        idx.search("警察要配合哪些事项", k=1)
        idx.search("法官要配合哪些事项", k=1)
        assert fresh.queries == ["警察要配合哪些事项", "法官要配合哪些事项"]  # one encode per question


def test_an_index_without_stored_term_vectors_embeds_them_once_in_one_batch(tmp_path, two_docs):
    class BatchCounting(FakeEmbeddings):
        def __init__(self):
            super().__init__()
            self.batches: list[list[str]] = []

        def embed_queries_np(self, texts):
            self.batches.append(list(texts))
            return np.asarray([self._vec(t) for t in texts], dtype=np.float32)

    with open_index(tmp_path / "idx") as idx:
        idx.sync([("a.md", two_docs[0])])
    for leftover in (tmp_path / "idx").glob("embeddings.sqlite*"):  # as an index built before term vectors were stored
        leftover.unlink()
    fake = BatchCounting()
    with open_index(tmp_path / "idx", fake) as idx:
        idx.search("警察要配合什么", k=1)
        idx.search("法官要配合什么", k=1)
    assert len(fake.batches) == 1 and {"公安机关", "审判机关"} <= set(fake.batches[0])


def test_filters_apply_to_both_retrievers(tmp_path, two_docs):
    other = make_parsed("旧法", "乙市", ["公安机关应当配合。"], status="已废止")
    with open_index(tmp_path / "idx") as idx:
        idx.sync([("a.md", two_docs[0]), ("b.md", two_docs[1]), ("c.md", other)])
        for weights in ({"bm25_weight": 1, "dense_weight": 0}, {"bm25_weight": 0, "dense_weight": 1}, {}):
            hits = idx.search("公安机关", k=10, filters={"region": "甲省"}, **weights)
            assert hits and {h.clause.region for h in hits} == {"甲省"}
            hits = idx.search("公安机关", k=10, filters={"region": ["乙市"], "status": "已废止"}, **weights)
            assert hits and {h.clause.doc_id for h in hits} == {other.document.doc_id}
            hits = idx.search("施行", k=10, filters={"kind": "closing"}, **weights)
            assert hits and {h.clause.kind for h in hits} == {"closing"}
            hits = idx.search("公安机关", k=10, filters={"doc_id": [two_docs[1].document.doc_id]}, **weights)
            assert hits and {h.clause.doc_id for h in hits} == {two_docs[1].document.doc_id}
        # a short place name matches the indexed region that contains it
        assert {h.clause.region for h in idx.search("公安机关", k=10, filters={"region": "甲"})} == {"甲省"}
        assert idx.search("公安机关", filters={"region": "丙县"}) == []
        with pytest.raises(StoreError, match="unknown filter"):
            idx.search("公安机关", filters={"province": "甲省"})


def test_changed_file_replaces_old_document_everywhere(tmp_path, two_docs):
    path = tmp_path / "idx"
    with open_index(path) as idx:
        idx.sync([("a.md", two_docs[0])])
        old_id = two_docs[0].document.doc_id
        changed = police_doc("甲省", extra="新增条文")
        report = idx.sync([("a.md", changed)])
        assert (report.added, report.replaced) == (0, 1)
        assert [e.document.doc_id for e in idx.documents()] == [changed.document.doc_id]
        stats = idx.stats(verify=True)
        assert stats["stored_documents"] == 1 and stats["chroma_records"] == stats["vectors"] == vector_count(changed)
        assert all(h.clause.doc_id != old_id for h in idx.search("公安机关", k=10))
        with pytest.raises(DocumentNotFoundError):
            idx.document(old_id)


def test_remove_deletes_every_trace(tmp_path, two_docs):
    path = tmp_path / "idx"
    with open_index(path) as idx:
        idx.sync([("a.md", two_docs[0]), ("b.md", two_docs[1])])
        gone = two_docs[1].document.doc_id
        assert idx.remove(gone) == 5
        assert idx.remove(gone) == 0
        stats = idx.stats(verify=True)
        assert stats["documents"] == stats["stored_documents"] == 1
        assert stats["chroma_records"] == vector_count(two_docs[0]) and stats["keyword_rows"] == 5
        assert all(h.clause.doc_id != gone for h in idx.search("数字检察建设", k=10))
    assert gone not in indexed_doc_ids(path) and "b.md" not in indexed_sources(path)
    with open_index(path) as idx:  # re-adding works after removal
        assert idx.sync([("b.md", two_docs[1])]).added == 1


def test_documents_and_clauses_in_order_and_persisted(tmp_path, two_docs):
    path = tmp_path / "idx"
    with open_index(path) as idx:
        idx.sync([("a.md", two_docs[0]), ("b.md", two_docs[1])])
    with open_index(path) as idx:
        entries = idx.documents()
        assert [e.document for e in entries] == [d.document for d in two_docs]
        assert [(e.n_clauses, e.source_key, e.n_vectors) for e in entries] == [
            (5, "a.md", vector_count(two_docs[0])), (5, "b.md", vector_count(two_docs[1]))]
        assert idx.clauses(two_docs[1].document.doc_id) == list(two_docs[1].clauses)
        assert idx.clauses() == list(two_docs[0].clauses) + list(two_docs[1].clauses)
        assert idx.document(two_docs[0].document.doc_id) == two_docs[0].document
        assert idx.search("公安机关", k=1)[0].clause.article == 2


def test_same_content_under_two_source_keys_is_one_document(tmp_path, two_docs):
    with open_index(tmp_path / "idx") as idx:
        report = idx.sync([("a.md", two_docs[0]), ("copy/a.md", two_docs[0])])
        assert (report.added, report.unchanged) == (1, 1)
        assert len(idx.documents()) == 1


def test_long_article_is_split_for_embedding_but_returned_whole(tmp_path):
    paragraphs = [f"第{i}款规定检察机关应当加强{topic}工作并及时反馈结果。" * 3
                  for i, topic in enumerate(["侦查监督", "民事检察", "行政检察", "公益诉讼", "未成年人检察"], 1)]
    doc = make_parsed("长条", "甲省", [paragraphs, "检察机关应当加强队伍建设。"])
    with open_index(tmp_path / "idx") as idx:
        idx.max_chunk_tokens = 120  # FakeEmbeddings counts characters
        idx.sync([("long.md", doc)])
        assert idx.stats()["vectors"] > 2
        hits = idx.search("公益诉讼工作", k=5, bm25_weight=0, dense_weight=1)
    assert hits[0].clause == doc.clauses[0]
    assert len(hits) == 2  # one hit per article, however many pieces matched


def test_keyword_only_documents_are_searchable_beside_dense_ones(tmp_path, two_docs):
    law = make_parsed("治安法", "全国", ["公安机关负责治安管理工作。", "人民警察依法执行职务。"], doc_type="法")
    with open_index(tmp_path / "idx") as idx:
        idx.sync([("a.md", two_docs[0])])
        report = idx.sync([("law.md", law)], dense=lambda document: document.doc_type == "决定")
        assert report.embedded == 0
        entry = {e.document.doc_id: e for e in idx.documents()}[law.document.doc_id]
        assert entry.n_vectors == 0
        hits = idx.search("治安管理", k=3)
        assert hits[0].clause.doc_id == law.document.doc_id and "dense" not in hits[0].scores
        assert hits[0].score > 0
        # asking for vectors later embeds the keyword-only document, and only it
        again = idx.sync([("a.md", two_docs[0]), ("law.md", law)])
        assert (again.replaced, again.unchanged) == (1, 1) and again.embedded == 2


def test_keyword_only_index_answers_without_an_embedding_model(tmp_path, two_docs):
    with open_index(tmp_path / "idx") as idx:
        idx.sync([("a.md", two_docs[0])], dense=False)
        assert idx.stats()["vectors"] == 0
        assert idx.search("公安机关", k=1)[0].clause.article == 2


def test_model_mismatch_names_the_rebuild_command(tmp_path, two_docs):
    path = tmp_path / "idx"
    with open_index(path) as idx:
        idx.sync([("a.md", two_docs[0])])
    with pytest.raises(IndexMismatchError, match=r"ingest add --rebuild"):
        open_index(path, FakeEmbeddings(model_id="other-model"))
    with pytest.raises(IndexMismatchError, match="dimension"):
        with open_index(path, FakeEmbeddings(dim=32)) as idx:
            idx.sync([("b.md", two_docs[1])])
    with open_index(path, FakeEmbeddings(model_id="other-model"), rebuild=True) as idx:
        assert idx.is_empty and idx.embedding_model == "other-model"
        assert idx.sync([("a.md", two_docs[0])]).added == 1
        assert idx.stats(verify=True)["chroma_records"] == vector_count(two_docs[0])


def test_schema_mismatch_and_missing_index(tmp_path, two_docs):
    path = tmp_path / "idx"
    with pytest.raises(IndexNotFoundError, match="ingest add"):
        open_index(path, create=False)
    with open_index(path) as idx:
        idx.sync([("a.md", two_docs[0])])
    index_meta(path, schema_version=999)
    with pytest.raises(IndexMismatchError, match="schema version 999.*--rebuild"):
        open_index(path)


def test_vectors_of_an_uncommitted_batch_are_invisible_then_purged(tmp_path, two_docs, monkeypatch):
    from store.docstore import RecordStore

    path = tmp_path / "idx"
    with open_index(path) as idx:
        idx.sync([("a.md", two_docs[0])])
    # a crash after b's vectors went to Chroma but before its records and manifest entry were committed
    def crash(self, change):
        raise KeyboardInterrupt("killed")
    with open_index(path) as idx, monkeypatch.context() as m:
        m.setattr(RecordStore, "commit", crash)
        with pytest.raises(KeyboardInterrupt):
            idx.sync([("b.md", two_docs[1])])
    with open_index(path) as idx:
        assert [e.document.doc_id for e in idx.documents()] == [two_docs[0].document.doc_id]
        assert idx.stats(verify=True)["chroma_records"] == vector_count(two_docs[0])  # the stray vectors were purged on open
        hits = idx.search("数字检察建设", k=10)
        assert hits and all(h.clause.doc_id == two_docs[0].document.doc_id for h in hits)
        report = idx.sync([("b.md", two_docs[1])])
        assert report.added == 1 and report.embedded == 0  # vectors come from the cache
        stats = idx.stats(verify=True)
        assert stats["chroma_records"] == stats["vectors"] == vector_count(*two_docs) and stats["stored_documents"] == 2


def test_another_process_adding_documents_is_picked_up(tmp_path, two_docs):
    path = tmp_path / "idx"
    reader = open_index(path)
    writer = open_index(path)
    try:
        assert reader.search("公安机关") == []
        writer.sync([("a.md", two_docs[0])])
        assert reader.search("公安机关", k=1)[0].clause.article == 2
    finally:
        writer.close()
        reader.close()


def test_lazy_items_skip_parsing_unchanged_sources(tmp_path, two_docs):
    calls = []

    def loader(doc):
        def load():
            calls.append(doc.document.doc_id)
            return doc
        return load

    with open_index(tmp_path / "idx") as idx:
        report = idx.sync([("a.md", loader(two_docs[0]), "h1"), ("bad.md", lambda: None, "h2")])
        assert (report.added, report.skipped) == (1, 1)
        assert idx.source_is_current("a.md", "h1") and not idx.source_is_current("a.md", "h9")
        report = idx.sync([("a.md", loader(two_docs[0]), "h1")])
        assert report.unchanged == 1 and len(calls) == 1


def test_langchain_document_round_trip(two_docs):
    clause = two_docs[0].clauses[1]
    lc = to_lc_document(clause, score=0.5)
    assert lc.page_content == clause.text and lc.metadata["label"] == "第二条" and lc.metadata["score"] == 0.5
    assert from_lc_document(lc) == clause
    narrowed = clause.paragraph_view(2)
    assert from_lc_document(to_lc_document(narrowed)) == narrowed


def test_empty_query_and_empty_index(tmp_path, two_docs):
    with open_index(tmp_path / "idx") as idx:
        assert idx.search("公安机关") == []
        idx.sync([("a.md", two_docs[0])])
        assert idx.search("公安机关", k=0) == []
        hits = idx.search("？", k=3)  # no keyword terms: dense alone still ranks
        assert len(hits) == 3
        with pytest.raises(ValueError):
            idx.search("公安机关", bm25_weight=0, dense_weight=0)


def test_status_none_and_metadata_round_trip(tmp_path):
    doc = make_parsed("无状态", "丙县", ["公安机关应当配合。"], status=None)
    doc = replace(doc, document=replace(doc.document, repeals=("旧决定",)))
    with open_index(tmp_path / "idx") as idx:
        idx.sync([("x.md", doc)])
        assert idx.document(doc.document.doc_id) == doc.document
        assert idx.search("公安机关", filters={"status": ""})[0].clause.doc_id == doc.document.doc_id


def test_reader_keeps_its_state_while_another_process_writes(tmp_path, two_docs):
    import os
    import subprocess
    import sys

    path = tmp_path / "idx"
    with open_index(path) as idx:
        idx.sync([("a.md", two_docs[0])])
    reader, writer = open_index(path), open_index(path)
    busy = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert reader.search("公安机关", k=10, dense_weight=0)
        writer.sync([("b.md", two_docs[1])])
        for p in [path / "keyword.json", *path.glob("keyword-*")]:  # as if its keyword index were not built yet
            os.remove(p) if p.is_file() else __import__("shutil").rmtree(p)
        (path / f".writer-{busy.pid}").write_text(str(busy.pid))  # and that writer still busy
        hits = reader.search("数字检察建设", k=10, dense_weight=0)
        assert all(h.clause.doc_id == two_docs[0].document.doc_id for h in hits)  # the old state, whole
        assert not (path / "keyword.json").exists()  # no rebuild by the reader
        busy.kill()
        busy.wait()
        hits = reader.search("数字检察建设", k=1)  # writer gone: rebuilt, B visible
        assert hits[0].clause.doc_id == two_docs[1].document.doc_id
        assert not (path / f".writer-{busy.pid}").exists()  # a dead writer's marker is cleaned up
    finally:
        busy.kill()
        busy.wait()
        reader.close()
        writer.close()


def _dense_scores(idx, question):
    return {h.clause.article: h.scores["dense"] for h in idx.search(question, k=10, bm25_weight=0, dense_weight=1)}


def test_a_clause_scores_its_own_similarity_blended_with_its_best_sentence(tmp_path):
    from store.chunking import sentence_texts
    from store.index import SENTENCE_WEIGHT

    long_article = ("检察机关应当加强刑事立案监督。检察机关应当加强侦查活动监督。"
                    "检察机关应当深化未成年人检察工作，落实未成年人特殊保护。")
    doc = make_parsed("监督", "甲省", [long_article, "公安机关应当自觉接受检察机关的法律监督。"])
    fake = FakeEmbeddings()
    question = "未成年人检察工作怎么做"
    with open_index(tmp_path / "idx", fake) as idx:
        idx.sync([("a.md", doc)])
        got = _dense_scores(idx, question)
    q = np.asarray(fake.embed_query(question))
    clause = doc.clauses[0]
    own = float(np.asarray(fake.embed_query(clause.text)) @ q)
    best = max(float(np.asarray(fake.embed_query(s)) @ q) for s in sentence_texts(clause))
    assert len(sentence_texts(clause)) == 3 and best > own  # one sentence says it; the article averages three topics
    assert got[1] == pytest.approx((1 - SENTENCE_WEIGHT) * own + SENTENCE_WEIGHT * best, abs=1e-5)


def test_the_in_memory_table_and_chroma_score_alike(tmp_path, two_docs, monkeypatch):
    """Above VECTOR_TABLE_LIMIT chunks the nearest chunks come from Chroma; on an index small enough
    for Chroma to return every chunk, both paths give the same scores, filters included."""
    import store.index

    with open_index(tmp_path / "idx") as idx:
        idx.sync([("a.md", two_docs[0]), ("b.md", two_docs[1])])
        questions = [("公安机关需配合哪些事项", None), ("数字检察建设", {"region": "乙市"}), ("经费保障", {"kind": "article"})]
        table = [idx.search(q, k=10, filters=f) for q, f in questions]
        monkeypatch.setattr(store.index, "VECTOR_TABLE_LIMIT", 0)
        chroma = [idx.search(q, k=10, filters=f) for q, f in questions]
    for a, b in zip(table, chroma, strict=True):
        assert [h.clause.clause_id for h in a] == [h.clause.clause_id for h in b]
        assert [h.scores["dense"] for h in a] == pytest.approx([h.scores["dense"] for h in b], abs=1e-5)


def test_sentence_similarities_score_each_sentence_alike_on_both_paths(tmp_path, monkeypatch):
    """The answerer reads how near each retrieved sentence is to the question: keyed by the sentence's place
    in sentence_texts, the same from the in-memory table and from Chroma, and with no second model call."""
    import store.index
    from store.chunking import sentence_texts

    long_article = ("检察机关应当加强刑事立案监督。检察机关应当加强侦查活动监督。"
                    "检察机关应当深化未成年人检察工作，落实未成年人特殊保护。")
    doc = make_parsed("监督", "甲省", [long_article, "公安机关应当自觉接受检察机关的法律监督。"])
    fake = FakeEmbeddings()
    queries: list[str] = []
    embed_query = fake.embed_query
    monkeypatch.setattr(fake, "embed_query", lambda text: queries.append(text) or embed_query(text))
    question = "未成年人检察工作怎么做"
    with open_index(tmp_path / "idx", fake) as idx:
        idx.sync([("a.md", doc)])
        hits = idx.search(question, k=2)
        assert question in queries
        queries.clear()
        table = idx.sentence_similarities(question, [h.clause for h in hits])
        assert queries == []  # the search's query vector, reused
        monkeypatch.setattr(store.index, "VECTOR_TABLE_LIMIT", 0)
        idx._table = None
        chroma = idx.sentence_similarities(question, [h.clause for h in hits])
    q = np.asarray(embed_query(question))
    for hit in hits:
        sentences = sentence_texts(hit.clause)
        expected = {n: float(np.asarray(embed_query(s)) @ q) for n, s in enumerate(sentences)}
        assert table[hit.clause.clause_id] == pytest.approx(expected, abs=1e-5)
        assert chroma[hit.clause.clause_id] == pytest.approx(expected, abs=1e-5)
    first = doc.clauses[0].clause_id
    assert max(table[first], key=table[first].get) == 2  # the sentence about 未成年人


def test_an_index_without_sentence_vectors_still_answers_and_says_how_to_get_them(tmp_path, two_docs, monkeypatch,
                                                                                 caplog):
    import store.index

    monkeypatch.setattr(store.index, "sentence_texts", lambda clause: [])  # as an earlier version built it
    with open_index(tmp_path / "idx") as idx:
        idx.sync([("a.md", two_docs[0])])
    monkeypatch.undo()
    with open_index(tmp_path / "idx") as idx, caplog.at_level("WARNING", logger="store.index"):
        hits = idx.search("公安机关需配合哪些事项", k=1, bm25_weight=0, dense_weight=1)
    assert hits[0].clause.article == 2
    assert "no sentence vectors" in caplog.text and "--rebuild" in caplog.text
