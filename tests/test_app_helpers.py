"""The web app's helpers that hold no Gradio: uploads, ingest jobs, the chat's content, access, API sessions,
the browser key, the early page head. Fast: no index, no server."""

from __future__ import annotations

import asyncio
import os
import stat
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant import access, chatview, history, uploads
from assistant.apisessions import ApiSessions
from assistant.jobs import IngestJob, JobSlot, ReadWriteLock
from assistant.pagehead import EarlyHead, inject
from assistant.records import Answer, Citation
from ingest.records import Document

XSS = '<script>window.__xss=1</script>'


# ---------------------------------------------------------------------------
# uploads


def test_upload_names_are_ours():
    for name, expected_suffix in [
        ("../../etc/passwd", ".txt"),
        ("..\\..\\evil.docx", ".docx"),
        ("决定 (2024).PDF", ".pdf"),
        ('<img src=x onerror="1">.md', ".md"),
        (".bashrc", ".txt"),
    ]:
        safe = uploads.safe_name(name, "0123456789abcdef")
        assert "/" not in safe and "\\" not in safe and not safe.startswith(".")
        assert safe.endswith(expected_suffix) and "0123456789" in safe
        assert all(ch.isalnum() or ch in "-_." for ch in safe)
    assert uploads.safe_name("../决定 v2.MD") == "决定_v2.md"
    assert uploads.kept_name("ab" * 32, ".PDF") == f"upload-{'ab' * 16}.pdf"
    assert uploads.kept_name("ab" * 32, ".exe").endswith(".txt")


def test_messages_name_the_users_file_not_our_paths(tmp_path):
    staged = tmp_path / "x-0123456789.md"
    message = f"{staged}: 未找到条文（{staged.name}）"
    assert uploads.for_user(message, "决定.md", staged) == "未找到条文（决定.md）"


def test_staging_checks_copies_and_sweeps(tmp_path):
    staging = uploads.Staging()
    assert not staging.created and staging.sweep() == 0
    good = tmp_path / "决定.md"
    good.write_text("一、内容。", encoding="utf-8")
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "run.exe").write_bytes(b"MZ")
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 1572864)
    try:
        display, staged, digest, error = staging.stage(str(good), 1048576)
        assert error is None and display == "决定.md" and staged.parent == staging.path
        assert staged.read_text(encoding="utf-8") == "一、内容。" and digest[:10] in staged.name
        assert "不支持的文件类型「.exe」" in staging.stage(str(tmp_path / "run.exe"), 1048576)[3]
        assert staging.stage(str(tmp_path / "empty.md"), 1048576)[3] == "文件是空的。"
        assert staging.stage(str(big), 1048576)[3] == "文件过大（1.5 MB），上限为 1 MB。"
        export = staging.export_folder()
        (export / "对话.md").write_text("x", encoding="utf-8")
        assert staging.sweep() == 0  # all fresh
        old = time.time() - 2 * uploads.STAGING_TTL_S
        os.utime(staged, (old, old))
        os.utime(export, (old, old))
        assert staging.sweep() == 2
        assert not staged.exists() and not export.exists() and (staging.path / "exports").is_dir()
    finally:
        root = staging.path
        staging.remove()
    assert not root.exists() and not staging.created


def test_upload_quota_per_request_and_per_hour():
    quota = uploads.UploadQuota(per_request=3, per_hour=5, window_s=3600)
    with pytest.raises(uploads.UploadRefused, match="一次最多上传 3 个文件（本次 4 个）"):
        quota.take("a", 4, now=0)
    quota.take("a", 3, now=0)
    with pytest.raises(uploads.UploadRefused, match="每小时最多 5 个文件（已上传 3 个）"):
        quota.take("a", 3, now=10)
    quota.take("b", 3, now=10)  # per client
    quota.take("a", 2, now=20)
    quota.take("a", 3, now=3601)  # the first three have left the window
    quota.take("c", 1, now=99999)  # stale clients are forgotten
    assert quota.clients() == 1


def test_upload_log_keeps_the_first_upload_and_forgets(tmp_path):
    where = {"path": tmp_path / "idx" / "uploads" / "uploads.json"}
    log = uploads.UploadLog(lambda: where["path"])
    assert log.read() == {}
    first = {"name": "a.md", "by": "本机用户", "at": "2024-05-01T08:09:10+00:00"}
    log.record_first({"d1": first})
    log.record_first({"d1": {**first, "name": "b.md"}, "d2": {"name": "c.md"}})
    assert log.read()["d1"]["name"] == "a.md" and log.read()["d2"]["name"] == "c.md"
    log.forget("d2")
    log.forget("missing")
    assert set(log.read()) == {"d1"}
    assert set(uploads.UploadLog(lambda: where["path"]).read()) == {"d1"}  # on disk
    where["path"].write_text("not json", encoding="utf-8")
    assert log.read() == {}
    broken = uploads.UploadLog(lambda: (_ for _ in ()).throw(RuntimeError("no settings")))
    assert broken.read() == {}


def test_uploaded_sources_and_label():
    meta = {"d1": {"name": "a.md", "by": "管理员", "at": "2024-05-01T08:09:10+00:00"}}
    cites = [Citation("d1", "甲决定", "甲市", "article", 1, None, "第一条", "x", "d1:1"),
             Citation("d2", "乙决定", "乙市", "article", 1, None, "第一条", "y", "d2:1"),
             Citation("d1", "甲决定", "甲市", "article", 2, None, "第二条", "z", "d1:2")]
    assert uploads.uploaded_sources(cites, meta) == [
        {"doc_id": "d1", "title": "甲决定", "uploaded_by": "管理员", "uploaded_at": "2024-05-01T08:09:10+00:00",
         "file_name": "a.md"}]
    assert uploads.uploaded_label(meta["d1"]) == "用户上传（管理员，2024-05-01 08:09），非官方发布文本"


def test_forget_kept_only_touches_the_library_folder(tmp_path):
    library = tmp_path / "uploads"
    library.mkdir()
    kept = library / "upload-ab.md"
    kept.write_text("x")
    elsewhere = tmp_path / "corpus.md"
    elsewhere.write_text("x")
    assert not uploads.forget_kept(str(elsewhere), library) and elsewhere.exists()
    assert not uploads.forget_kept(None, library)
    assert uploads.forget_kept(str(kept), library) and not kept.exists()


def test_discard_within_only_deletes_under_the_folder(tmp_path):
    cache = tmp_path / "gradio"
    (cache / "abc").mkdir(parents=True)
    copy = cache / "abc" / "决定.md"
    copy.write_text("x")
    outside = tmp_path / "mine.md"
    outside.write_text("x")
    assert not uploads.discard_within(outside, cache) and outside.exists()
    assert not uploads.discard_within(cache / "missing.md", cache)
    assert uploads.discard_within(copy, cache) and not (cache / "abc").exists() and cache.is_dir()


# ---------------------------------------------------------------------------
# jobs


def test_read_write_lock_a_waiting_writer_goes_before_new_readers():
    lock = ReadWriteLock()
    order = []
    first_in = threading.Event()
    release_first = threading.Event()

    def reader(name, hold=None):
        with lock.read():
            order.append(name)
            if hold:
                first_in.set()
                hold.wait(5)

    def writer():
        with lock.write():
            order.append("writer")

    r1 = threading.Thread(target=reader, args=("r1", release_first))
    r1.start()
    assert first_in.wait(5)
    w = threading.Thread(target=writer)
    w.start()
    time.sleep(0.1)  # the writer is waiting for r1
    r2 = threading.Thread(target=reader, args=("r2",))
    r2.start()
    time.sleep(0.1)
    assert order == ["r1"]  # r2 waits behind the writer
    release_first.set()
    for t in (r1, w, r2):
        t.join(5)
    assert order == ["r1", "writer", "r2"]


class FakeAssistant:
    """add_paths as Assistant has it: a document per file whose text does not start with 'bad'."""

    def __init__(self, held_s: float = 0.0):
        self.calls: list[list[str]] = []
        self.held_s = held_s

    def add_paths(self, paths, progress=None, dense=True):
        self.calls.append(list(paths))
        self.dense = dense
        time.sleep(self.held_s)
        outcomes, errors = [], []
        for p in paths:
            if Path(p).read_text(encoding="utf-8").startswith("bad"):
                errors.append((p, f"{p}: 无法解析"))
            else:
                outcomes.append((p, "added", "doc-" + Path(p).stem[-6:]))
        return SimpleNamespace(added=len(outcomes), replaced=0, unchanged=0, errors=errors,
                               report=SimpleNamespace(outcomes=outcomes))


def _staged(tmp_path, texts):
    staging = tmp_path / "staging"
    staging.mkdir()
    items = []
    for i, text in enumerate(texts):
        path = staging / f"f{i}.md"
        path.write_text(text, encoding="utf-8")
        items.append((f"第{i}个.md", str(path), str(i) * 64))
    return items


def test_ingest_job_keeps_files_records_provenance_and_reports(tmp_path):
    items = _staged(tmp_path, ["一、甲。", "bad", "一、丙。"])
    log = uploads.UploadLog(lambda: tmp_path / "library" / "uploads.json")
    changes = []
    assistant = FakeAssistant()
    job = IngestJob(items, "本机用户", "127.0.0.1", assistant=assistant, library_dir=tmp_path / "library",
                    log=log, plain_error=str, on_change=lambda: changes.append(1))
    slot = JobSlot()
    slot.start(job)
    assert job.wait(10) and job.failure is None
    assert (job.added, job.done, job.total) == (2, 3, 3) and job.batches == [3] and changes == [1]
    assert len(assistant.calls) == 1 and assistant.dense == "auto"  # one sync, `ingest add`'s dense policy
    assert job.errors == [("第1个.md", "无法解析")]  # our paths replaced by the user's file name
    kept = sorted(p.name for p in (tmp_path / "library").glob("upload-*"))
    assert len(kept) == 2 and all(p.endswith(".md") for p in kept)  # the failed file's kept copy is gone
    assert not any(Path(staged).exists() for _, staged, _ in items)  # staged copies deleted
    records = log.read()
    assert {m["name"] for m in records.values()} == {"第0个.md", "第2个.md"}
    assert all(m["by"] == "本机用户" and m["client"] == "127.0.0.1" for m in records.values())
    report = job.report_html()
    assert "已加入 2 部，更新 0 部，未变 0 部。" in report and "第1个.md：无法解析" in report
    assert "3/3" in job.progress_html()


def test_ingest_job_failure_is_reported_and_one_job_at_a_time(tmp_path):
    items = _staged(tmp_path, ["一、甲。"])

    class Broken(FakeAssistant):
        def add_paths(self, paths, progress=None, dense=True):
            time.sleep(0.3)
            raise RuntimeError("disk full")

    common = dict(library_dir=tmp_path / "library", log=uploads.UploadLog(lambda: tmp_path / "library" / "uploads.json"),
                  plain_error=lambda exc: f"内部错误：{exc}")
    slot = JobSlot()
    job = slot.start(IngestJob(items, "管理员", "c", assistant=Broken(), **common))
    with pytest.raises(uploads.UploadRefused, match=r"另一个加入任务正在进行（0/1）"):
        slot.start(IngestJob([], "管理员", "c", assistant=FakeAssistant(), **common))
    assert job.wait(10)
    assert "加入中断：内部错误：disk full（已完成 0/1 个文件）" in job.report_html()
    assert not Path(items[0][1]).exists()
    slot.start(IngestJob([], "管理员", "c", assistant=FakeAssistant(), **common)).wait(10)  # free again


def test_ingest_job_failing_part_way_keeps_the_provenance_of_what_was_committed(tmp_path):
    items = _staged(tmp_path, ["一、甲。", "一、乙。"])
    log = uploads.UploadLog(lambda: tmp_path / "library" / "uploads.json")

    class HalfDone(FakeAssistant):
        def add_paths(self, paths, progress=None, dense=True):
            self.first = paths[0]
            progress(1, 2, "added")
            raise RuntimeError("disk full")

        def documents(self):
            doc = SimpleNamespace(doc_id="doc-first")
            return [SimpleNamespace(document=doc, source_key=self.first)]

    job = IngestJob(items, "管理员", "c", assistant=HalfDone(), library_dir=tmp_path / "library", log=log,
                    plain_error=lambda exc: f"内部错误：{exc}")
    JobSlot().start(job)
    assert job.wait(10) and "加入中断：内部错误：disk full（已完成 1/2 个文件）" in job.report_html()
    assert {doc_id: m["name"] for doc_id, m in log.read().items()} == {"doc-first": "第0个.md"}


# ---------------------------------------------------------------------------
# chat content


XZ = Document("xz", "西藏自治区人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定", "西藏自治区")
CITE = Citation("xz", XZ.title, "西藏自治区", "article", 16, 3, "第十六条第三款", "公安机关应当配合。", "xz:16:p3")
ANSWER = Answer(text="公安机关应当配合。〔《西藏…决定》第十六条第三款〕", citations=[CITE], query="公安机关")


def test_scope_filters_history_and_turn_labels():
    documents = {"xz": XZ}
    assert chatview.scope_text(None, None, documents) == "全部决定"
    assert chatview.scope_text(["西藏自治区", "呼和浩特市"], ["xz", "gone"], documents) == (
        f"限定地区：西藏自治区、呼和浩特市；限定决定：《{XZ.title}》、gone")
    assert chatview.filters([], None) is None
    assert chatview.filters(["西藏自治区"], ["xz"]) == {"region": ["西藏自治区"], "doc_id": ["xz"]}
    turns = [("问一", ANSWER, "全部决定"), ("问二" * 20, "出错了", "全部决定")]
    assert chatview.history_pairs(turns) == [("问一", ANSWER.text)]
    assert chatview.turn_labels(turns) == [("第1问：问一", 1), ("第2问：" + ("问二" * 20)[:24], 2)]
    assert list(chatview.paced("一二三四五", 2)) == ["一二", "三四", "五"]
    assert chatview.scope_of(("q", ANSWER)) is None


def test_limits_said_in_words():
    assert chatview.question_problem("", 10) == "问题不能为空。"
    assert chatview.question_problem("检察" * 6, 10) == "问题过长（12 字），请控制在 10 字以内。"
    assert chatview.question_problem("检察", 10) is None
    assert chatview.compare_problem(["a"], "公益诉讼", 5) == "请至少选择两部决定进行对照。"
    assert chatview.compare_problem(["a", "b"], "", 5) == "请填写要对照的方面，例如：公益诉讼。"
    assert chatview.compare_problem(["a", "b"], "公益诉讼检察", 5) == "对照的方面过长（6 字），请控制在 5 字以内。"
    assert chatview.compare_problem(["a", "b"], "公益诉讼", 5) is None


def test_export_of_one_turn_written_as_word_or_markdown(tmp_path):
    from docx import Document as Docx

    from assistant import export

    turns = [("问一", ANSWER, "全部决定"), ("问二", ANSWER, "限定地区：西藏自治区")]
    blocks, prefix = export.turn_blocks(turns, None, {"xz": XZ})
    assert prefix == "第2问" and ("h1", "决定问答 · 回答") in blocks
    assert export.turn_blocks(turns, 9, {})[1] == "第2问" and export.turn_blocks(turns, -3, {})[1] == "第1问"
    md = export.write(blocks, tmp_path, prefix, "md", "20250101-093000")
    assert md.name == "决定问答-第2问-20250101-093000.md"
    text = md.read_text(encoding="utf-8")
    assert f"〔《{XZ.title}》第十六条第三款〕" in text and "限定地区：西藏自治区" in text
    docx = export.write(blocks, tmp_path, prefix, "docx", "20250101-093000")
    assert f"《{XZ.title}》第十六条第三款" in "\n".join(p.text for p in Docx(str(docx)).paragraphs)


def test_chat_messages_mark_uploaded_sources_and_errors():
    uploaded = {"xz": {"name": XSS + ".md", "by": "管理员", "at": "2024-05-01T08:09:10+00:00"}}
    turns = [("公安机关需配合哪些事项", ANSWER, "全部决定"), ("再问", "检索失败", "全部决定")]
    messages = chatview.chat_messages(turns, ("第三问", "部分", "限定地区：西藏自治区"), documents={"xz": XZ},
                                      uploads=uploaded)
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    assert "注意：以下回答引用了用户上传的文件" in messages[1]["content"] and "管理员" in messages[1]["content"]
    assert "检索失败" in messages[3]["content"] and "部分" in messages[5]["content"]
    panel = chatview.sources_panel(turns, documents={"xz": XZ}, uploads=uploaded)
    assert "用户上传（管理员，2024-05-01 08:09）" in panel
    assert chatview.sources_panel([("q", "错")], documents={}, uploads={}) == chatview.render.SOURCES_EMPTY
    table = chatview.uploads_table_html([SimpleNamespace(document=XZ)], uploaded)
    assert "<script" not in table and "&lt;script&gt;" in table and "2024-05-01 08:09:10" in table
    assert chatview.uploads_table_html([SimpleNamespace(document=XZ)], {}) == ""


# ---------------------------------------------------------------------------
# access, API sessions, the browser key


def test_library_access_levels():
    assert access.is_exposed("127.0.0.1", False) is False
    assert access.is_exposed(" LOCALHOST ", False) is False
    assert access.is_exposed("0.0.0.0", False) and access.is_exposed("127.0.0.1", True) and access.is_exposed(None, False)
    assert access.library_access(None, "127.0.0.1", False) == "open"
    assert access.library_access(None, "0.0.0.0", False) == "disabled"
    assert access.library_access("s3cret", "0.0.0.0", True) == "token"
    assert access.check("open", None, None) == "本机用户"
    assert access.check("token", "s3cret", "s3cret") == "管理员"
    with pytest.raises(access.AccessDenied, match="口令不正确"):
        access.check("token", "nope", "s3cret", delay_s=0)
    with pytest.raises(access.AccessDenied, match="只读"):
        access.check("disabled", "s3cret", None)


def test_api_only_sessions_are_dropped_when_idle():
    holder = SimpleNamespace(lock=threading.Lock(), time_last_used={"api": 1, "chat": 1},
                             session_data={"api": SimpleNamespace(state_data={}),
                                           "chat": SimpleNamespace(state_data={"turns": [1]})})
    sessions = ApiSessions(lambda: holder, idle_s=3600)  # the sweeper thread sleeps; sweeps are driven here
    sessions.release("api")
    sessions.release("chat")
    sessions.release(None)
    assert sessions.sweep(now=time.monotonic()) == 0 and sessions.pending() == 2  # not idle yet
    assert sessions.sweep(now=time.monotonic() + 3600) == 1
    assert set(holder.session_data) == {"chat"} and "api" not in holder.time_last_used
    assert ApiSessions(lambda: None).sweep() == 0


def test_delivered_queue_entries_of_idle_api_sessions_are_dropped():
    import asyncio

    from assistant.apisessions import drop_delivered

    done, waiting = asyncio.Queue(), asyncio.Queue()
    waiting.put_nowait("process_completed")
    queue = SimpleNamespace(pending_event_ids_session={"done": set(), "busy": {"e1"}, "late": set(), "other": set()},
                            pending_messages_per_session={"done": done, "late": waiting})
    assert drop_delivered(queue, ["done", "busy", "late", "gone"]) == 2
    assert set(queue.pending_event_ids_session) == {"busy", "other"}  # undelivered and not-released ones stay
    assert set(queue.pending_messages_per_session) == {"late"}  # a message still to deliver stays
    assert drop_delivered(SimpleNamespace(), ["done"]) == 0


def test_browser_key_is_kept_private_and_reused(tmp_path):
    key = history.browser_secret(str(tmp_path / "data"))
    path = tmp_path / "data" / "browser-history.key"
    assert len(key) >= 24 and path.read_text(encoding="utf-8") == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert history.browser_secret(str(tmp_path / "data")) == key
    (tmp_path / "file").write_text("x")
    assert history.browser_secret(str(tmp_path / "file" / "sub")) != key  # not writable: a fresh one


# ---------------------------------------------------------------------------
# the early page head


def test_inject_after_the_first_head_tag():
    assert inject(b"<html><head><title>x</title></head>", b"<s/>") == b"<html><head><s/><title>x</title></head>"
    assert inject(b'<HEAD lang="zh">', b"<s/>") == b'<HEAD lang="zh"><s/>'
    assert inject(b"<header>no head</header>", b"<s/>") == b"<header>no head</header>"


def _serve(app, method="GET"):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app({"type": "http", "method": method, "path": "/"}, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return dict(start["headers"]), body


def _page(body: bytes, content_type=b"text/html; charset=utf-8", extra=(), chunks=2):
    async def app(scope, receive, send):
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *extra]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        step = max(1, len(body) // chunks)
        parts = [body[i:i + step] for i in range(0, len(body), step)] or [b""]
        for i, part in enumerate(parts):
            await send({"type": "http.response.body", "body": part, "more_body": i < len(parts) - 1})

    return app


def test_early_head_goes_into_html_pages_only():
    html = "<!doctype html><html><head><script src=bundle.js></script></head></html>".encode()
    headers, body = _serve(EarlyHead(_page(html), "<script>zh()</script>"))
    assert body == b"<!doctype html><html><head><script>zh()</script><script src=bundle.js></script></head></html>"
    assert headers[b"content-length"] == str(len(body)).encode()
    json_page = _page(b'{"a": "<head>"}', b"application/json")
    assert _serve(EarlyHead(json_page, "<script>zh()</script>"))[1] == b'{"a": "<head>"}'
    compressed = _page(html, extra=[(b"content-encoding", b"br")])
    assert _serve(EarlyHead(compressed, "<script>zh()</script>"))[1] == html
    headers, body = _serve(EarlyHead(_page(html), "<script>zh()</script>"), method="HEAD")
    assert body == html  # HEAD and other methods pass through
