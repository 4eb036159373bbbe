"""Helpers for the store tests: deterministic embeddings and hand-made parsed documents."""

from __future__ import annotations

import hashlib

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.records import Clause, Document, ParsedDocument, cite_label
from ingest.tokenize import tokenize
from store.chunking import sentence_texts


class FakeEmbeddings(Embeddings):
    """Bag of hashed character bigrams, L2-normalised: similar texts get similar vectors."""

    def __init__(self, dim: int = 64, model_id: str = "fake-hash-64"):
        self.dim = dim
        self.model_id = model_id
        self.embedded: list[str] = []  # every passage text ever embedded, in order

    def _vec(self, text: str) -> list[float]:
        v = np.zeros(self.dim, np.float32)
        for tok in tokenize(text) or ["<empty>"]:
            v[int(hashlib.md5(tok.encode()).hexdigest(), 16) % self.dim] += 1.0
        return (v / np.linalg.norm(v)).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)

    def token_count(self, text: str) -> int:
        return len(text)


def make_parsed(name: str, region: str, articles: list[str | list[str]], *, status: str | None = "有效",
                closing: str | None = None, doc_type: str = "决定") -> ParsedDocument:
    """A document whose doc_id derives from its content, like the parser's."""
    paragraphs = [[a] if isinstance(a, str) else list(a) for a in articles]
    body = "\n".join("\n".join(p) for p in paragraphs) + (f"\n{closing}" if closing else "")
    doc_id = hashlib.sha256(f"{name}\n{body}".encode()).hexdigest()[:16]
    title = f"{region}人民代表大会常务委员会关于{name}的决定"
    clauses = []
    for i, paras in enumerate(paragraphs, 1):
        clauses.append(Clause(doc_id=doc_id, doc_title=title, region=region, kind="article", article=i,
                              paragraph=None, part=None, label=cite_label("article", i), text="\n".join(paras),
                              ordinal=i, paragraphs=tuple(paras)))
    if closing:
        n = len(clauses) + 1
        clauses.append(Clause(doc_id=doc_id, doc_title=title, region=region, kind="closing", article=None,
                              paragraph=None, part=None, label=cite_label("closing", None), text=closing,
                              ordinal=n, paragraphs=(closing,)))
    document = Document(doc_id=doc_id, title=title, region=region, status=status, doc_type=doc_type,
                        content_hash=doc_id, source_path=f"/virtual/{name}.md")
    return ParsedDocument(document, tuple(clauses), (), body)


def police_doc(region: str = "甲省", extra: str = "") -> ParsedDocument:
    return make_parsed(
        f"法律监督{extra}", region,
        [
            "检察机关应当加强未成年人检察工作，依法严惩侵害未成年人犯罪。",
            ["公安机关应当自觉接受检察机关的法律监督。", "公安机关应当及时办理检察机关移送的涉嫌犯罪线索并按时反馈结果。"],
            "审判机关应当落实检察长列席同级人民法院审判委员会会议制度。",
            f"各级人民政府应当加强对检察机关履行职责的经费保障。{extra}",
        ],
        closing="本决定自2024年8月1日起施行。",
    )


def index_meta(index_dir, **changes) -> dict:
    """The manifest's meta table of an index on disk (records.sqlite), after applying `changes`."""
    import sqlite3
    from pathlib import Path

    db = sqlite3.connect(Path(index_dir) / "records.sqlite")
    try:
        with db:
            for key, value in changes.items():
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, str(value)))
        return dict(db.execute("SELECT key, value FROM meta"))
    finally:
        db.close()


def indexed_doc_ids(index_dir) -> list[str]:
    """The committed documents of an index on disk, read straight from records.sqlite."""
    import sqlite3
    from pathlib import Path

    db = sqlite3.connect(Path(index_dir) / "records.sqlite", timeout=30)
    try:
        return [row[0] for row in db.execute("SELECT doc_id FROM entries ORDER BY rowid")]
    finally:
        db.close()


def indexed_sources(index_dir) -> dict[str, str]:
    import sqlite3
    from pathlib import Path

    db = sqlite3.connect(Path(index_dir) / "records.sqlite", timeout=30)
    try:
        return dict(db.execute("SELECT source_key, doc_id FROM sources"))
    finally:
        db.close()


def vector_count(*parsed: ParsedDocument) -> int:
    """Vectors the index holds for these documents: one per clause (they are short) and one per sentence."""
    return sum(1 + len(sentence_texts(c)) for p in parsed for c in p.clauses)
