"""Benchmarks at three scales, ours beside the LangChain textbook peer (a command, not a timed test).

    .venv/bin/python bench/run_benchmarks.py                          # seeds + decisions (minutes)
    .venv/bin/python bench/run_benchmarks.py --scales whole --reuse   # reuse /tmp/jueding-bench/whole
    .venv/bin/python bench/run_benchmarks.py --scales seeds,decisions,whole --summary bench/results/latest.json

Scales: seeds = corpus/ (the two bundled decisions); decisions = every 决定/决议 file of LawRefBook
(by title) + the seeds; whole = all of LawRefBook + the seeds. Indexes live in --work (default
/tmp/jueding-bench/<scale>/index, never in the repo); --reuse keeps an existing one and reports the
build figures recorded when it was built (marked "reused").

Every phase runs in its own process so that its peak RSS (ru_maxrss from wait4, or VmHWM of the
app) is its own:
  parse      parse every file (docs/s, clauses/s)
  ingest     `python -m ingest add PATHS --index-dir DIR --dense auto` from an empty index
  reingest   the same command again (nothing changed)
  query      Assistant.open; warm retrieval p50/p95 and extractive answer p50/p95 over the seed
             question sets (query-vector cache cleared before every call, so each query is embedded);
             Recall@5 / MRR per question set in three readings: `filtered` (Assistant.retrieve:
             region filters from the question), `unfiltered` (same, the region filter dropped),
             `plain` (ClauseIndex.search of the standalone question: no filter, no metadata step),
             `decisions_filter` (filtered + doc_type 决定/决议), `seed_regions` (a 限定地区 of the two
             seed regions, as a user who has picked those decisions sets it); plus `bm25_only`
             (filtered, dense weight 0)
  app        `python app.py --index-dir DIR --port P` until HTTP 200 on / (best of --app-runs)
  peer       bench/peer_langchain.py over the same files (its own process and RSS)
Optional: --resume-check (kill -9 an ingest of the scale after --kill-after s, rerun, compare).

Writes --out/results.json (default bench/out/<timestamp>/) and summary.md; --summary PATH also
copies the JSON there (e.g. bench/results/latest.json, committed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAWREFBOOK = ROOT.parent / "shared" / "corpora" / "lawrefbook"
SEEDS = ROOT / "corpus"
QUESTION_SETS = [ROOT / "eval" / "seeds_test.jsonl", ROOT / "eval" / "seeds_dev.jsonl"]
SCALES = ("seeds", "decisions", "whole")
PEER_DENSE = {"seeds": "all", "decisions": "all", "whole": "decisions"}

TARGETS = {  # (figure path, limit, applies to scales)
    "parse_docs_per_s": (">=", 200, ("whole",)),
    "reingest_s": ("<=", 5.0, ("whole",)),
    "retrieval_p95_ms": ("<=", 20.0, ("seeds",)),
    "retrieval_p95_ms@whole": ("<=", 50.0, ("whole",)),
    "answer_p95_ms": ("<=", 150.0, ("whole",)),
    "cold_start_s": ("<=", 5.0, ("seeds", "decisions", "whole")),
    "peak_rss_mb": ("<=", 1536, ("seeds", "decisions", "whole")),
    "ingest_s": ("<=", 3600, ("whole",)),
    "recall@5_filtered": (">=", 0.95, ("seeds", "decisions", "whole")),
    "recall@5_unfiltered": (">=", 0.95, ("seeds", "decisions", "whole")),
    "recall@5_decisions_filter": (">=", 0.95, ("decisions", "whole")),
    "recall@5_seed_regions": (">=", 0.95, ("decisions", "whole")),
}
SEED_REGIONS = ["西藏自治区", "呼和浩特市"]


# --------------------------------------------------------------------------- helpers


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def lat(values: list[float]) -> dict:
    return {"p50": round(statistics.median(values), 2), "p95": round(percentile(values, 0.95), 2),
            "max": round(max(values), 2), "n": len(values)}


def machine() -> dict:
    info = {"cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)), "cpu": platform.machine(),
            "python": platform.python_version(), "platform": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        info["git_commit"] = commit.stdout.strip()
    except OSError:
        pass
    return info


def loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def child_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUEDING_LLM", "OPENAI_")) and k not in ("JUEDING_INDEX_DIR", "JUEDING_DATA_DIR")}
    env["JUEDING_ANSWER_MODE"] = "extractive"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("TQDM_DISABLE", "1")
    return env


def run_measured(cmd: list[str], log: Path, timeout: float | None = None) -> dict:
    """Run `cmd`; wall seconds, exit code, peak RSS (MB, from wait4) and its stdout/stderr."""
    with open(log.with_suffix(".out"), "w") as out, open(log.with_suffix(".err"), "w") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(), stdout=out, stderr=err, start_new_session=True)
        deadline = None if timeout is None else started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline and time.perf_counter() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": round(seconds, 2), "rc": proc.returncode, "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "stdout": log.with_suffix(".out").read_text(), "stderr": log.with_suffix(".err").read_text()}


def dir_size(path: Path) -> dict:
    parts: dict[str, int] = {}
    for entry in path.iterdir():
        if entry.is_dir():
            size = sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())
        else:
            size = entry.stat().st_size
        key = re.sub(r"-[0-9a-f]{8,}$", "-*", entry.name)
        parts[key] = parts.get(key, 0) + size
    total = sum(parts.values())
    return {"total_mb": round(total / 1e6, 1), "parts_mb": {k: round(v / 1e6, 2) for k, v in sorted(parts.items())}}


def scale_paths(scale: str) -> list[str]:
    if scale == "seeds":
        return [str(SEEDS)]
    if scale == "whole":
        return [str(SEEDS), str(LAWREFBOOK)]
    from ingest import discover_files
    from ingest.metadata import doc_type_of

    files, _ = discover_files([LAWREFBOOK])
    chosen = [p for p in files if doc_type_of(re.sub(r"\(\d{4}-\d{2}-\d{2}\)$", "", p.stem).strip()) in ("决定", "决议")]
    return [str(SEEDS)] + [str(p) for p in chosen]


# --------------------------------------------------------------------------- phases (child processes)


def phase_parse(paths: list[str]) -> dict:
    from ingest import discover_files, parse_file
    from ingest.errors import IngestError

    files, rejected = discover_files(paths)
    started = time.perf_counter()
    n_docs = n_clauses = n_bytes = errors = 0
    for path in files:
        try:
            parsed = parse_file(path)
        except IngestError:
            errors += 1
            continue
        n_docs += 1
        n_clauses += len(parsed.clauses)
        n_bytes += path.stat().st_size
    seconds = time.perf_counter() - started
    return {"files": len(files), "documents": n_docs, "clauses": n_clauses, "rejected": errors + len(rejected),
            "mb": round(n_bytes / 1e6, 1), "seconds": round(seconds, 2), "docs_per_s": round(n_docs / seconds, 1),
            "clauses_per_s": round(n_clauses / seconds)}


def phase_query(index_dir: str, rounds: int) -> dict:
    from dataclasses import replace

    from assistant import Assistant
    from assistant.metrics import Unit, load_questions, recall_at, reciprocal_rank

    out: dict = {}
    t = time.perf_counter()
    a = Assistant.open(index_dir=index_dir, build_if_missing=False)
    out["open_s"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    a.retrieve("检察机关法律监督", k=5)
    out["first_retrieve_s"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    a.ask("公安机关需配合哪些事项", mode="extractive")
    out["first_answer_s"] = round(time.perf_counter() - t, 3)
    out["index"] = a.index.stats()

    sets = {path.name: load_questions([path]) for path in QUESTION_SETS}
    every = [q for qs in sets.values() for q in qs]

    from assistant.evaluate import ask_kwargs as kw

    def retrieve(plan, filters) -> list:
        return a._retrieve(plan, a.scope(plan, filters), 5)[:5]

    def readings(q) -> dict[str, list]:
        plan = a.plan(q.question, [tuple(h) for h in q.history])
        return {
            "filtered": retrieve(plan, q.filters),
            "unfiltered": retrieve(replace(plan, regions=()), None),
            "plain": a.index.search(plan.query, k=5),
            "decisions_filter": retrieve(plan, {**(q.filters or {}), "doc_type": ["决定", "决议"]}),
            "seed_regions": retrieve(plan, q.filters or {"region": SEED_REGIONS}),
        }

    recall: dict = {}
    for name, questions in sets.items():
        rows: dict[str, list] = {}
        misses: dict[str, list] = {}
        for q in questions:
            if not q.gold:
                continue
            for reading, hits in readings(q).items():
                units = [Unit.of(h) for h in hits]
                r = recall_at(q.gold, units, 5)
                rows.setdefault(reading, []).append((r, reciprocal_rank(q.gold, units)))
                if r < 1:
                    misses.setdefault(reading, []).append(q.id)
        recall[name] = {reading: {"recall@5": round(sum(r for r, _ in v) / len(v), 4),
                                  "mrr": round(sum(m for _, m in v) / len(v), 4), "n": len(v),
                                  "misses": misses.get(reading, [])} for reading, v in rows.items()}
    # keyword-only retrieval quality (what a fully keyword-only index would give)
    dense_settings = a.settings
    a.settings = replace(dense_settings, dense_weight=0.0)
    for name, questions in sets.items():
        vals = []
        for q in questions:
            if q.gold:
                plan = a.plan(q.question, [tuple(h) for h in q.history])
                vals.append(recall_at(q.gold, [Unit.of(h) for h in a._retrieve(plan, 5, q.filters)], 5))
        recall[name]["bm25_only"] = {"recall@5": round(sum(vals) / len(vals), 4), "n": len(vals)}
    a.settings = dense_settings
    out["recall"] = recall

    for q in every:  # warm-up pass (page cache, lazy structures)
        a.retrieve(q.question, k=5, **kw(q))
    times = []
    for _ in range(rounds):
        for q in every:
            a.index.clear_query_cache()
            t = time.perf_counter()
            a.retrieve(q.question, k=5, **kw(q))
            times.append((time.perf_counter() - t) * 1000)
    out["retrieval_ms"] = lat(times)
    times = []
    for q in every:
        a.index.clear_query_cache()
        t = time.perf_counter()
        a.ask(q.question, mode="extractive", **kw(q))
        times.append((time.perf_counter() - t) * 1000)
    out["answer_ms"] = lat(times)
    a.close()
    import resource

    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


# --------------------------------------------------------------------------- phases (driver side)


def ingest_cmd(paths: list[str], index_dir: Path, dense: str) -> list[str]:
    return [sys.executable, "-m", "ingest", "add", *paths, "--index-dir", str(index_dir), "--dense", dense]


def parse_ingest_output(text: str) -> dict:
    out = {}
    m = re.search(r"(\d+) file\(s\): (\d+) added, (\d+) replaced, (\d+) unchanged, (\d+) rejected; "
                  r"(\d+) text\(s\) embedded, (\d+) from cache", text)
    if m:
        keys = ("files", "added", "replaced", "unchanged", "rejected", "embedded", "cached")
        out.update(dict(zip(keys, map(int, m.groups()), strict=True)))
    m = re.search(r"(\d+) documents, (\d+) clauses, (\d+) vectors", text)
    if m:
        out.update(dict(zip(("documents", "clauses", "vectors"), map(int, m.groups()), strict=True)))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def app_cold_start(index_dir: Path, log: Path, timeout: float = 60.0) -> dict:
    port = free_port()
    cmd = [sys.executable, "app.py", "--index-dir", str(index_dir), "--port", str(port)]
    with open(log, "w") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(), stdout=err, stderr=subprocess.STDOUT,
                                start_new_session=True)
        ready = None
        try:
            while time.perf_counter() - started < timeout and proc.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                        if r.status == 200:
                            ready = time.perf_counter() - started
                            break
                except OSError:
                    time.sleep(0.05)
            warmed = None
            while ready is not None and time.perf_counter() - started < timeout and proc.poll() is None:
                if "retrieval warmed up" in log.read_text() or "warm-up failed" in log.read_text():
                    warmed = time.perf_counter() - started
                    break
                time.sleep(0.1)
            rss = vm_hwm_mb(proc.pid)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
    return {"ready_s": None if ready is None else round(ready, 2),
            "warmed_s": None if warmed is None else round(warmed, 2), "peak_rss_mb": rss}


def resume_check(paths: list[str], work: Path, dense: str, kill_after: float, reference: dict | None) -> dict:
    index_dir = work / "resume-index"
    shutil.rmtree(index_dir, ignore_errors=True)
    log = work / "resume-first"
    with open(log.with_suffix(".err"), "w") as err:
        proc = subprocess.Popen(ingest_cmd(paths, index_dir, dense), cwd=ROOT, env=child_env(),
                                stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        time.sleep(kill_after)
        finished_before_kill = proc.poll() is not None
        if not finished_before_kill:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    try:
        db = sqlite3.connect(index_dir / "records.sqlite")
        try:
            docs_at_kill = db.execute("SELECT count(*) FROM entries").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        docs_at_kill = 0
    rerun = run_measured(ingest_cmd(paths, index_dir, dense), work / "resume-rerun")
    figures = parse_ingest_output(rerun["stdout"])
    out = {"killed_after_s": kill_after, "finished_before_kill": finished_before_kill,
           "documents_at_kill": docs_at_kill, "rerun_s": rerun["seconds"], "rerun_rc": rerun["rc"],
           "rerun_added": figures.get("added"), "rerun_unchanged": figures.get("unchanged"),
           "rerun_embedded": figures.get("embedded"), "rerun_cached": figures.get("cached"),
           "final": {k: figures.get(k) for k in ("documents", "clauses", "vectors")}}
    if reference:
        out["matches_clean_build"] = all(out["final"][k] == reference.get(k) for k in ("documents", "clauses", "vectors"))
    shutil.rmtree(index_dir, ignore_errors=True)
    return out


def run_scale(scale: str, args, out_dir: Path) -> dict:
    work = args.work / scale
    work.mkdir(parents=True, exist_ok=True)
    index_dir = work / "index"
    logs = out_dir / "logs" / scale
    logs.mkdir(parents=True, exist_ok=True)
    paths = scale_paths(scale)
    paths_file = work / "paths.txt"
    paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    me = [sys.executable, str(Path(__file__).resolve())]
    result: dict = {"scale": scale, "paths": len(paths), "index_dir": str(index_dir), "load_start": loadavg()}

    def say(msg: str) -> None:
        print(f"[{scale}] {msg}", file=sys.stderr, flush=True)

    if "parse" in args.phases:
        say("parse")
        r = run_measured(me + ["_phase", "parse", "--paths-file", str(paths_file)], logs / "parse")
        result["parse"] = {**json.loads(r["stdout"]), "peak_rss_mb": r["peak_rss_mb"]}

    build_record = work / "ingest.json"
    if "ingest" in args.phases:
        if args.reuse and (index_dir / "records.sqlite").exists() and build_record.exists():
            say("ingest: reusing the existing index")
            result["ingest"] = {**json.loads(build_record.read_text()), "reused": True}
        else:
            say(f"ingest (--dense {args.dense})")
            shutil.rmtree(index_dir, ignore_errors=True)
            r = run_measured(ingest_cmd(paths, index_dir, args.dense), logs / "ingest")
            if r["rc"] != 0 and r["rc"] != 1:  # 1 = some files rejected, the rest indexed
                raise SystemExit(f"ingest failed ({r['rc']}): {r['stderr'][-2000:]}")
            figures = parse_ingest_output(r["stdout"])
            rec = {"seconds": r["seconds"], "rc": r["rc"], "peak_rss_mb": r["peak_rss_mb"], "dense": args.dense,
                   **figures, "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   "load_during": loadavg()}
            if figures.get("documents"):
                rec["docs_per_s"] = round(figures["added"] / r["seconds"], 1)
                rec["clauses_per_s"] = round(figures["clauses"] / r["seconds"], 1)
            build_record.write_text(json.dumps(rec, indent=2))
            result["ingest"] = rec
    if "reingest" in args.phases:
        say("re-ingest (unchanged)")
        runs = []
        for i in range(args.reingest_runs):
            r = run_measured(ingest_cmd(paths, index_dir, args.dense), logs / f"reingest{i}")
            runs.append({"seconds": r["seconds"], "peak_rss_mb": r["peak_rss_mb"], **parse_ingest_output(r["stdout"])})
        best = min(runs, key=lambda x: x["seconds"])
        result["reingest"] = {**best, "runs_s": [x["seconds"] for x in runs]}
    if "query" in args.phases:
        say("query: recall, retrieval and answer latency")
        r = run_measured(me + ["_phase", "query", "--index-dir", str(index_dir), "--rounds", str(args.rounds)],
                         logs / "query")
        if r["rc"] != 0:
            raise SystemExit(f"query phase failed: {r['stderr'][-3000:]}")
        result["query"] = {**json.loads(r["stdout"]), "peak_rss_mb": r["peak_rss_mb"]}
    if "app" in args.phases:
        say("app cold start")
        runs = [app_cold_start(index_dir, logs / f"app{i}.log") for i in range(args.app_runs)]
        ok = [x for x in runs if x["ready_s"] is not None]
        result["app"] = {"ready_s": min((x["ready_s"] for x in ok), default=None),
                         "runs": runs, "peak_rss_mb": max((x["peak_rss_mb"] or 0 for x in runs), default=None)}
    if index_dir.exists():
        result["index_size"] = dir_size(index_dir)
    if "peer" in args.phases:
        dense = args.peer_dense or PEER_DENSE[scale]
        say(f"peer (LangChain textbook recipe, dense={dense})")
        r = run_measured([sys.executable, str(ROOT / "bench" / "peer_langchain.py"), "--paths-file", str(paths_file),
                          "--dense", dense, "--rounds", str(args.rounds), "--cache", str(args.work / "peer-embeddings.sqlite"),
                          "--json", str(logs / "peer.json")], logs / "peer")
        if r["rc"] != 0:
            raise SystemExit(f"peer failed: {r['stderr'][-3000:]}")
        result["peer"] = {**json.loads(r["stdout"]), "seconds": r["seconds"], "peak_rss_mb": r["peak_rss_mb"]}
    if args.resume_check and scale in args.resume_check:
        say(f"resume check: kill -9 after {args.kill_after:.0f}s, rerun")
        result["resume"] = resume_check(paths, work, args.dense, args.kill_after, result.get("ingest"))
    result["load_end"] = loadavg()
    return result


# --------------------------------------------------------------------------- summary


def figures_of(r: dict) -> dict:
    """The flat figures of one scale (ours and the peer's)."""
    f: dict = {}
    if "parse" in r:
        f["parse_docs_per_s"] = r["parse"]["docs_per_s"]
        f["parse_clauses_per_s"] = r["parse"]["clauses_per_s"]
    if "ingest" in r:
        f["ingest_s"] = r["ingest"]["seconds"]
        f["ingest_docs_per_s"] = r["ingest"].get("docs_per_s")
        f["ingest_vectors"] = r["ingest"].get("vectors")
        f["documents"] = r["ingest"].get("documents")
        f["clauses"] = r["ingest"].get("clauses")
    if "reingest" in r:
        f["reingest_s"] = r["reingest"]["seconds"]
    if "query" in r:
        q = r["query"]
        f["retrieval_p50_ms"], f["retrieval_p95_ms"] = q["retrieval_ms"]["p50"], q["retrieval_ms"]["p95"]
        f["answer_p50_ms"], f["answer_p95_ms"] = q["answer_ms"]["p50"], q["answer_ms"]["p95"]
        f["first_answer_s"] = q["first_answer_s"]
        for name, readings in q["recall"].items():
            tag = "test" if "test" in name else "dev"
            for reading, v in readings.items():
                f[f"recall@5_{reading}_{tag}"] = v["recall@5"]
        for reading in ("filtered", "unfiltered", "decisions_filter", "seed_regions"):
            if f"recall@5_{reading}_test" in f:
                f[f"recall@5_{reading}"] = min(f[f"recall@5_{reading}_test"], f[f"recall@5_{reading}_dev"])
    if r.get("app", {}).get("ready_s") is not None:
        f["cold_start_s"] = r["app"]["ready_s"]
    if "index_size" in r:
        f["index_mb"] = r["index_size"]["total_mb"]
    rss = [r[p]["peak_rss_mb"] for p in ("parse", "ingest", "reingest", "query", "app") if r.get(p, {}).get("peak_rss_mb")]
    if rss:
        f["peak_rss_mb"] = max(rss)
    if "peer" in r:
        p = r["peer"]
        f["peer_build_s"] = p["build"]["build_s"]
        f["peer_chunks"] = p["build"]["chunks"]
        f["peer_dense_chunks"] = p["build"]["dense_chunks"]
        f["peer_retrieval_p50_ms"], f["peer_retrieval_p95_ms"] = p["latency_ms"]["p50"], p["latency_ms"]["p95"]
        f["peer_peak_rss_mb"] = p["peak_rss_mb"]
        for name, v in p["sets"].items():
            tag = "test" if "test" in name else "dev"
            f[f"peer_recall@5_{tag}"] = v["recall@5"]
            f[f"peer_recall@5_generous_{tag}"] = v["recall@5_generous"]
        if "retrieval_p95_ms" in f:
            f["peer_over_ours_p50"] = round(f["peer_retrieval_p50_ms"] / f["retrieval_p50_ms"], 2)
            f["peer_over_ours_p95"] = round(f["peer_retrieval_p95_ms"] / f["retrieval_p95_ms"], 2)
        if "recall@5_unfiltered_test" in f and f["peer_recall@5_test"]:
            f["ours_over_peer_recall_test"] = round(f["recall@5_unfiltered_test"] / f["peer_recall@5_test"], 2)
    return f


def check_targets(scale: str, f: dict) -> list[dict]:
    out = []
    for name, (op, limit, scales) in TARGETS.items():
        if scale not in scales:
            continue
        key = name.split("@whole")[0]
        if key not in f or f[key] is None:
            continue
        value = f[key]
        ok = value >= limit if op == ">=" else value <= limit
        out.append({"target": f"{key} {op} {limit}", "value": value, "met": ok})
    return out


READINGS = ("filtered", "unfiltered", "plain", "bm25_only", "decisions_filter", "seed_regions")

ROWS = [
    ("documents / clauses", lambda f: f"{f.get('documents')} / {f.get('clauses')}"),
    ("parse docs/s · clauses/s", lambda f: f"{f.get('parse_docs_per_s')} · {f.get('parse_clauses_per_s')}"),
    ("ingest from empty (s) · vectors", lambda f: f"{f.get('ingest_s')} · {f.get('ingest_vectors')}"),
    ("re-ingest unchanged (s)", lambda f: f.get("reingest_s")),
    ("retrieval p50 / p95 (ms)", lambda f: f"{f.get('retrieval_p50_ms')} / {f.get('retrieval_p95_ms')}"),
    ("answer p50 / p95 (ms)", lambda f: f"{f.get('answer_p50_ms')} / {f.get('answer_p95_ms')}"),
    ("first answer after open (s)", lambda f: f.get("first_answer_s")),
    ("app cold start (s)", lambda f: f.get("cold_start_s")),
    ("index on disk (MB)", lambda f: f.get("index_mb")),
    ("peak RSS, max over phases (MB)", lambda f: f.get("peak_rss_mb")),
    ("Recall@5 test: filtered / unfiltered / plain / bm25-only / decisions filter / seed regions",
     lambda f: " / ".join(str(f.get(f"recall@5_{r}_test")) for r in READINGS)),
    ("Recall@5 dev: filtered / unfiltered / plain / bm25-only / decisions filter / seed regions",
     lambda f: " / ".join(str(f.get(f"recall@5_{r}_dev")) for r in READINGS)),
    ("peer: chunks (dense) · build (s)", lambda f: f"{f.get('peer_chunks')} ({f.get('peer_dense_chunks')}) · {f.get('peer_build_s')}"),
    ("peer: retrieval p50 / p95 (ms)", lambda f: f"{f.get('peer_retrieval_p50_ms')} / {f.get('peer_retrieval_p95_ms')}"),
    ("peer ÷ ours latency p50 / p95", lambda f: f"{f.get('peer_over_ours_p50')} / {f.get('peer_over_ours_p95')}"),
    ("peer: Recall@5 test strict / generous", lambda f: f"{f.get('peer_recall@5_test')} / {f.get('peer_recall@5_generous_test')}"),
    ("peer: Recall@5 dev strict / generous", lambda f: f"{f.get('peer_recall@5_dev')} / {f.get('peer_recall@5_generous_dev')}"),
    ("peer: peak RSS (MB)", lambda f: f.get("peer_peak_rss_mb")),
]


def markdown(results: dict) -> str:
    scales = [s for s in SCALES if s in results["scales"]]
    figs = {s: results["scales"][s]["figures"] for s in scales}
    lines = ["| figure | " + " | ".join(scales) + " |", "|---|" + "---|" * len(scales)]
    for label, fn in ROWS:
        lines.append(f"| {label} | " + " | ".join(str(fn(figs[s])) for s in scales) + " |")
    lines.append("")
    lines.append("| scale | target | value | met |")
    lines.append("|---|---|---|---|")
    for s in scales:
        for t in results["scales"][s]["targets"]:
            lines.append(f"| {s} | {t['target']} | {t['value']} | {'yes' if t['met'] else '**no**'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_phase"]:
        p = argparse.ArgumentParser()
        p.add_argument("_", nargs=1)
        p.add_argument("phase")
        p.add_argument("--paths-file", type=Path)
        p.add_argument("--index-dir")
        p.add_argument("--rounds", type=int, default=2)
        a = p.parse_args(argv)
        sys.path.insert(0, str(ROOT))
        if a.phase == "parse":
            print(json.dumps(phase_parse(a.paths_file.read_text().split("\n")[:-1])))
        elif a.phase == "query":
            print(json.dumps(phase_query(a.index_dir, a.rounds), ensure_ascii=False))
        return 0

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="seeds,decisions", help="comma list of seeds,decisions,whole")
    parser.add_argument("--phases", default="parse,ingest,reingest,query,app,peer")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "jueding-bench",
                        help="where indexes are built and kept (default /tmp/jueding-bench)")
    parser.add_argument("--reuse", action="store_true", help="keep an existing index of a scale (no rebuild)")
    parser.add_argument("--dense", choices=("auto", "all", "none"), default="auto", help="ingest add --dense")
    parser.add_argument("--peer-dense", choices=("all", "decisions", "none"),
                        help="peer dense policy (default: all for seeds/decisions, decisions for whole)")
    parser.add_argument("--rounds", type=int, default=2, help="timed passes over the questions")
    parser.add_argument("--reingest-runs", type=int, default=2)
    parser.add_argument("--app-runs", type=int, default=2)
    parser.add_argument("--resume-check", default="", help="comma list of scales to kill -9 and resume")
    parser.add_argument("--kill-after", type=float, default=60.0)
    parser.add_argument("--out", type=Path, help="default bench/out/<timestamp>/")
    parser.add_argument("--summary", type=Path, help="also write the results JSON here (e.g. bench/results/latest.json)")
    args = parser.parse_args(argv)
    args.scales = [s for s in args.scales.split(",") if s]
    args.phases = set(args.phases.split(","))
    args.resume_check = [s for s in args.resume_check.split(",") if s]
    bad = [s for s in args.scales if s not in SCALES]
    if bad:
        parser.error(f"unknown scale(s) {bad}: use {', '.join(SCALES)}")
    sys.path.insert(0, str(ROOT))
    out_dir = args.out or ROOT / "bench" / "out" / datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir.mkdir(parents=True, exist_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)

    info = machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
          f"{info.get('memory_gb')} GB, Python {info['python']}; load average {loadavg()}", flush=True)
    results = {"machine": info, "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "argv": argv, "scales": {}}
    for scale in args.scales:
        r = run_scale(scale, args, out_dir)
        r["figures"] = figures_of(r)
        r["targets"] = check_targets(scale, r["figures"])
        results["scales"][scale] = r
        (out_dir / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    results["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    table = markdown(results)
    text = json.dumps(results, ensure_ascii=False, indent=2)
    (out_dir / "results.json").write_text(text, encoding="utf-8")
    (out_dir / "summary.md").write_text(table + "\n", encoding="utf-8")
    if args.summary:
        args.summary.parent.mkdir(parents=True, exist_ok=True)
        args.summary.write_text(text, encoding="utf-8")
    print(table)
    print(f"\nresults: {out_dir / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
