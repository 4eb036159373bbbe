"""Exports, 对照 tables and stored conversations, without a browser."""

from __future__ import annotations

from assistant import alignment, export, history

XIZANG = "西藏自治区人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定"
HUHEHAOTE = "呼和浩特市人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定"


def test_answer_export_has_full_citations_and_decisions(seed_assistant, tmp_path):
    answer = seed_assistant.ask("公安机关需配合哪些事项")
    documents = {e.document.doc_id: e.document for e in seed_assistant.documents()}
    blocks = export.answer_blocks("公安机关需配合哪些事项", answer, documents, scope="全部决定")
    md = export.to_markdown(blocks)
    assert f"〔《{XIZANG}》第十六条第三款〕" in md and f"〔《{HUHEHAOTE}》第十一条〕" in md
    assert "通过：2024年7月31日" in md and "https://flk.npc.gov.cn/" in md and "检索范围：全部决定" in md
    from docx import Document

    text = "\n".join(p.text for p in Document(str(export.to_docx(blocks, tmp_path / "a.docx"))).paragraphs)
    assert f"《{XIZANG}》第十六条第三款" in text


def test_compare_marks_missing_provisions_and_states_differences(seed_assistant):
    ids = {e.document.region: e.document.doc_id for e in seed_assistant.documents()}
    table = alignment.compare(seed_assistant, [ids["西藏自治区"], ids["呼和浩特市"]], "公益诉讼、工资")
    public, salary = table["rows"]
    assert all(public["cells"]) and not any(salary["cells"])
    assert any("食品药品安全" in d for d in table["differences"])
    assert any("没有相应规定" in d for d in table["differences"])
    md = export.to_markdown(export.compare_blocks(table))
    assert "【无相应规定】" in md and f"《{HUHEHAOTE}》第八条" in md


def test_conversations_round_trip(seed_assistant):
    answer = seed_assistant.ask("公安机关需配合哪些事项")
    store, conv = history.save(history.empty_store(), None, [("公安机关需配合哪些事项", answer, "全部决定")])
    turns = history.load(store, conv)
    assert turns[0][1].citations == answer.citations and turns[0][2] == "全部决定"
    store = history.delete(store, conv)
    assert history.choices(store) == [] and store["current"] is None
