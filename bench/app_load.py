"""Load test of the web app: N clients × T seconds × R rounds against a real `python app.py` on 127.0.0.1.

    python bench/app_load.py --clients 40 --seconds 60 --rounds 5           # the issue's figure
    python bench/app_load.py --clients 8 --seconds 10 --rounds 3            # a quick look

Each client is a thread with its own HTTP connection that asks the Gradio endpoint `/ask` over the
plain REST route (POST /gradio_api/call/ask, then read the event stream), one question after another,
until the round's time is up. After each round it prints the round's throughput, failures, latency
p50/p95 and the server's RSS (from /proc). The app runs on a fresh index in a temporary directory
(built from the bundled corpus; pass --index-dir to reuse one) and is stopped at the end, whatever
happens. `--url` points it at an app that is already running instead (RSS is then not reported
unless --pid is given).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "公安机关需配合哪些事项",
    "审判机关需配合哪些事项",
    "西藏的决定从什么时候开始施行？",
    "未成年人检察有哪些要求",
    "检察建议应当遵循哪些原则",
    "检察官的工资标准是多少？",
    "公益诉讼检察工作有哪些规定",
    "呼和浩特的决定什么时候施行？",
]


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(index_dir: Path, work: Path, port: int, timeout_s: float, extra_env: dict | None = None,
              log_name: str = "app.log") -> subprocess.Popen:
    env = dict(os.environ)
    env.update({
        "JUEDING_DATA_DIR": str(work / "data"), "JUEDING_ANSWER_MODE": "extractive", "JUEDING_LLM_BASE_URL": "",
        "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": str(work / "gradio"), "TMPDIR": str(work),
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1",
        "ANONYMIZED_TELEMETRY": "False", **(extra_env or {}),
    })
    log = open(work / log_name, "w")
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--index-dir", str(index_dir)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"app.py exited with {proc.returncode}:\n{(work / log_name).read_text()[-2000:]}")
        try:
            if httpx.get(url + "config", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_app(proc)
    raise SystemExit(f"app.py did not serve within {timeout_s:.0f} s")


def stop_app(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)


def ask_once(client: httpx.Client, url: str, question: str) -> dict:
    r = client.post(url + "gradio_api/call/ask", json={"data": [question, None, None, None]})
    r.raise_for_status()
    event_id = r.json()["event_id"]
    event = None
    with client.stream("GET", url + f"gradio_api/call/ask/{event_id}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = json.loads(line.split(":", 1)[1])
                if event == "error":
                    raise RuntimeError(f"error event: {data}")
                result = data[0]
                return json.loads(result) if isinstance(result, str) else result
    raise RuntimeError("stream ended without a result")


def run_round(url: str, clients: int, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        with httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0)) as client:
            i = n
            while time.monotonic() < deadline:
                question = QUESTIONS[i % len(QUESTIONS)]
                i += 1
                started = time.perf_counter()
                try:
                    result = ask_once(client, url, question)
                    if not str(result.get("text", "")).strip():
                        raise RuntimeError("empty answer")
                except Exception as exc:  # counted, not fatal: the round goes on
                    with lock:
                        failures.append(f"{type(exc).__name__}: {exc}"[:200])
                    continue
                with lock:
                    latencies.append(time.perf_counter() - started)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    elapsed = time.monotonic() - started
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else float("nan")
    return {"ok": len(latencies), "failed": len(failures), "seconds": elapsed,
            "throughput": len(latencies) / elapsed if elapsed else 0.0,
            "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"), "p95_ms": 1000 * p95,
            "first_failure": failures[0] if failures else None}


def _on_sigterm(signum, frame):  # `timeout` or kill: still stop the app (and CLI) in the finally blocks
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--index-dir", type=Path, default=None, help="reuse this index (default: a fresh one)")
    ap.add_argument("--url", default=None, help="an app already running (default: start one on 127.0.0.1)")
    ap.add_argument("--pid", type=int, default=None, help="with --url: the app's pid, for RSS")
    ap.add_argument("--start-timeout", type=float, default=600)
    ap.add_argument("--json", type=Path, default=None, help="also write the rounds here")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)

    work = Path(tempfile.mkdtemp(prefix="jueding-load-"))
    proc = None
    try:
        if args.url:
            url, pid = args.url.rstrip("/") + "/", args.pid
        else:
            proc = start_app(args.index_dir or work / "index", work, _free_port(), args.start_timeout)
            url, pid = f"http://127.0.0.1:{proc.args[3]}/", proc.pid
        with httpx.Client(timeout=120) as warm:  # the first question loads the models
            ask_once(warm, url, QUESTIONS[0])
        base_rss = rss_mb(pid) if pid else None
        print(f"app at {url}  pid {pid}  RSS after warm-up {base_rss or float('nan'):.0f} MB", flush=True)
        print(f"{'round':>5} {'ok':>6} {'failed':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'RSS MB':>7}", flush=True)
        rounds = []
        for n in range(1, args.rounds + 1):
            r = run_round(url, args.clients, args.seconds)
            r["rss_mb"] = rss_mb(pid) if pid else None
            rounds.append(r)
            print(f"{n:>5} {r['ok']:>6} {r['failed']:>6} {r['throughput']:>7.1f} {r['p50_ms']:>7.0f} "
                  f"{r['p95_ms']:>7.0f} {r['rss_mb'] or float('nan'):>7.0f}", flush=True)
            if r["first_failure"]:
                print(f"      first failure: {r['first_failure']}", flush=True)
        first = rounds[0]["throughput"]
        worst = min(r["throughput"] for r in rounds)
        print(f"throughput: worst round {worst:.1f} req/s = {100 * worst / first if first else 0:.0f} % of round 1")
        if len(rounds) >= 2 and rounds[1]["rss_mb"] is not None:
            growth = max(r["rss_mb"] for r in rounds[1:]) - rounds[1]["rss_mb"]
            print(f"RSS growth after round 2: {growth:+.0f} MB (max {max(r['rss_mb'] for r in rounds):.0f} MB)")
        if args.json:
            args.json.write_text(json.dumps({"clients": args.clients, "seconds": args.seconds, "rounds": rounds},
                                            indent=1))
        return 0
    finally:
        if proc is not None:
            stop_app(proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
