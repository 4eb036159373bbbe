"""Extractive answers on the bundled decisions: the right clauses, quoted, cited, nothing invented."""

import pytest

from assistant import Answer


def labels(answer: Answer) -> list[str]:
    return [f"{c.region}{c.label}" for c in answer.citations]


def test_police_question_cites_both_decisions(seed_assistant):
    answer = seed_assistant.ask("公安机关需配合哪些事项")
    assert not answer.refused
    assert "西藏自治区第十六条第三款" in labels(answer)
    assert "呼和浩特市第十一条" in labels(answer)
    assert "侦查监督" in answer.text
    allowed = {"西藏自治区第十六条第三款", "呼和浩特市第十一条", "呼和浩特市第十七条"}
    assert set(labels(answer)) <= allowed
    assert "〔《西藏…决定》第十六条第三款〕" in answer.text
    assert answer.dropped_citations == 0


def test_citations_are_in_order_of_first_use_and_unique(seed_assistant):
    answer = seed_assistant.ask("公安机关需配合哪些事项")
    keys = [c.clause_id for c in answer.citations]
    assert len(keys) == len(set(keys))
    positions = [answer.text.index(f"{c.label}〕") for c in answer.citations]
    assert positions == sorted(positions)


def test_quotes_are_verbatim(seed_assistant):
    answer = seed_assistant.ask("公安机关需配合哪些事项")
    for citation in answer.citations:
        for line in answer.text.splitlines():
            if line.endswith(f"{citation.label}〕") and line.startswith("- "):
                quoted = line[2:].rsplit("〔", 1)[0]
                assert quoted in citation.text.replace("\n", "") or quoted in citation.text


def test_followup_about_courts(seed_assistant):
    first = seed_assistant.ask("公安机关需配合哪些事项")
    answer = seed_assistant.ask("那审判机关呢？", history=[("公安机关需配合哪些事项", first.text)])
    assert answer.query == "审判机关需配合哪些事项"
    assert "西藏自治区第十六条第四款" in labels(answer)
    assert "呼和浩特市第十二条" in labels(answer)
    assert "检察长列席" in answer.text


def test_effective_date_from_closing_clause(seed_assistant):
    answer = seed_assistant.ask("西藏的决定从什么时候开始施行？")
    assert "2024年8月1日" in answer.text
    assert [c.kind for c in answer.citations] == ["closing"]
    assert answer.citations[0].region == "西藏自治区"


def test_effective_on_publication(seed_assistant):
    answer = seed_assistant.ask("呼和浩特的决定什么时候施行？")
    assert "公布之日" in answer.text
    assert [(c.region, c.kind) for c in answer.citations] == [("呼和浩特市", "closing")]


def test_adoption_meeting_from_note(seed_assistant):
    answer = seed_assistant.ask("呼和浩特的决定是哪次会议通过的？")
    assert "第十六届人民代表大会常务委员会第十一次会议" in answer.text
    assert [c.kind for c in answer.citations] == ["note"]


def test_repealed_decision(seed_assistant):
    answer = seed_assistant.ask("西藏的新决定废止了哪个文件？")
    assert "《西藏自治区人民代表大会常务委员会关于加强检察机关法律监督工作的决定》" in answer.text
    assert [c.kind for c in answer.citations] == ["closing"]


@pytest.mark.parametrize("question", ["检察官的工资标准是多少？", "交通事故的赔偿标准是什么？", "离婚后孩子的抚养权归谁？"])
def test_unanswerable_questions_are_refused(seed_assistant, question):
    answer = seed_assistant.ask(question)
    assert answer.refused is True
    assert answer.citations == []
    assert "未找到" in answer.text


def test_region_in_question_filters(seed_assistant):
    answer = seed_assistant.ask("西藏的决定对未成年人检察有什么要求？")
    assert answer.citations and {c.region for c in answer.citations} == {"西藏自治区"}
    assert "西藏自治区第十一条" in labels(answer)


def test_explicit_filter(seed_assistant):
    answer = seed_assistant.ask("未成年人检察有哪些要求", filters={"region": ["呼和浩特市"]})
    assert answer.citations and {c.region for c in answer.citations} == {"呼和浩特市"}


def test_paraphrase_police(seed_assistant):
    hits = seed_assistant.retrieve("警察要配合检察院做什么", k=5)
    found = {(h.clause.region, h.clause.article) for h in hits}
    assert ("西藏自治区", 16) in found and ("呼和浩特市", 11) in found


def test_compare_lists_both_decisions(seed_assistant):
    answer = seed_assistant.ask("西藏和呼和浩特的决定对审判机关的要求有何不同？")
    regions = [c.region for c in answer.citations]
    assert "西藏自治区" in regions and "呼和浩特市" in regions
    assert answer.text.count("**《") == 2


def test_every_citation_names_a_source(seed_assistant):
    for question in ("公益诉讼检察工作有哪些要求", "数字检察", "司法行政机关应当提供哪些信息", "人大如何监督检察机关"):
        answer = seed_assistant.ask(question)
        assert {c.key for c in answer.citations} <= answer.source_keys


def test_stream_yields_text_then_answer(seed_assistant):
    items = list(seed_assistant.stream("公安机关需配合哪些事项"))
    assert isinstance(items[-1], Answer)
    assert all(isinstance(i, str) for i in items[:-1]) and len(items) > 2
    assert "".join(items[:-1]) == items[-1].text


def _region_articles(assistant, hits) -> set[str]:
    docs = {e.document.doc_id: e.document.region for e in assistant.documents()}
    return {f"{docs[h.clause.doc_id]}{h.clause.label}" for h in hits}


def test_entity_question_ranks_the_bodys_own_clauses_first(seed_assistant):
    # 呼和浩特第十七条 names 司法行政机关 inside a list of subjects: 「公安机关、司法行政机关和其他行政执法机关接受…」
    found = _region_articles(seed_assistant, seed_assistant.retrieve("司法行政机关需要为检察机关做些什么？", k=5))
    assert {"西藏自治区第十六条", "呼和浩特市第十七条"} <= found
    answer = seed_assistant.ask("司法行政机关需要为检察机关做些什么？")
    assert "呼和浩特市第十七条" in labels(answer)
    assert "西藏自治区第十六条第三款" not in labels(answer)  # 公安机关's paragraph is not quoted for 司法行政机关


def test_named_region_narrows_a_chosen_region_filter(seed_assistant):
    hits = seed_assistant.retrieve("呼和浩特的决定对审判机关有什么要求？", k=5,
                                   filters={"region": ["西藏自治区", "呼和浩特市"]})
    huhehaote = next(e.document.doc_id for e in seed_assistant.documents() if e.document.region == "呼和浩特市")
    assert len(hits) == 5 and {h.clause.doc_id for h in hits} == {huhehaote}


def test_compare_question_uses_the_chosen_regions(seed_assistant):
    hits = seed_assistant.retrieve("两地决定对审判机关的要求有什么不同？", k=5,
                                   filters={"region": ["西藏自治区", "呼和浩特市"]})
    found = _region_articles(seed_assistant, hits)
    assert {"西藏自治区第十六条", "呼和浩特市第十二条"} <= found


@pytest.mark.parametrize("sentence,subject", [
    ("公安机关、司法行政机关和其他行政执法机关接受配合检察机关法律监督工作的情况，应当报告同级人大常委会。", True),
    ("全省各级人民政府、监察机关、公安机关、司法行政机关、新闻媒体应当加强与检察机关的沟通联系。", True),
    ("健全监察机关、公安机关、检察机关、审判机关、司法行政机关各司其职的体制机制。", False),
    ("加强虚假诉讼监督，加强与公安机关、审判机关、司法行政机关等协作配合。", False),
])
def test_body_in_a_list_of_subjects(sentence, subject):
    from assistant.extractive import _entity_subject

    assert _entity_subject(sentence, ("司法行政机关",)) is subject


def test_a_figure_question_needs_a_figure(seed_assistant):
    refused = seed_assistant.ask("打官司要交多少诉讼费？")  # the decisions speak of 诉讼, never of fees
    assert refused.refused and not refused.citations
    answered = seed_assistant.ask("检察院的服务热线是多少？")
    assert not answered.refused and "12309" in answered.text
