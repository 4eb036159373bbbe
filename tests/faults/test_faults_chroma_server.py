"""Two indexes on one real `chroma run` server: separate collections, no shared vectors or deletes."""

from __future__ import annotations

from store_fakes import FakeEmbeddings, make_parsed, police_doc, vector_count
from test_retrieval_chroma_server import chroma_server  # noqa: F401 - the fixture

from store import ClauseIndex


def test_two_indexes_share_a_server_but_not_vectors(tmp_path, chroma_server):  # noqa: F811
    url, _ = chroma_server
    a_doc = police_doc("甲省")
    b_doc = make_parsed("税务", "乙市", ["税务机关应当依法征收税款。", "纳税人应当按期申报。", "本决定自公布之日起施行。"])
    with ClauseIndex.open(tmp_path / "a", embeddings=FakeEmbeddings(), chroma_url=url) as a:
        a.sync([("a.md", a_doc)])
        before = a.search("公安机关需配合哪些事项", k=1, bm25_weight=0, dense_weight=1)[0]
        with ClauseIndex.open(tmp_path / "b", embeddings=FakeEmbeddings(), chroma_url=url) as b:
            assert a.index_id != b.index_id
            b.sync([("b.md", b_doc)])
            assert a.stats(verify=True)["chroma_records"] == vector_count(a_doc)
            assert b.stats(verify=True)["chroma_records"] == vector_count(b_doc)
            after = a.search("公安机关需配合哪些事项", k=1, bm25_weight=0, dense_weight=1)[0]
            assert after.clause == before.clause and abs(after.scores["dense"] - before.scores["dense"]) < 1e-5
            assert b.remove(b_doc.document.doc_id) == 3
            assert b.stats(verify=True)["chroma_records"] == 0
            assert a.stats(verify=True)["chroma_records"] == vector_count(a_doc)  # untouched by b's removal
            b.sync([("a.md", a_doc)])  # the same document in both: still independent
            assert a.remove(a_doc.document.doc_id) == 5
            assert a.stats(verify=True)["chroma_records"] == 0
            assert b.stats(verify=True)["chroma_records"] == vector_count(a_doc)
            import chromadb
            from chromadb.config import Settings

            client = chromadb.HttpClient(host="127.0.0.1", port=int(url.rsplit(":", 1)[1]),
                                         settings=Settings(anonymized_telemetry=False))
            meta = client.get_collection(f"jueding-{b.index_id}").metadata
            assert meta["embedding_model"] == "fake-hash-64" and meta["generation"] == b.generation
