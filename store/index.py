"""`ClauseIndex`: clauses in Chroma (dense) and bm25s (keywords) side by side, searched as one.

Layout of an index directory:
    manifest.json      what is indexed and with which model (the source of truth; see manifest.py)
    records.sqlite     full Document/Clause records (docstore.py)
    embeddings.sqlite  passage vectors by (model, text) hash (embcache.py; survives --rebuild)
    chroma/            Chroma persistent store, unless a Chroma server URL is given
    keyword.json, keyword-<fingerprint>/   the bm25s index (keyword.py)

Write order per document: records, then vectors, then the manifest entry (flushed every few
seconds and at the end). A kill -9 therefore leaves the previous manifest, which only names
complete documents; leftovers are purged on the next sync and content-derived ids make reruns
overwrite rather than duplicate.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.records import Clause, Document, ParsedDocument
from store import embeddings as emb
from store.chunking import MAX_TOKENS, chunk_texts
from store.docstore import RecordStore
from store.embcache import EmbeddingCache
from store.errors import DocumentNotFoundError, IndexNotFoundError, StoreError
from store.fusion import fuse
from store.keyword import KeywordIndex
from store.manifest import DocEntry, Manifest
from store.query import RetrievalQuery, prepare
from store.records import DocumentEntry, Hit, SyncReport
from store.vectors import FILTER_KEYS, VectorStore

log = logging.getLogger(__name__)

FLUSH_SECONDS = 5.0  # the manifest is saved this often during a sync, or every FLUSH_DOCS documents
FLUSH_DOCS = 100
POOL = 50  # candidates taken from each retriever before fusion
ALLOWED_CACHE_SIZE = 64
ALIAS_VECTOR_WEIGHT = 0.5  # alias-term mean vector added to the question's (same Recall@5 at 0.5 and 1.0)  # filter combinations whose document sets are kept
RERANK_POOL = 20
WRITER_FILE = "writer.pid"  # present while a process syncs (see _keyword_index)

SyncItem = tuple  # (source_key, parsed) or (source_key, parsed, source_hash): see ClauseIndex.sync
DenseChoice = bool | Callable[[Document], bool]


def file_hash(path: str | os.PathLike) -> str:
    """Hash of a file's bytes: lets `sync` skip parsing files that have not changed."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class ClauseIndex:
    def __init__(self, index_dir: Path, manifest: Manifest, embeddings: Embeddings, chroma_url: str | None,
                 reranker_model: str | None, bm25_weight: float, dense_weight: float):
        self.index_dir = index_dir
        self.chroma_url = chroma_url
        self.bm25_weight = bm25_weight
        self.dense_weight = dense_weight
        self.max_chunk_tokens = MAX_TOKENS
        self.expand_dense_query = True
        self.strip_localities = True
        self._manifest = manifest
        self._manifest_mtime = self._mtime()
        self._allowed_cache: dict[tuple, frozenset[str]] = {}  # (manifest generation, filters) -> doc ids
        self._embeddings = embeddings
        self._reranker = None
        if reranker_model:
            from store.rerank import CrossEncoderReranker

            self._reranker = CrossEncoderReranker(reranker_model)
        self._records = RecordStore(index_dir / "records.sqlite")
        self._vector_store: VectorStore | None = None
        self._cache: EmbeddingCache | None = None
        self._keyword: KeywordIndex | None = None
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._term_vectors: dict[str, np.ndarray] = {}
        self._lock = threading.RLock()
        self._dirty = False
        self._dimension: int | None = None

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, index_dir: str | os.PathLike, *, embedding_model: str | None = emb.DEFAULT_MODEL,
             embeddings: Embeddings | None = None, chroma_url: str | None = None,
             reranker_model: str | None = None, bm25_weight: float = 0.5, dense_weight: float = 0.5,
             create: bool = True, rebuild: bool = False) -> ClauseIndex:
        """Open (or create) the index in `index_dir`.

        `embedding_model=None` takes the model the index was built with (for list/remove).
        Raises IndexMismatchError when the index was built with another embedding model or schema
        (unless `rebuild`, which empties it first), IndexNotFoundError when absent and not `create`.
        """
        index_dir = Path(index_dir).expanduser().resolve()
        if embedding_model is None and embeddings is None:  # whatever the index was built with
            existing = None if rebuild else Manifest.load(index_dir)
            embedding_model = existing.embedding_model if existing else emb.DEFAULT_MODEL
        if embeddings is None:
            embeddings = emb.make_embeddings(embedding_model)
            model_id = embedding_model
        else:
            model_id = getattr(embeddings, "model_id", None) or embedding_model
        manifest = None if rebuild else Manifest.load(index_dir)
        if manifest is None:
            if not create and not rebuild:
                raise IndexNotFoundError(
                    f"no index at {index_dir}; build one: python -m ingest add PATH... --index-dir {index_dir}")
            index_dir.mkdir(parents=True, exist_ok=True)
            manifest = Manifest(embedding_model=model_id)
        else:
            manifest.check(model_id, index_dir)
            if manifest.embedding_model != model_id:  # no vectors yet: the model may change freely
                manifest.embedding_model, manifest.dimension = model_id, None
        index = cls(index_dir, manifest, embeddings, chroma_url, reranker_model, bm25_weight, dense_weight)
        if rebuild:
            index._wipe()
        elif not (index_dir / "manifest.json").exists():
            manifest.save(index_dir)
            index._manifest_mtime = index._mtime()
        return index

    def close(self) -> None:
        with self._lock:
            if self._dirty:
                self._flush()
            self._records.close()
            if self._cache is not None:
                self._cache.close()
            if self._vector_store is not None:
                self._vector_store.close()
            self._vector_store = self._cache = self._keyword = None

    def __enter__(self) -> ClauseIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def embedding_model(self) -> str:
        return self._manifest.embedding_model

    @property
    def embeddings(self) -> Embeddings:
        return self._embeddings

    @property
    def is_empty(self) -> bool:
        self._maybe_reload()
        return not self._manifest.documents

    # ------------------------------------------------------------------ writing

    def sync(self, items: Iterable[SyncItem], *, progress: Callable[[str, str], None] | None = None,
             rebuild: bool = False, dense: DenseChoice = True) -> SyncReport:
        """Bring the index up to date with `items` and return what changed.

        Each item is (source_key, parsed) or (source_key, parsed, source_hash). `parsed` may be a
        ParsedDocument, a zero-argument callable returning one (called only when the source hash
        differs from the recorded one), or None (the caller could not parse it: counted as skipped).
        `dense` (bool or predicate on the Document) chooses which documents get vectors; the rest
        are searchable by keywords only. `progress(source_key, outcome)` is called after each item.
        """
        started = time.perf_counter()
        report = SyncReport()
        with self._lock, self._writing():
            if rebuild:
                self._wipe()
            self._collect_garbage()
            last_flush, pending = time.monotonic(), 0
            for item in items:
                key, parsed, source_hash = (tuple(item) + (None,))[:3]
                outcome, doc_id = self._sync_one(key, parsed, source_hash, dense, report)
                report.outcomes.append((key, outcome, doc_id))
                pending += outcome in ("added", "replaced")
                if progress is not None:
                    progress(key, outcome)
                if self._dirty and (pending >= FLUSH_DOCS or time.monotonic() - last_flush >= FLUSH_SECONDS):
                    self._flush()
                    last_flush, pending = time.monotonic(), 0
            self._flush()
            self._collect_garbage()
            self._keyword_index()
        report.seconds = time.perf_counter() - started
        log.info("sync: %d added, %d replaced, %d unchanged, %d skipped, %d embedded in %.1fs", report.added,
                 report.replaced, report.unchanged, report.skipped, report.embedded, report.seconds)
        return report

    @contextmanager
    def _writing(self):
        marker = self.index_dir / WRITER_FILE
        marker.write_text(str(os.getpid()))
        try:
            yield
        finally:
            marker.unlink(missing_ok=True)

    def add(self, parsed: ParsedDocument, source_key: str, *, dense: DenseChoice = True) -> str:
        """Index one parsed document: 'added', 'replaced' or 'unchanged'."""
        return self.sync([(source_key, parsed)], dense=dense).outcomes[0][1]

    def remove(self, doc_id: str) -> int:
        """Delete every trace of a document; returns how many clauses it had (0 if unknown)."""
        with self._lock:
            self._maybe_reload()
            entry = self._manifest.drop(doc_id)
            for key in [k for k, s in self._manifest.sources.items() if s["doc_id"] == doc_id]:
                del self._manifest.sources[key]
            self._flush()
            removed = self._purge(doc_id)
            self._keyword_index()
        return entry.n_clauses if entry else removed

    def source_is_current(self, source_key: str, source_hash: str) -> bool:
        src = self._manifest.sources.get(source_key)
        return bool(src and src.get("source_hash") == source_hash and src["doc_id"] in self._manifest.documents)

    def _sync_one(self, key: str, parsed, source_hash: str | None, dense: DenseChoice,
                  report: SyncReport) -> tuple[str, str]:
        docs = self._manifest.documents
        src = self._manifest.sources.get(key)
        if source_hash and src and src.get("source_hash") == source_hash and src["doc_id"] in docs:
            entry = docs[src["doc_id"]]
            if entry.n_chunks or dense is False or (callable(dense) and not self._stored_wants_dense(entry, src, dense)):
                report.unchanged += 1  # (a keyword-only document the policy keeps so is not even re-parsed)
                return "unchanged", src["doc_id"]
        if callable(parsed):
            parsed = parsed()
        if parsed is None:
            report.skipped += 1
            return "skipped", ""
        document = parsed.document
        doc_id = document.doc_id
        want_dense = dense(document) if callable(dense) else bool(dense)
        existing = docs.get(doc_id)
        old_id = src["doc_id"] if src else None
        if (existing is not None and existing.content_hash == document.content_hash
                and (existing.n_chunks or not want_dense or not parsed.clauses)):
            outcome = "unchanged"
            report.unchanged += 1
        else:
            self._store(parsed, key, want_dense, report)
            outcome = "replaced" if existing is not None or (old_id and old_id != doc_id) else "added"
            if outcome == "added":
                report.added += 1
            else:
                report.replaced += 1
        self._manifest.sources[key] = {"doc_id": doc_id, "source_hash": source_hash}
        self._dirty = True
        if old_id and old_id != doc_id and not self._manifest.referenced(old_id):
            docs.pop(old_id, None)
            self._flush()
            self._purge(old_id)
        return outcome, doc_id

    def _stored_wants_dense(self, entry: DocEntry, src: dict, dense: Callable[[Document], bool]) -> bool:
        document = self._records.document(src["doc_id"]) if entry.n_clauses else None
        return document is not None and bool(dense(document))

    def _store(self, parsed: ParsedDocument, key: str, want_dense: bool, report: SyncReport) -> None:
        document, clauses = parsed.document, parsed.clauses
        self._records.put(document, clauses)
        n_chunks = 0
        if want_dense and clauses:
            n_chunks = self._store_vectors(document, clauses, report)
        self._manifest.put(document.doc_id, DocEntry(
            title=document.title, region=document.region, status=document.status or "",
            doc_type=document.doc_type or "", source_key=key, n_clauses=len(clauses), n_chunks=n_chunks,
            content_hash=document.content_hash,
        ))
        report.clauses += len(clauses)
        self._dirty = True

    def _store_vectors(self, document: Document, clauses: tuple[Clause, ...], report: SyncReport) -> int:
        count = emb.token_counter(self._embeddings)
        ids, texts, metas = [], [], []
        for clause in clauses:
            for j, piece in enumerate(chunk_texts(clause, count, self.max_chunk_tokens)):
                ids.append(f"{clause.clause_id}#{j}")
                texts.append(piece)
                metas.append(_chunk_metadata(document, clause, j))
        dimension = self._model_dimension()
        self._manifest.check_dimension(dimension, self.index_dir)
        vectors, fresh = self._embedding_cache().embed(
            texts, lambda t: emb.embed_passages(self._embeddings, t), dimension)
        report.embedded += fresh
        report.cached += len(texts) - fresh
        self._vectors().upsert(ids, vectors, metas, texts)
        return len(ids)

    def _purge(self, doc_id: str) -> int:
        if self._vector_store is not None or self._has_chroma():
            self._vectors().delete_doc(doc_id)
        return self._records.delete(doc_id)

    def _collect_garbage(self) -> None:
        """Purge records left by an interrupted run (present on disk, absent from the manifest)."""
        for doc_id in self._records.doc_ids() - self._manifest.documents.keys():
            log.info("purging %s left by an interrupted run", doc_id)
            self._purge(doc_id)

    def _wipe(self) -> None:
        log.info("emptying the index at %s", self.index_dir)
        self._manifest.clear_documents()
        self._manifest.dimension = None
        self._manifest.save(self.index_dir)
        self._manifest_mtime = self._mtime()
        if self._vector_store is not None or self._has_chroma():
            self._vectors().reset()
        self._records.clear()
        self._keyword = None
        self._query_vectors.clear()
        self._term_vectors.clear()

    def _flush(self) -> None:
        self._manifest.save(self.index_dir)
        self._manifest_mtime = self._mtime()
        self._dirty = False

    # ------------------------------------------------------------------ reading

    def documents(self) -> list[DocumentEntry]:
        self._maybe_reload()
        out = []
        for doc_id, entry in list(self._manifest.documents.items()):
            document = self._records.document(doc_id)
            if document is not None:
                out.append(DocumentEntry(document, entry.n_clauses, entry.source_key, entry.n_chunks))
        return out

    def document(self, doc_id: str) -> Document:
        self._maybe_reload()
        document = self._records.document(doc_id) if doc_id in self._manifest.documents else None
        if document is None:
            raise DocumentNotFoundError(f"no document {doc_id!r} in the index at {self.index_dir}")
        return document

    def clauses(self, doc_id: str | None = None) -> list[Clause]:
        """Clauses of one document, or of all documents, in document order."""
        self._maybe_reload()
        if doc_id is not None:
            if doc_id not in self._manifest.documents:
                raise DocumentNotFoundError(f"no document {doc_id!r} in the index at {self.index_dir}")
            return self._records.clauses_of(doc_id)
        return list(self._records.iter_clauses(list(self._manifest.documents)))

    def stats(self, *, verify: bool = False) -> dict:
        """Counts from the manifest; `verify` also counts what Chroma, the record store and bm25 hold."""
        self._maybe_reload()
        docs = self._manifest.documents.values()
        out = {
            "documents": len(docs),
            "clauses": sum(e.n_clauses for e in docs),
            "vectors": sum(e.n_chunks for e in docs),
            "embedding_model": self._manifest.embedding_model,
            "dimension": self._manifest.dimension,
        }
        if verify:
            out["chroma_records"] = self._vectors().count() if self._has_chroma() else 0
            out["stored_documents"] = len(self._records.doc_ids())
            out["keyword_rows"] = len(self._keyword_index())
        return out

    def term_document_frequencies(self) -> tuple[dict[str, int], int] | None:
        """({term: number of clauses containing it}, number of clauses) from the keyword index,
        whose terms are `ingest.tokenize.tokenize`'s; None when it cannot say (then count yourself)."""
        with self._lock:
            self._maybe_reload()
            if not self._manifest.documents:
                return None
            keyword = self._keyword_index(reading=True)
            df = keyword.document_frequencies()
            return None if df is None else (df, len(keyword))

    def search(self, query: str, k: int = 5, filters: dict | None = None, *, bm25_weight: float | None = None,
               dense_weight: float | None = None) -> list[Hit]:
        """The `k` best clauses for `query`, best first, one Hit per clause (an article is one clause; a
        序言 broken by headings may be several, which callers counting articles fold by `Clause.article_key`).

        filters: {"region"|"doc_id"|"kind"|"status"|"doc_type": str | list[str]}; values of one key
        are alternatives, keys combine with AND. A region value that is not an indexed region
        matches the regions containing it (西藏 → 西藏自治区). Hit.scores holds the raw retriever
        scores ('bm25', 'dense' cosine or absent) and their min-max normalised forms.
        """
        wb = self.bm25_weight if bm25_weight is None else bm25_weight
        wd = self.dense_weight if dense_weight is None else dense_weight
        with self._lock:
            self._maybe_reload()
            if not self._manifest.documents or k <= 0:
                return []
            norm = self._normalise_filters(filters)
            keyword = self._keyword_index(reading=True)
            prepared = self.prepare_query(query, region_filtered="region" in norm)
            pool = max(POOL, 4 * k)
            bm25, all_bm25 = self._bm25_candidates(keyword, prepared.terms, norm, pool)
            dense: dict[str, float] = {}
            if wd > 0 and self._manifest.has_vectors:
                dense = self._dense_candidates(prepared, norm, pool, bm25, all_bm25, keyword)
            fused = fuse(bm25, dense, bm25_weight=wb, dense_weight=wd)
            top = fused[: max(k, RERANK_POOL) if self._reranker else k]
            records = self._records.clauses_by_id([f.clause_id for f in top])
            hits = [_hit(records[f.clause_id], f) for f in top if f.clause_id in records]
            if self._reranker is not None:
                hits = self._rerank(query, hits)
            return hits[:k]

    def prepare_query(self, query: str, *, region_filtered: bool = False) -> RetrievalQuery:
        """The keyword terms and dense text `search` uses for `query` (for display and debugging)."""
        regions = {e.region for e in self._manifest.documents.values()} if self.strip_localities else ()
        return prepare(query, regions, region_filtered=region_filtered, expand_dense=self.expand_dense_query)

    def _bm25_candidates(self, keyword: KeywordIndex, terms: list[str], norm: dict, pool: int):
        scores = keyword.scores(terms)
        if not len(scores):
            return {}, scores
        allowed = self._allowed_docs(norm)
        if allowed is None and keyword.fingerprint != self._manifest.fingerprint():
            allowed = set(self._manifest.documents)  # a stale index may still hold removed documents
        mask = keyword.mask(allowed, set(norm["kind"]) if "kind" in norm else None)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        n = min(pool, len(scores))
        rows = np.argpartition(-scores, n - 1)[:n]
        return {keyword.clause_ids[r]: float(scores[r]) for r in rows if scores[r] > 0}, scores

    def _dense_candidates(self, prepared: RetrievalQuery, norm: dict, pool: int, bm25: dict[str, float],
                          all_bm25: np.ndarray, keyword: KeywordIndex) -> dict[str, float]:
        vector = self._query_vector(prepared)
        docs = self._manifest.documents
        dense: dict[str, float] = {}
        n_chunks = min(2 * pool, sum(e.n_chunks for e in docs.values()))
        for clause_id, sim in self._vectors().query(vector, n_chunks, norm or None):
            row = keyword.row_of.get(clause_id)  # None: a record a crash left behind
            if row is not None and keyword.doc_ids[keyword.doc_idx[row]] in docs:
                dense[clause_id] = max(sim, dense.get(clause_id, -1.0))
        for clause_id in dense.keys() - bm25.keys():
            bm25[clause_id] = float(all_bm25[keyword.row_of[clause_id]]) if len(all_bm25) else 0.0
        missing = [c for c in bm25 if c not in dense
                   and docs[keyword.doc_ids[keyword.doc_idx[keyword.row_of[c]]]].n_chunks]
        for clause_id, vec in self._vectors().vectors_of(missing):
            dense[clause_id] = max(float(vec @ vector), dense.get(clause_id, -1.0))
        return dense

    def _rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        raw = self._reranker.scores(query, [h.clause.text for h in hits])
        if not len(raw):
            return hits
        lo, hi = float(raw.min()), float(raw.max())
        span = hi - lo or 1.0
        out = []
        for hit, r in zip(hits, raw, strict=True):
            scores = dict(hit.scores, rerank=float(r))
            out.append(Hit(hit.clause, 0.5 * hit.score + 0.5 * (float(r) - lo) / span, scores))
        out.sort(key=lambda h: -h.score)
        return out

    def _query_vector(self, prepared: RetrievalQuery) -> np.ndarray:
        """e5(question), blended with the mean vector of its alias expansions when it has any.

        Question vectors are cached (LRU, cleared by `clear_query_cache`); alias-term vectors come
        from the fixed alias table and are kept for the life of the index object.
        """
        text = prepared.dense_text
        vector = self._query_vectors.get(text)
        if vector is None:
            vector = emb.embed_query(self._embeddings, text)
            self._query_vectors[text] = vector
            if len(self._query_vectors) > 256:
                self._query_vectors.popitem(last=False)
        else:
            self._query_vectors.move_to_end(text)
        if not prepared.dense_terms:
            return vector
        for term in prepared.dense_terms:
            if term not in self._term_vectors:
                self._term_vectors[term] = emb.embed_query(self._embeddings, term)
        blended = vector + ALIAS_VECTOR_WEIGHT * np.mean([self._term_vectors[t] for t in prepared.dense_terms], axis=0)
        return blended / (np.linalg.norm(blended) or 1.0)

    def clear_query_cache(self) -> None:
        self._query_vectors.clear()

    def _normalise_filters(self, filters: dict | None) -> dict[str, list[str]]:
        norm: dict[str, list[str]] = {}
        for key, value in (filters or {}).items():
            if key not in FILTER_KEYS:
                raise StoreError(f"unknown filter {key!r}: use {', '.join(FILTER_KEYS)}")
            values = [value] if isinstance(value, str) else [v for v in (value or ()) if v is not None]
            if not values:
                continue
            if key == "region":
                known = {e.region for e in self._manifest.documents.values()}
                values = sorted({r for v in values for r in ([v] if v in known else [r for r in known if v in r])}
                                or set(values))
            norm[key] = [str(v) for v in values]
        return norm

    def _allowed_docs(self, norm: dict[str, list[str]]) -> set[str] | None:
        doc_keys = sorted(k for k in norm if k != "kind")
        if not doc_keys:
            return None
        key = (self._manifest.generation, tuple((k, tuple(sorted(norm[k]))) for k in doc_keys))
        cached = self._allowed_cache.get(key)
        if cached is not None:
            return cached
        allowed = set()
        for doc_id, entry in self._manifest.documents.items():
            attrs = {"doc_id": doc_id, "region": entry.region, "status": entry.status, "doc_type": entry.doc_type}
            if all(attrs[k] in norm[k] for k in doc_keys):
                allowed.add(doc_id)
        if len(self._allowed_cache) >= ALLOWED_CACHE_SIZE:
            self._allowed_cache.pop(next(iter(self._allowed_cache)))
        self._allowed_cache[key] = frozenset(allowed)
        return self._allowed_cache[key]

    # ------------------------------------------------------------------ components

    def _keyword_index(self, *, reading: bool = False) -> KeywordIndex:
        """The keyword index for the manifest's documents, rebuilt when it is out of date.

        While another process is syncing (its manifest flushes change the document set every few
        seconds), a reader keeps the last saved index instead of rebuilding it each time; rows of
        documents no longer in the manifest are masked out by `_bm25_candidates`.
        """
        fingerprint = self._manifest.fingerprint()
        if self._keyword is not None and self._keyword.fingerprint == fingerprint:
            return self._keyword
        keyword = KeywordIndex.load(self.index_dir, fingerprint)
        if keyword is None and reading and self._other_writer():
            keyword = self._keyword or KeywordIndex.load(self.index_dir, None)
            if keyword is not None:
                log.debug("another process is writing the index: using the keyword index as last saved")
                self._keyword = keyword
                return keyword
        if keyword is None:
            started = time.perf_counter()
            rows = ((c.clause_id, c.doc_id, c.kind, c.text)
                    for c in self._records.iter_clauses(list(self._manifest.documents)))
            keyword = KeywordIndex.build(rows, fingerprint)
            keyword.save(self.index_dir)
            log.info("keyword index: %d clauses in %.1fs", len(keyword), time.perf_counter() - started)
        self._keyword = keyword
        return keyword

    def _other_writer(self) -> bool:
        try:
            pid = int((self.index_dir / WRITER_FILE).read_text())
        except (OSError, ValueError):
            return False
        if pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False  # left by a crashed writer
        except PermissionError:
            return True
        return True

    def _vectors(self) -> VectorStore:
        if self._vector_store is None:
            self._vector_store = VectorStore(self.index_dir, self.chroma_url)
        return self._vector_store

    def _has_chroma(self) -> bool:
        return bool(self.chroma_url) or (self.index_dir / "chroma").exists()

    def _model_dimension(self) -> int:
        if self._dimension is None:
            known = getattr(self._embeddings, "dimension", None)
            self._dimension = int(known) if known else len(emb.embed_query(self._embeddings, "维度"))
        return self._dimension

    def _embedding_cache(self) -> EmbeddingCache:
        if self._cache is None:
            self._cache = EmbeddingCache(self.index_dir / "embeddings.sqlite", self._manifest.embedding_model)
        return self._cache

    def _mtime(self) -> int:
        try:
            return (self.index_dir / "manifest.json").stat().st_mtime_ns
        except OSError:
            return 0

    def _maybe_reload(self) -> None:
        """Pick up documents another process added or removed since we last looked."""
        if self._dirty:
            return
        mtime = self._mtime()
        if mtime and mtime != self._manifest_mtime:
            with self._lock:
                manifest = Manifest.load(self.index_dir)
                if manifest is not None:
                    manifest.check(self._manifest.embedding_model, self.index_dir)
                    self._manifest = manifest
                self._manifest_mtime = mtime


def _chunk_metadata(document: Document, clause: Clause, chunk: int) -> dict:
    return {
        "doc_id": clause.doc_id, "clause_id": clause.clause_id, "ordinal": clause.ordinal, "chunk": chunk,
        "kind": clause.kind, "article": clause.article if clause.article is not None else -1,
        "label": clause.label, "region": clause.region or "", "title": clause.doc_title or "",
        "status": document.status or "", "doc_type": document.doc_type or "",
    }


def _hit(clause: Clause, fused) -> Hit:
    scores = {"bm25": fused.bm25, "bm25_norm": fused.bm25_norm}
    if fused.dense is not None:
        scores["dense"] = fused.dense
        scores["dense_norm"] = fused.dense_norm
    return Hit(clause, float(fused.score), scores)
