"""Keyword index: bm25s over `ingest.tokenize.tokenize` (character bigrams), one row per clause.

Derived data: built from the record store for the manifest's documents and saved in a directory
named by the manifest fingerprint, with a pointer file replaced atomically. The pointer records
the fingerprint and generation it was built from and a checksum of every file; when the
fingerprint or version differs from the manifest (e.g. after a crash) or a checksum fails (a
damaged file), the index is rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from array import array
from collections.abc import Iterable
from pathlib import Path

import bm25s
import numpy as np

from ingest.records import KINDS
from ingest.tokenize import STOPWORD_BIGRAMS, query_terms, tokenize

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its own logger to DEBUG on import

KEYWORD_VERSION = 1  # bump when tokenization or row layout changes
POINTER = "keyword.json"
_KIND_CODE = {kind: i for i, kind in enumerate(KINDS)}
BM25_PARAMS: dict = {}  # bm25s.BM25 keyword arguments (k1, b, method); defaults measured best


class KeywordIndex:
    def __init__(self, clause_ids: list[str], doc_ids: list[str], doc_idx: np.ndarray, kind_idx: np.ndarray,
                 retriever: bm25s.BM25 | None, fingerprint: str):
        self.clause_ids = clause_ids
        self.doc_ids = doc_ids  # distinct, indexed by doc_idx
        self.doc_idx = doc_idx
        self.kind_idx = kind_idx
        self.retriever = retriever
        self.fingerprint = fingerprint
        self.generation = 0  # the records.sqlite generation it was built at
        self.row_of = {cid: i for i, cid in enumerate(clause_ids)}

    def __len__(self) -> int:
        return len(self.clause_ids)

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str, str]], fingerprint: str) -> KeywordIndex:
        """rows: (clause_id, doc_id, kind, text) in document order."""
        clause_ids, doc_ids, doc_idx, kind_idx = [], [], [], []
        doc_pos: dict[str, int] = {}
        # Tokens become vocabulary ids as they are read, so the corpus is never held as strings
        # (117k LawRefBook clauses: ~17M bigram str objects, >2 GB; as int32 ids, ~70 MB).
        corpus: list[list[str]] | None = None if _numpy_builder() else []
        vocab: dict[str, int] = {}
        flat, lengths = array("i"), array("i")
        for clause_id, doc_id, kind, text in rows:
            if doc_id not in doc_pos:
                doc_pos[doc_id] = len(doc_ids)
                doc_ids.append(doc_id)
            clause_ids.append(clause_id)
            doc_idx.append(doc_pos[doc_id])
            kind_idx.append(_KIND_CODE[kind])
            tokens = tokenize(text) or [""]
            if corpus is not None:
                corpus.append(tokens)
            else:
                flat.extend([vocab.setdefault(tok, len(vocab)) for tok in tokens])
                lengths.append(len(tokens))
        if not clause_ids:
            retriever = None
        elif corpus is not None:
            retriever = _bm25(corpus)
        else:
            retriever = _bm25_from_ids(flat, lengths, vocab)
        return cls(clause_ids, doc_ids, np.asarray(doc_idx, np.int32), np.asarray(kind_idx, np.int8),
                   retriever, fingerprint)

    def save(self, index_dir: Path, generation: int = 0) -> None:
        target = index_dir / f"keyword-{self.fingerprint}"
        tmp = index_dir / f".keyword-{self.fingerprint}.{os.getpid()}.tmp"
        ptmp = index_dir / f".{POINTER}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            tmp.mkdir(parents=True)
            if self.retriever is not None:
                self.retriever.save(tmp / "bm25", show_progress=False)
            (tmp / "rows.json").write_text(
                json.dumps({"clause_ids": self.clause_ids, "doc_ids": self.doc_ids}), encoding="utf-8")
            np.save(tmp / "doc_idx.npy", self.doc_idx)
            np.save(tmp / "kind_idx.npy", self.kind_idx)
            checksums = _checksums(tmp)
            shutil.rmtree(target, ignore_errors=True)
            os.replace(tmp, target)
            pointer = {"version": KEYWORD_VERSION, "fingerprint": self.fingerprint, "generation": generation,
                       "params": BM25_PARAMS, "dir": target.name, "rows": len(self.clause_ids),
                       "checksums": checksums}
            ptmp.write_text(json.dumps(pointer), encoding="utf-8")
            os.replace(ptmp, index_dir / POINTER)
        finally:  # a failed save (disk full) leaves no temp files behind
            shutil.rmtree(tmp, ignore_errors=True)
            ptmp.unlink(missing_ok=True)
        for old in index_dir.glob("keyword-*"):
            if old.name != target.name:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, index_dir: Path, fingerprint: str | None) -> KeywordIndex | None:
        """The saved index if it matches `fingerprint` (None: whatever is saved), this version and
        its checksums; None otherwise (the caller rebuilds it)."""
        try:
            pointer = json.loads((index_dir / POINTER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (pointer.get("version"), pointer.get("params", {})) != (KEYWORD_VERSION, BM25_PARAMS):
            return None
        if fingerprint is not None and pointer.get("fingerprint") != fingerprint:
            return None
        fingerprint = pointer.get("fingerprint")
        folder = index_dir / str(pointer.get("dir", ""))
        try:
            if not pointer.get("checksums") or _checksums(folder) != pointer["checksums"]:
                log.warning("keyword index in %s fails its checksum; rebuilding it", folder)
                return None
            rows = json.loads((folder / "rows.json").read_text(encoding="utf-8"))
            retriever = None
            if rows["clause_ids"]:
                retriever = bm25s.BM25.load(folder / "bm25", show_progress=False)
            index = cls(rows["clause_ids"], rows["doc_ids"], np.load(folder / "doc_idx.npy"),
                        np.load(folder / "kind_idx.npy"), retriever, fingerprint)
            index.generation = int(pointer.get("generation", 0))
            return index
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("keyword index in %s unreadable (%s); rebuilding", folder, exc)
            return None

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every row for the query terms (unknown terms ignored)."""
        if self.retriever is None:
            return np.zeros(0, np.float32)
        ids = self.retriever.get_tokens_ids(terms)
        if not ids:
            return np.zeros(len(self.clause_ids), np.float32)
        return self.retriever.get_scores(ids)

    def document_frequencies(self) -> dict[str, int] | None:
        """How many rows contain each term (the matrix's column counts), or None for variants
        whose score matrix may not hold every occurrence (only lucene's is known to)."""
        if self.retriever is None or not _numpy_builder():
            return None
        counts = np.diff(self.retriever.scores["indptr"])
        return {t: int(counts[i]) for t, i in self.retriever.vocab_dict.items()
                if t and i < len(counts) and counts[i]}

    def mask(self, allowed_docs: set[str] | None, kinds: set[str] | None) -> np.ndarray | None:
        """Rows allowed by a document set and a kind set (None = no restriction)."""
        mask = None
        if allowed_docs is not None:
            doc_ok = np.fromiter((d in allowed_docs for d in self.doc_ids), bool, len(self.doc_ids))
            mask = doc_ok[self.doc_idx]
        if kinds is not None:
            kind_ok = np.zeros(len(KINDS), bool)
            for kind in kinds:
                if kind in _KIND_CODE:
                    kind_ok[_KIND_CODE[kind]] = True
            kind_mask = kind_ok[self.kind_idx]
            mask = kind_mask if mask is None else mask & kind_mask
        return mask


def _checksums(folder: Path) -> dict[str, str]:
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h = hashlib.blake2b(digest_size=16)
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        out[path.relative_to(folder).as_posix()] = h.hexdigest()
    return out


def _numpy_builder() -> bool:
    """True when the BM25 variant is lucene, which `_bm25_from_ids` reproduces exactly."""
    probe = bm25s.BM25(**BM25_PARAMS)
    return probe.method == "lucene" and probe.idf_method in (None, "lucene")


def _bm25(corpus: list[list[str]]) -> bm25s.BM25:
    """A bm25s index of `corpus`, built with numpy instead of bm25s's per-document Python loops.

    Same matrix as `BM25.index` for the lucene variant (checked in the tests), ~4x faster on
    the 117k clauses of LawRefBook; other variants go through bm25s itself.
    """
    if not _numpy_builder():
        retriever = bm25s.BM25(**BM25_PARAMS)
        retriever.index(corpus, show_progress=False)
        return retriever
    vocab: dict[str, int] = {}
    flat = array("i", [vocab.setdefault(tok, len(vocab)) for doc in corpus for tok in doc])
    return _bm25_from_ids(flat, array("i", [len(doc) for doc in corpus]), vocab)


def _bm25_from_ids(flat: array, lengths: array, vocab: dict[str, int]) -> bm25s.BM25:
    """The lucene BM25 matrix from token ids (`flat`, document after document) and document lengths.

    Written for peak memory: temporaries are int32/float32 where the values allow and are freed
    as soon as they are used (the whole LawRefBook corpus builds in well under 1 GB).
    """
    retriever = bm25s.BM25(**BM25_PARAMS)
    lengths_np = np.frombuffer(lengths, dtype=np.int32)
    n_docs, n_vocab = len(lengths_np), len(vocab)
    key = np.repeat(np.arange(n_docs, dtype=np.int64), lengths_np)
    key *= n_vocab
    key += np.frombuffer(flat, dtype=np.int32)
    pairs, tf = np.unique(key, return_counts=True)
    del key
    doc, term = np.divmod(pairs, n_vocab)
    del pairs
    doc, term = doc.astype(np.int32), term.astype(np.int32)
    df = np.bincount(term, minlength=n_vocab)
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
    k1, b = retriever.k1, retriever.b
    norm = k1 * ((1 - b) + b * (lengths_np / lengths_np.mean()))
    scores = idf[term] * (tf / (norm[doc] + tf))
    del tf
    order = np.argsort(term, kind="stable")
    del term
    indptr = np.concatenate(([0], np.cumsum(df)))
    retriever.scores = {"data": scores[order].astype(retriever.dtype), "indices": doc[order].astype(retriever.int_dtype),
                        "indptr": indptr.astype(np.int64), "num_docs": n_docs}
    retriever.nonoccurrence_array = None
    vocab.setdefault("", n_vocab)  # as BM25.index(create_empty_token=True) does
    retriever.vocab_dict = vocab
    retriever.unique_token_ids_set = set(vocab.values())
    return retriever


def keyword_terms(query: str, extra_phrases: Iterable[str] = ()) -> list[str]:
    """Distinct query terms: the question's content bigrams plus those of alias expansions."""
    terms = list(dict.fromkeys(query_terms(query)))
    for phrase in extra_phrases:
        for term in tokenize(phrase):
            if term not in STOPWORD_BIGRAMS and term not in terms:
                terms.append(term)
    return terms
