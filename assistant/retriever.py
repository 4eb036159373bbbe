"""The assistant's retrieval as a LangChain `BaseRetriever`, for use inside other chains.

    from assistant.retriever import JuedingRetriever
    retriever = JuedingRetriever.from_assistant(Assistant.open(), k=5, filters={"region": ["西藏自治区"]})
    retriever = JuedingRetriever(index_dir="path/to/index")          # opens (and if empty builds) that index
    docs = retriever.invoke("公安机关需配合哪些事项")                    # list[langchain Document]
    docs = retriever.invoke("公安机关需配合哪些事项", k=2)               # per-call k

Each `Document` is one clause: `page_content` is its verbatim text; `metadata` has the citation fields
(doc_id, doc_title, region, kind, article, paragraph, label, part, clause_id), the retrieval `score`, the
decision's dates (adoption_date, effective_date, publication_date as ISO strings or None) and `clause`
(the Clause as JSON: `store.codec.from_lc_document` gives it back). Retrieval is `Assistant.retrieve`: the same
query analysis (follow-up-free), alias expansion, hybrid search and region filters as `ask`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, model_validator

from store.codec import to_lc_document

DATE_FIELDS = ("adoption_date", "effective_date", "publication_date")


class JuedingRetriever(BaseRetriever):
    """Clauses of people's-congress decisions for a question, best first (at most `k`)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any = Field(default=None, exclude=True, repr=False)
    """An open `assistant.Assistant`; opened from `index_dir` (or the default index) when not given."""
    index_dir: str | Path | None = None
    k: int = Field(default=5, ge=1)
    filters: dict[str, Any] | None = None
    """e.g. {"region": ["西藏自治区"]} or {"doc_id": "…"}, as for `Assistant.retrieve`."""

    @model_validator(mode="after")
    def _open(self) -> JuedingRetriever:
        if self.assistant is None:
            from assistant.api import Assistant

            self.assistant = Assistant.open(self.index_dir)
        return self

    @classmethod
    def from_assistant(cls, assistant, *, k: int = 5, filters: dict | None = None, **kwargs) -> JuedingRetriever:
        return cls(assistant=assistant, k=k, filters=filters, **kwargs)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None, filters: dict | None = None) -> list[LCDocument]:
        k = self.k if k is None else k
        if k < 1:
            return []
        hits = self.assistant.retrieve(query, k=k, filters=filters if filters is not None else self.filters)
        documents: dict[str, Any] = {}
        results = []
        for hit in hits[:k]:
            doc = to_lc_document(hit.clause, score=float(hit.score))
            doc_id = hit.clause.doc_id
            if doc_id not in documents:
                try:
                    documents[doc_id] = self.assistant.document(doc_id)
                except Exception:  # noqa: BLE001 - a clause without its document record still cites itself
                    documents[doc_id] = None
            record = documents[doc_id]
            for name in DATE_FIELDS:
                value = getattr(record, name, None)
                doc.metadata[name] = value.isoformat() if value is not None else None
            results.append(doc)
        return results
