"""Hostile uploads and unauthenticated changes against the web app (issue #15).

- raw HTTP delete on an app bound to 0.0.0.0 (we connect to 127.0.0.1 only): refused without the admin
  token (the document stays), done with it; an exposed app without a token is read-only;
- a 1.8 MB .docx zip bomb is refused, the refusing process staying under 200 MB RSS;
- two uploads whose cleaned names collide are both added (identity by content);
- Shift-JIS / Big5 refused by name, UTF-16 without BOM accepted;
- the per-request and per-hour upload limits; staging copies gone after adding.

Every server runs in its own process group on a free port with its index and temp files in tmp dirs,
and is killed at teardown.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cret-admin-token-for-tests"
XIZANG_TITLE = "西藏自治区人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(tmp: Path, index_dir: Path, *args: str, env: dict | None = None, timeout_s: float = 420):
    port = _free_port()
    full_env = dict(os.environ)
    full_env.update({
        "JUEDING_DATA_DIR": str(tmp / "data"), "JUEDING_ANSWER_MODE": "extractive", "JUEDING_LLM_BASE_URL": "",
        "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": str(tmp / "gradio"), "TMPDIR": str(tmp),
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1",
        "JUEDING_ADMIN_TOKEN": "", **(env or {}),
    })
    log_path = tmp / f"app-{port}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--index-dir", str(index_dir), *args],
                                cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(url + "config", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    _stop(proc)
    raise RuntimeError(f"app.py did not serve within {timeout_s:.0f} s:\n{log_path.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def _call(url: str, api: str, data: list) -> tuple[str, object]:
    """A raw REST call: POST /gradio_api/call/API, then read its event stream. Returns (event, data)."""
    with httpx.Client(timeout=60) as client:
        r = client.post(url + f"gradio_api/call/{api}", json={"data": data})
        r.raise_for_status()
        event_id = r.json()["event_id"]
        event = None
        with client.stream("GET", url + f"gradio_api/call/{api}/{event_id}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    return event, json.loads(line.split(":", 1)[1])
    raise AssertionError("no result")


def _ui_remove(url: str, doc_id: str, token: str | None) -> str:
    """What the page's 删除 button sends, sent raw (no confirm dialog): queue/join with the event's fn_index."""
    config = httpx.get(url + "config", timeout=10).json()
    button = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "jd-remove")
    fn_index = next(i for i, d in enumerate(config["dependencies"])
                    if any(t[0] == button for t in d.get("targets", [])))
    fn_index = config["dependencies"][fn_index].get("id", fn_index)
    session = f"raw-{time.monotonic_ns()}"
    with httpx.Client(timeout=60) as client:
        r = client.post(url + "gradio_api/queue/join",
                        json={"data": [doc_id, token], "fn_index": fn_index, "session_hash": session,
                              "event_data": None, "trigger_id": button})
        r.raise_for_status()
        body = []
        with client.stream("GET", url + f"gradio_api/queue/data?session_hash={session}") as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    msg = json.loads(line[5:])
                    body.append(msg)
                    if msg.get("msg") == "process_completed":
                        break
    return json.dumps(body, ensure_ascii=False)


def _xizang_id(url: str) -> str:
    event, data = _call(url, "ask", ["西藏的决定从什么时候开始施行？", None, None, None])
    assert event == "complete", data
    return next(c["doc_id"] for c in data[0]["citations"] if c["doc_title"] == XIZANG_TITLE)


@pytest.fixture(scope="module")
def seed_copy(tmp_path_factory):
    """A seed index built once (by the app itself); each test server gets its own copy."""
    tmp = tmp_path_factory.mktemp("seed-build")
    proc, _ = _start(tmp, tmp / "index")
    _stop(proc)
    return tmp / "index"


def _titles(url: str) -> str:
    event, data = _call(url, "ask", ["西藏的决定从什么时候开始施行？", None, None, None])
    assert event == "complete"
    return json.dumps(data, ensure_ascii=False)


def test_raw_http_delete_needs_the_admin_token_on_an_exposed_app(seed_copy, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seed_copy, index)
    proc, url = _start(tmp_path, index, "--host", "0.0.0.0", env={"JUEDING_ADMIN_TOKEN": TOKEN})
    try:
        doc_id = _xizang_id(url)
        for wrong in (None, "", "wrong-token", TOKEN[:-1]):
            event, data = _call(url, "remove_document", [doc_id, wrong])
            assert event == "error" and "口令" in json.dumps(data, ensure_ascii=False), data
            assert XIZANG_TITLE in _titles(url)  # still there, still answered
        assert "口令" in _ui_remove(url, doc_id, None) or "not in the list" in _ui_remove(url, doc_id, None)
        assert XIZANG_TITLE in _titles(url)

        event, data = _call(url, "remove_document", [doc_id, TOKEN])
        assert event == "complete" and data[0]["doc_id"] == doc_id and data[0]["removed_clauses"] > 0, data
        assert XIZANG_TITLE not in _titles(url)
    finally:
        _stop(proc)


def test_exposed_app_without_a_token_is_read_only(seed_copy, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seed_copy, index)
    proc, url = _start(tmp_path, index, "--host", "0.0.0.0")
    try:
        doc_id = _xizang_id(url)
        event, data = _call(url, "remove_document", [doc_id, "anything"])
        assert event == "error" and "只读" in json.dumps(data, ensure_ascii=False), data
        assert XIZANG_TITLE in _titles(url)
    finally:
        _stop(proc)


# ---------------------------------------------------------------------------
# Hostile files (no server needed)


def _bomb(path: Path, megabytes_inflated: int = 1800) -> Path:
    chunk = b"<w:t>" + b"0" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            for _ in range(megabytes_inflated):
                f.write(chunk)
    return path


def test_docx_zip_bomb_is_refused_with_little_memory(tmp_path):
    bomb = _bomb(tmp_path / "bomb.docx")
    size = bomb.stat().st_size
    assert size < 2.5 * 1048576, size  # ~1.8 MB that inflates to ~1.8 GB
    code = (
        "import resource, sys\n"
        "from ingest.parser import parse_file\n"
        "try:\n    parse_file(sys.argv[1]); print('ACCEPTED')\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
        # the peak RSS of this process's own memory (VmHWM): ru_maxrss survives execve on Linux, so it
        # would report pytest's RSS at the moment it spawned this child (306 MB late in the full suite)
        "try:\n    peak_kb = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
        "except OSError:\n    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print('MAXRSS_MB', peak_kb / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(bomb)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = out.stdout.strip().splitlines()
    print(f"bomb {size / 1048576:.2f} MB:", *lines)
    assert "ACCEPTED" not in out.stdout and "FileTooLargeError" in lines[0] and "unpacks to" in lines[0], out
    assert float(lines[-1].split()[1]) < 200, lines


def test_docx_with_too_many_parts_is_refused(tmp_path):
    from ingest.errors import IngestError
    from ingest.loaders import MAX_ZIP_ENTRIES, load_file

    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(MAX_ZIP_ENTRIES + 1):
            z.writestr(f"word/p{i}.xml", "<x/>")
    with pytest.raises(IngestError, match="parts"):
        load_file(path)


CN_TEXT = ("某市人民代表大会常务委员会关于加强检察机关法律监督工作的决定\n"
           "一、检察机关应当依法履行法律监督职责，加强对诉讼活动的监督。\n"
           "二、公安机关、审判机关应当配合检察机关开展监督工作。\n三、本决定自公布之日起施行。\n")


def test_shift_jis_and_big5_are_refused_by_name(tmp_path):
    from ingest.errors import DecodeError
    from ingest.loaders import load_file

    ja = "この決定は、公布の日から施行する。検察機関は法律監督を強化しなければならない。\n" * 10
    (tmp_path / "ja.txt").write_bytes(ja.encode("shift_jis"))
    with pytest.raises(DecodeError, match="Shift-JIS"):
        load_file(tmp_path / "ja.txt")
    tw = ("臺北市議會關於加強檢察機關法律監督工作的決議\n一、檢察機關應當依法履行法律監督職責，加強對訴訟活動的監督。\n"
          "二、公安機關、審判機關應當配合檢察機關開展監督工作，及時通報案件資訊。\n三、本決議自公布之日起施行。\n") * 3
    (tmp_path / "tw.txt").write_bytes(tw.encode("big5"))
    with pytest.raises(DecodeError, match="Big5"):
        load_file(tmp_path / "tw.txt")
    (tmp_path / "gbk.txt").write_bytes(CN_TEXT.encode("gbk"))  # simplified GBK still reads
    assert load_file(tmp_path / "gbk.txt").text == CN_TEXT


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_accepted(tmp_path, encoding):
    from ingest.loaders import load_file

    for name, text in (("mixed", CN_TEXT), ("cjk-only", CN_TEXT.replace("\n", "。") * 3)):
        path = tmp_path / f"{name}.txt"
        path.write_bytes(text.encode(encoding))
        loaded = load_file(path)
        assert loaded.text == text and loaded.encoding == encoding


# ---------------------------------------------------------------------------
# The app's handlers in-process (loopback: library changes allowed without a token)

HAIBIN = """# 海滨市人民代表大会常务委员会关于{title}的决定

（2024年5月20日海滨市第八届人民代表大会常务委员会第十二次会议通过）

一、检察机关应当加强{topic}公益诉讼检察工作。

二、本决定自公布之日起施行。
"""


@pytest.fixture
def local_app(seed_copy, tmp_path, monkeypatch):
    import app

    index = tmp_path / "index"
    shutil.copytree(seed_copy, index)
    from assistant.jobs import JobSlot
    from assistant.uploads import Staging, UploadQuota

    monkeypatch.setattr(app, "_state", {"assistant": None, "settings": None, "documents": None})
    monkeypatch.setattr(app, "staging", Staging())
    monkeypatch.setattr(app, "upload_quota", UploadQuota(per_request=300, per_hour=1000))
    monkeypatch.setattr(app, "jobs", JobSlot())
    monkeypatch.delenv("JUEDING_ADMIN_TOKEN", raising=False)
    app.configure(str(index), host="127.0.0.1", share=False)
    yield app
    if app._state["assistant"] is not None:
        app._state["assistant"].close()
    app.staging.remove()


def _add(app, paths: list[Path]) -> str:
    review, pending, _ = app.on_upload([str(p) for p in paths])
    assert len(pending) == len(paths), review
    outputs = list(app.on_add(pending))
    return outputs[-1][0]


def test_similar_names_add_and_never_replace(local_app, tmp_path):
    app = local_app
    long = "最高人民法院关于审理涉及海洋生态环境公益诉讼案件适用法律若干问题的解释" * 2  # cut at 60 by the old code
    first = tmp_path / "a" / f"{long}.md"
    second = tmp_path / "b" / f"{long}（二）.md"
    for path, topic in ((first, "珊瑚礁保护"), (second, "红树林保护")):
        path.parent.mkdir()
        path.write_text(HAIBIN.format(title=f"{topic}检察工作", topic=topic), encoding="utf-8")
    from assistant.uploads import safe_name

    assert safe_name(first.name)[:60] == safe_name(second.name)[:60]  # the old collision
    report = _add(app, [first])
    assert "已加入 1 部" in report, report
    report = _add(app, [second])
    assert "已加入 1 部" in report and "更新 0 部" in report, report
    titles = {e.document.title for e in app.get_assistant().documents()}
    assert {"海滨市人民代表大会常务委员会关于珊瑚礁保护检察工作的决定",
            "海滨市人民代表大会常务委员会关于红树林保护检察工作的决定"} <= titles
    # provenance: shown as uploaded, with who and when, in the API result and the library
    uploads = app.upload_log.read()
    assert len(uploads) == 2 and {m["name"] for m in uploads.values()} == {first.name, second.name}
    result = app.ask("红树林保护公益诉讼检察工作")
    assert result["uploaded_sources"] and result["uploaded_sources"][0]["uploaded_by"] == "本机用户"
    assert "用户上传" in app._library_outputs()[0]
    # the same file again is unchanged, not a third document
    assert "未变 1 部" in _add(app, [second])
    assert not list(app.staging.path.iterdir())  # staging copies gone after adding


def test_upload_count_limits(local_app, tmp_path, monkeypatch):
    app = local_app
    import gradio as gr

    files = []
    for i in range(4):
        path = tmp_path / f"f{i}.md"
        path.write_text(HAIBIN.format(title=f"测试{i}", topic=f"测试{i}"), encoding="utf-8")
        files.append(str(path))
    from assistant.uploads import UploadQuota

    monkeypatch.setattr(app, "upload_quota", UploadQuota(per_request=3, per_hour=5))
    with pytest.raises(gr.Error, match="一次最多上传 3 个文件"):
        app.on_upload(files)
    _, pending, _ = app.on_upload(files[:3])
    assert len(pending) == 3
    with pytest.raises(gr.Error, match="每小时最多 5 个文件"):
        app.on_upload(files[:3])
    app.on_clear_upload(pending)
    assert not list(app.staging.path.iterdir())


def test_token_mode_checks_every_change(local_app, tmp_path, monkeypatch):
    app = local_app
    import gradio as gr

    app.configure(app._config["index_dir"], admin_token=TOKEN, host="127.0.0.1", share=False)
    path = tmp_path / "x.md"
    path.write_text(HAIBIN.format(title="口令", topic="口令"), encoding="utf-8")
    for call in (lambda: app.on_upload([str(path)], "nope"), lambda: list(app.on_add([("x", str(path), "0" * 64)])),
                 lambda: app.on_remove("abc", None), lambda: app.remove_document("abc", "")):
        with pytest.raises(gr.Error, match="口令"):
            call()
    _, pending, _ = app.on_upload([str(path)], TOKEN)
    assert len(pending) == 1
    app.configure(app._config["index_dir"], host="0.0.0.0", share=False)  # exposed, no token: read-only
    with pytest.raises(gr.Error, match="只读"):
        app.on_remove("abc", TOKEN)
