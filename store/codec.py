"""Records ↔ JSON for the record store, and Clause ↔ LangChain `Document` (the one place).

The LangChain conversion is the store boundary for LCEL code: `to_lc_document(hit.clause)` carries
the clause id and citation fields in `metadata`; `from_lc_document` gives back the exact Clause.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date

from langchain_core.documents import Document as LCDocument

from ingest.records import Clause, Document

_CLAUSE_FIELDS = {f.name for f in dataclasses.fields(Clause)}
_DOCUMENT_FIELDS = {f.name for f in dataclasses.fields(Document)}
_DATE_FIELDS = ("adoption_date", "publication_date", "effective_date")


def clause_to_json(clause: Clause) -> str:
    data = dataclasses.asdict(clause)
    data["paragraphs"] = list(clause.paragraphs)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def clause_from_dict(data: dict) -> Clause:
    fields = {k: v for k, v in data.items() if k in _CLAUSE_FIELDS}
    fields["paragraphs"] = tuple(fields.get("paragraphs") or ())
    return Clause(**fields)


def clause_from_json(text: str) -> Clause:
    return clause_from_dict(json.loads(text))


def document_to_json(document: Document) -> str:
    return json.dumps(document.to_dict(), ensure_ascii=False, separators=(",", ":"))


def document_from_json(text: str) -> Document:
    data = {k: v for k, v in json.loads(text).items() if k in _DOCUMENT_FIELDS}
    for key in _DATE_FIELDS:
        if data.get(key):
            data[key] = date.fromisoformat(data[key])
    for key in ("repeals", "warnings"):
        data[key] = tuple(data.get(key) or ())
    return Document(**data)


def to_lc_document(clause: Clause, *, score: float | None = None) -> LCDocument:
    metadata = {"clause_id": clause.clause_id, "clause": clause_to_json(clause)}
    metadata.update(
        doc_id=clause.doc_id, doc_title=clause.doc_title, region=clause.region, kind=clause.kind,
        article=clause.article, paragraph=clause.paragraph, label=clause.label, part=clause.part,
    )
    if score is not None:
        metadata["score"] = score
    return LCDocument(page_content=clause.text, metadata=metadata, id=clause.clause_id)


def from_lc_document(document: LCDocument) -> Clause:
    return clause_from_json(document.metadata["clause"])
