"""The retrieval as a LangChain BaseRetriever: langchain-tests' suite, metadata, and create_retrieval_chain."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document as LCDocument
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.retriever import JuedingRetriever
from store.codec import from_lc_document

SEED = "公安机关需配合哪些事项"


@pytest.fixture(scope="module")
def shared_assistant(seed_index_dir):
    from assistant import Assistant

    with Assistant.open(index_dir=seed_index_dir) as assistant:
        yield assistant


class TestJuedingRetrieverStandard(RetrieversIntegrationTests):
    _assistant = None

    @pytest.fixture(autouse=True)
    def _bind(self, shared_assistant):
        type(self)._assistant = shared_assistant

    @property
    def retriever_constructor(self) -> type[JuedingRetriever]:
        return JuedingRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"assistant": type(self)._assistant}

    @property
    def retriever_query_example(self) -> str:
        return SEED


def _gold(docs: list[LCDocument]) -> set[tuple[str, int]]:
    return {(d.metadata["region"], d.metadata["article"]) for d in docs}


def test_documents_carry_the_clause_metadata(shared_assistant):
    docs = JuedingRetriever.from_assistant(shared_assistant, k=5).invoke(SEED)
    assert 1 <= len(docs) <= 5
    assert {("西藏自治区", 16), ("呼和浩特市", 11)} <= _gold(docs)
    meta = docs[0].metadata
    for key in ("doc_id", "doc_title", "region", "kind", "article", "paragraph", "label", "clause_id", "score",
                "adoption_date", "effective_date", "publication_date"):
        assert key in meta, key
    xizang = next(d for d in docs if d.metadata["region"] == "西藏自治区")
    assert xizang.metadata["effective_date"] == "2024-08-01"
    assert from_lc_document(xizang).text == xizang.page_content


def test_filters_are_a_field_and_a_call_parameter(shared_assistant):
    only = JuedingRetriever.from_assistant(shared_assistant, k=5, filters={"region": ["西藏自治区"]})
    assert {d.metadata["region"] for d in only.invoke(SEED)} == {"西藏自治区"}
    both = JuedingRetriever.from_assistant(shared_assistant, k=5)
    assert {d.metadata["region"] for d in both.invoke(SEED, filters={"region": ["呼和浩特市"]})} == {"呼和浩特市"}


def test_built_from_an_index_dir(seed_index_dir):
    retriever = JuedingRetriever(index_dir=seed_index_dir, k=3)
    try:
        assert len(retriever.invoke(SEED)) == 3
    finally:
        retriever.assistant.close()


def test_inside_create_retrieval_chain(shared_assistant):
    from langchain_classic.chains import create_retrieval_chain
    from langchain_core.runnables import RunnableLambda

    retriever = JuedingRetriever.from_assistant(shared_assistant, k=5)
    combine = RunnableLambda(lambda x: "；".join(d.metadata["label"] for d in x["context"]))
    chain = create_retrieval_chain(retriever, combine)
    result = chain.invoke({"input": SEED})
    assert {("西藏自治区", 16), ("呼和浩特市", 11)} <= _gold(result["context"])
    assert "第十六条" in result["answer"] and "第十一条" in result["answer"]
