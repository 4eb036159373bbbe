"""`ClauseIndex`: clauses in Chroma (dense) and bm25s (keywords) side by side, searched as one.

Layout of an index directory:
    records.sqlite     THE source of truth: records, the manifest (entries, sources, model) and a
                       generation number, changed only in one transaction per commit (docstore.py)
    write.lock         one writer at a time across processes (lock.py)
    chroma.lock        held while a process opens the embedded Chroma store (vectors.py)
    embeddings.sqlite  passage vectors by (model, text) hash (embcache.py; survives --rebuild)
    chroma/            Chroma persistent store, unless a Chroma server URL is given; one collection
                       per index, named from its id (vectors.py)
    keyword.json, keyword-<fingerprint>/   the bm25s index (keyword.py)

Writers (`sync`, `remove`) parse and embed outside the write lock, then take it briefly per batch:
re-read the committed state, write the batch's vectors to Chroma, commit records + manifest +
generation in one SQLite transaction, stamp the generation on the Chroma collection. A kill -9
leaves the previous generation; vectors of an uncommitted batch are found (the collection's
generation differs) and reconciled by the next writer. The keyword index is rebuilt for the new
document set at the end of a sync.

Derived stores are checked, never trusted: the keyword index against the manifest's fingerprint
and its checksums, the Chroma collection against the generation and the vector counts; a
mismatch or a damaged file rebuilds them from records.sqlite (vectors from the embedding cache).

Readers (the app) hold one consistent state (manifest, keyword index, Chroma client) and check
the generation before each question: when another process has committed, they swap in the new
state at once (reopening Chroma, whose in-memory graph would be stale), or keep answering from
the old one while a writer is still busy and the new keyword index is not ready.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.records import Clause, Document, ParsedDocument
from store import embeddings as emb
from store.aliases import alias_terms
from store.chunking import MAX_TOKENS, chunk_texts, sentence_texts
from store.docstore import Change, RecordStore, damaged, read_legacy_manifest
from store.docstore import FILENAME as RECORDS_FILE
from store.embcache import EmbeddingCache
from store.errors import DiskFullError, DocumentNotFoundError, IndexNotFoundError, StoreError
from store.fusion import fuse
from store.keyword import POINTER, KeywordIndex
from store.lock import DEFAULT_TIMEOUT_S, WriteLock, pid_alive
from store.manifest import SCHEMA_VERSION, DocEntry, Manifest
from store.query import RetrievalQuery, prepare
from store.records import DocumentEntry, Hit, SyncReport
from store.vectors import FILTER_KEYS, VectorStore, collection_name, sentence_number, split_chunk_id

log = logging.getLogger(__name__)

FLUSH_SECONDS = 5.0  # a sync commits what it has prepared this often, or every FLUSH_DOCS documents
FLUSH_DOCS = 50
POOL = 50  # candidates taken from each retriever before fusion
ALLOWED_CACHE_SIZE = 64  # filter combinations whose document sets are kept
ALIAS_VECTOR_WEIGHT = 0.5  # alias-term mean vector added to the question's (same Recall@5 at 0.5 and 1.0)
RERANK_POOL = 20
SENTENCE_WEIGHT = 0.5  # a clause's dense score: its own similarity and its best sentence's, half each
VECTOR_TABLE_LIMIT = 50_000  # chunk vectors held in memory for exact scoring (~75 MB at 384 dimensions)
WRITER_PREFIX = ".writer-"  # .writer-<pid>: present while that process syncs (readers then wait for it)

_SYNCING: dict[Path, int] = {}  # index dirs this process is syncing (by any ClauseIndex object)

SyncItem = tuple  # (source_key, parsed) or (source_key, parsed, source_hash): see ClauseIndex.sync
DenseChoice = bool | Callable[[Document], bool]


def file_hash(path: str | os.PathLike) -> str:
    """Hash of a file's bytes: lets `sync` skip parsing files that have not changed."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class _Prepared:
    """One document parsed (and embedded) outside the lock, waiting for its commit."""

    key: str
    source_hash: str | None
    parsed: ParsedDocument
    want_dense: bool
    vectors: tuple | None = None  # (ids, vectors, metadatas, texts) when it gets vectors
    store: bool = True  # False: the content is already indexed, only the source mapping changes
    counted: dict = field(default_factory=dict)


def _is_disk_full(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(exc).lower()
        if "disk is full" in text or "no space left" in text:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class ClauseIndex:
    def __init__(self, index_dir: Path, records: RecordStore, manifest: Manifest, embeddings: Embeddings,
                 chroma_url: str | None, reranker_model: str | None, bm25_weight: float, dense_weight: float,
                 lock_timeout: float = DEFAULT_TIMEOUT_S):
        self.index_dir = index_dir
        self.chroma_url = chroma_url
        self.bm25_weight = bm25_weight
        self.dense_weight = dense_weight
        self.max_chunk_tokens = MAX_TOKENS
        self.expand_dense_query = True
        self.strip_localities = True
        self._manifest = manifest  # the serving state: this manifest, self._keyword, self._vector_store
        self._model_id = manifest.embedding_model
        self._allowed_cache: dict[tuple, frozenset[str]] = {}  # (manifest generation, filters) -> doc ids
        self._embeddings = embeddings
        self._reranker = None
        if reranker_model:
            from store.rerank import CrossEncoderReranker

            self._reranker = CrossEncoderReranker(reranker_model)
        self._records = records
        self._write_lock = WriteLock(index_dir, lock_timeout)
        self._vector_store: VectorStore | None = None  # for reading; a sync writes through its own
        self._cache: EmbeddingCache | None = None
        self._keyword: KeywordIndex | None = None
        self._deferred: int | None = None  # a generation whose swap waits for its writer to finish
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._term_vectors: dict[str, np.ndarray] = {}
        self._table: VectorTable | None = None
        self._lock = threading.RLock()  # guards the serving state
        self._sync_lock = threading.Lock()  # one sync at a time in this process
        self._sync_thread: int | None = None  # the thread whose sync holds _sync_lock
        self._dimension: int | None = None

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, index_dir: str | os.PathLike, *, embedding_model: str | None = emb.DEFAULT_MODEL,
             embeddings: Embeddings | None = None, chroma_url: str | None = None,
             reranker_model: str | None = None, bm25_weight: float = 0.35, dense_weight: float = 0.65,
             create: bool = True, rebuild: bool = False, lock_timeout: float = DEFAULT_TIMEOUT_S) -> ClauseIndex:
        """Open (or create) the index in `index_dir`.

        `embedding_model=None` takes the model the index was built with (for list/remove).
        Raises IndexMismatchError when the index was built with another embedding model or schema
        (unless `rebuild`, which empties it first), IndexNotFoundError when absent and not `create`,
        IndexCorruptError when records.sqlite is damaged (`rebuild` starts it afresh).
        """
        index_dir = Path(index_dir).expanduser().resolve()
        db_path = index_dir / RECORDS_FILE
        legacy = (index_dir / "manifest.json").exists()
        if not db_path.exists() and not legacy:
            if not create and not rebuild:
                raise IndexNotFoundError(
                    f"no index at {index_dir}; build one: python -m ingest add PATH... --index-dir {index_dir}")
        try:
            index_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the index directory {index_dir}: {exc.strerror or exc}") from exc
        lock = WriteLock(index_dir, lock_timeout)
        if rebuild:
            with lock("rebuild the index"):
                try:
                    RecordStore(db_path).close()
                except StoreError as exc:
                    log.warning("%s: starting it afresh", exc)
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        records = RecordStore(db_path)
        try:
            meta = records.meta()
            if "index_id" not in meta and legacy:
                with lock("import the old manifest"):
                    data = read_legacy_manifest(index_dir)
                    if data is not None and "index_id" not in records.meta():
                        records.import_manifest(data)
                        (index_dir / "manifest.json").rename(index_dir / "manifest.json.imported")
                meta = records.meta()
            if embedding_model is None and embeddings is None:  # whatever the index was built with
                embedding_model = (None if rebuild else meta.get("embedding_model")) or emb.DEFAULT_MODEL
            if embeddings is None:
                embeddings = emb.make_embeddings(embedding_model)
                model_id = embedding_model
            else:
                model_id = getattr(embeddings, "model_id", None) or embedding_model
            records.ensure_identity(model_id, SCHEMA_VERSION)
            manifest = Manifest.from_snapshot(*records.snapshot())
            if not rebuild:
                manifest.check(model_id, index_dir)
            if manifest.embedding_model != model_id:  # no vectors yet (or rebuilding): the model may change
                manifest.embedding_model, manifest.dimension = model_id, None
            index = cls(index_dir, records, manifest, embeddings, chroma_url, reranker_model, bm25_weight,
                        dense_weight, lock_timeout)
        except BaseException:
            records.close()
            raise
        try:
            if rebuild:
                with index._write_lock("rebuild the index"):
                    index._wipe()
            index._open_check()
        except BaseException:
            index.close()
            raise
        return index

    def close(self) -> None:
        with self._lock:
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
        return self._model_id

    @property
    def embeddings(self) -> Embeddings:
        return self._embeddings

    @property
    def index_id(self) -> str:
        return self._manifest.index_id

    @property
    def generation(self) -> int:
        """The committed generation this object serves (after picking up other processes' commits)."""
        self._maybe_reload()
        return self._manifest.stored_generation

    @property
    def is_empty(self) -> bool:
        self._maybe_reload()
        return not self._manifest.documents

    def _open_check(self) -> None:
        """On open: make sure the derived stores match, when nobody else is writing."""
        if not self._write_lock.try_acquire():
            return  # a writer is busy: it checks them itself
        try:
            self._check_vectors(self._manifest)
        finally:
            self._write_lock.release()

    # ------------------------------------------------------------------ writing

    def sync(self, items: Iterable[SyncItem], *, progress: Callable[[str, str], None] | None = None,
             rebuild: bool = False, dense: DenseChoice = True) -> SyncReport:
        """Bring the index up to date with `items` and return what changed.

        Each item is (source_key, parsed) or (source_key, parsed, source_hash). `parsed` may be a
        ParsedDocument, a zero-argument callable returning one (called only when the source hash
        differs from the recorded one), or None (the caller could not parse it: counted as skipped).
        `dense` (bool or predicate on the Document) chooses which documents get vectors; the rest
        are searchable by keywords only. `progress(source_key, outcome)` is called after each item
        (an added or replaced document once its batch is committed).

        Parsing and embedding happen outside the write lock; each batch (FLUSH_DOCS documents or
        FLUSH_SECONDS) is committed under it in one transaction. Searches on this object and in
        other processes keep answering meanwhile, from the last state whose keyword index is ready.
        """
        started = time.perf_counter()
        report = SyncReport()
        with self._sync_lock, self._writing():
            self._sync_thread = threading.get_ident()
            try:
                self._sync(items, progress, rebuild, dense, report)
            except StoreError:
                raise
            except (OSError, sqlite3.Error, Exception) as exc:
                if _is_disk_full(exc):
                    raise DiskFullError(
                        f"no space left on the device while writing the index at {self.index_dir}; the "
                        f"{report.added + report.replaced} document(s) committed before stay indexed: free some "
                        "space and run the same command again") from exc
                raise
            finally:
                self._sync_thread = None
        self._maybe_reload()
        report.seconds = time.perf_counter() - started
        log.info("sync: %d added, %d replaced, %d unchanged, %d skipped, %d embedded in %.1fs", report.added,
                 report.replaced, report.unchanged, report.skipped, report.embedded, report.seconds)
        return report

    def _sync(self, items, progress, rebuild: bool, dense: DenseChoice, report: SyncReport) -> None:
        writer = self._writer_vectors() if self._dense_possible(dense) else None
        try:
            with self._write_lock("prepare the index"):
                if rebuild:
                    self._wipe()
                work = self._load_manifest()
                self._collect_garbage(work)
                self._check_vectors(work, writer)
            batch: list[_Prepared] = []
            last = time.monotonic()
            for item in items:
                key, parsed, source_hash = (tuple(item) + (None,))[:3]
                work = self._refresh(work)
                prepared = self._prepare(work, key, parsed, source_hash, dense, report)
                if isinstance(prepared, _Prepared):
                    batch.append(prepared)
                else:
                    report.outcomes.append((key, prepared[0], prepared[1]))
                    if progress is not None:
                        progress(key, prepared[0])
                if batch and (len(batch) >= FLUSH_DOCS or time.monotonic() - last >= FLUSH_SECONDS):
                    work = self._commit(batch, report, progress, writer)
                    batch, last = [], time.monotonic()
            if batch:
                work = self._commit(batch, report, progress, writer)
            with self._write_lock("update the keyword index"):
                work = self._load_manifest()
                self._collect_garbage(work)
                self._saved_keyword(work)
            if writer is not None and work.has_vectors:
                self._load_term_vectors(self._model_dimension())  # so a question pays one encode
        finally:
            if writer is not None:
                writer.close()

    def _dense_possible(self, dense: DenseChoice) -> bool:
        return dense is not False or self._has_chroma()

    @contextmanager
    def _writing(self):
        """Mark this process as syncing (readers then keep their state until it finishes)."""
        self._live_writer_markers()  # (clears the markers of killed writers)
        marker = self.index_dir / f"{WRITER_PREFIX}{os.getpid()}"
        try:
            marker.write_text(str(os.getpid()))
        except OSError:
            marker = None
        _SYNCING[self.index_dir] = _SYNCING.get(self.index_dir, 0) + 1
        try:
            yield
        finally:
            _SYNCING[self.index_dir] -= 1
            if not _SYNCING[self.index_dir]:
                del _SYNCING[self.index_dir]
                if marker is not None:
                    marker.unlink(missing_ok=True)

    def _other_writer(self) -> bool:
        """Is a sync running on this index (in another process, or another object/thread of this one)?

        Not for the syncing thread itself (its progress is picked up by the sync's callers). Other threads
        of this process reading from this object (an app answering while its ingest job syncs) keep the
        state they serve until the sync ends, as readers in other processes do: swapping at every batch
        would rebuild the keyword index in memory, under the serving lock, once per commit."""
        if self._sync_thread is not None and self._sync_thread == threading.get_ident():
            return False
        if _SYNCING.get(self.index_dir):
            return True
        return self._live_writer_markers()

    def _live_writer_markers(self) -> bool:
        """Does another live process mark itself as syncing? Removes the markers of dead ones."""
        alive = False
        for marker in self.index_dir.glob(f"{WRITER_PREFIX}*"):
            try:
                pid = int(marker.name[len(WRITER_PREFIX):])
            except ValueError:
                continue
            if pid_alive(pid):
                alive = True
            elif pid != os.getpid():
                marker.unlink(missing_ok=True)  # left by a killed writer
        return alive

    def add(self, parsed: ParsedDocument, source_key: str, *, dense: DenseChoice = True) -> str:
        """Index one parsed document: 'added', 'replaced' or 'unchanged'."""
        return self.sync([(source_key, parsed)], dense=dense).outcomes[0][1]

    def remove(self, doc_id: str) -> int:
        """Delete every trace of a document; returns how many clauses it had (0 if unknown)."""
        with self._sync_lock, self._write_lock(f"remove {doc_id}"):
            work = self._load_manifest()
            entry = work.documents.get(doc_id)
            n = len(self._records.clauses_of(doc_id))
            keys = [k for k, s in work.sources.items() if s["doc_id"] == doc_id]
            if entry is None and not n:
                return 0
            if self._has_chroma():
                writer = self._writer_vectors()
                try:
                    writer.delete_doc(doc_id)
                    generation = self._records.commit(Change(drop=[doc_id], drop_sources=keys))
                    writer.set_generation(generation)
                finally:
                    writer.close()
            else:
                self._records.commit(Change(drop=[doc_id], drop_sources=keys))
            self._saved_keyword(self._load_manifest())
        self._maybe_reload()
        return entry.n_clauses if entry else n

    def source_is_current(self, source_key: str, source_hash: str) -> bool:
        self._maybe_reload()
        src = self._manifest.sources.get(source_key)
        return bool(src and src.get("source_hash") == source_hash and src["doc_id"] in self._manifest.documents)

    def _load_manifest(self) -> Manifest:
        manifest = Manifest.from_snapshot(*self._records.snapshot())
        if manifest.embedding_model != self._model_id and not manifest.has_vectors:
            manifest.embedding_model, manifest.dimension = self._model_id, None
        manifest.check(self._model_id, self.index_dir)
        return manifest

    def _refresh(self, work: Manifest) -> Manifest:
        """`work`, or the committed state when another process has committed since (cheap check)."""
        return work if self._records.generation() == work.stored_generation else self._load_manifest()

    def _prepare(self, work: Manifest, key: str, parsed, source_hash: str | None, dense: DenseChoice,
                 report: SyncReport):
        """Parse and embed one item outside the lock: ('unchanged'|'skipped', doc_id) or a _Prepared."""
        docs = work.documents
        src = work.sources.get(key)
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
        want_dense = bool(dense(document) if callable(dense) else dense) and bool(parsed.clauses)
        existing = docs.get(document.doc_id)
        item = _Prepared(key, source_hash, parsed, want_dense)
        if existing is not None and existing.content_hash == document.content_hash and (
                existing.n_chunks or not want_dense):
            item.store = False
        elif want_dense:
            item.vectors = self._embed(document, parsed.clauses, work, item.counted)
        return item

    def _embed(self, document: Document, clauses: tuple[Clause, ...], work: Manifest, counted: dict) -> tuple:
        count = emb.token_counter(self._embeddings)
        ids, texts, metas = [], [], []
        for clause in clauses:
            for j, piece in enumerate(chunk_texts(clause, count, self.max_chunk_tokens)):
                ids.append(f"{clause.clause_id}#{j}")
                texts.append(piece)
                metas.append(_chunk_metadata(document, clause, j))
            for n, sentence in enumerate(sentence_texts(clause)):
                ids.append(f"{clause.clause_id}#s{n}")
                texts.append(sentence)
                metas.append({**_chunk_metadata(document, clause, n), "unit": "sentence"})
        dimension = self._model_dimension()
        work.check_dimension(dimension, self.index_dir)
        vectors, fresh = self._embedding_cache().embed(
            texts, lambda t: emb.embed_passages(self._embeddings, t), dimension)
        counted["embedded"] = counted.get("embedded", 0) + fresh
        counted["cached"] = counted.get("cached", 0) + len(texts) - fresh
        return ids, vectors, metas, texts

    def _commit(self, batch: list[_Prepared], report: SyncReport, progress, writer: VectorStore | None) -> Manifest:
        """Write a prepared batch: vectors, then records + manifest + generation in one transaction."""
        with self._write_lock(f"commit {len(batch)} document(s)"):
            work = self._load_manifest()  # what other writers committed meanwhile counts
            counts = SyncReport()  # added to `report` once committed
            change = Change()
            upserts, deletes, outcomes = [], [], []
            for item in batch:
                document, clauses = item.parsed.document, item.parsed.clauses
                doc_id = document.doc_id
                docs = work.documents
                src = work.sources.get(item.key)
                old_id = src["doc_id"] if src else None
                existing = docs.get(doc_id)
                if existing is not None and existing.content_hash == document.content_hash and (
                        existing.n_chunks or not item.want_dense):
                    outcome = "unchanged"  # already there (perhaps committed by another writer just now)
                    counts.unchanged += 1
                else:
                    if item.want_dense and item.vectors is None:  # it was there when prepared, gone now
                        item.vectors = self._embed(document, clauses, work, item.counted)
                    outcome = "replaced" if existing is not None or (old_id and old_id != doc_id) else "added"
                    setattr(counts, outcome, getattr(counts, outcome) + 1)
                    counts.clauses += len(clauses)
                    counts.embedded += item.counted.get("embedded", 0)
                    counts.cached += item.counted.get("cached", 0)
                    n_chunks = len(item.vectors[0]) if item.vectors else 0
                    entry = DocEntry(title=document.title, region=document.region, status=document.status or "",
                                     doc_type=document.doc_type or "", source_key=item.key,
                                     n_clauses=len(clauses), n_chunks=n_chunks, content_hash=document.content_hash)
                    change.put.append((document, clauses, entry.__dict__))
                    work.put(doc_id, entry)
                    if existing is not None and existing.n_chunks:
                        deletes.append(doc_id)
                    if item.vectors:
                        upserts.append(item.vectors)
                change.sources[item.key] = {"doc_id": doc_id, "source_hash": item.source_hash}
                work.sources[item.key] = change.sources[item.key]
                if old_id and old_id != doc_id and not work.referenced(old_id):
                    change.drop.append(old_id)
                    if work.documents.get(old_id) and work.documents[old_id].n_chunks:
                        deletes.append(old_id)
                    work.drop(old_id)
                outcomes.append((item.key, outcome, doc_id))
            change.meta = {"embedding_model": self._model_id}
            if upserts:
                work.check_dimension(self._model_dimension(), self.index_dir)
            if work.dimension is not None:
                change.meta["dimension"] = str(work.dimension)
            if writer is not None and (deletes or upserts):
                writer.delete_docs(deletes)
                for ids, vectors, metas, texts in upserts:
                    writer.upsert(ids, vectors, metas, texts)
            generation = self._records.commit(change)
            if writer is not None and (deletes or upserts):
                writer.set_generation(generation)
            work.stored_generation = generation
        for name in ("added", "replaced", "unchanged", "clauses", "embedded", "cached"):
            setattr(report, name, getattr(report, name) + getattr(counts, name))
        for key, outcome, doc_id in outcomes:
            report.outcomes.append((key, outcome, doc_id))
            if progress is not None:
                progress(key, outcome)
        return work

    def _stored_wants_dense(self, entry: DocEntry, src: dict, dense: Callable[[Document], bool]) -> bool:
        document = self._records.document(src["doc_id"]) if entry.n_clauses else None
        return document is not None and bool(dense(document))

    def _collect_garbage(self, work: Manifest) -> None:
        """Purge records no entry names (an older layout's interrupted run). Under the write lock."""
        orphans = self._records.orphans()
        for doc_id in orphans:
            log.info("purging %s left by an interrupted run", doc_id)
            self._records.delete(doc_id)

    def _check_vectors(self, work: Manifest, writer: VectorStore | None = None) -> None:
        """Under the write lock: make Chroma hold exactly the committed documents' vectors.

        Cheap when the collection's generation and count match the manifest; otherwise (a crash
        between the vector write and the commit, a damaged or missing collection) the vectors are
        reconciled document by document, re-derived from the records and the embedding cache.
        """
        if not self._has_chroma():
            if not work.has_vectors:
                return
        expected = sum(e.n_chunks for e in work.documents.values())
        own = writer is None
        try:
            try:
                store = writer or self._writer_vectors()
            except Exception as exc:  # noqa: BLE001 - chromadb raises many kinds on a damaged store
                store = self._reset_damaged_chroma(exc)
            try:
                if store.generation == work.stored_generation and store.count() == expected:
                    return
                counts = store.chunk_counts()
            except Exception as exc:  # noqa: BLE001
                if own:
                    store.close()
                store, own = self._reset_damaged_chroma(exc), True
                counts = {}
            docs = work.documents
            extra = [d for d in counts if d not in docs or not docs[d].n_chunks]
            wrong = [d for d, e in docs.items() if e.n_chunks and counts.get(d, 0) != e.n_chunks]
            if extra or wrong:
                log.warning("vector store of %s disagrees with the records (%d stray, %d missing or partial "
                            "document(s)); repairing it", self.index_dir, len(extra), len(wrong))
            store.delete_docs(extra + wrong)
            for doc_id in wrong:
                document = self._records.document(doc_id)
                clauses = tuple(self._records.clauses_of(doc_id))
                if document is None or not clauses:
                    continue
                ids, vectors, metas, texts = self._embed(document, clauses, work, {})
                store.upsert(ids, vectors, metas, texts)
            store.set_generation(work.stored_generation)
        finally:
            if own and "store" in locals() and store is not None:
                store.close()
        with self._lock:
            if self._vector_store is not None:
                self._vector_store.reopen()

    def _reset_damaged_chroma(self, exc: Exception) -> VectorStore:
        if self.chroma_url:
            raise StoreError(f"the Chroma server at {self.chroma_url} failed ({exc}); check the server") from exc
        log.warning("the vector store in %s is damaged (%s); rebuilding it from the records",
                    self.index_dir / "chroma", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        with self._lock:
            if self._vector_store is not None:
                self._vector_store.close()
                self._vector_store = None
        shutil.rmtree(self.index_dir / "chroma", ignore_errors=True)
        return self._writer_vectors()

    def _wipe(self) -> None:
        """Empty the index and every derived store (under the write lock)."""
        log.info("emptying the index at %s", self.index_dir)
        generation = self._records.clear()
        self._records.commit(Change(meta={"embedding_model": self._model_id}))
        for path in [self.index_dir / POINTER, *self.index_dir.glob("keyword-*"), *self.index_dir.glob(".keyword-*")]:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        if self._has_chroma():
            try:
                store = self._writer_vectors()
                store.reset()
            except Exception as exc:  # noqa: BLE001 - damaged local store: start it afresh
                store = self._reset_damaged_chroma(exc)
            store.set_generation(self._records.generation())
            store.close()
        del generation
        with self._lock:
            self._keyword = None
            self._deferred = None
            self._manifest = Manifest.from_snapshot(*self._records.snapshot())
            self._manifest.embedding_model, self._manifest.dimension = self._model_id, None
            if self._vector_store is not None:
                self._vector_store.reopen()
            self._query_vectors.clear()
            self._term_vectors.clear()
            self._allowed_cache.clear()
            self._table = None

    # ------------------------------------------------------------------ reading

    def documents(self) -> list[DocumentEntry]:
        self._maybe_reload()
        manifest = self._manifest
        out = []
        for doc_id, entry in list(manifest.documents.items()):
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
        manifest = self._manifest
        docs = manifest.documents.values()
        out = {
            "documents": len(docs),
            "clauses": sum(e.n_clauses for e in docs),
            "vectors": sum(e.n_chunks for e in docs),
            "embedding_model": manifest.embedding_model,
            "dimension": manifest.dimension,
        }
        if verify:
            with self._lock:
                out["chroma_records"] = self._vectors().count() if self._has_chroma() else 0
                out["stored_documents"] = len(self._records.doc_ids())
                out["keyword_rows"] = len(self._keyword_for_search())
        return out

    def term_document_frequencies(self) -> tuple[dict[str, int], int] | None:
        """({term: number of clauses containing it}, number of clauses) from the keyword index,
        whose terms are `ingest.tokenize.tokenize`'s; None when it cannot say (then count yourself)."""
        with self._lock:
            self._maybe_reload()
            if not self._manifest.documents:
                return None
            keyword = self._keyword_for_search()
            df = keyword.document_frequencies()
            return None if df is None else (df, len(keyword))

    def search(self, query: str, k: int = 5, filters: dict | None = None, *, bm25_weight: float | None = None,
               dense_weight: float | None = None, region_neutral: bool = False) -> list[Hit]:
        """The `k` best clauses for `query`, best first, one Hit per clause (an article is one clause; a
        序言 broken by headings may be several, which callers counting articles fold by `Clause.article_key`).

        filters: {"region"|"doc_id"|"kind"|"status"|"doc_type": str | list[str]}; values of one key
        are alternatives, keys combine with AND. A region value that is not an indexed region
        matches the regions containing it (西藏 → 西藏自治区). Hit.scores holds the raw retriever
        scores ('bm25', 'dense' cosine or absent) and their min-max normalised forms. region_neutral: the
        places the question names do not steer it, as when a region filter is set (so an unfiltered
        search can reuse the filtered one's query vector).
        """
        wb = self.bm25_weight if bm25_weight is None else bm25_weight
        wd = self.dense_weight if dense_weight is None else dense_weight
        with self._lock:
            self._maybe_reload()
            if not self._manifest.documents or k <= 0:
                return []
            norm = self._normalise_filters(filters)
            keyword = self._keyword_for_search()
            prepared = self.prepare_query(query, region_filtered=region_neutral or "region" in norm)
            pool = max(POOL, 4 * k)
            mask = self._row_mask(keyword, norm)
            bm25, all_bm25 = self._bm25_candidates(keyword, prepared.terms, mask, pool)
            dense: dict[str, float] = {}
            if wd > 0 and self._manifest.has_vectors:
                dense = self._dense_with_retry(prepared, norm, mask, pool, bm25, all_bm25, keyword)
            fused = fuse(bm25, dense, bm25_weight=wb, dense_weight=wd)
            top = fused[: max(k, RERANK_POOL) if self._reranker else k]
            records = self._records.clauses_by_id([f.clause_id for f in top])
            hits = [_hit(records[f.clause_id], f) for f in top if f.clause_id in records]
            if self._reranker is not None:
                hits = self._rerank(query, hits)
            return hits[:k]

    def sentence_similarities(self, query: str, clauses: list[Clause], *,
                              region_filtered: bool = False) -> dict[str, dict[int, float]]:
        """{clause_id: {n: similarity of the question to the clause's n-th sentence}} (the sentences of
        `chunking.sentence_texts`), with the query vector `search` used for the same arguments (no
        second model call). Empty for a keyword-only index or one built without sentence vectors."""
        with self._lock:
            self._maybe_reload()
            if not clauses or not self._manifest.has_vectors:
                return {}
            keyword = self._keyword_for_search()
            vector = self._query_vector(self.prepare_query(query, region_filtered=region_filtered))
            table = self._vector_table(keyword)
            if table is not None:
                rows = {keyword.row_of[c.clause_id]: c.clause_id for c in clauses if c.clause_id in keyword.row_of}
                return {rows[row]: sims for row, sims in table.sentence_similarities(vector, rows).items()}
            out: dict[str, dict[int, float]] = {}
            counts = {c.clause_id: len(sentence_texts(c)) for c in clauses}
            for clause_id, number, sentence_vector in self._vectors().sentence_vectors(counts):
                out.setdefault(clause_id, {})[number] = float(sentence_vector @ vector)
            return out

    def prepare_query(self, query: str, *, region_filtered: bool = False) -> RetrievalQuery:
        """The keyword terms and dense text `search` uses for `query` (for display and debugging)."""
        regions = {e.region for e in self._manifest.documents.values()} if self.strip_localities else ()
        return prepare(query, regions, region_filtered=region_filtered, expand_dense=self.expand_dense_query)

    def _row_mask(self, keyword: KeywordIndex, norm: dict) -> np.ndarray | None:
        """The keyword rows (clauses) the filters allow; None: all of them."""
        allowed = self._allowed_docs(norm)
        if allowed is None and keyword.fingerprint != self._manifest.fingerprint():
            allowed = set(self._manifest.documents)  # a stale index may still hold removed documents
        return keyword.mask(allowed, set(norm["kind"]) if "kind" in norm else None)

    def _bm25_candidates(self, keyword: KeywordIndex, terms: list[str], mask: np.ndarray | None, pool: int):
        scores = keyword.scores(terms)
        if not len(scores):
            return {}, scores
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        n = min(pool, len(scores))
        rows = np.argpartition(-scores, n - 1)[:n]
        return {keyword.clause_ids[r]: float(scores[r]) for r in rows if scores[r] > 0}, scores

    def _dense_candidates(self, prepared: RetrievalQuery, norm: dict, mask: np.ndarray | None, pool: int,
                          work: dict[str, float], all_bm25: np.ndarray, keyword: KeywordIndex,
                          bm25: dict[str, float]) -> dict[str, float]:
        """Dense scores of the `pool` nearest clauses and of every keyword candidate: a clause's
        similarity blended with its best sentence's (SENTENCE_WEIGHT).

        Up to VECTOR_TABLE_LIMIT chunks the vectors are held in memory and scored exactly
        (`VectorTable`); above it Chroma's nearest chunks give the candidates (`_dense_from_chroma`).
        """
        vector = self._query_vector(prepared)
        table = self._vector_table(keyword)
        if table is not None:
            scores = table.scores(vector)
            if mask is not None:
                scores = np.where(mask, scores, -np.inf)
            n = min(pool, int(np.isfinite(scores).sum()))
            rows = np.argpartition(-scores, n - 1)[:n] if n else []
            dense = {keyword.clause_ids[r]: float(scores[r]) for r in rows}
            for clause_id in work.keys() - dense.keys():
                score = scores[keyword.row_of[clause_id]]
                if np.isfinite(score):
                    dense[clause_id] = float(score)
        else:
            dense = self._dense_from_chroma(vector, norm, pool, work, keyword)
        for clause_id in dense.keys() - work.keys():
            work[clause_id] = float(all_bm25[keyword.row_of[clause_id]]) if len(all_bm25) else 0.0
        bm25.update(work)  # only once the whole dense side succeeded
        return dense

    def _dense_from_chroma(self, vector: np.ndarray, norm: dict, pool: int, work: dict[str, float],
                           keyword: KeywordIndex) -> dict[str, float]:
        """Chroma's nearest chunks give the candidates; a candidate whose clause vector is not among them
        has it fetched by id, and one none of whose sentences is among them gets the similarity of the
        farthest chunk returned (its best sentence is no nearer)."""
        docs = self._manifest.documents
        whole: dict[str, float] = {}
        sentence: dict[str, float] = {}
        n_chunks = min(4 * pool, sum(e.n_chunks for e in docs.values()))
        nearest = self._vectors().query(vector, n_chunks, norm or None)
        for clause_id, sim, is_sentence in nearest:
            row = keyword.row_of.get(clause_id)  # None: a record a crash left behind
            if row is not None and keyword.doc_ids[keyword.doc_idx[row]] in docs:
                into = sentence if is_sentence else whole
                into[clause_id] = max(sim, into.get(clause_id, -1.0))
        missing = [c for c in work if c not in whole
                   and docs[keyword.doc_ids[keyword.doc_idx[keyword.row_of[c]]]].n_chunks]
        for clause_id, vec in self._vectors().clause_vectors(missing):
            whole[clause_id] = max(float(vec @ vector), whole.get(clause_id, -1.0))
        farthest = nearest[-1][1] if len(nearest) == n_chunks else None  # None: every chunk was returned
        dense = {}
        for clause_id, sim in whole.items():
            best = sentence.get(clause_id, farthest)
            dense[clause_id] = sim if best is None else (1 - SENTENCE_WEIGHT) * sim + SENTENCE_WEIGHT * best
        return dense

    def _vector_table(self, keyword: KeywordIndex) -> VectorTable | None:
        """Every chunk vector, read from the vector store once per generation and keyword index; None
        when the index holds more than VECTOR_TABLE_LIMIT chunks."""
        total = sum(e.n_chunks for e in self._manifest.documents.values())
        if not total or total > VECTOR_TABLE_LIMIT:
            return None
        key = (self._manifest.stored_generation, keyword.fingerprint)
        if self._table is not None and self._table.key == key:
            return self._table
        self._table = VectorTable.read(key, self._vectors().all_vectors(), keyword.row_of, len(keyword))
        if len(self._table.whole_rows) and not len(self._table.sentence_rows):
            log.warning("the index at %s has no sentence vectors (built by an earlier version): plain-language "
                        "questions are matched less well until it is rebuilt: python -m ingest add --rebuild "
                        "PATH... --index-dir %s", self.index_dir, self.index_dir)
        return self._table

    def _dense_with_retry(self, prepared, norm, mask, pool, bm25, all_bm25, keyword) -> dict[str, float]:
        """Dense candidates; a Chroma failure (a stale in-memory graph after another process wrote)
        reopens the client once and retries; a second failure is a clear StoreError."""
        try:
            return self._dense_candidates(prepared, norm, mask, pool, dict(bm25), all_bm25, keyword, bm25)
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - chromadb's own error types vary by version and mode
            log.info("vector search failed (%s); reopening the vector store", exc)
            self._vectors().reopen()
            self._table = None
            try:
                return self._dense_candidates(prepared, norm, mask, pool, dict(bm25), all_bm25, keyword, bm25)
            except Exception as again:  # noqa: BLE001
                where = self.chroma_url or self.index_dir / "chroma"
                raise StoreError(f"the vector store at {where} fails ({str(again).splitlines()[0] if str(again) else type(again).__name__}); "
                                 f"repair it: python -m ingest add PATH... --index-dir {self.index_dir} "
                                 "(or --rebuild)") from again

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
        if any(term not in self._term_vectors for term in prepared.dense_terms):
            self._load_term_vectors(int(vector.shape[0]), prepared.dense_terms)
        blended = vector + ALIAS_VECTOR_WEIGHT * np.mean([self._term_vectors[t] for t in prepared.dense_terms], axis=0)
        return blended / (np.linalg.norm(blended) or 1.0)

    def _load_term_vectors(self, dimension: int, terms: Iterable[str] = ()) -> None:
        """Query vectors of the whole alias table (and `terms`) into memory: read from the embedding
        cache, where a sync puts them; what is missing is embedded in one batched call and cached."""
        wanted = sorted(set(terms) | set(alias_terms()))
        embed = lambda texts: emb.embed_queries(self._embeddings, texts)  # noqa: E731
        try:
            vectors, fresh = self._embedding_cache().embed(wanted, embed, dimension, role="query")
        except (sqlite3.Error, OSError) as exc:  # a read-only or damaged cache: embed, keep in memory
            log.info("alias vectors not cached (%s)", exc)
            vectors, fresh = embed(wanted), len(wanted)
        if fresh:
            log.info("embedded %d alias term(s)", fresh)
        self._term_vectors.update(zip(wanted, vectors, strict=True))

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

    def _maybe_reload(self) -> None:
        """Swap in the state another writer committed, between questions, whole or not at all.

        When the new document set's keyword index is not saved yet and a writer is still busy,
        keep serving the current state (it stays consistent: its Chroma client and keyword index
        were read together) and try again at the writer's next commit.
        """
        try:
            generation = self._records.generation()
        except sqlite3.Error as exc:
            raise damaged(self._records.path, exc, self.index_dir) from exc
        if generation == self._manifest.stored_generation or (generation == self._deferred and self._other_writer()):
            return
        with self._lock:
            generation = self._records.generation()
            if generation == self._manifest.stored_generation:
                return
            new = self._load_manifest()
            fingerprint = new.fingerprint()
            keyword = self._keyword if self._keyword is not None and self._keyword.fingerprint == fingerprint else None
            if keyword is None and new.documents:
                keyword = KeywordIndex.load(self.index_dir, fingerprint)
                if keyword is None and self._other_writer() and self._manifest.documents:
                    log.debug("a writer is busy on %s: answering from generation %d until it finishes",
                              self.index_dir, self._manifest.stored_generation)
                    self._deferred = new.stored_generation
                    return
            old_fingerprint = self._manifest.fingerprint()
            self._manifest, self._keyword, self._deferred = new, keyword, None
            if fingerprint != old_fingerprint:
                self._allowed_cache.clear()
            if self._vector_store is not None:
                self._vector_store.reopen()  # its in-memory graph predates the other process's writes

    def _keyword_for_search(self) -> KeywordIndex:
        """The keyword index of the serving manifest: saved, or built (and saved when nobody writes)."""
        with self._lock:
            manifest = self._manifest
            fingerprint = manifest.fingerprint()
            if self._keyword is not None and self._keyword.fingerprint == fingerprint:
                return self._keyword
            keyword = KeywordIndex.load(self.index_dir, fingerprint)
            if keyword is None:
                if self._write_lock.try_acquire():
                    try:
                        keyword = self._build_keyword(manifest)
                        if self._records.generation() == manifest.stored_generation:
                            self._save_keyword(keyword, manifest.stored_generation)
                    finally:
                        self._write_lock.release()
                else:
                    keyword = self._build_keyword(manifest)  # a writer holds the lock: keep it in memory
            self._keyword = keyword
            return keyword

    def _saved_keyword(self, work: Manifest) -> KeywordIndex:
        """Writer side, under the write lock: the keyword index of `work`, built and saved if needed."""
        keyword = KeywordIndex.load(self.index_dir, work.fingerprint())
        if keyword is None:
            keyword = self._build_keyword(work)
            self._save_keyword(keyword, work.stored_generation)
        return keyword

    def _save_keyword(self, keyword: KeywordIndex, generation: int) -> None:
        try:
            keyword.save(self.index_dir, generation)
        except OSError as exc:
            if _is_disk_full(exc):
                raise DiskFullError(f"no space left on the device to save the keyword index of {self.index_dir}; "
                                    "free some space and run the same command again") from exc
            raise

    def _build_keyword(self, manifest: Manifest) -> KeywordIndex:
        started = time.perf_counter()
        rows = ((c.clause_id, c.doc_id, c.kind, c.text) for c in self._records.iter_clauses(list(manifest.documents)))
        keyword = KeywordIndex.build(rows, manifest.fingerprint())
        keyword.generation = manifest.stored_generation
        log.info("keyword index: %d clauses in %.1fs", len(keyword), time.perf_counter() - started)
        return keyword

    def _vectors(self) -> VectorStore:
        """The serving vector store (reopened when the serving state changes)."""
        with self._lock:
            if self._vector_store is None:
                self._vector_store = self._new_vector_store()
            return self._vector_store

    def _writer_vectors(self) -> VectorStore:
        """A vector store for one writer's session: its own client, closed at the end."""
        return self._new_vector_store()

    def _new_vector_store(self) -> VectorStore:
        return VectorStore(self.index_dir, self.chroma_url, collection_name(self._manifest.index_id), self._model_id,
                           fresh=True)

    def _has_chroma(self) -> bool:
        return bool(self.chroma_url) or (self.index_dir / "chroma").exists()

    def _model_dimension(self) -> int:
        if self._dimension is None:
            known = getattr(self._embeddings, "dimension", None)
            self._dimension = int(known) if known else len(emb.embed_query(self._embeddings, "维度"))
        return self._dimension

    def _embedding_cache(self) -> EmbeddingCache:
        if self._cache is None:
            self._cache = EmbeddingCache(self.index_dir / "embeddings.sqlite", self._model_id)
        return self._cache


@dataclass
class VectorTable:
    """The chunk vectors in memory: one matrix, each row's clause (its keyword-index row) and whether it
    is one sentence of the clause or the clause itself (or a piece of a long one)."""

    key: tuple
    matrix: np.ndarray
    whole_rows: np.ndarray  # matrix rows of clause chunks
    whole_clauses: np.ndarray  # their keyword rows
    sentence_rows: np.ndarray
    sentence_clauses: np.ndarray
    sentence_numbers: np.ndarray  # n of each sentence row ("<clause_id>#s<n>")
    n_clauses: int

    @classmethod
    def read(cls, key: tuple, chunks: Iterable[tuple[str, np.ndarray]], row_of: dict[str, int],
             n_clauses: int) -> VectorTable:
        vectors, clauses, numbers = [], [], []
        for chunk_id, vector in chunks:
            row = row_of.get(split_chunk_id(chunk_id)[0])
            if row is not None:  # (not a record a crash left behind)
                vectors.append(vector)
                clauses.append(row)
                number = sentence_number(chunk_id)
                numbers.append(-1 if number is None else number)
        matrix = np.vstack(vectors).astype(np.float32) if vectors else np.zeros((0, 1), np.float32)
        clauses_of, numbers = np.asarray(clauses, np.int64), np.asarray(numbers, np.int64)
        whole, parts = np.flatnonzero(numbers < 0), np.flatnonzero(numbers >= 0)
        return cls(key, matrix, whole, clauses_of[whole], parts, clauses_of[parts], numbers[parts], n_clauses)

    def scores(self, vector: np.ndarray) -> np.ndarray:
        """Per keyword row: the clause's similarity blended with its best sentence's; -inf: no vector."""
        # einsum, not `@`: a BLAS matrix-vector product leaves OpenBLAS threads spinning, which halves
        # the speed of the next e5 call on a 2-core machine (bench/question_encodes.py); this takes ~0.2 ms.
        sims = np.einsum("ij,j->i", self.matrix, vector) if len(self.matrix) else np.zeros(0, np.float32)
        whole = np.full(self.n_clauses, -np.inf, np.float32)
        np.maximum.at(whole, self.whole_clauses, sims[self.whole_rows])
        best = np.full(self.n_clauses, -np.inf, np.float32)
        np.maximum.at(best, self.sentence_clauses, sims[self.sentence_rows])
        blended = (1 - SENTENCE_WEIGHT) * whole + SENTENCE_WEIGHT * best
        return np.where(np.isfinite(best), blended, whole)

    def sentence_similarities(self, vector: np.ndarray, rows: Iterable[int]) -> dict[int, dict[int, float]]:
        """{keyword row: {sentence n: cosine similarity}} for the sentences of these clauses."""
        chosen = np.flatnonzero(np.isin(self.sentence_clauses, np.fromiter(rows, np.int64)))
        if not len(chosen):
            return {}
        sims = np.einsum("ij,j->i", self.matrix[self.sentence_rows[chosen]], vector)
        out: dict[int, dict[int, float]] = {}
        for row, number, sim in zip(self.sentence_clauses[chosen], self.sentence_numbers[chosen], sims, strict=True):
            out.setdefault(int(row), {})[int(number)] = float(sim)
        return out


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
