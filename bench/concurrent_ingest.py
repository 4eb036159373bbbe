"""Must-show of issue #15: two concurrent `ingest add` of 150 + 150 LawRefBook files on one index
(after the two seed decisions) give the same 302-document index as one clean sequential build.

    PYTHONPATH=. python bench/concurrent_ingest.py [--work DIR] [--n 150] [--stagger 0]

Files are read in place from ../shared/corpora/lawrefbook (the first 2*n .md files in sorted
order). "Identical" = same document ids, counts (documents, clauses, vectors, Chroma records,
keyword rows) and the same top 5 clauses and cited articles for 8 fixed questions. Writes
bench/results/concurrent_ingest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAWREFBOOK = ROOT.parent / "shared" / "corpora" / "lawrefbook"
QUESTIONS = [
    "公安机关需配合哪些事项", "检察建议应当在多长时间内回复", "检察机关如何开展公益诉讼", "人民法院审判委员会会议检察长列席",
    "未成年人检察工作", "行政执法与刑事司法衔接", "监察机关与检察机关的衔接", "本决定自何时起施行",
]


def ingest(index_dir: Path, paths: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANONYMIZED_TELEMETRY": "False"}
    return subprocess.Popen([sys.executable, "-m", "ingest", "add", "--index-dir", str(index_dir), *paths],
                            cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT, text=True)


def finish(procs: list[subprocess.Popen]) -> list[int]:
    return [p.wait() for p in procs]


def snapshot(index_dir: Path) -> dict:
    from store import ClauseIndex

    with ClauseIndex.open(index_dir, embedding_model=None, create=False) as idx:
        stats = idx.stats(verify=True)
        top = {}
        for q in QUESTIONS:
            hits = idx.search(q, k=5)
            top[q] = [(h.clause.clause_id, h.clause.doc_title, h.clause.label) for h in hits]
        return {"doc_ids": sorted(e.document.doc_id for e in idx.documents()),
                "counts": {k: stats[k] for k in ("documents", "clauses", "vectors", "chroma_records",
                                                  "stored_documents", "keyword_rows")},
                "top5": top}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--n", type=int, default=150)
    ap.add_argument("--stagger", type=float, default=0.0, help="seconds between the two concurrent adds")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="concurrent-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    files = sorted(str(p) for p in LAWREFBOOK.rglob("*.md") if p.is_file())[: 2 * args.n]
    half_a, half_b = files[: args.n], files[args.n :]
    seeds = [str(ROOT / "corpus")]
    out: dict = {"n_files": len(files), "stagger_s": args.stagger}

    concurrent, clean = work / "concurrent", work / "clean"
    for d in (concurrent, clean):
        shutil.rmtree(d, ignore_errors=True)
    assert finish([ingest(concurrent, seeds, work / "seeds-a.log")]) == [0]
    assert finish([ingest(clean, seeds, work / "seeds-b.log")]) == [0]

    started = time.perf_counter()
    a = ingest(concurrent, half_a, work / "add-a.log")
    time.sleep(args.stagger)
    b = ingest(concurrent, half_b, work / "add-b.log")
    out["concurrent_rc"] = finish([a, b])
    out["concurrent_s"] = round(time.perf_counter() - started, 1)
    out["concurrent_summaries"] = [(work / f"add-{x}.log").read_text().strip().splitlines()[-2:] for x in "ab"]

    started = time.perf_counter()
    out["clean_rc"] = finish([ingest(clean, half_a + half_b, work / "add-clean.log")])
    out["clean_s"] = round(time.perf_counter() - started, 1)

    got, want = snapshot(concurrent), snapshot(clean)
    out["concurrent"] = got["counts"]
    out["clean"] = want["counts"]
    out["same_documents"] = got["doc_ids"] == want["doc_ids"]
    out["same_counts"] = got["counts"] == want["counts"]
    out["same_top5"] = got["top5"] == want["top5"]
    out["identical"] = out["same_documents"] and out["same_counts"] and out["same_top5"]
    rerun = subprocess.run([sys.executable, "-m", "ingest", "add", "--index-dir", str(concurrent), *half_a, *half_b],
                           cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    out["rerun_summary"] = rerun.stdout.strip().splitlines()[:1]
    (ROOT / "bench" / "results" / "concurrent_ingest.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps({k: v for k, v in out.items()}, ensure_ascii=False, indent=1))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    ok_rc = all(rc in (0, 1) for rc in out["concurrent_rc"])  # 1: corpus files the parser rejects, reported
    return 0 if out["identical"] and ok_rc else 1


if __name__ == "__main__":
    sys.exit(main())
