"""Server mode: a real `chroma run` on 127.0.0.1, vectors go through HttpClient."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from store_fakes import FakeEmbeddings, police_doc, vector_count

from store import ClauseIndex, StoreError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        pytest.skip("the chroma CLI is not installed beside this Python")
    port = _free_port()
    log = open(tmp_path / "chroma.log", "wb")
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma server did not start: {(tmp_path / 'chroma.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield url, tmp_path / "server-data"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_retrieval_through_a_chroma_server(tmp_path, chroma_server):
    url, server_data = chroma_server
    doc = police_doc()
    other = police_doc("乙市", extra="乙市特有的数字检察建设")
    with ClauseIndex.open(tmp_path / "idx", embeddings=FakeEmbeddings(), chroma_url=url) as idx:
        assert idx.sync([("a.md", doc), ("b.md", other)]).added == 2
        assert not (tmp_path / "idx" / "chroma").exists()  # vectors live on the server
        assert idx.stats(verify=True)["chroma_records"] == vector_count(doc, other)
        hits = idx.search("公安机关需配合哪些事项", k=3, bm25_weight=0, dense_weight=1, filters={"region": "乙市"})
        assert hits and {h.clause.region for h in hits} == {"乙市"}
        assert hits[0].clause.article == 2
        assert idx.remove(other.document.doc_id) == 5
        assert idx.stats(verify=True)["chroma_records"] == vector_count(doc)
    assert server_data.exists()


def test_unreachable_server_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="cannot reach the Chroma server"):
        with ClauseIndex.open(tmp_path / "idx", embeddings=FakeEmbeddings(),
                              chroma_url=f"http://127.0.0.1:{_free_port()}") as idx:
            idx.sync([("a.md", police_doc())])
