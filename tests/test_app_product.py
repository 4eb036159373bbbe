"""The web chat as a clerk uses it: exports, history across reloads, 对照, reading a decision, Chinese UI.

One server on a fresh index (bundled corpus), driven by headless Debian chromium; screenshots go to
test-artifacts/ (JUEDING_ARTIFACTS_DIR). Run this file on its own: `pytest tests/test_app_product.py`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import LAWREFBOOK
from tests.test_app_e2e import (  # noqa: F401  (fixtures)
    CHROMIUM,
    CHROMIUM_ARGS,
    SEED,
    _artifacts_dir,
    _ask_in_page,
    _start_app,
    _stop,
)

pytestmark = pytest.mark.browser

XIZANG = "西藏自治区人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定"
HUHEHAOTE = "呼和浩特市人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定"
BEIJING = LAWREFBOOK / "DLC" / "北京地方法规" / "地方性法规" / "北京"
TAX_FILES = [
    BEIJING / "北京市人民代表大会常务委员会关于北京市耕地占用税适用税额的决定(2019-07-26).md",
    BEIJING / "北京市人民代表大会常务委员会关于北京市应税大气污染物和水污染物环境保护税适用税额的决定(2017-12-01).md",
]
# Gradio's own English strings that must not show in a Chinese page
ENGLISH = ["Clear", "Warning", "Use via API", "Built with Gradio", "Settings", "Submit", "Drop File Here",
           "Click to Upload", "Loading", "Error", "Stop", "Retry", "Undo", "Copy", "Download", "Select", "Close",
           "Info", "Success", "Dismiss", "Connection"]
MAX_FILES = 2  # files one upload may hold on this server (JUEDING_UPLOAD_MAX_FILES): a limit a test can hit


@pytest.fixture(scope="module")
def product_app(tmp_path_factory):
    proc, url, log = _start_app(tmp_path_factory.mktemp("product-app"),
                                extra_env={"JUEDING_UPLOAD_MAX_FILES": str(MAX_FILES)})
    yield url
    _stop(proc)


@pytest.fixture(scope="module")
def playwright_driver():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def context(playwright_driver, tmp_path_factory):
    ctx = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
        args=CHROMIUM_ARGS, viewport={"width": 1440, "height": 900}, locale="zh-CN", accept_downloads=True,
    )
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def english_context(playwright_driver):
    """A browser whose language is English (navigator.language, Accept-Language): the page must still be Chinese."""
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US", accept_downloads=True)
    yield ctx
    ctx.close()
    browser.close()


def _open(ctx, url):
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector("#jd-status:has-text('文库已就绪')", timeout=120_000)
    return page, errors


@pytest.fixture
def page(context, product_app):
    page, errors = _open(context, product_app)
    yield page
    page.close()
    assert not errors, errors


def _shot(page, name: str, full_page: bool = False) -> Path:
    path = _artifacts_dir() / name
    page.screenshot(path=str(path), full_page=full_page)
    return path


def _visible_english(page) -> list[str]:
    text = page.locator("body").inner_text()
    titles = page.evaluate("Array.from(document.querySelectorAll('[title],[aria-label]')).filter(e => e.offsetParent)"
                           ".map(e => (e.getAttribute('title') || '') + ' ' + (e.getAttribute('aria-label') || ''))"
                           ".join('\\n')")
    found = []
    for word in ENGLISH:
        if re.search(rf"\b{re.escape(word)}\b", text + "\n" + titles):
            found.append(word)
    return found


def _download(page, button: str, target: Path, file_box: str = "#jd-export-file") -> Path:
    """Click an export button, wait for its file (a new one: each export is written to a folder of its own)."""
    link = f"{file_box} a"
    before = page.locator(link).first.get_attribute("href") if page.locator(link).count() else None
    page.locator(button).click()
    page.wait_for_function("([sel, old]) => { const a = document.querySelector(sel); "
                           "return a && a.getAttribute('href') && a.getAttribute('href') !== old; }",
                           arg=[link, before], timeout=60_000)
    with page.expect_download() as info:
        page.locator(link).first.click()
    info.value.save_as(str(target))
    return target


def _pick(page, box: str, option: str) -> None:
    page.locator(f"{box} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_seed_answer_exports_word_and_markdown_with_full_citations(page, tmp_path):
    assert page.locator("#jd-regions").is_visible() and page.locator("#jd-regions").bounding_box()["y"] < 900
    _ask_in_page(page, SEED)
    answer = page.locator("#jd-chat .jd-answer").last
    assert page.locator("#jd-chat .jd-scope").last.inner_text() == "检索范围：全部决定"
    assert "title" in page.locator("#jd-chat a.jd-cite").first.evaluate("e => e.getAttributeNames().join(' ')")
    assert "公安机关" in page.locator("#jd-chat a.jd-cite").first.get_attribute("title")
    _shot(page, "product-chat-1440x900.png")
    assert not _visible_english(page), _visible_english(page)

    docx_path = _download(page, "#jd-export-docx", tmp_path / "answer.docx")
    from docx import Document

    doc = Document(str(docx_path))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"《{XIZANG}》第十六条第三款" in text
    assert f"《{HUHEHAOTE}》第十一条" in text
    assert "通过：2024年7月31日" in text and "https://flk.npc.gov.cn/" in text
    assert "〔《西藏…决定》" not in text

    md_path = _download(page, "#jd-export-md", tmp_path / "answer.md")
    md = md_path.read_text(encoding="utf-8")
    assert f"〔《{XIZANG}》第十六条第三款〕" in md and f"《{HUHEHAOTE}》第十一条" in md
    assert "所引决定" in md and "施行：2024年8月1日" in md

    copy = page.locator("#jd-chat .jd-copy").last
    copy.click()
    copied = page.evaluate("window.__jdCopied || ''")
    assert f"《{XIZANG}》第十六条第三款" in copied
    assert answer.is_visible()


def test_whole_conversation_exports_to_word_and_markdown_with_every_citation_in_full(page, tmp_path):
    page.locator("#jd-clear").click()  # a conversation of its own: two questions
    page.wait_for_function("!document.querySelector('#jd-chat .jd-answer')", timeout=10_000)
    _ask_in_page(page, SEED)
    _ask_in_page(page, "审判机关需配合哪些事项")
    cited = [f"《{XIZANG}》第十六条第三款", f"《{HUHEHAOTE}》第十一条",  # first answer
             f"《{XIZANG}》第十六条第四款", f"《{HUHEHAOTE}》第十二条"]  # second answer

    from docx import Document

    doc = Document(str(_download(page, "#jd-export-conv-docx", tmp_path / "conversation.docx")))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "决定问答 · 对话记录" in text and SEED in text and "审判机关需配合哪些事项" in text
    assert text.index(SEED) < text.index("审判机关需配合哪些事项")
    missing = [c for c in cited if c not in text]
    assert not missing, missing
    assert "〔《西藏…决定》" not in text and "所引决定" in text  # markers expanded; the decisions listed once
    assert text.count(f"《{XIZANG}》（") <= 1 and "通过：2024年7月31日" in text and "https://flk.npc.gov.cn/" in text

    md = _download(page, "#jd-export-conv-md", tmp_path / "conversation.md").read_text(encoding="utf-8")
    assert md.startswith("# 决定问答 · 对话记录") and SEED in md and "审判机关需配合哪些事项" in md
    missing = [c for c in cited if f"〔{c}〕" not in md]
    assert not missing, missing
    assert "〔《西藏…决定》" not in md and "所引决定" in md and "施行：2024年8月1日" in md
    _shot(page, "product-conversation-exported.png")


def test_conversations_survive_a_reload_and_an_older_one_opens(page):
    page.locator("#jd-clear").click()  # the page reopened the last conversation: start a new one
    page.wait_for_function("!document.querySelector('#jd-chat .jd-answer')", timeout=10_000)
    _ask_in_page(page, "未成年人检察有哪些要求")
    page.locator("#jd-clear").click()
    page.wait_for_function("!document.querySelector('#jd-chat .jd-answer')", timeout=10_000)
    _ask_in_page(page, "审判机关需配合哪些事项")
    page.wait_for_timeout(800)  # the browser store is written after the answer
    page.reload()
    page.wait_for_selector("#jd-status:has-text('文库已就绪')", timeout=60_000)
    page.wait_for_selector("#jd-chat .jd-answer", timeout=20_000)
    assert "审判机关需配合哪些事项" in page.locator("#jd-chat").inner_text()
    page.locator("#jd-history").click()
    page.locator("#jd-conv-pick input").click()
    options = page.get_by_role("option")
    labels = options.all_inner_texts()
    assert any("未成年人检察有哪些要求" in label for label in labels), labels
    page.get_by_role("option", name=re.compile("未成年人检察有哪些要求")).first.click()
    page.locator("#jd-conv-open").click()
    page.wait_for_function(
        "document.querySelector('#jd-chat').innerText.includes('未成年人检察有哪些要求')", timeout=20_000)
    assert "审判机关需配合哪些事项" not in page.locator("#jd-chat").inner_text()
    _shot(page, "product-history-reopened.png")


def test_citation_opens_the_decision_with_the_article_highlighted(page):
    page.locator("#jd-clear").click()
    page.wait_for_function("!document.querySelector('#jd-chat .jd-answer')", timeout=10_000)
    _ask_in_page(page, SEED)
    page.locator("#jd-chat .jd-footnotes li", has_text="第十六条第三款").locator("a.jd-open").click()
    page.wait_for_selector("#jd-reader .jd-reader-clause.jd-hl", timeout=20_000)
    marked = page.locator("#jd-reader .jd-hl")
    assert "十六" in marked.inner_text() and "公安机关" in marked.inner_text()
    page.wait_for_timeout(800)
    assert marked.first.evaluate("e => { const r = e.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; }"), marked.first.evaluate("e => [JSON.stringify(e.getBoundingClientRect()), scrollY, document.querySelector('#jd-reader .jd-reader').dataset.focus, e.id]")
    _shot(page, "product-reader-highlighted.png")
    assert not _visible_english(page), _visible_english(page)


def _compare(page, titles: list[str], aspect: str) -> str:
    page.get_by_role("tab", name="对照").click()
    for title in titles:
        _pick(page, "#jd-cmp-docs", title)
    page.keyboard.press("Escape")
    page.locator("#jd-cmp-aspect input").fill(aspect)
    page.keyboard.press("Enter")
    page.locator("#jd-cmp-go").click()
    page.wait_for_selector("#jd-compare-table", timeout=60_000)
    return page.locator("#jd-cmp-table").inner_text()


def test_compare_xizang_and_huhehaote_on_public_interest_litigation(page, tmp_path):
    text = _compare(page, [XIZANG, HUHEHAOTE], "公益诉讼")
    table = page.locator("#jd-compare-table")
    assert table.locator("tbody tr").count() == 1
    assert f"《{XIZANG}》第十条" in text and f"《{HUHEHAOTE}》第八条" in text
    diffs = page.locator(".jd-diffs li")
    assert diffs.count() >= 1 and "食品药品安全" in page.locator(".jd-diffs").inner_text()
    _shot(page, "product-compare-xizang-huhehaote.png", full_page=True)
    assert not _visible_english(page), _visible_english(page)
    md = _download(page, "#jd-cmp-md", tmp_path / "compare.md", "#jd-cmp-file").read_text(encoding="utf-8")
    assert f"《{XIZANG}》第十条" in md and "### 差异" in md


def test_compare_two_beijing_tax_rate_decisions_uploaded_here(page, tmp_path):
    if not all(p.exists() for p in TAX_FILES):
        pytest.skip("../shared/corpora/lawrefbook missing")
    files = []
    for i, path in enumerate(TAX_FILES):
        copy = tmp_path / f"beijing-tax-{i}.md"
        shutil.copyfile(path, copy)
        files.append(str(copy))
    page.get_by_role("tab", name="文库").click()
    page.locator("#jd-upload input[type=file]").set_input_files(files)
    page.wait_for_selector("#jd-review .jd-upload-ok >> nth=1", timeout=60_000)
    page.locator("#jd-add").click()
    page.wait_for_selector("#jd-add-report:has-text('已加入 2 部')", timeout=180_000)
    library = page.locator("#jd-library-table")
    assert "编号" not in library.inner_text() and "有效（按施行日期推定）" in library.inner_text()
    _shot(page, "product-library.png", full_page=True)
    assert not _visible_english(page), _visible_english(page)
    titles = [p.name.split("(")[0] for p in TAX_FILES]
    text = _compare(page, titles, "适用税额")
    assert "每平方米四十五元" in text and "每污染当量12元" in text
    assert f"《{titles[0]}》第一条" in text and f"《{titles[1]}》第一条" in text
    assert "每污染当量12元" in page.locator(".jd-diffs").inner_text()
    _shot(page, "product-compare-beijing-tax.png", full_page=True)
    path = _download(page, "#jd-cmp-docx", tmp_path / "compare.docx", "#jd-cmp-file")
    from docx import Document

    doc = Document(str(path))
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert f"《{titles[0]}》第一条" in cells and "每污染当量14元" in cells
    # the library row opens the decision
    page.get_by_role("tab", name="文库").click()
    page.locator("#jd-library-table tr", has_text=titles[1]).locator(".jd-lib-open").click()
    page.wait_for_selector("#jd-reader .jd-reader-title", timeout=20_000)
    assert titles[1] in page.locator("#jd-reader").inner_text()


def test_long_question_is_refused_in_plain_words_and_narrow_layout(page):
    page.locator("#jd-question textarea").fill("检察" * 600)
    page.locator("#jd-question textarea").press("Enter")
    page.wait_for_selector("#jd-note:has-text('问题过长（1200 字）')", timeout=10_000)
    assert not _visible_english(page), _visible_english(page)
    assert len(page.locator("#jd-question textarea").input_value()) == 1200  # not cut
    _shot(page, "product-too-long.png")
    page.set_viewport_size({"width": 420, "height": 900})
    _ask_in_page(page, SEED)
    chat = page.locator("#jd-chat").bounding_box()
    sources = page.locator("#jd-sources").bounding_box()
    examples = page.locator(".jd-examples").bounding_box()
    assert sources["y"] > chat["y"] + chat["height"] - 1
    _shot(page, "product-narrow-420.png", full_page=True)
    assert examples is not None


def _toast(page, kind: str, title: str):
    """The toast of `kind` once it has flown in (its own animations done) with `title` as its title."""
    page.wait_for_function(
        "([kind, title]) => { const t = document.querySelector('.toast-body.' + kind); "
        "return t && t.getAnimations().length === 0 && t.querySelector('.toast-title').textContent.trim() === title; }",
        arg=[kind, title], timeout=30_000)
    return page.locator(f"[data-testid='toast-body'].{kind}")


def test_an_english_browser_gets_the_page_and_its_toasts_in_chinese(english_context, product_app, tmp_path):
    page, errors = _open(english_context, product_app)
    assert page.evaluate("navigator.language") == "zh-CN" and page.evaluate("document.documentElement.lang") == "zh-CN"
    _ask_in_page(page, SEED)
    assert not _visible_english(page), _visible_english(page)
    _shot(page, "product-en-browser-chat.png")
    page.get_by_role("tab", name="文库").click()
    assert "点击上传" in page.locator("#jd-upload").inner_text()  # Gradio's own string, in its Chinese
    assert not _visible_english(page), _visible_english(page)
    _shot(page, "product-en-browser-library.png", full_page=True)

    # a warning: Gradio titles a toast by its type ("Warning") whatever it is given; the page says 提示
    page.get_by_role("tab", name="对照").click()
    page.locator("#jd-cmp-go").click()
    toast = _toast(page, "warning", "提示")
    assert toast.locator("[data-testid='toast-text']").inner_text() == "请至少选择两部决定进行对照。"
    assert toast.locator("[data-testid='toast-close']").get_attribute("aria-label") == "关闭"
    assert not _visible_english(page), _visible_english(page)
    _shot(page, "product-en-browser-toast-warning.png")
    toast.locator("[data-testid='toast-close']").click()
    toast.wait_for(state="detached", timeout=10_000)

    # an error: more files at once than this server takes
    files = []
    for i in range(MAX_FILES + 1):
        path = tmp_path / f"f{i}.md"
        path.write_text(f"# 测试决定{i}\n\n一、检察机关应当加强监督。\n", encoding="utf-8")
        files.append(str(path))
    page.get_by_role("tab", name="文库").click()
    page.locator("#jd-upload input[type=file]").set_input_files(files)
    toast = _toast(page, "error", "出错了")
    assert f"一次最多上传 {MAX_FILES} 个文件（本次 {MAX_FILES + 1} 个）" in toast.inner_text()
    assert toast.locator("[data-testid='toast-close']").get_attribute("aria-label") == "关闭"
    assert not _visible_english(page), _visible_english(page)
    _shot(page, "product-en-browser-toast-error.png")
    assert not page.locator("#jd-review .jd-upload").count()  # nothing staged
    page.close()
    assert not errors, errors
