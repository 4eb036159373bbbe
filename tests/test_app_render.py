"""The web app's HTML helpers: escaping, citation chips, highlighting, the library table."""

from datetime import date
from types import SimpleNamespace

from assistant.records import Answer, Citation
from assistant.render import (
    answer_html,
    highlight,
    highlight_terms,
    library_html,
    partial_html,
    safe_url,
    source_card,
    sources_html,
    split_marker,
    user_html,
)

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'
XIZANG = "西藏自治区人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定"
HUHEHAOTE = "呼和浩特市人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定"


def cite(title, region, article, label, text, paragraph=None, doc_id="d1"):
    return Citation(doc_id, title, region, "article", article, paragraph, label, text, f"{doc_id}:{article:04d}")


XZ16 = cite(XIZANG, "西藏自治区", 16, "第十六条第三款", "公安机关应当配合检察机关开展侦查监督。", 3, "xz")
HH11 = cite(HUHEHAOTE, "呼和浩特市", 11, "第十一条", "11.公安机关应当自觉接受并积极配合检察机关的法律监督。", None, "hh")


def test_answer_chips_link_each_marker_to_its_citation():
    answer = Answer(
        text="- 推进侦查监督。〔《西藏决定》第十六条第三款〕\n- 协同推进。〔《呼和浩特决定》第十一条〕",
        citations=[XZ16, HH11],
    )
    out = answer_html(answer, turn=2)
    assert '<a class="jd-cite" href="#jd-src-2-1"' in out
    assert '<a class="jd-cite" href="#jd-src-2-2"' in out
    assert out.index("jd-src-2-1") < out.index("jd-src-2-2")
    assert "《西藏决定》第十六条第三款<sup>[1]</sup>" in out
    assert "<li>" in out  # markdown list rendered


def test_marker_matches_by_title_when_labels_repeat():
    a = cite(XIZANG, "西藏自治区", 11, "第十一条", "甲", None, "xz")
    b = cite(HUHEHAOTE, "呼和浩特市", 11, "第十一条", "乙", None, "hh")
    out = answer_html(Answer(text="乙。〔《呼和浩特市决定》第十一条〕", citations=[a, b]), turn=1)
    assert "#jd-src-1-2" in out and "#jd-src-1-1\"" not in out.split("jd-footnotes")[0]


def test_marker_with_several_references_and_unknown_label():
    assert split_marker("《A》第十一条；第十二条") == [("A", "第十一条"), ("A", "第十二条")]
    out = answer_html(Answer(text="见〔《呼和浩特》第十一条；《呼和浩特》第九十九条〕", citations=[HH11]), turn=1)
    assert out.count('class="jd-cite"') == 1
    assert "第九十九条" in out  # shown as plain text, not dropped


def test_everything_from_documents_and_users_is_escaped():
    bad = cite(XSS, "山城市", 1, "第一条", f"一、监督。{XSS}", None, "x")
    answer = Answer(text=f"监督。{XSS}〔《山城》第一条〕\n\n[x](javascript:alert(1))", citations=[bad])
    doc = SimpleNamespace(adoption_date=date(2024, 3, 1), effective_date=None, effective_on_publication=True,
                          status=XSS, source_url="javascript:alert(1)")
    outputs = [
        answer_html(answer, 1),
        partial_html(answer.text),
        user_html(XSS),
        sources_html([(XSS, answer)], {"x": doc}),
        source_card(bad, 1, 1, doc, highlight_terms("<script>")),
    ]
    for out in outputs:
        assert "<script" not in out and "<img" not in out and "javascript:" not in out.replace("javascript:alert", "")
        assert "&lt;script&gt;" in out or "&lt;" in out
    assert 'href="javascript' not in "".join(outputs)


def test_refusal_is_styled_and_never_empty():
    out = answer_html(Answer(text="", refused=True), 1)
    assert "jd-refusal" in out and "未找到" in out


def test_notice_is_shown():
    out = answer_html(Answer(text="答。", notice="大模型不可用，已改用摘录回答。"), 1)
    assert "jd-notice" in out and "已改用摘录" in out


def test_highlight_uses_the_tokenizer_and_joins_stopword_bigrams():
    terms = highlight_terms("公安机关需配合哪些事项")
    out = highlight("公安机关应当配合检察机关，及时办理。<b>", *terms)
    assert out.startswith("<mark>公安机关</mark>")
    assert "<mark>配合</mark>" in out
    assert "检察机关" in out and "<mark>检察" not in out  # 机关 alone is not a term
    assert out.endswith("&lt;b&gt;")


def test_sources_panel_latest_first_with_dates_and_link():
    doc = SimpleNamespace(adoption_date=date(2024, 7, 31), effective_date=date(2024, 8, 1),
                          effective_on_publication=False, status="有效",
                          source_url="https://flk.npc.gov.cn/detail?id=1&x=<y>")
    first = Answer(text="a〔《西藏》第十六条第三款〕", citations=[XZ16], query="公安机关需配合哪些事项")
    second = Answer(text="没有", refused=True)
    out = sources_html([("公安机关需配合哪些事项", first), ("工资？", second)], {"xz": doc})
    assert out.index("第2问") < out.index("第1问")
    assert 'id="jd-src-1-1"' in out and "<details" in out
    assert "2024年7月31日" in out and "2024年8月1日" in out and "有效" in out
    assert 'href="https://flk.npc.gov.cn/detail?id=1&amp;x=&lt;y&gt;"' in out
    assert "第十六条第三款" in out and XIZANG in out


def test_safe_url():
    assert safe_url("https://a.b/c") == "https://a.b/c"
    for bad in ("javascript:alert(1)", "data:text/html,x", "/etc/passwd", "", None, "http://"):
        assert safe_url(bad) is None


def test_library_table_escapes_metadata():
    doc = SimpleNamespace(doc_id="x1", title=XSS, region="山城市", authority=None, adoption_date=None,
                          meeting=None, effective_date=None, effective_on_publication=False, status=None,
                          source_url=None)
    out = library_html([SimpleNamespace(document=doc, n_clauses=3, source_key="k")])
    assert "<script" not in out and "&lt;script&gt;" in out and ">3<" in out


def test_paragraph_citation_shows_the_whole_article_with_the_cited_paragraph_marked():
    from ingest.records import Clause

    paras = ("十六、健全体制机制。", "监察机关应当配合。", "公安机关应当与检察机关共同推动侦查监督。")
    article = Clause("xz", XIZANG, "西藏自治区", "article", 16, None, None, "第十六条", "\n".join(paras),
                     ordinal=20, paragraphs=paras)
    citation = Citation.from_clause(article.paragraph_view(3))
    answer = Answer(text="推动侦查监督。〔《西藏…决定》第十六条第三款〕", citations=[citation],
                    query="公安机关需配合哪些事项", sources=(article,))
    out = sources_html([("公安机关需配合哪些事项", answer)], {})
    assert out.count('class="jd-context"') == 2 and out.count('class="jd-cited"') == 1
    assert out.index("健全体制机制") < out.index('class="jd-cited"') < out.index("侦查监督")
    assert "第十六条第三款" in out


def test_reader_reads_clauses_from_the_assistant_or_its_index(monkeypatch):
    """Assistant.clauses(doc_id) where the assistant has it, else assistant.index.clauses (older Assistant)."""
    import app
    from ingest.records import Clause, Document

    doc = Document("xz", XIZANG, "西藏自治区")
    clause = Clause("xz", XIZANG, "西藏自治区", "article", 16, None, None, "第十六条", "公安机关应当配合。", ordinal=1)
    entry = SimpleNamespace(document=doc, n_clauses=1)
    index_only = SimpleNamespace(documents=lambda: [entry], index=SimpleNamespace(clauses=lambda d: [clause]))
    with_method = SimpleNamespace(documents=lambda: [entry], clauses=lambda d: [clause],
                                  index=SimpleNamespace(clauses=lambda d: 1 / 0))
    for assistant in (index_only, with_method):
        monkeypatch.setattr(app, "_state", {"assistant": assistant, "settings": None, "documents": None})
        html = app.reader_view("xz", clause.clause_id)
        assert "公安机关应当配合。" in html and "jd-hl" in html


def test_the_scope_is_stated_once_when_the_page_states_it():
    from assistant.records import Answer

    answer = Answer(text="（检索范围：限定地区：山东省）\n\n现有决定中未找到与「x」相关的规定。", refused=True)
    html = answer_html(answer, 1, scope="限定地区：山东省")
    assert html.count("检索范围") == 1
    assert "现有决定中未找到" in html
