"""Must-show of issue #15: a web upload of 300 files through the app while 4 clients ask; their p95 latency.

    .venv/bin/python bench/web_upload_load.py [--n 300] [--clients 4] [--before 20] [--after 10]

Starts `python app.py` on 127.0.0.1 (a fresh index of the bundled seeds in a temporary directory) with an
admin token (JUEDING_ADMIN_TOKEN; on loopback the app would not need one, but this is the path an exposed
app takes). `--clients` threads ask questions over the REST route bench/app_load.py uses, one after another.
After `--before` seconds it does what the page's library tab does, over raw HTTP with one session:
POST /gradio_api/upload (the first `--n` LawRefBook files, sorted by path, from ../shared/corpora/lawrefbook),
the file component's upload event (parse for review) and the 加入文库 button's event (the background ingest
job), both through /gradio_api/queue/join, following the job's progress until it completes. The clients go
on for `--after` seconds more. Latency is reported per phase: before, upload (upload + review), ingest (the
job), after. The app is stopped at the end (its process group), the temporary directory removed; then the
index is opened to count its documents. Writes bench/results/web_upload_load.json.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app_load import QUESTIONS, _free_port, ask_once, rss_mb, start_app, stop_app  # noqa: E402
from live_ingest import PhasedClients, summarise  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LAWREFBOOK = ROOT.parent / "shared" / "corpora" / "lawrefbook"


def _event_ids(url: str) -> dict[str, tuple[int, int]]:
    """The page's upload and 加入文库 events: name → (fn id, trigger component id)."""
    config = httpx.get(url + "config", timeout=10).json()
    ids = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
    found = {}
    for i, dep in enumerate(config["dependencies"]):
        for target, event in dep.get("targets", []):
            if target == ids["jd-upload"] and event == "upload":
                found["upload"] = (dep.get("id", i), target)
            if target == ids["jd-add"] and event == "click":
                found["add"] = (dep.get("id", i), target)
    return found


def _run_event(client: httpx.Client, url: str, session: str, fn: tuple[int, int], data: list,
               on_message=lambda msg: None) -> dict:
    r = client.post(url + "gradio_api/queue/join", json={"data": data, "fn_index": fn[0], "session_hash": session,
                                                          "event_data": None, "trigger_id": fn[1]})
    r.raise_for_status()
    event_id = r.json()["event_id"]
    with client.stream("GET", url + f"gradio_api/queue/data?session_hash={session}") as stream:
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            msg = json.loads(line[5:])
            if msg.get("event_id") not in (None, event_id):
                continue
            on_message(msg)
            if msg.get("msg") == "process_completed":
                if not msg.get("success", True):
                    raise RuntimeError(f"event failed: {json.dumps(msg, ensure_ascii=False)[:500]}")
                return msg
    raise RuntimeError("queue stream ended without process_completed")


def _text(fragment) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", str(fragment or ""))).split()


def _on_sigterm(signum, frame):  # `timeout` or kill: still stop the app (and CLI) in the finally blocks
    raise SystemExit(128 + signum)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--before", type=float, default=20)
    ap.add_argument("--after", type=float, default=10)
    ap.add_argument("--token", default="bench-admin-token")
    ap.add_argument("--dense", default="auto", choices=("auto", "all", "none"),
                    help="which uploaded files the app embeds (JUEDING_UPLOAD_DENSE; auto = as `ingest add`)")
    ap.add_argument("--job-timeout", type=float, default=1800)
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "web_upload_load.json")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, _on_sigterm)

    files = sorted(p for p in LAWREFBOOK.rglob("*.md") if p.is_file())[: args.n]
    work = Path(tempfile.mkdtemp(prefix="jueding-web-upload-"))
    index_dir = work / "index"
    app = None
    out: dict = {"n_files": len(files), "clients": args.clients, "dense": args.dense, "load_avg_start": os.getloadavg()}
    try:
        app = start_app(index_dir, work, _free_port(), 600, extra_env={"JUEDING_ADMIN_TOKEN": args.token,
                                                                        "JUEDING_UPLOAD_DENSE": args.dense})
        url = f"http://127.0.0.1:{app.args[3]}/"
        with httpx.Client(timeout=120) as warm:
            ask_once(warm, url, QUESTIONS[0])
        events = _event_ids(url)

        clients = PhasedClients(url, args.clients, ["before", "upload", "ingest", "after"], timeout=300.0)
        time.sleep(args.before)

        clients.phase = "upload"
        session = f"bench-{time.monotonic_ns()}"
        progress: list[tuple[float, str]] = []
        with httpx.Client(timeout=httpx.Timeout(args.job_timeout, connect=10.0)) as client:
            started = time.perf_counter()
            handles = [open(p, "rb") for p in files]
            try:
                r = client.post(url + "gradio_api/upload",
                                files=[("files", (p.name, h, "text/markdown")) for p, h in zip(files, handles)])
            finally:
                for h in handles:
                    h.close()
            r.raise_for_status()
            uploaded = r.json()
            out["http_upload_s"] = round(time.perf_counter() - started, 1)
            data = [{"path": path, "orig_name": p.name, "size": p.stat().st_size, "mime_type": "text/markdown",
                     "meta": {"_type": "gradio.FileData"}} for path, p in zip(uploaded, files)]
            review = _run_event(client, url, session, events["upload"], [data, args.token])
            out["review_s"] = round(time.perf_counter() - started, 1)
            button = review["output"]["data"][2]
            out["review_button"] = button.get("value") if isinstance(button, dict) else button

            clients.phase = "ingest"
            job_started = time.perf_counter()

            def seen(msg: dict) -> None:
                if msg.get("msg") == "process_generating":
                    first = (msg.get("output") or {}).get("data") or [None]
                    if isinstance(first[0], str):
                        progress.append((round(time.perf_counter() - job_started, 1), " ".join(_text(first[0]))))

            done = _run_event(client, url, session, events["add"], [None, args.token], seen)
            out["ingest_job_s"] = round(time.perf_counter() - job_started, 1)
            out["job_report"] = " ".join(_text(done["output"]["data"][0]))[:400]
            out["job_progress_sample"] = progress[:: max(1, len(progress) // 6)]
        out["load_avg_after_job"] = os.getloadavg()

        clients.phase = "after"
        time.sleep(args.after)
        out["phases"] = clients.stop()
        during = clients.samples["upload"] + clients.samples["ingest"]
        out["during_upload_and_ingest"] = summarise(during)
        out["app_rss_mb"] = rss_mb(app.pid)
        out["load_avg_end"] = os.getloadavg()
    finally:
        if app is not None:
            stop_app(app)
        try:
            from store import ClauseIndex

            with ClauseIndex.open(index_dir, embedding_model=None, create=False) as idx:
                stats = idx.stats(verify=True)
            out["index_after"] = {k: stats.get(k) for k in ("documents", "clauses", "vectors", "keyword_rows")}
        except Exception as exc:
            out["index_after"] = f"{type(exc).__name__}: {exc}"
        shutil.rmtree(work, ignore_errors=True)

    during = out["during_upload_and_ingest"]
    failed = sum(p["failed"] for p in out["phases"].values())
    out["verdict"] = {"p95_ms_during": during["p95_ms"], "under_2s": bool(during["p95_ms"] and during["p95_ms"] < 2000),
                      "failed_questions": failed}
    args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0 if out["verdict"]["under_2s"] and failed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
