"""End to end: `python app.py` as a subprocess, driven through gradio_client and headless Chromium.

Each group starts its own server on a free loopback port with a fresh index in a tmp dir
(built from the bundled corpus by the app itself) and kills it at teardown.
Browser tests need Debian's chromium (`apt-get install chromium`) and are marked `browser`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = "公安机关需配合哪些事项"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS_MARKUP = ("<script>window.__xss=1</script>", '<img src=x onerror="window.__xss=1">')

HAIBIN_MD = """# 海滨市人民代表大会常务委员会关于加强海洋生态保护检察工作的决定

（2024年5月20日海滨市第八届人民代表大会常务委员会第十二次会议通过）

为加强海洋生态保护，结合本市实际，作出如下决定：

一、检察机关应当加强珊瑚礁、红树林等海洋生态系统的公益诉讼检察工作，依法督促有关部门履行监管职责。

二、海洋渔业主管部门应当及时向检察机关通报非法捕捞珊瑚礁鱼类的案件线索。

三、本决定自公布之日起施行。
"""

XSS_TXT = f"""山城市人民代表大会常务委员会关于加强网络直播监督检察工作的决定

（2024年3月1日山城市第九届人民代表大会常务委员会第五次会议通过）

为规范网络直播营销活动，作出如下决定：

一、检察机关应当加强对网络直播打赏纠纷的监督。{XSS_MARKUP[0]}

二、直播平台应当协助核查打赏记录。{XSS_MARKUP[1]}

三、本决定自2024年4月1日起施行。
"""


# ---------------------------------------------------------------------------
# The server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serving(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "config", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _start_app(tmp: Path, timeout_s: float = 420.0, index_dir: Path | None = None, extra_env: dict | None = None):
    """Start `python app.py` on a free port; returns (process, url, log path)."""
    port = _free_port()
    log_path = tmp / "app.log"
    index_dir = index_dir or tmp / "index"
    env = dict(os.environ)
    env.update(
        {
            "JUEDING_DATA_DIR": str(tmp / "data"),
            "JUEDING_ANSWER_MODE": "extractive",
            "JUEDING_LLM_BASE_URL": "",
            "OPENAI_BASE_URL": "",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "GRADIO_TEMP_DIR": str(tmp / "gradio"),
            "TMPDIR": str(tmp),
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
    )
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), "--index-dir", str(index_dir)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        if _serving(url):
            return proc, url, log_path
        time.sleep(0.25)
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


@pytest.fixture(scope="module")
def app_home(tmp_path_factory):
    """(url, tmp dir) of the server the API tests share; its index is at tmp/index."""
    tmp = tmp_path_factory.mktemp("app")
    proc, url, log = _start_app(tmp)
    yield url, tmp
    _stop(proc)


@pytest.fixture(scope="module")
def app_server(app_home):
    return app_home[0]


# ---------------------------------------------------------------------------
# gradio_client


def _ask(url: str, *args) -> dict:
    from gradio_client import Client

    result = Client(url, verbose=False).predict(*args, api_name="/ask")
    return json.loads(result) if isinstance(result, str) else result


def _cited(result: dict) -> set[tuple[str, int | None]]:
    return {(c["region"], c["article"]) for c in result["citations"]}


def test_ask_endpoint_cites_both_decisions(app_server):
    r = _ask(app_server, SEED)
    assert set(r) >= {"text", "refused", "citations"}
    assert r["refused"] is False
    assert ("西藏自治区", 16) in _cited(r) and ("呼和浩特市", 11) in _cited(r)
    assert "侦查监督" in r["text"]
    for c in r["citations"]:
        assert set(c) >= {"doc_id", "doc_title", "region", "kind", "article", "paragraph", "label", "text"}
    xizang = next(c for c in r["citations"] if c["region"] == "西藏自治区" and c["article"] == 16)
    assert xizang["label"].startswith("第十六条") and xizang["doc_title"].startswith("西藏自治区")


def test_ask_endpoint_follow_up_filters_and_refusal(app_server):
    first = _ask(app_server, SEED)
    follow = _ask(app_server, "那审判机关呢？", [[SEED, first["text"]]])
    assert ("呼和浩特市", 12) in _cited(follow) and ("西藏自治区", 16) in _cited(follow)

    only = _ask(app_server, SEED, None, {"region": ["呼和浩特市"]})
    assert only["citations"] and {c["region"] for c in only["citations"]} == {"呼和浩特市"}

    refused = _ask(app_server, "检察官的工资标准是多少？")
    assert refused["refused"] is True and refused["citations"] == [] and refused["text"].strip()


def test_ask_endpoint_rejects_an_empty_question(app_server):
    from gradio_client import Client

    with pytest.raises(Exception, match="问题不能为空"):
        Client(app_server, verbose=False).predict("  ", api_name="/ask")


def test_thirty_concurrent_chats(app_server):
    questions = [SEED, "那审判机关呢？", "西藏的决定从什么时候开始施行？", "未成年人检察有哪些要求", "检察官的工资标准是多少？"]

    def chat(i: int) -> dict:
        q = questions[i % len(questions)]
        history = [[SEED, "（略）"]] if q.startswith("那") else None
        return _ask(app_server, q, history)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=30) as pool:
        results = list(pool.map(chat, range(30)))
    elapsed = time.perf_counter() - started
    print(f"30 concurrent chats in {elapsed:.1f} s")
    assert len(results) == 30
    for i, r in enumerate(results):
        assert r["text"].strip()
        if questions[i % len(questions)] == SEED:
            assert ("西藏自治区", 16) in _cited(r) and ("呼和浩特市", 11) in _cited(r)
        if "工资" in questions[i % len(questions)]:
            assert r["refused"] is True


def test_restart_on_an_existing_index_serves_it(app_home, tmp_path):
    """A start on an index that exists serves it as it is (the cold-start time is a benchmark figure:
    bench/run_benchmarks.py; this test only prints it)."""
    import shutil

    shutil.copytree(app_home[1] / "index", tmp_path / "index")
    started = time.perf_counter()
    (tmp_path / "run").mkdir()
    proc, url, log = _start_app(tmp_path / "run", timeout_s=120, index_dir=tmp_path / "index")
    elapsed = time.perf_counter() - started
    try:
        assert ("呼和浩特市", 11) in _cited(_ask(url, SEED))
    finally:
        _stop(proc)
    print(f"cold start to serving: {elapsed:.2f} s")


# ---------------------------------------------------------------------------
# Headless Chromium

browser = pytest.mark.browser


def _artifacts_dir() -> Path:
    path = Path(os.environ.get("JUEDING_ARTIFACTS_DIR") or ROOT / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser_app(tmp_path_factory):
    """A second server, so that documents uploaded here never change the API tests' answers."""
    proc, url, log = _start_app(tmp_path_factory.mktemp("browser-app"))
    yield url
    _stop(proc)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1440, "height": 1000},
            locale="zh-CN",
        )
        yield context
        context.close()


@pytest.fixture
def page(chromium, browser_app):
    page = chromium.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(browser_app)
    page.wait_for_selector("#jd-status:has-text('文库已就绪')", timeout=60_000)
    yield page
    page.close()
    assert not errors, errors


_DONE = "#jd-chat .jd-answer:not(.jd-streaming), #jd-chat .jd-refusal, #jd-chat .jd-error"


def _ask_in_page(page, question: str) -> None:
    before = page.locator(_DONE).count()
    page.locator("#jd-question textarea").fill(question)
    page.locator("#jd-question textarea").press("Enter")
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length > n && !document.querySelector('#jd-chat .jd-streaming')",
        arg=[_DONE, before],
        timeout=60_000,
    )


def _upload_for_review(page, path: Path, text: str):
    """Write `text` to `path`, upload it on the 文库 tab, and return the review once it shows it parsed."""
    path.write_text(text, encoding="utf-8")
    page.get_by_role("tab", name="文库").click()
    page.locator("#jd-upload input[type=file]").set_input_files(str(path))
    review = page.locator("#jd-review .jd-upload-ok")
    review.wait_for(timeout=60_000)
    return review


@browser
def test_seed_question_shows_citations_and_sources(page):
    page.get_by_role("button", name=SEED, exact=True).click()
    page.wait_for_selector("#jd-sources .jd-src", timeout=60_000)
    chips = page.locator("#jd-chat a.jd-cite")
    assert chips.count() >= 2
    sources = page.locator("#jd-sources")
    cards = sources.locator(".jd-src")
    texts = [cards.nth(i).inner_text() for i in range(cards.count())]
    assert any("第十六条" in t and "西藏自治区" in t for t in texts), texts
    assert any("第十一条" in t and "呼和浩特市" in t for t in texts), texts
    assert sources.locator("mark").count() > 0  # the question's terms are highlighted
    assert "2024年8月1日" in sources.inner_text()  # 西藏's effective date

    shot = _artifacts_dir() / "app-seed-question.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")

    # A chip brings its clause into view.
    target = chips.last.get_attribute("href").lstrip("#")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    chips.last.click()
    page.wait_for_timeout(800)
    assert page.locator(f"#{target}").evaluate(
        "el => { const r = el.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; }"
    )

    # Follow-up in the same conversation; the first turn's sources fold away.
    _ask_in_page(page, "那审判机关呢？")
    latest = page.locator("#jd-sources section.jd-turn").inner_text()
    assert "呼和浩特市" in latest and "第十二条" in latest
    assert page.locator("#jd-sources details.jd-turn").count() == 1


@browser
def test_refusal_is_shown_as_such(page):
    _ask_in_page(page, "检察官的工资标准是多少？")
    refusal = page.locator("#jd-chat .jd-refusal")
    assert refusal.count() == 1 and "未找到" in refusal.inner_text()


@browser
def test_uploaded_document_is_reviewed_indexed_and_answered(page, tmp_path):
    review = _upload_for_review(page, tmp_path / "海滨 决定.md", HAIBIN_MD)
    assert "海滨市" in review.inner_text() and "第二条" in review.inner_text()
    page.locator("#jd-add").click()
    page.wait_for_selector("#jd-add-report:has-text('已加入 1 部')", timeout=120_000)
    assert "海滨市人民代表大会常务委员会" in page.locator("#jd-library").inner_text()

    page.get_by_role("tab", name="问答").click()
    _ask_in_page(page, "非法捕捞珊瑚礁鱼类的线索由谁通报？")
    sources = page.locator("#jd-sources section.jd-turn").inner_text()
    assert "海滨市" in sources and "第二条" in sources
    page.screenshot(path=str(_artifacts_dir() / "app-uploaded-document.png"), full_page=True)

    # Remove it again (after the confirm dialog); the library and the filters forget it.
    title = "海滨市人民代表大会常务委员会关于加强海洋生态保护检察工作的决定"
    page.get_by_role("tab", name="文库").click()
    page.locator("#jd-remove-pick input").click()
    page.get_by_role("option", name=title).click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#jd-remove").click()
    page.wait_for_selector("#jd-remove-report:has-text('已删除')", timeout=60_000)
    assert title not in page.locator("#jd-library").inner_text()


@browser
def test_unsupported_upload_is_refused_in_plain_words(page, tmp_path):
    bad = tmp_path / "notes.exe"
    bad.write_bytes(b"MZ\x00\x01")
    page.get_by_role("tab", name="文库").click()
    page.locator("#jd-upload input[type=file]").set_input_files(str(bad))
    error = page.locator("#jd-review .jd-upload-bad")
    error.wait_for(timeout=60_000)
    assert "notes.exe" in error.inner_text() and "不支持的文件类型" in error.inner_text()
    assert page.locator("#jd-add").is_disabled()


@browser
def test_xss_document_renders_inert(page, tmp_path):
    review = _upload_for_review(page, tmp_path / "<img src=x onerror=window.__xss=1>.txt", XSS_TXT)
    assert all(markup in review.inner_text() for markup in XSS_MARKUP)  # the clause table, as text
    assert "onerror=window.__xss=1" in review.inner_text()  # the file name, shown as text (Gradio drops <>)
    page.locator("#jd-add").click()
    page.wait_for_selector("#jd-add-report:has-text('已加入 1 部')", timeout=120_000)
    page.get_by_role("tab", name="问答").click()

    _ask_in_page(page, "网络直播打赏纠纷如何监督？")
    assert XSS_MARKUP[0] in page.locator("#jd-sources").inner_text()
    _ask_in_page(page, XSS_MARKUP[1])  # the user's own text is escaped too
    assert XSS_MARKUP[1] in page.locator("#jd-chat").inner_text()
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("#jd-sources script, #jd-chat script, #jd-sources img, #jd-chat img[src='x']").count() == 0
    page.screenshot(path=str(_artifacts_dir() / "app-xss-inert.png"), full_page=True)
    page.get_by_role("tab", name="文库").click()
    assert "山城市" in page.locator("#jd-library").inner_text()
    assert page.evaluate("typeof window.__xss") == "undefined"


@browser
def test_region_filter_restricts_the_answer(page):
    page.locator("#jd-regions input").click()
    page.get_by_role("option", name="呼和浩特市", exact=True).click()
    page.keyboard.press("Escape")
    _ask_in_page(page, SEED)
    cards = page.locator("#jd-sources section.jd-turn .jd-src")
    assert cards.count() >= 1
    regions = {cards.nth(i).locator(".jd-region").inner_text() for i in range(cards.count())}
    assert regions == {"呼和浩特市"}


@pytest.fixture(scope="module")
def llm_app(tmp_path_factory):
    """(url, scripted server): the app in LLM mode against a scripted OpenAI-compatible server on loopback."""
    from llm_server import ScriptedLLM

    with ScriptedLLM() as llm:
        proc, url, log = _start_app(tmp_path_factory.mktemp("llm-app"), extra_env={
            "JUEDING_ANSWER_MODE": "llm", "JUEDING_LLM_BASE_URL": llm.base_url, "JUEDING_LLM_MODEL": "scripted"})
        yield url, llm
        _stop(proc)


@browser
def test_llm_mode_in_the_page_shows_verified_citations_and_falls_back(chromium, llm_app):
    url, llm = llm_app
    page = chromium.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector("#jd-status:has-text('文库已就绪')", timeout=60_000)

    llm.replies = ["- 公安机关应当及时办理检察机关移送的涉嫌犯罪线索。[S1]\n- 另有一项并不存在的规定。[S9]"]
    _ask_in_page(page, SEED)
    answer = page.locator("#jd-chat .jd-answer").last
    text = answer.inner_text()
    assert "及时办理检察机关移送的涉嫌犯罪线索" in text
    assert "[S1]" not in text and "[S9]" not in text  # S1 became a verified marker, S9 (never sent) was dropped
    assert answer.locator("a.jd-cite").count() == 1
    user_prompt = llm.requests[-1]["messages"][-1]["content"]
    assert SEED in user_prompt and '<source id="S1"' in user_prompt

    llm.replies = [{"status": 500}, {"status": 500}]  # the follow-up's condense request, then the answer
    sent_before = len(llm.requests)
    _ask_in_page(page, "审判机关应当如何配合检察机关的法律监督？")
    assert len(llm.requests) == sent_before + 2
    assert page.locator("#jd-chat .jd-notice").count() == 1  # the first answer had none
    assert page.locator("#jd-chat .jd-notice").last.inner_text() == "大模型服务不可用（HTTP 500），以下为摘录式回答。"
    fallback = page.locator("#jd-chat .jd-answer").last
    assert "检察长列席" in fallback.inner_text()
    assert fallback.locator("a.jd-cite").count() >= 1  # the extractive answer, cited
    page.screenshot(path=str(_artifacts_dir() / "app-llm-mode.png"), full_page=True)
    page.close()
    assert not errors, errors
