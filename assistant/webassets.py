"""The web app's style sheet and page scripts (plain strings; app.py passes them to Gradio's launch, EARLY_HEAD
through assistant.pagehead.EarlyHead)."""

CSS = """
.gradio-container { max-width: 1500px !important; }
.jd-header h1 { font-size: 1.5rem; margin: 0; }
.jd-header p { margin: .2rem 0 0; color: var(--body-text-color-subdued); }
.jd-status { font-size: .9rem; padding: .35rem .7rem; border-radius: 6px; margin: .2rem 0; }
.jd-status-ok { background: #eef6ee; color: #1d5b25; }
.jd-status-bad { background: #fdecec; color: #8a1c1c; }
.jd-examples button { font-size: .85rem !important; border-radius: 999px !important; }
#jd-chat .jd-answer, #jd-chat .jd-refusal, #jd-chat .jd-footnotes { white-space: normal; }
#jd-chat .jd-answer p { margin: .3rem 0; }
#jd-chat .jd-answer ul, #jd-chat .jd-answer ol { margin: .3rem 0; padding-left: 1.4rem; }
#jd-chat .jd-answer li { margin: .25rem 0; }
#jd-chat .jd-answer li p { margin: 0; }
.jd-examples-head { margin-top: .4rem; }
.jd-examples { flex-wrap: wrap; gap: .4rem !important; }
.jd-examples button { flex: 0 1 auto !important; min-width: 0 !important; }
#jd-chat .jd-answer h1, #jd-chat .jd-answer h2, #jd-chat .jd-answer h3, #jd-chat .jd-answer h4 { font-size: 1rem; margin: .6rem 0 .3rem; }
#jd-chat .jd-answer table { border-collapse: collapse; font-size: .9rem; }
#jd-chat .jd-answer td, #jd-chat .jd-answer th { border: 1px solid var(--border-color-primary); padding: .25rem .45rem; vertical-align: top; }
a.jd-cite, a.jd-fn { text-decoration: none; color: #0b5394; background: #e8f0fb; border-radius: 4px; padding: 0 .2rem; cursor: pointer; white-space: nowrap; }
a.jd-cite:hover, a.jd-fn:hover { background: #cfe0f7; }
a.jd-cite sup, a.jd-fn sup { font-weight: 700; margin-left: .1rem; }
.jd-cite-group { color: #0b5394; }
.jd-footnotes { border-top: 1px dashed var(--border-color-primary); margin-top: .5rem; padding-top: .3rem; font-size: .85rem; }
.jd-footnotes ol { margin: .2rem 0 0 1.2rem; padding: 0; list-style: none; }
.jd-footnotes li { margin: .15rem 0; }
.jd-fn-title { color: var(--body-text-color-subdued); margin-left: .4rem; }
.jd-fn-head, .jd-refusal-title, .jd-error-title { font-weight: 700; }
.jd-refusal { border-left: 4px solid #c98a00; background: #fff7e0; padding: .4rem .7rem; border-radius: 4px; color: #5c4200; }
.jd-notice { border-left: 4px solid #6b7fa8; background: #eef2fa; padding: .3rem .6rem; margin-bottom: .4rem; font-size: .9rem; }
.jd-error { border-left: 4px solid #b42318; background: #fdecec; padding: .4rem .7rem; color: #7a1a12; }
.jd-cursor { animation: jd-blink 1s steps(2) infinite; }
.jd-wait { color: var(--body-text-color-subdued); }
@keyframes jd-blink { 50% { opacity: 0; } }
#jd-sources { max-height: 82vh; overflow-y: auto; position: sticky; top: 8px; }
.jd-sources-head { font-weight: 700; font-size: 1.05rem; margin-bottom: .4rem; }
.jd-turn { margin-bottom: .8rem; }
.jd-turn-q { font-weight: 600; margin: .3rem 0; cursor: default; }
details.jd-turn > summary { cursor: pointer; color: var(--body-text-color-subdued); }
.jd-turn-no { display: inline-block; background: #444; color: #fff; border-radius: 3px; padding: 0 .3rem; margin-right: .4rem; font-size: .8rem; }
.jd-src { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .5rem .7rem; margin: .45rem 0; background: var(--background-fill-primary); scroll-margin-top: 12px; }
.jd-src.jd-flash { animation: jd-flash 1.6s ease-out; }
@keyframes jd-flash { 0% { box-shadow: 0 0 0 3px #f5b400; } 100% { box-shadow: 0 0 0 0 transparent; } }
.jd-src-head { display: flex; gap: .5rem; align-items: baseline; }
.jd-num { font-weight: 700; color: #0b5394; }
.jd-label { font-weight: 700; }
.jd-region { color: var(--body-text-color-subdued); font-size: .85rem; }
.jd-src-title { font-size: .85rem; color: var(--body-text-color-subdued); margin: .15rem 0; }
.jd-src-part { font-size: .8rem; color: var(--body-text-color-subdued); }
.jd-src-text p { margin: .3rem 0; line-height: 1.65; white-space: pre-wrap; }
.jd-src-text p.jd-context { color: var(--body-text-color-subdued); font-size: .88rem; }
.jd-src-text p.jd-cited { border-left: 3px solid #0b5394; padding-left: .5rem; }
.jd-src-text mark { background: #ffe58a; padding: 0 1px; border-radius: 2px; }
.jd-src-meta { font-size: .8rem; color: var(--body-text-color-subdued); margin-top: .3rem; }
.jd-muted { color: var(--body-text-color-subdued); font-size: .9rem; }
.jd-table-wrap { overflow-x: auto; }
.jd-table { border-collapse: collapse; width: 100%; font-size: .88rem; }
.jd-table th, .jd-table td { border: 1px solid var(--border-color-primary); padding: .3rem .45rem; text-align: left; vertical-align: top; }
.jd-table th { background: var(--background-fill-secondary); white-space: nowrap; }
.jd-title-cell { min-width: 16rem; }
.jd-num-cell { text-align: right; }
.jd-date-cell { white-space: nowrap; }
.jd-id-cell code { font-size: .75rem; word-break: break-all; }
.jd-clause-text { white-space: pre-wrap; }
.jd-upload { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .5rem .7rem; margin: .5rem 0; }
.jd-upload-bad { border-color: #e3a29b; background: #fff5f4; }
.jd-upload-name { font-weight: 700; }
.jd-upload-error { color: #8a1c1c; }
.jd-facts { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; font-size: .88rem; margin: .3rem 0; }
.jd-clauses { max-height: 420px; }

.jd-hidden, .jd-copy-src { display: none !important; }
.jd-scope { font-size: .82rem; color: #35507a; background: #eef3fb; border-radius: 4px; padding: .1rem .45rem; display: inline-block; margin-bottom: .3rem; }
.jd-tools { float: right; margin-left: .5rem; }
.jd-copy, a.jd-lib-open, a.jd-lib-del { text-decoration: none;  cursor: pointer; font-size: .8rem; border: 1px solid var(--border-color-primary); border-radius: 4px; padding: 0 .4rem; margin-right: .3rem; color: #0b5394; background: var(--background-fill-primary); white-space: nowrap; }
.jd-lib-del { color: #b42318; }
.jd-copy.jd-copied::after { content: " ✓ 已复制"; color: #1d5b25; }
a.jd-open { font-size: .8rem; margin-left: .3rem; }
.jd-reader { padding-right: .5rem; }
.jd-reader-title { margin: .2rem 0 .4rem; }
.jd-reader-part { font-weight: 700; margin: .8rem 0 .3rem; }
.jd-reader-clause { padding: .2rem .5rem; border-left: 3px solid transparent; scroll-margin-top: 40px; }
.jd-reader-clause p { margin: .25rem 0; line-height: 1.7; }
.jd-reader-label { font-size: .78rem; color: var(--body-text-color-subdued); }
.jd-reader-clause.jd-hl { background: #fff8dc; border-left-color: #d48f00; }
.jd-reader-clause p.jd-hl-para { background: #ffe58a; }
.jd-compare { table-layout: fixed; }
.jd-compare td, .jd-compare thead th { white-space: normal; }
.jd-compare th.jd-aspect, .jd-compare thead th:first-child { width: 6rem; }
.jd-missing { color: #8a1c1c; background: #fff5f4; font-weight: 600; }
.jd-cmp-item { margin-bottom: .5rem; }
.jd-cmp-quote { white-space: pre-wrap; line-height: 1.6; }
.jd-cmp-cite { font-size: .8rem; color: #0b5394; }
.jd-diffs { margin-top: .6rem; }
#jd-toolbar { gap: .3rem !important; flex-wrap: wrap; }
#jd-toolbar button { flex: 0 1 auto !important; min-width: 0 !important; }
@media (max-width: 700px) {
  #jd-sources { position: static; max-height: none; }
  .gradio-container { padding: 0 4px !important; }
}
"""

# In the page the server sends, before Gradio's bundle (assistant.pagehead.EarlyHead puts it there):
# - Gradio's own strings follow navigator.language, read once as its bundle starts: the page says it is Chinese
#   first, whatever the browser's language;
# - Gradio 6 titles a toast by its type in English ("Warning", "Error") and ignores the title it is given, and its
#   close button is labelled "Close"; the messages Gradio writes itself are English: each is put in Chinese as the
#   toast appears.
EARLY_HEAD = r"""
<script>
(function () {
  try {
    Object.defineProperty(navigator, "language", { configurable: true, get: function () { return "zh-CN"; } });
    Object.defineProperty(navigator, "languages", { configurable: true, get: function () { return ["zh-CN", "zh"]; } });
  } catch (e) {}
  document.documentElement.lang = "zh-CN";
  var TITLES = { error: "出错了", warning: "提示", info: "提示", success: "完成" };
  var MESSAGES = {
    "Connection to the server was lost. Attempting reconnection...": "与服务器的连接已断开，正在尝试重新连接……",
    "An Unexpected Error Occurred!": "发生了意外错误，请重试。",
    "An error occurred.": "出错了。", "Warning.": "提示。", "Info.": "提示。", "Success.": "完成。"
  };
  function put(node, value) { if (node && node.nodeValue !== value) node.nodeValue = value; }
  function localise() {
    document.querySelectorAll(".toast-body .toast-title").forEach(function (title) {
      for (var type in TITLES) {
        if (title.classList.contains(type) && title.firstChild && title.firstChild.nodeType === 3) {
          put(title.firstChild, TITLES[type] + " ");
        }
      }
    });
    document.querySelectorAll(".toast-body [data-testid='toast-close']").forEach(function (button) {
      if (button.getAttribute("aria-label") !== "关闭") button.setAttribute("aria-label", "关闭");
      if (button.getAttribute("title") !== "关闭") button.setAttribute("title", "关闭");
    });
    document.querySelectorAll(".toast-body [data-testid='toast-text']").forEach(function (text) {
      var message = MESSAGES[text.textContent.trim()];
      if (message) text.textContent = message;
    });
  }
  new MutationObserver(function () {
    if (document.querySelector(".toast-body")) localise();
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
})();
</script>
"""

# Citation chips bring the clause into view (opening its folded turn) and flash it; 「全文」/「打开」 open the
# whole decision, 「删除」 asks first; both go through the hidden bridge textbox + button; 「复制」 copies an answer.
HEAD = r"""
<script>
function jdBridge(payload) {
  var box = document.querySelector("#jd-bridge textarea, #jd-bridge input");
  var go = document.querySelector("#jd-bridge-go");
  if (!box || !go) return;
  var proto = box.tagName === "TEXTAREA" ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, "value").set.call(box, JSON.stringify(payload));
  box.dispatchEvent(new Event("input", { bubbles: true }));
  setTimeout(function () { go.click(); }, 80);
}
function jdScrollWhenShown(anchor, doc) {
  var tries = 0;
  (function step() {
    var reader = document.querySelector("#jd-reader .jd-reader");
    var focus = reader && reader.getAttribute("data-focus");
    var el = anchor ? (focus && document.getElementById(focus)) : reader;
    if (reader && reader !== jdScrollWhenShown.last && el && el.offsetParent) {
      jdScrollWhenShown.last = reader;
      el.scrollIntoView({ block: anchor ? "center" : "start" });
      return;
    }
    if (++tries < 60) setTimeout(step, 100);
  })();
}
function jdCopy(text, el) {
  function done() { el.classList.add("jd-copied"); setTimeout(function () { el.classList.remove("jd-copied"); }, 1800); }
  function fallback() {
    var ta = document.createElement("textarea");
    ta.value = text; document.body.appendChild(ta); ta.select();
    try { document.execCommand("copy"); } catch (e) {}
    document.body.removeChild(ta); done();
  }
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
  else fallback();
  window.__jdCopied = text;
}
document.addEventListener("click", function (event) {
  if (!event.target.closest) return;
  var copy = event.target.closest(".jd-copy");
  if (copy) {
    event.preventDefault();
    var holder = copy.closest(".message, .message-wrap, [data-testid='bot']") || copy.parentElement.parentElement;
    var src = copy.parentElement.querySelector(".jd-copy-src");
    jdCopy(src ? src.textContent : (holder ? holder.innerText : ""), copy);
    return;
  }
  var open = event.target.closest("a.jd-open, a.jd-lib-open");
  if (open) {
    event.preventDefault(); event.stopPropagation();
    var parts = (open.getAttribute("href") || "").replace(/^#jd-open\//, "").split("/");
    var clause = parts.slice(1).join("/");
    jdBridge({ action: "open", doc: parts[0] || "", clause: clause });
    jdScrollWhenShown(clause ? "pending" : "", parts[0] || "");
    return;
  }
  var del = event.target.closest("a.jd-lib-del");
  if (del) {
    event.preventDefault(); event.stopPropagation();
    var row = del.closest("tr");
    var title = row && row.cells.length ? row.cells[0].innerText : "";
    if (window.confirm("确定从文库删除《" + title + "》？")) {
      jdBridge({ action: "delete", doc: (del.getAttribute("href") || "").replace(/^#jd-del\//, "") });
    }
    return;
  }
  var link = event.target.closest("a.jd-cite, a.jd-fn");
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  var target = document.getElementById((link.getAttribute("href") || "").replace(/^#/, ""));
  if (!target) return;
  var folded = target.closest("details");
  if (folded) folded.open = true;
  target.scrollIntoView({ behavior: "smooth", block: "start" });
  target.classList.remove("jd-flash");
  void target.offsetWidth;
  target.classList.add("jd-flash");
}, true);
</script>
"""

# Run after the reader is filled: bring the marked clause into view.
SCROLL_TO_FOCUS = """() => { let tries = 0; const step = () => {
  const reader = document.querySelector('#jd-reader .jd-reader');
  const id = reader && reader.dataset.focus;
  const el = id && document.getElementById(id);
  if (el && el.offsetParent) { el.scrollIntoView({ block: 'center' }); return; }
  if (++tries < 40) setTimeout(step, 100);
}; setTimeout(step, 100); }"""
