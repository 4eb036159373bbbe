"""Must-show of issue #15: a CLI `python -m ingest add` into the index a running app serves, while clients ask.

    .venv/bin/python bench/live_ingest.py [--n 120] [--clients 8] [--before 15] [--after 20]

Starts `python app.py` on 127.0.0.1 (a fresh index of the bundled seeds in a temporary directory), then
`--clients` threads ask questions over the REST route bench/app_load.py uses (POST /gradio_api/call/ask),
one after another. After `--before` seconds it runs `python -m ingest add --index-dir <the app's index>`
on the first `--n` LawRefBook files (../shared/corpora/lawrefbook, read in place, sorted by path), and
the clients go on until `--after` seconds after the CLI exits. Every question's outcome is counted by
phase (before / during / after the CLI): a failed question is an HTTP error, an error event or an empty
answer.

Then, without restarting the app, it asks for each of `--probe` added documents a question only that
document answers (「《title》第一条是怎么规定的？」) and checks that a citation names that document; the
same questions were asked before the CLI ran (where no indexed document could answer them).
Everything it starts (app, CLI) runs in its own process group and is stopped at the end; the temporary
directory is removed. Writes bench/results/live_ingest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app_load import QUESTIONS, _free_port, ask_once, rss_mb, start_app, stop_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LAWREFBOOK = ROOT.parent / "shared" / "corpora" / "lawrefbook"


def summarise(samples: list[tuple[float, float | None, str | None]]) -> dict:
    """samples: (start time, latency or None, failure or None)."""
    lat = sorted(s[1] for s in samples if s[1] is not None)
    failures = [s[2] for s in samples if s[2] is not None]
    p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else float("nan")
    return {"ok": len(lat), "failed": len(failures),
            "p50_ms": round(1000 * statistics.median(lat)) if lat else None,
            "p95_ms": round(1000 * p95) if lat else None, "max_ms": round(1000 * lat[-1]) if lat else None,
            "first_failures": failures[:3]}


class PhasedClients:
    """`clients` threads asking the app one question after another; each sample (start time, latency or
    None, failure or None) is filed under the phase that was current when its question was sent."""

    def __init__(self, url: str, clients: int, phases: list[str], timeout: float):
        self.url, self.timeout = url, timeout
        self.samples: dict[str, list] = {name: [] for name in phases}
        self.phase = phases[0]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._ask, args=(n,), daemon=True) for n in range(clients)]
        for thread in self._threads:
            thread.start()

    def _ask(self, n: int) -> None:
        with httpx.Client(timeout=httpx.Timeout(self.timeout, connect=10.0)) as client:
            i = n
            while not self._stop.is_set():
                question = QUESTIONS[i % len(QUESTIONS)]
                i += 1
                name, started = self.phase, time.perf_counter()
                try:
                    result = ask_once(client, self.url, question)
                    if not str(result.get("text", "")).strip():
                        raise RuntimeError("empty answer")
                    sample = (started, time.perf_counter() - started, None)
                except Exception as exc:
                    sample = (started, None, f"{type(exc).__name__}: {exc}"[:200])
                with self._lock:
                    self.samples[name].append(sample)

    def stop(self) -> dict[str, dict]:
        """Stop asking; the summary of each phase."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 30)
        return {name: summarise(s) for name, s in self.samples.items()}


def probe(url: str, questions: list[tuple[str, str, str]]) -> list[dict]:
    """(file, title, question) → whether a citation names that title."""
    out = []
    with httpx.Client(timeout=120) as client:
        for path, title, question in questions:
            try:
                result = ask_once(client, url, question)
                cited = [c.get("doc_title") for c in result.get("citations") or []]
                out.append({"file": Path(path).name, "title": title, "question": question,
                            "refused": bool(result.get("refused")), "cites_it": title in cited,
                            "cited": sorted(set(cited))[:5], "answer": str(result.get("text", ""))[:160]})
            except Exception as exc:
                out.append({"file": Path(path).name, "title": title, "question": question,
                            "error": f"{type(exc).__name__}: {exc}"[:200], "cites_it": False})
    return out


def _on_sigterm(signum, frame):  # `timeout` or kill: still stop the app (and CLI) in the finally blocks
    raise SystemExit(128 + signum)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=120, help="LawRefBook files to add")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--before", type=float, default=15, help="seconds of questions before the CLI starts")
    ap.add_argument("--after", type=float, default=20, help="seconds of questions after the CLI exits")
    ap.add_argument("--probe", type=int, default=5, help="added documents to ask about")
    ap.add_argument("--cli-timeout", type=float, default=900)
    ap.add_argument("--cli-dense", default="auto", choices=("auto", "all", "none"),
                    help="the CLI's --dense (all: every clause embedded, a longer write with more commits)")
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "live_ingest.json")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, _on_sigterm)

    from ingest.parser import parse_file

    files = sorted(str(p) for p in LAWREFBOOK.rglob("*.md") if p.is_file())[: args.n]
    probes = []
    for path in files[:: max(1, len(files) // (2 * args.probe))]:
        title = parse_file(path).document.title
        if "《" not in title and len(probes) < args.probe:  # a title quoting a law inside 《》 makes a garbled question
            probes.append((path, title, f"《{title}》第一条是怎么规定的？"))

    work = Path(tempfile.mkdtemp(prefix="jueding-live-ingest-"))
    index_dir = work / "index"
    app = cli = None
    out: dict = {"n_files": len(files), "clients": args.clients, "cli_dense": args.cli_dense,
                 "load_avg_start": os.getloadavg()}
    try:
        app = start_app(index_dir, work, _free_port(), 600)
        url = f"http://127.0.0.1:{app.args[3]}/"
        with httpx.Client(timeout=120) as warm:
            ask_once(warm, url, QUESTIONS[0])
        out["probes_before"] = probe(url, probes)

        clients = PhasedClients(url, args.clients, ["before", "during", "after"], timeout=120.0)
        time.sleep(args.before)

        clients.phase = "during"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "ANONYMIZED_TELEMETRY": "False"}
        started = time.perf_counter()
        with open(work / "cli.log", "w") as log:
            cli = subprocess.Popen([sys.executable, "-m", "ingest", "add", "--dense", args.cli_dense, "--index-dir",
                                    str(index_dir), *files],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        out["cli_rc"] = cli.wait(timeout=args.cli_timeout)
        out["cli_s"] = round(time.perf_counter() - started, 1)
        out["cli_tail"] = (work / "cli.log").read_text(errors="replace").strip().splitlines()[-3:]
        out["load_avg_during"] = os.getloadavg()

        clients.phase = "after"
        time.sleep(args.after)
        out["phases"] = clients.stop()
        out["probes_after"] = probe(url, probes)
        out["app_rss_mb"] = rss_mb(app.pid)
        out["app_pid_unchanged"] = app.poll() is None
        out["load_avg_end"] = os.getloadavg()
    finally:
        if cli is not None and cli.poll() is None:
            os.killpg(cli.pid, 9)
            cli.wait(timeout=20)
        if app is not None:
            stop_app(app)
        shutil.rmtree(work, ignore_errors=True)

    failed = sum(p["failed"] for p in out["phases"].values())
    answered = sum(p["cites_it"] for p in out["probes_after"])
    before = sum(p["cites_it"] for p in out["probes_before"])
    out["verdict"] = {"failed_questions": failed, "new_documents_answered": f"{answered}/{len(probes)}",
                      "answered_before_add": f"{before}/{len(probes)}"}
    args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0 if failed == 0 and answered == len(probes) and out["cli_rc"] in (0, 1) else 1


if __name__ == "__main__":
    raise SystemExit(main())
