"""The seven failure classes of issue #11, each on real decisions: the seeds plus LawRefBook 决定/决议/规定
that share short titles (six 北京 决定, two 山东 texts, 最高人民法院 amendment decisions).

Questions here are written for these tests, not taken from any evaluation set.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from assistant.metrics import wrong_document_citations
from assistant.records import Citation
from conftest import CORPUS, LAWREFBOOK, ROOT
from ingest.parser import parse_file

BEIJING = LAWREFBOOK / "DLC" / "北京地方法规" / "地方性法规" / "北京"
SHANDONG = LAWREFBOOK / "DLC" / "山东地方法规" / "地方性法规" / "山东"
HENAN = LAWREFBOOK / "DLC" / "河南地方法规" / "地方性法规" / "河南"
EXTRA = [
    *sorted(BEIJING.glob("*决定*.md")),
    SHANDONG / "山东省人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决议(2019-09-27).md",
    SHANDONG / "山东省人民代表大会常务委员会讨论决定重大事项的规定(2018-11-30).md",
    HENAN / "河南省人民代表大会常务委员会讨论、决定重大事项的规定.md",
    LAWREFBOOK / "司法解释" / "最高人民法院关于修改《最高人民法院关于审理食品药品纠纷案件适用法律若干问题的规定》的决定.md",
    LAWREFBOOK / "司法解释" / "最高人民法院关于修改《最高人民法院关于审理铁路运输人身损害赔偿纠纷案件适用法律若干问题的解释》的决定.md",
]

SHANGHAI = LAWREFBOOK / "DLC" / "上海地方法规" / "地方性法规" / "上海"
ZHEJIANG = LAWREFBOOK / "DLC" / "浙江地方法规" / "地方性法规" / "浙江"
SHANGHAI_COURT = LAWREFBOOK / "司法解释" / "最高人民法院关于修改《关于上海金融法院案件管辖的规定》的决定.md"

pytestmark = pytest.mark.skipif(not LAWREFBOOK.is_dir(), reason="needs ../shared/corpora/lawrefbook")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """The seeds and 11 other decisions, with the bundled e5."""
    from assistant import Assistant

    index_dir = tmp_path_factory.mktemp("mixed-index")
    with Assistant.open(index_dir=index_dir) as assistant:
        report = assistant.add_paths(EXTRA)
        assert not report.errors
        yield assistant


def cited(answer) -> set[tuple[str, str]]:
    """(title fragment, label) pairs, the label cut to the article (第十六条第三款 → 第十六条)."""
    return {(c.doc_title, re.sub(r"第[^条]+款$", "", c.label)) for c in answer.citations}


def titles(answer) -> set[str]:
    return {c.doc_title for c in answer.citations}


# 1. Keyword routing -------------------------------------------------------------------------------

def test_tonguo_as_by_means_of_is_a_content_question(mixed):
    answer = mixed.ask("各地人大常委会可以通过什么办法监督检察机关的工作？")
    assert not answer.refused
    assert all(c.kind == "article" for c in answer.citations)  # not the 题注 (通过 = adopted)
    assert any("听取" in c.text for c in answer.citations)


def test_shengxiao_caipan_is_a_content_question(mixed):
    answer = mixed.ask("对已经生效的裁判，检察机关怎样开展监督？")
    assert not answer.refused
    assert all(c.kind == "article" for c in answer.citations)  # not the 施行 clause (生效 = in force)
    assert any("生效" in c.text and "监督" in c.text for c in answer.citations)


def test_what_a_repeal_decision_repeals_is_answered_from_its_articles(mixed):
    answer = mixed.ask("北京市关于废止部分地方性法规的决定把哪些条例废止了？")
    assert not answer.refused
    assert titles(answer) == {"北京市人民代表大会常务委员会关于废止部分地方性法规的决定"}
    assert sum(c.kind == "article" for c in answer.citations) >= 2


def test_a_content_question_read_as_one_about_the_document_falls_back_to_search(mixed):
    """The intent model reads 「…废止了要怎么办」 as a question about the document's repeal; no clause of it
    states one, so the evidence overrules the intent and the question is answered from its articles."""
    answer = mixed.ask("河南讨论决定重大事项的规定里，常委会的决议决定对人民政府有约束力吗，废止了要怎么办？")
    assert not answer.refused and answer.debug["intent"] == "topic"
    assert ("河南省人民代表大会常务委员会讨论、决定重大事项的规定", "第十四条") in cited(answer)  # 有关机关应当执行


def test_a_fact_asked_about_something_else_is_not_a_decisions_own_fact(mixed):
    """「…通过的…方案哪天生效」: the 题注 and 施行 clauses say nothing of what the question asks about, so they do
    not answer it (before, six decisions' 题注 were quoted); a stray word (当初) does not make a document's own
    fact something else."""
    answer = mixed.ask("村民会议通过的土地承包方案哪天生效？")
    assert answer.refused and not answer.citations
    answer = mixed.ask("西藏的决定当初是哪天通过的？")
    assert {(c.doc_title[:2], c.label) for c in answer.citations} == {("西藏", "题注")}


def test_the_basis_of_a_decision_asked_in_other_words_is_read_from_its_preamble(seed_assistant):
    """「依照哪些文件出台的」 asks what the document was made on (its 序言), not when it was 废止/施行."""
    answer = seed_assistant.ask("西藏的决定是依照哪些文件出台的？")
    assert answer.debug["intent"] == "basis"
    assert {(c.doc_title[:2], c.kind) for c in answer.citations} == {("西藏", "preamble")}


def test_pronoun_after_a_question_about_a_body_refers_to_the_document(mixed):
    history = [("西藏的决定对公安机关有什么要求？", "")]
    answer = mixed.ask("它从哪天起施行？", history=history)
    assert not answer.refused
    assert {(c.region, c.kind) for c in answer.citations} == {("西藏自治区", "closing")}
    assert "2024年8月1日" in answer.text


def test_a_follow_up_naming_the_document_discussed_is_read_on_its_own_words(mixed):
    """「这部规定…」 after a question about when it was adopted: 这部 is a cue word, and dropping it before the
    reference was read left 「规定…作出决定」 to be read with the earlier 通过 (the 题注 was quoted)."""
    history = [("山东讨论决定重大事项的规定是哪次会议通过的？", "")]
    answer = mixed.ask("这部规定要求人大常委会对哪些重大事项作出决定？", history)
    assert not answer.refused and answer.citations
    assert all(c.label.startswith("第") and "讨论决定重大事项" in c.doc_title and c.region == "山东省"
               for c in answer.citations)


def test_a_follow_up_searches_with_its_own_words_in_the_document_discussed(mixed):
    """The earlier question chose the document; its topic (公益诉讼) is not what the follow-up asks."""
    answer = mixed.ask("那对虚假诉讼呢？", history=[("山东的检察监督决议对公益诉讼有什么规定？", "")])
    assert not answer.refused
    assert cited(answer) == {("山东省人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决议", "第三条")}
    assert "虚假诉讼" in answer.text


def test_a_follow_up_asking_inside_the_text_discussed_stays_in_it(seed_assistant):
    """文中, 里面, 其中 point inside what was just discussed: the 呼和浩特 decision, not both seeds (西藏 was quoted);
    what that decision never says is not found, although the 西藏 one says it."""
    history = [("呼和浩特的决定第十二条讲的什么？", "")]
    answer = seed_assistant.ask("文中提到的司法信息共享包括哪些环节？", history)
    assert ("呼和浩特市人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定", "第十二条") in cited(answer)
    assert titles(answer) == {"呼和浩特市人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定"}
    assert seed_assistant.ask("里面对律师执业权利有什么保障？", history).refused


def test_a_follow_up_about_the_document_discussed_keeps_it_when_another_title_holds_its_words(tmp_path):
    """「它对浦东新区有什么支持」 after a question on 上海's 一网通办 决定: 它 is that decision; 浦东新区, said with no type
    word after it, is what is asked about, not the name of the 浦东 决定 (whose title holds it). Before, both
    decisions were in scope and 浦东新区 was dropped from the search as a name: refused."""
    from assistant import Assistant

    one_net = SHANGHAI / "上海市人民代表大会常务委员会关于进一步促进和保障“一网通办”改革的决定(2021-06-23).md"
    pudong = SHANGHAI / "上海市人民代表大会常务委员会关于促进和保障浦东新区改革开放再出发实现新时代高质量发展的决定(2019-07-25).md"
    with Assistant.open(index_dir=tmp_path / "index") as assistant:
        assert not assistant.add_paths([one_net, pudong]).errors
        answer = assistant.ask("它对浦东新区有什么支持？", history=[("上海一网通办的决定是哪天通过的？", "")])
        assert not answer.refused
        assert {(c.doc_title[-12:], c.article) for c in answer.citations} == {("进一步促进和保障“一网通办”改革的决定"[-12:], 2)}


def test_article_number_follow_up_is_an_article_lookup(mixed):
    history = [("呼和浩特的决定对审判机关有什么要求？", "")]
    answer = mixed.ask("第十三条呢？", history=history)
    assert cited(answer) == {("呼和浩特市人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定", "第十三条")}


def test_a_title_said_whole_with_its_issuer_names_the_document_and_is_not_what_is_asked(mixed):
    """A title without 关于 said whole (「山东省人民代表大会常务委员会讨论决定重大事项的规定」): its issuer is part of the
    name, not a body asked about, so the question reads as asking when it takes effect (第二十四条 本规定自…施行)."""
    answer = mixed.ask("山东省人民代表大会常务委员会讨论决定重大事项的规定是从哪一天起施行的？")
    assert answer.debug["intent"] == "effective"
    assert cited(answer) == {("山东省人民代表大会常务委员会讨论决定重大事项的规定", "第二十四条")}
    assert "2019年1月1日" in answer.text


def test_a_decision_whose_articles_repeal_regulations_is_not_said_to_repeal_nothing(mixed):
    """北京's 废止部分地方性法规 决定 repeals four regulations, one per article, and has no 「同时废止」 closing: the
    answer's lead points at those articles instead of saying it repeals nothing above them."""
    answer = mixed.ask("北京废止部分地方性法规的决定废止了哪些法规？")
    assert "未载明废止" not in answer.text and "所废止的文件见以下条文" in answer.text
    assert {c.label for c in answer.citations} == {"第一条", "第二条", "第三条", "第四条"}


def test_a_determiner_pointing_at_the_document_is_not_a_word_its_fact_leaves_unsaid(mixed):
    """「这份…决议施行以后，废止了哪个文件」: 这份 points at the 山东 决议, as 哪个 asks; neither is something the
    closing (「…同时废止」) would have to say, so the question is not sent to search and refused."""
    answer = mixed.ask("山东这份加强新时代检察机关法律监督工作的决议施行以后，废止了哪个文件？")
    assert not answer.refused
    assert [(c.region, c.kind) for c in answer.citations] == [("山东省", "closing")]
    assert "关于加强人民检察院法律监督工作的决议" in answer.text


def test_a_document_type_word_inside_a_quotation_names_no_document(seed_assistant):
    """「“防止干预司法‘三个规定’常态化落实机制”出自哪一条」 quotes 呼和浩特's 第十条: the 规定 inside the quotation is
    part of what is quoted, not a document outside the library to refuse for."""
    answer = seed_assistant.ask("请问“防止干预司法‘三个规定’常态化落实机制”出自哪个决定的哪一条？")
    assert not answer.refused and "文库中没有" not in answer.text
    assert [(c.region, c.label) for c in answer.citations] == [("呼和浩特市", "第十条")]


def test_a_decision_described_by_the_regulation_it_repeals_is_the_one_asked_about(mixed):
    """「北京废止《北京市信息化促进条例》的那个决定，是哪一天通过的」 asks when the 废止 决定 was adopted (2021年9月24日);
    the 条例 is not indexed, and quoting what the texts say of it gave its own adoption date (2007年9月14日)."""
    answer = mixed.ask("北京废止《北京市信息化促进条例》的那个决定，是哪一天通过的？")
    assert not answer.refused and not answer.text.startswith("文库中没有")
    assert ("北京市人民代表大会常务委员会关于废止部分地方性法规的决定", "题注") in cited(answer)
    assert answer.text.index("2021年9月24日") < answer.text.find("2007年9月14日") or "2007年9月14日" not in answer.text


def test_a_comparison_of_when_two_decisions_take_effect_is_read_without_its_asking_frame(seed_assistant):
    """「…施行日期方面有什么区别」: the whole frame (有什么区别) goes before the intent is read; with 区别 alone gone,
    the 「有什么」 left behind read as a topic question and the comparison was refused."""
    answer = seed_assistant.ask("西藏和呼和浩特的决定，施行日期方面有什么区别？")
    assert not answer.refused
    assert sorted((c.region, c.kind) for c in answer.citations) == [("呼和浩特市", "closing"), ("西藏自治区", "closing")]
    assert "2024年8月1日" in answer.text and "自公布之日起施行" in answer.text


def test_standing_committee_as_subject_of_every_article_does_not_quote_everything(mixed):
    answer = mixed.ask("山东讨论决定重大事项的规定里，人大常委会收到议案后怎么审议？")
    assert not answer.refused
    assert len({c.article for c in answer.citations}) <= 6
    assert titles(answer) == {"山东省人民代表大会常务委员会讨论决定重大事项的规定"}


def test_a_body_acting_in_every_retrieved_article_does_not_choose_the_articles(mixed):
    """人大常委会 acts in nearly every article of its own rules, 公安机关 in a few of the 西藏 decision's."""
    from assistant.extractive import body_everywhere

    def everywhere(question):
        plan = mixed.plan(question, [])
        assert plan.intent == "entity"
        return body_everywhere(plan, mixed._retrieve(plan, mixed.scope(plan, None), 6))

    assert everywhere("山东讨论决定重大事项的规定中，省人大常委会应当做哪些工作？")
    assert not everywhere("西藏的决定里公安机关应当做哪些工作？")


def test_a_body_named_beside_the_one_that_acts_does_not_make_an_entity_question(mixed):
    """政府部门 is what the 检察院 would sue: quoting what 政府 must do (第八条) misses the 公益诉讼 provision."""
    question = "在山东，政府部门不作为，让国家吃了亏，检察院可以起诉吗？"
    assert mixed.plan(question, []).intent == "topic"
    answer = mixed.ask(question)
    assert ("山东省人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决议", "第五条") in cited(answer)
    assert not any(c.article == 8 for c in answer.citations)
    assert mixed.plan("山东的决议要求公安机关配合哪些事项？", []).intent == "entity"


def test_a_content_question_the_closing_clause_answers_quotes_it(mixed):
    """The closing clause of a 最高人民法院 amendment decision says the amended 解释 is published again; the
    answer quoted an article of the decision that says 施行 instead."""
    answer = mixed.ask("铁路运输人身损害赔偿的那个解释，按修改决定改完以后要不要重新公布？")
    assert not answer.refused
    assert [c.label for c in answer.citations] == ["施行条款"]
    assert "重新公布" in answer.text


def test_what_is_required_of_a_body_stays_an_entity_question_when_the_model_wavers(seed_assistant):
    """「对审判机关的要求」 says whose duties are asked however close the model's entity and topic readings are
    (a comparison's frame pulls them together): 西藏's 第八条 (民事 supervision, no duty of the courts) is no answer."""
    question = "西藏、呼和浩特两部决定对审判机关的要求有哪些不同？"
    assert seed_assistant.plan(question, []).intent == "entity"
    got = {(c.doc_title[:2], c.article) for c in seed_assistant.ask(question).citations}
    assert {("西藏", 16), ("呼和", 12)} <= got and ("西藏", 8) not in got


@pytest.mark.parametrize("question", ["呼和浩特那个检察监督的决定对公安有什么要求？", "西藏的检察监督决定对公安机关有哪些要求？"])
def test_a_decision_named_by_place_and_loose_words_does_not_hide_the_body_asked_about(seed_assistant, question):
    """A place and a few words ending in 决定 name the decision; what is asked is the rest (「对公安有什么要求」).
    Read with the name, the model leaned to a topic question; read without it, a body's duties."""
    plan = seed_assistant.plan(question, [])
    assert (plan.intent, plan.entity) == ("entity", "公安机关")
    answer = seed_assistant.ask(question)
    assert answer.citations and all("公安机关" in c.text for c in answer.citations)


def test_comparing_a_figure_named_by_its_noun_quotes_the_paragraphs_stating_it(mixed):
    """「…期限要求有什么不同」 compares periods as 「期限是多久」 asks for one: each side's paragraphs that state a
    period (三十日内, 一个月内), not every paragraph on how a 议案 is handled (ten were quoted)."""
    answer = mixed.ask("河南和山东的讨论决定重大事项规定，对有关委员会审查议案的期限要求有什么不同？")
    assert {c.doc_title[:2] for c in answer.citations} == {"河南", "山东"}
    assert all(re.search(r"[一二三四五六七八九十]+(?:日|个月)内", c.text) for c in answer.citations)


def test_a_yes_or_no_question_in_other_words_quotes_only_the_nearest_provisions(seed_assistant):
    """「…检察院会管吗」 asks whether a provision says so: 第二条 (维护国家安全) answers it; 第七条 (刑事诉讼
    supervision), a little further in meaning, was quoted beside it."""
    answer = seed_assistant.ask("西藏那边有人在网上散布谣言搞分裂，检察院会管吗？")
    got = {(c.doc_title[:2], c.article) for c in answer.citations}
    assert ("西藏", 2) in got and ("西藏", 7) not in got


def test_a_body_named_with_its_level_is_the_one_asked_about_and_found_acting(mixed):
    """「对市人民政府…要求」 asks what 人民政府 must do although 市 stands between 对 and its name; and
    「…的，市人民政府应当及时提出议案」 has it as the subject after the level."""
    answer = mixed.ask("北京那个机构改革职责调整的决定，对市人民政府提出了什么要求？")
    assert answer.debug["intent"] == "entity"
    assert {c.article for c in answer.citations} == {3, 4}
    assert titles(answer) == {"北京市人民代表大会常务委员会关于市人民政府机构改革涉及地方性法规规定的行政机关职责调整问题的决定"}


def test_a_decision_named_by_a_shortened_title_word_is_the_one_in_scope(mixed):
    """「环保税」 shortens 环境保护税 the Chinese way (characters left out, the rest in order): the question names the
    北京 环境保护税 决定 only. Before, no title bigram was said: every 北京 决定 was in scope and each one's 施行
    clause was quoted."""
    answer = mixed.ask("北京环保税的那个决定从哪天起施行？")
    assert not answer.refused
    assert titles(answer) == {"北京市人民代表大会常务委员会关于北京市应税大气污染物和水污染物环境保护税适用税额的决定"}
    assert mixed.table().said_in_full("北京的发现和出现", list(mixed._docs())) == "北京的发现和出现"


def test_a_body_before_a_noun_says_whose_and_is_not_asked_about(mixed):
    """「政府债务怎么管」 asks about debt; 政府 says whose. Read as a question on 人民政府's duties, it quoted only the
    sentences where the government acts and missed 「（三）加强政府债务审查监督」 (第一条)."""
    question = "北京预算审查监督的决定，政府债务怎么管？"
    plan = mixed.plan(question, [])
    assert plan.entity is None and plan.intent != "entity"
    assert 1 in {c.article for c in mixed.ask(question).citations}
    assert mixed.plan("北京预算审查监督的决定对市人民政府有什么要求？", []).entity == "人民政府"


def test_a_body_named_by_another_kind_of_office_is_found_by_the_texts_name(mixed):
    """The 预算审查监督 决定 says 审计部门; a user says 审计局. A body the entity table does not list is looked for by
    its stem with each kind of office (局, 部门, 机关 …); before, by 审计局 only: nothing said it, refused."""
    question = "北京加强市级预算审查监督的那个决定，对市审计局有什么要求？"
    plan = mixed.plan(question, [])
    assert plan.intent == "entity" and "审计部门" in plan.terms
    answer = mixed.ask(question)
    assert not answer.refused
    assert all("审计部门" in c.text for c in answer.citations)
    assert titles(answer) == {"北京市人民代表大会常务委员会关于加强市级预算审查监督的决定"}


def test_a_body_asked_at_one_level_is_not_answered_with_another_levels_duties(mixed):
    """「乡镇政府」 asked: 「乡、镇人民政府和街道办事处应当…」 (第二条) answers; 「市、区人民政府应当…」 (第一条) is another
    level's duty. Before, a list of levels before the body was not read as its level at all."""
    answer = mixed.ask("北京防控新冠肺炎疫情的决定，乡镇政府有什么职责？")
    assert answer.citations and {c.article for c in answer.citations} == {2}


def test_a_body_the_entity_table_does_not_list_is_the_one_asked_about(mixed):
    """财政经济委员会 is not in assistant/entities.json; 市人大 before it qualifies it and is not the body asked about."""
    plan = mixed.plan("北京的预算审查监督决定对市人大财政经济委员会有哪些要求？", [])
    assert (plan.intent, plan.entity) == ("entity", "财政经济委员会")
    answer = mixed.ask("北京预算审查监督决定里，财政经济委员会要做哪些事？")
    assert not answer.refused
    assert {c.article for c in answer.citations} >= {3, 4, 6}
    assert all("预算审查监督" in c.doc_title for c in answer.citations)


def test_a_determiner_before_a_body_suffix_names_no_body():
    from assistant.analysis import unlisted_body

    assert unlisted_body("罚款办法里财政部负责哪些事项？") == "财政部"
    assert unlisted_body("各个部门能不能各搞一套审批系统？") is None
    assert unlisted_body("有关部门收到检察建议后要做什么？") is None
    assert unlisted_body("委员会要做什么？") is None


def test_a_listed_body_no_decision_in_scope_names_is_refused(seed_assistant):
    """新闻媒体 is in the entity table, but neither seed decision names it; 司法行政机关 is named by both."""
    assert seed_assistant.ask("新闻媒体应当怎样配合检察机关？").refused
    answer = seed_assistant.ask("司法行政机关应当怎样配合检察机关？")
    assert not answer.refused
    assert all("司法行政" in c.text for c in answer.citations)


def test_a_body_the_decision_never_names_is_refused(mixed):
    assert mixed.ask("河南讨论决定重大事项的规定对省人大常委会办公厅有什么要求？").refused


# 2. The refusal gate --------------------------------------------------------------------------------

def test_a_plain_language_question_is_answered_from_the_top_ranked_provision(mixed):
    answer = mixed.ask("孩子在学校被人欺负了，呼和浩特的检察院管这种事吗？")
    assert not answer.refused
    assert any(c.region == "呼和浩特市" and "未成年人" in c.text for c in answer.citations)


@pytest.mark.parametrize("question", ["呼和浩特市人大常委会主任是哪位？", "西藏自治区人民检察院设在拉萨什么位置？"])
def test_an_asked_for_person_or_place_that_is_not_stated_is_refused(mixed, question):
    assert mixed.ask(question).refused


@pytest.mark.parametrize("question", ["河南省人大常委会讨论决定重大事项的规定，是哪位领导提请常委会审议的？",
                                      "山东的检察监督决议，是由哪位副主任作的说明？"])
def test_a_person_asked_with_which_one_that_is_not_stated_is_refused(mixed, question):
    """哪位 asks for a person whatever the noun after it (领导, 副主任): the provisions on 提请审议 name bodies,
    not people, so quoting them would pass for an answer."""
    assert mixed.ask(question).refused


def test_a_person_asked_about_a_documents_adoption_is_not_answered_with_the_meeting(mixed):
    """The 题注 states the meeting that adopted the decision, not who presided: the question asks a person."""
    answer = mixed.ask("西藏的决定是哪位常委会领导主持会议通过的？")
    assert answer.refused and not answer.citations
    assert "未载明所问的具体人员" in answer.text
    meeting = mixed.ask("西藏的决定是哪次会议通过的？")
    assert not meeting.refused and "第十一次会议" in meeting.text


def test_a_yes_or_no_tail_does_not_turn_a_document_fact_into_a_search(mixed):
    """「…修改过没有」 asks yes or no: 没有 is the question's grammar, not a word the 题注 leaves unsaid."""
    answer = mixed.ask("河南省人大常委会讨论、决定重大事项的规定是哪一年通过的？之后修改过没有？")
    assert not answer.refused
    assert {(c.doc_title, c.label) for c in answer.citations} == {("河南省人民代表大会常务委员会讨论、决定重大事项的规定", "题注")}


@pytest.mark.parametrize("question", ["西藏的决定规定检察官每个月工资是多少？", "北京耕地占用税的决定对逾期缴纳的罚款比例是多少？"])
def test_an_asked_for_figure_that_is_not_stated_is_refused(mixed, question):
    assert mixed.ask(question).refused


@pytest.mark.parametrize("question", ["西藏的决定规定检察机关收到控告后几个工作日内答复？", "山东的决议要求有关单位在几个工作日内回复检察建议？",
                                      "山东决议规定检察听证要邀请几名人大代表参加？"])
def test_a_figure_asked_in_a_named_unit_that_is_not_stated_is_refused(mixed, question):
    """「几个工作日」「几名」 ask for a figure as 「多少」 does (figures.asks_figure): the provisions on 答复,
    回复 and 听证 state no such figure, so quoting them would pass for an answer."""
    assert mixed.ask(question).refused


@pytest.mark.parametrize(("question", "title"), [
    ("河南省人大常委会讨论、决定重大事项的规定最初是哪次会议通过的？后来有没有修改过？", "河南省人民代表大会常务委员会讨论、决定重大事项的规定"),
    ("山东的检察监督决议当初是哪次会议通过的？后来有没有修正过？", "山东省人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决议"),
    ("北京预算审查监督的决定最初是哪天通过的，后来修改过没有？", "北京市人民代表大会常务委员会关于加强市级预算审查监督的决定"),
])
def test_the_words_saying_when_a_fact_is_asked_are_no_subject(mixed, question, title):
    """最初, 当初, 后来 (times) set the question in time; they are no subject the 题注 must say (api.TIME_TAGS).
    Before, two of them left the 题注 short of the question's words and were searched (the 施行 clause, 第九条…
    quoted), the third refused."""
    answer = mixed.ask(question)
    assert not answer.refused
    assert [(c.doc_title, c.label) for c in answer.citations] == [(title, "题注")]


def test_a_time_word_the_stating_text_says_counts_as_said(mixed):
    """日期 is tagged a time as 最初 is, but it asks for the fact: where the 施行 clause or the ways of asking for it
    say it, it counts (left out, a question whose other words the clause leaves unsaid fell short of
    FACT_COVERAGE and was searched instead of answered from the 施行 clauses); 最初, unsaid, does not."""
    from assistant.api import fact_words

    plan = mixed.plan("北京耕地占用税的决定最初的施行日期是哪天？")
    matcher = mixed.matcher(plan, mixed.scope(plan))
    assert {"最初", "日期"} <= set(matcher.words)
    judged = fact_words(matcher, plan.query, "本决定自2019年9月1日起施行。\n施行日期是哪天")
    assert "日期" in judged and "最初" not in judged


def test_a_question_most_of_whose_words_the_fact_clause_only_half_says_is_no_question_about_the_document(mixed):
    """「“决定”这个环节的法定时限」 reads like a question about what the decision repeals; the clause found for it
    says 时限 and 工作 only as parts of other words. Words half said count half unsaid (api._fact_coverage), so
    it is judged as a search question, and no provision states the time limit."""
    answer = mixed.ask("北京机构改革的决定中，“决定”这个环节的法定时限有几个工作日？")
    assert answer.refused and not answer.citations


@pytest.mark.parametrize("question", ["网络安全条例是哪次会议通过的？", "新的个税法什么时候施行？", "考研报名时间是什么时候？"])
def test_a_fact_of_a_document_no_indexed_title_names_is_refused(mixed, question):
    """Every indexed decision has a 施行 clause and a 题注; none of them is the document asked about."""
    answer = mixed.ask(question)
    assert answer.refused and not answer.citations


def test_the_refusal_names_the_document_that_is_not_indexed(mixed):
    """The user learns which document the library lacks: its title as said, from its place or issuer on, or
    else the words no indexed title has."""
    answer = mixed.ask("请问北京市人大常委会关于加强生活垃圾分类管理的决定是哪天开始施行的？")
    assert answer.refused and not answer.citations
    assert "文库中没有「北京市人大常委会关于加强生活垃圾分类管理的决定」" in answer.text
    answer = mixed.ask("网络安全条例是哪次会议通过的？")
    assert answer.refused and "网络安全" in answer.text and "未找到" not in answer.text


@pytest.mark.parametrize(("question", "place"), [("广东省的检察监督决定对公安机关有什么要求？", "广东省"),
                                                 ("深圳市人大常委会的决定什么时候施行？", "深圳市"),
                                                 ("在重庆打工被拖欠了工资，检察院能帮忙吗？", "重庆"),
                                                 # names 北京's decision by its subject: the same decision of another place
                                                 ("南京市人大常委会疫情防控的决定对拒不配合隔离的人怎么处理？", "南京市")])
def test_a_place_no_indexed_document_is_from_or_mentions_is_not_answered_from_other_places(mixed, question, place):
    answer = mixed.ask(question)
    assert answer.refused and not answer.citations
    assert f"文库中没有{place}的决定" in answer.text


def test_a_place_with_no_indexed_decision_is_answered_from_the_nationwide_ones(mixed):
    answer = mixed.ask("在成都坐火车受了伤，铁路运输企业要担责吗？")
    assert not answer.refused
    assert answer.text.startswith("文库中没有成都的决定或决议；以下只摘录全国适用的规定。")
    assert titles(answer) == {"最高人民法院关于修改《最高人民法院关于审理铁路运输人身损害赔偿纠纷案件适用法律若干问题的解释》的决定"}


def test_a_city_with_no_indexed_decision_is_answered_from_its_provinces_and_the_nationwide_ones(mixed):
    """青岛 is in 山东省: 山东's rules apply there, 北京's and 河南's do not."""
    answer = mixed.ask("我在青岛，人大常委会讨论决定重大事项，哪些事项要提请审议？")
    assert not answer.refused
    assert answer.text.startswith("文库中没有青岛的决定或决议；以下只摘录山东省和全国适用的规定。")
    assert titles(answer) and all(t.startswith("山东省") or t.startswith("最高人民法院") for t in titles(answer))


@pytest.mark.parametrize("question", ["《北京市信息化促进条例》现在还有效吗？", "《北京市信息化促进条例》是哪天通过的？"])
def test_a_fact_of_a_document_not_indexed_is_read_where_an_indexed_one_states_it(mixed, question):
    """北京's 废止部分地方性法规 decision repeals the 条例 and gives its adoption date."""
    answer = mixed.ask(question)
    assert not answer.refused
    assert answer.text.startswith("文库中没有《北京市信息化促进条例》本身；以下摘录提及它的文件。")
    assert cited(answer) == {("北京市人民代表大会常务委员会关于废止部分地方性法规的决定", "第四条")}
    assert "2007年9月14日" in answer.text


@pytest.mark.parametrize("question", ["《北京市信息化促进条例》第三条说了什么？", "《北京市信息化促进条例》对政务信息共享有什么要求？"])
def test_the_content_of_a_document_an_indexed_one_only_names_is_refused(mixed, question):
    answer = mixed.ask(question)
    assert answer.refused and not answer.citations
    assert "文库中没有《北京市信息化促进条例》" in answer.text


def test_a_place_an_indexed_decision_mentions_is_searched(mixed):
    """怀柔 is one of the districts in 北京's 耕地占用税 decision."""
    answer = mixed.ask("在怀柔占用耕地盖厂房，耕地占用税每平方米多少钱？")
    assert not answer.refused
    assert titles(answer) == {"北京市人民代表大会常务委员会关于北京市耕地占用税适用税额的决定"}


def test_a_fact_asked_of_every_places_decisions_is_answered(mixed):
    """各地 points at the indexed decisions; it names no other document."""
    answer = mixed.ask("各地的决定什么时候施行？")
    assert not answer.refused
    assert len(titles(answer)) >= 2 and all("施行" in c.text for c in answer.citations)


def test_a_question_asking_when_about_content_is_searched_not_read_as_the_effective_date(mixed):
    answer = mixed.ask("检察建议的回复期限从什么时候开始算？")
    assert not answer.refused
    assert answer.citations and all(c.kind == "article" for c in answer.citations)
    assert any("检察建议" in c.text and "回复" in c.text for c in answer.citations)


def test_a_fact_of_a_document_named_by_its_title_words_alone_is_answered(mixed):
    answer = mixed.ask("耕地占用税适用税额的决定什么时候施行？")
    assert titles(answer) == {"北京市人民代表大会常务委员会关于北京市耕地占用税适用税额的决定"}
    assert "2019年9月1日" in answer.text


def test_an_asked_for_figure_that_is_stated_is_answered(mixed):
    answer = mixed.ask("北京的工厂排放大气污染物，环保税每污染当量交多少？")
    assert not answer.refused
    assert "12元" in answer.text


def test_a_figure_stated_in_other_words_than_the_question_is_answered(mixed):
    """No word of the question is in the sentence that gives the figure; it is the nearest in meaning."""
    answer = mixed.ask("有人在铁路上被火车撞了，如果铁路公司只负次要责任，最多赔多少？")
    assert not answer.refused
    assert "百分之四十至百分之十" in answer.text
    assert any("铁路运输人身损害" in c.doc_title and c.article == 5 for c in answer.citations)


def test_the_asked_unit_is_the_word_the_question_word_governs():
    from assistant.figures import asked_units

    assert asked_units("如果铁路公司只负次要责任，最多赔多少？") == ""  # 次 of 次要 asks for no count
    assert asked_units("人民政府应当在几个工作日内答复？") == "工作日"
    assert set(asked_units("审查起诉的办案期限是多长时间？").split("|")) >= {"日", "月"}
    assert asked_units("检察官多少岁退休？") == "岁"
    assert asked_units("示范区的水面有几平方公里？") == "平方公里|平方千米"  # a measure, not 米 or 公里
    assert asked_units("人均用水是多少立方米？") == "立方米"


def test_a_measure_the_decision_states_is_answered_and_one_it_never_states_is_refused(mixed):
    """北京's 耕地占用税 decision states 零点五亩 and no 公顷 at all."""
    stated = mixed.ask("北京人均耕地低于多少亩的区要提高耕地占用税适用税额？")
    assert not stated.refused and "零点五亩" in stated.text
    assert cited(stated) == {("北京市人民代表大会常务委员会关于北京市耕地占用税适用税额的决定", "第二条")}
    unstated = mixed.ask("北京耕地占用税的决定里，全市耕地一共有多少公顷？")
    assert unstated.refused and not unstated.citations


@pytest.mark.parametrize("question", ["山东的检察监督决议对“一案一评”有什么要求？", "西藏的决定里的“三个必须”是什么？",
                                      "河南讨论决定重大事项的规定里“重大事项清单”是怎么定的？"])
def test_a_quoted_term_the_named_decision_never_says_is_refused(mixed, question):
    """The quoted term is the thing asked about; its words alone are common enough to retrieve something."""
    assert mixed.ask(question).refused


def test_a_quoted_term_the_named_decision_says_is_answered(mixed):
    answer = mixed.ask("呼和浩特的决定对“司法救助”有什么要求？")
    assert not answer.refused
    assert any(c.region == "呼和浩特市" and "司法救助" in c.text for c in answer.citations)


@pytest.mark.parametrize("question", ["孩子上学的学费减免该找谁？", "对检察机关的工作有意见可以向谁反映？"])
def test_an_asked_for_party_no_sentence_states_is_refused(seed_assistant, question):
    """Any 谁 asks for a party (找谁, 向谁), not only the ways of asking a list once named (由谁, 归谁)."""
    assert seed_assistant.ask(question).refused


@pytest.mark.parametrize("question", ["网约车司机的社保怎么交？", "离婚后孩子的抚养权归谁？"])
def test_a_topic_no_decision_addresses_is_refused(mixed, question):
    assert mixed.ask(question).refused


@pytest.mark.parametrize("question", ["北京疫情防控的决定对乡镇人民政府有什么要求？",
                                      "北京打赢疫情防控阻击战的决定里，街道办事处和乡镇政府要做什么？"])
def test_a_body_after_a_preposition_is_not_the_one_that_acts(mixed, question):
    """「按照属地人民政府的要求，积极组织人员参加疫情防控工作」 (第三条) is what others do at the government's request;
    第二条 says what 乡、镇人民政府和街道办事处 must do. Before, the body four characters in, after 按照, counted
    as the sentence's subject, and 第三条 was the answer."""
    answer = mixed.ask(question)
    articles = {re.sub(r"第[^条]+款$", "", c.label) for c in answer.citations}
    assert "第二条" in articles and "第三条" not in articles
    assert "落实属地责任" in answer.text


def test_a_type_word_after_a_locative_is_a_provision_not_a_document(mixed):
    """「山东有些法规里的规定…」 speaks of the provisions in some regulations: both 山东 documents stay in scope
    (before, 规定 narrowed them to the 讨论决定重大事项的规定); 「山东的规定里…」 still names the 规定."""
    docs = mixed._docs()
    plan = mixed.plan("山东有些法规里的规定执行不到位，检察机关能做什么？")
    assert len(mixed.scope(plan).doc_ids) == 2
    plan = mixed.plan("山东的规定里联名提议案要几个人？")
    assert [docs[d].title for d in mixed.scope(plan).doc_ids] == ["山东省人民代表大会常务委员会讨论决定重大事项的规定"]


@pytest.mark.parametrize("question", ["山东的决议规定，检察机关可以在哪些领域提起公益诉讼？",
                                      "《山东省人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决议》规定检察机关要做好哪些工作？"])
def test_a_type_word_after_a_title_or_another_type_word_is_a_verb(mixed, question):
    """「决议规定」「《…决议》规定」: 规定 says what the 决议 stipulates; it does not make 山东's 规定 the document."""
    docs = mixed._docs()
    assert [docs[d].doc_type for d in mixed.scope(mixed.plan(question)).doc_ids] == ["决议"]


def test_a_type_word_after_a_list_of_places_is_said_of_each(mixed):
    """「西藏、呼和浩特、山东的规定」: 西藏 and 呼和浩特 have no 规定, so the word means each place's provisions and
    山东's 决议 stays in scope (before, only 山东's 讨论决定重大事项的规定 did); 「西藏决定和山东决议」 still picks the 决议."""
    docs = mixed._docs()
    scope = mixed.scope(mixed.plan("关于未成年人检察，西藏、呼和浩特、山东的规定分别有哪些？"))
    assert "决议" in {docs[d].doc_type for d in scope.doc_ids}
    scope = mixed.scope(mixed.plan("西藏决定和山东决议各自废止了哪部旧文件？"))
    assert sorted(docs[d].doc_type for d in scope.doc_ids) == ["决定", "决议"]


def test_a_body_said_in_a_question_names_no_document_unless_said_as_its_name(mixed):
    """行政机关 is in one title only (北京's 机构改革…行政机关职责调整问题的决定), yet 「被行政机关开了罚单…」 asks
    about fines, not that decision: a body names a document only right before its type word."""
    docs = mixed._docs()
    plan = mixed.plan("被行政机关开了罚单，这笔钱是直接交给罚我的单位，还是去银行交？")
    assert mixed.scope(plan).named == ()
    plan = mixed.plan("北京机构改革涉及行政机关职责调整问题的决定什么时候施行？")
    assert [docs[d].title for d in mixed.scope(plan).named] == [
        "北京市人民代表大会常务委员会关于市人民政府机构改革涉及地方性法规规定的行政机关职责调整问题的决定"]


# 3. Citation identity ------------------------------------------------------------------------------

def test_every_marker_names_exactly_one_indexed_document(mixed):
    documents = {e.document.doc_id: e.document for e in mixed.documents()}
    for question in ("北京应税水污染物的环境保护税税额是多少？", "北京耕地占用税的适用税额是怎么规定的？"):
        answer = mixed.ask(question)
        markers = re.findall(r"〔《([^》]+)》[^〕]+〕", answer.text)
        assert markers
        for short in markers:
            named = [d for d in documents.values() if all(p in d.title for p in short.split("…") if p)]
            assert len(named) == 1, short  # 《北京…决定》 would name six


@pytest.mark.parametrize("question", ["山东检察监督决议第几条规定了未成年人检察？", "山东检察监督决议规定了哪些未成年人检察工作？"])
def test_a_type_word_said_as_a_verb_or_after_an_article_does_not_pick_the_document(mixed, question):
    """「山东…决议」 names the 决议; the 规定 in 「第几条规定了」 is a verb, and came after the name had ended: it picked
    山东's 讨论决定重大事项的规定 (which says nothing of 未成年人) as the document asked about."""
    answer = mixed.ask(question)
    assert not answer.refused
    assert {c.doc_title for c in answer.citations} == {"山东省人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决议"}
    assert "未成年人" in answer.text


def test_the_evaluator_counts_a_quote_cited_to_another_document():
    xizang = parse_file(CORPUS / "xizang-2024-jiancha-jiandu.md")
    huhehaote = parse_file(CORPUS / "huhehaote-2023-jiancha-jiandu.txt")
    police_xz = next(c for c in xizang.clauses if c.article == 16)
    police_hh = next(c for c in huhehaote.clauses if c.article == 11)
    quote = police_hh.text[2:40]
    wrong = Citation.from_clause(police_xz)
    right = Citation.from_clause(police_hh)
    sources = [police_xz, police_hh]
    assert wrong_document_citations(f"- {quote}〔《西藏…决定》第十六条〕", [wrong], sources) == 1
    assert wrong_document_citations(f"- {quote}〔《呼和浩特…决定》第十一条〕", [right], sources) == 0


# 4. Composition ------------------------------------------------------------------------------------

def test_a_list_item_is_quoted_with_the_stem_that_says_who_acts(mixed):
    answer = mixed.ask("河南省的预算执行情况要不要向省人大常委会报告？")
    assert not answer.refused
    line = next(line for line in answer.text.splitlines() if "预算执行情况" in line)
    assert "下列重大事项，应当向省人大常委会报告" in line


def test_a_question_in_everyday_words_quotes_the_provision_nearest_in_meaning(mixed):
    answer = mixed.ask("在北京，单位不肯配合防疫检查会怎么样？")
    assert not answer.refused
    assert answer.citations
    assert all("依法防控新型冠状病毒" in c.doc_title and c.article == 5 for c in answer.citations)  # 阻碍…执行职务的


def test_everyday_words_quote_each_counterpart_decision_in_its_own_words(mixed):
    answer = mixed.ask("厂子往河里倒脏水，检察院可以起诉吗")
    assert not answer.refused
    assert {("西藏自治区人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定", "第十条"),
            ("呼和浩特市人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定", "第八条")} <= cited(answer)
    assert all("检察机关法律监督工作" in title for title in titles(answer))


def test_counterparts_are_the_same_decision_from_another_place(mixed):
    from assistant.documents import counterparts

    by_title = {d.title: d for d in mixed._docs().values()}
    xizang, hohhot, shandong_jc, shandong_zd, henan_zd = (next(d for t, d in by_title.items() if all(w in t for w in words))
                                                           for words in (("西藏", "检察"), ("呼和浩特", "检察"), ("山东", "检察"),
                                                                         ("山东", "重大事项"), ("河南", "重大事项")))
    assert counterparts(xizang, hohhot) and counterparts(hohhot, shandong_jc)
    assert counterparts(shandong_zd, henan_zd)  # 「讨论决定」 / 「讨论、决定」
    assert not counterparts(xizang, shandong_zd)
    assert not any(counterparts(xizang, d) for t, d in by_title.items() if "北京" in t)


def test_a_question_asking_for_a_figure_quotes_what_states_it(mixed):
    """第九条第二款 (who submits the 议案) is near in meaning but gives no time; 第十条 says 四个月内."""
    answer = mixed.ask("河南省人大常委会收到重大事项的议案以后，要在多长时间里审议？")
    assert not answer.refused
    assert cited(answer) == {("河南省人民代表大会常务委员会讨论、决定重大事项的规定", "第十条")}
    assert "四个月内" in answer.text


def test_figure_focus_keeps_a_document_whose_quotes_state_no_figure():
    from assistant.analysis import analyze
    from assistant.extractive import Quote, figure_focus
    from ingest.records import Clause

    def quote(doc_id: str, text: str) -> Quote:
        clause = Clause(doc_id=doc_id, doc_title=doc_id, region="", kind="article", article=1, paragraph=None,
                        part=None, label="第一条", text=text)
        return Quote(clause, text)

    plan = analyze("两地对议案的审议期限分别是多长时间？", [], [])
    quotes = [quote("a", "常委会应当在四个月内进行审议。"), quote("a", "议案由主任会议决定提请审议。"),
              quote("b", "议案由主任会议决定提请审议。")]
    kept, unstated = figure_focus(plan, quotes, [])
    assert [q.clause.doc_id for q in kept] == ["a", "b"] and not unstated


def test_a_question_naming_one_decision_is_answered_for_that_decision_only(mixed):
    answer = mixed.ask("北京耕地占用税适用税额的决定什么时候施行？")
    assert titles(answer) == {"北京市人民代表大会常务委员会关于北京市耕地占用税适用税额的决定"}
    assert "2019年9月1日" in answer.text


def test_an_amending_article_quoting_the_amended_texts_effect_is_not_the_decisions_own(mixed):
    """第九条 deletes 「本解释施行前已经终审…」 from the amended 解释; the decision's own 施行 is its closing."""
    answer = mixed.ask("铁路运输人身损害赔偿解释的修改决定从什么时候开始施行？")
    assert {(c.kind, c.label) for c in answer.citations} == {("closing", "施行条款")}
    assert "2022年1月1日" in answer.text


def test_two_facts_about_the_documents_asked_together_are_both_answered(mixed):
    answer = mixed.ask("西藏和呼和浩特的决定分别什么时候通过、什么时候施行？")
    assert not answer.refused and answer.debug["intent"] in ("effective", "adoption")
    kinds = {(c.region, c.kind) for c in answer.citations}
    assert kinds == {(r, k) for r in ("西藏自治区", "呼和浩特市") for k in ("note", "closing")}
    assert "2024年7月31日" in answer.text and "2024年8月1日起施行" in answer.text


def test_two_facts_asked_as_two_questions_are_both_answered(mixed):
    """The model reads the whole question as a 施行 question (通过 at .23); each part read alone is clear."""
    answer = mixed.ask("北京耕地占用税决定什么时候通过、什么时候施行？")
    assert {c.kind for c in answer.citations} == {"note", "closing"}
    assert "2019年7月26日" in answer.text and "2019年9月1日起施行" in answer.text


def test_a_numbered_effective_article_is_read(mixed):
    answer = mixed.ask("北京市人民政府机构改革涉及的职责调整问题的决定自何时施行？")
    assert not answer.refused
    assert any(c.kind == "article" and "施行" in c.text for c in answer.citations)


def test_an_effective_date_only_the_note_states_is_read(tmp_path):
    """The 最高人民法院 规定 says 「2012年4月10日 施行」 in its 题注 and in no article; the 办法 says it in 第十七条."""
    from assistant import Assistant

    expropriation = LAWREFBOOK / "司法解释" / "最高人民法院关于办理申请人民法院强制执行国有土地上房屋征收补偿决定案件若干问题的规定(2012-03-26).md"
    fines = LAWREFBOOK / "行政法规" / "罚款决定与罚款收缴分离实施办法(1997-11-17).md"
    assert parse_file(expropriation).document.effective_date.isoformat() == "2012-04-10"
    with Assistant.open(index_dir=tmp_path / "index") as assistant:
        assert not assistant.add_paths([expropriation, fines]).errors
        answer = assistant.ask("罚款收缴分离办法和房屋征收补偿强制执行规定分别是什么时候开始施行的？")
        assert {(c.doc_title[:4], c.kind) for c in answer.citations} == {("最高人民", "note"), ("罚款决定", "article")}
        assert "2012年4月10日" in answer.text and "1998年1月1日" in answer.text


# 5. Compare ----------------------------------------------------------------------------------------

def test_two_documents_each_said_as_a_name_are_both_named(mixed):
    """「机构改革决定」 has more distinctive title words than 「预算审查监督决定」; both are names (each ends
    in 决定), so both documents are in scope, not just the one with more evidence."""
    plan = mixed.plan("北京的机构改革决定和预算审查监督决定，对市人民政府各有什么要求？", [])
    named = {mixed._docs()[d].title for d in mixed.scope(plan, None).named}
    assert named == {"北京市人民代表大会常务委员会关于市人民政府机构改革涉及地方性法规规定的行政机关职责调整问题的决定",
                     "北京市人民代表大会常务委员会关于加强市级预算审查监督的决定"}


@pytest.mark.parametrize("question, label", [("西藏和呼和浩特的决定通过时间有什么不同？", "题注"),
                                             ("西藏和呼和浩特这两部决定，施行时间的规定有何区别？", "施行条款")])
def test_a_fact_of_each_document_compared_is_read_without_the_comparison_frame(mixed, question, label):
    """「…有什么不同」 says how the question compares, not what it asks about: the intent is read without it, so
    each side's 题注 or 施行 clause is quoted (before, 「…通过时间有什么不同」 was a topic search quoting one side's
    articles; the 施行 wording already read as a 施行 question and stays so)."""
    answer = mixed.ask(question)
    assert {(c.region, c.label) for c in answer.citations} == {("西藏自治区", label), ("呼和浩特市", label)}


def test_title_bigrams_scattered_over_the_question_name_no_document(mixed):
    """环境 (of 生态环境) and 保护 (of 文物保护) are both in 「…环境保护税…」; the question says no phrase of it."""
    question = "检察机关在生态环境和文物保护方面有什么规定？"
    assert mixed.scope(mixed.plan(question, []), None).named == ()
    answer = mixed.ask(question)
    assert not answer.refused
    assert all("检察" in c.doc_title for c in answer.citations)


@pytest.mark.parametrize("question", ["北京的疫情防控决定里，对行政机关职责有什么要求？",
                                      "北京耕地占用税决定中，行政机关的职责调整怎么规定？"])
def test_a_title_said_as_a_name_outweighs_one_whose_words_are_the_topic(mixed, question):
    """行政机关职责(调整) is in the title of the 北京 机构改革 decision; here it is what is asked about, and
    the document named is the one said right before 决定 (「怎么规定」 is a verb, not a name's end)."""
    named = mixed.scope(mixed.plan(question, []), None).named
    assert len(named) == 1 and "机构改革" not in mixed._docs()[named[0]].title


def test_a_compared_region_whose_document_is_not_named_keeps_its_side(mixed):
    plan = mixed.plan("北京的机构改革决定、预算审查监督决定和西藏的决定，对人民政府的要求有什么不同？", [])
    sides = mixed._compared(plan, mixed.scope(plan, None))
    docs = mixed._docs()
    assert sorted(docs[side[0]].region for side in sides) == ["北京市", "北京市", "西藏自治区"]
    answer = mixed.ask("北京的机构改革决定、预算审查监督决定和西藏的决定，对人民政府的要求有什么不同？")
    assert "西藏自治区" in {c.region for c in answer.citations}


def test_a_comparison_naming_one_side_compares_it_with_the_same_decision_elsewhere(mixed):
    answer = mixed.ask("西藏决定在公益诉讼方面的规定跟其他地方的决定有何不同？")
    assert {"西藏自治区", "呼和浩特市", "山东省"} <= {c.region for c in answer.citations}
    assert all("检察机关法律监督工作" in title for title in titles(answer))
    # 「分别」 between two things one decision says is not a comparison with other places
    answer = mixed.ask("山东决议对民事公益诉讼和行政公益诉讼分别有什么要求？")
    assert {c.region for c in answer.citations} == {"山东省"}


def test_compare_states_what_differs_with_each_side_cited(mixed):
    answer = mixed.ask("北京耕地占用税和环境保护税这两个税额决定有什么区别？")
    assert not answer.refused
    assert len(titles(answer)) == 2
    difference = answer.text.split("**对照**", 1)[1]
    assert len(re.findall(r"〔《", difference)) >= 2


def test_compare_names_the_bodies_that_differ_not_the_words_around_them(seed_assistant):
    """The bodies one side names and the other does not, by their names (监察机关, not 「健全监察机关」), and a
    body both name in other words (省人大常委会, 常委会) is no difference."""
    answer = seed_assistant.ask("西藏和呼和浩特的决定对公安机关的要求有什么不同？")
    assert not answer.refused
    bodies = [line for line in answer.text.split("**对照**", 1)[1].splitlines() if line.startswith("- 涉及的机关")]
    assert bodies, answer.text
    named = re.findall(r"(?:另提及|〕、)([^、〔；]+)〔", bodies[0])
    assert named and all(re.fullmatch(r"[\u4e00-\u9fff]*(机关|部门|机构|委员会|常委会|法院|检察院|政府|会议)", n) for n in named)
    assert not any(n.startswith(("健全", "积极", "配合", "决定", "依法")) for n in named), named

    from assistant.extractive import body_key, body_name
    assert body_name("积极配合检察机关") == "检察机关" and body_name("决定是否提请常委会") == "常委会"
    assert body_key("省人民代表大会常务委员会") == body_key("市人大常委会") == body_key("常委会")
    assert body_name("机关") == ""


# 6. Filters never widen -------------------------------------------------------------------------------

def test_a_region_outside_the_chosen_filter_is_not_searched(mixed):
    answer = mixed.ask("西藏的决定从什么时候开始施行？", filters={"region": ["呼和浩特市"]})
    assert answer.refused
    assert not answer.citations
    assert "限定" in answer.text and "呼和浩特市" in answer.text


def test_an_answer_under_a_filter_says_so(mixed):
    answer = mixed.ask("公安机关需配合哪些事项", filters={"region": ["山东省"]})
    assert not answer.refused
    assert answer.text.startswith("（检索范围：限定地区：山东省）")
    assert {c.region for c in answer.citations} == {"山东省"}


# 7. Determinism and k -------------------------------------------------------------------------------

def test_retrieve_returns_at_most_k_for_a_compare_question(mixed):
    assert len(mixed.retrieve("比较西藏和呼和浩特关于公益诉讼的规定", k=5)) <= 5
    assert len(mixed.retrieve("比较西藏、呼和浩特和山东关于公益诉讼的规定", k=3)) <= 3


def test_compare_answers_do_not_depend_on_the_hash_seed(seed_index_dir):
    script = ("from assistant import Assistant\n"
              f"a = Assistant.open({str(seed_index_dir)!r}, build_if_missing=False)\n"
              "print(a.ask('两地决定在公益诉讼方面有何不同？').text)\n")
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_a_title_not_in_the_library_is_never_answered_from_another_decision(mixed):
    answer = mixed.ask("《上海口岸服务条例》第一条是怎么规定的？")
    assert answer.refused and not answer.citations
    assert "《上海口岸服务条例》" in answer.text


def test_an_article_number_without_a_document_is_not_guessed(mixed):
    answer = mixed.ask("第五条说了什么？")
    assert answer.refused and not answer.citations


def test_an_article_number_the_document_does_not_have_is_searched_as_a_quoted_one(mixed):
    """The amendment decision has no 第十二条; it quotes the amended 规定's (「将第十二条修改为…」)."""
    answer = mixed.ask("食品药品纠纷规定的修改决定里，原规定第十二条被改成了什么？")
    assert not answer.refused
    assert "食品检验机构故意出具虚假检验报告" in answer.text
    assert all("食品药品纠纷" in c.doc_title and c.article != 12 for c in answer.citations)


def test_an_article_of_a_decision_named_in_full_is_looked_up(mixed):
    answer = mixed.ask("《北京市人民代表大会常务委员会关于废止部分地方性法规的决定》第二条是怎么规定的？")
    assert cited(answer) == {("北京市人民代表大会常务委员会关于废止部分地方性法规的决定", "第二条")}


def test_a_place_inside_another_regions_title_is_not_a_region(tmp_path):
    """上海 in 「上海金融法院…规定的修改决定」 names a 最高人民法院 decision; the 上海 decisions are not asked about."""
    from assistant import Assistant

    shanghai = LAWREFBOOK / "DLC" / "上海地方法规" / "地方性法规" / "上海"
    with Assistant.open(index_dir=tmp_path / "index") as assistant:
        report = assistant.add_paths([
            LAWREFBOOK / "司法解释" / "最高人民法院关于修改《关于上海金融法院案件管辖的规定》的决定.md",
            shanghai / "上海市人民代表大会常务委员会讨论、决定重大事项的规定(2002-04-09).md"])
        assert not report.errors
        question = "上海金融法院案件管辖规定的修改决定从哪天起施行？"
        assert assistant.plan(question, []).regions == ()
        answer = assistant.ask(question)
        assert {(c.doc_title, c.kind) for c in answer.citations} == {
            ("最高人民法院关于修改《关于上海金融法院案件管辖的规定》的决定", "closing")}
        assert "2021年4月22日" in answer.text
        assert assistant.plan("上海的讨论决定重大事项规定对人大代表有什么要求？", []).regions == ("上海市",)


def test_a_document_another_writer_adds_is_named_and_cited_without_reopening(tmp_path):
    from assistant import Assistant

    index_dir = tmp_path / "index"
    with Assistant.open(index_dir=index_dir) as serving:
        assert serving.ask("《北京市人民代表大会常务委员会关于北京市耕地占用税适用税额的决定》第二条是怎么规定的？").refused
        with Assistant.open(index_dir=index_dir) as writer:
            writer.add_paths([BEIJING / "北京市人民代表大会常务委员会关于北京市耕地占用税适用税额的决定(2019-07-26).md"])
        answer = serving.ask("《北京市人民代表大会常务委员会关于北京市耕地占用税适用税额的决定》第二条是怎么规定的？")
        assert cited(answer) == {("北京市人民代表大会常务委员会关于北京市耕地占用税适用税额的决定", "第二条")}


@pytest.mark.parametrize("question", ["《中共中央关于加强新时代检察机关法律监督工作的意见》对公益诉讼有什么要求？",
                                      "《内蒙古自治区人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定》第三条说了什么？"])
def test_a_title_with_an_indexed_subject_from_another_issuer_is_not_that_document(mixed, question):
    """呼和浩特's preamble names both; neither is indexed, whatever subject words its title shares with the seeds."""
    answer = mixed.ask(question)
    assert answer.refused and not answer.citations
    assert "文库中没有《" + question.split("《")[1].split("》")[0] + "》" in answer.text


def test_a_shortened_title_of_an_indexed_decision_names_it(mixed):
    answer = mixed.ask("《西藏自治区人大常委会关于加强新时代检察机关法律监督工作的决定》第十六条说了什么？")
    assert not answer.refused
    assert {label for _, label in cited(answer)} == {"第十六条"}
    assert titles(answer) == {"西藏自治区人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定"}


def test_a_title_said_without_brackets_does_not_decide_the_intent(mixed):
    """The title's own 决定 and subject words dilute 「是哪天开始施行的」: read without them, it asks for 施行."""
    answer = mixed.ask("北京市人大常委会关于北京市耕地占用税适用税额的决定是哪天开始施行的？")
    assert not answer.refused
    assert cited(answer) == {("北京市人民代表大会常务委员会关于北京市耕地占用税适用税额的决定", "施行条款")}
    assert "2019年9月1日" in answer.text


def test_a_title_said_without_brackets_that_no_indexed_title_carries_is_refused(mixed):
    """Its place (北京) is part of the name, not a tie to 北京's decisions."""
    answer = mixed.ask("北京市人大常委会关于促进和保障数字经济发展的决定是哪天开始施行的？")
    assert answer.refused and not answer.citations


@pytest.mark.parametrize("question", ["西藏自治区人民检察院的检察长是谁？", "呼和浩特市人民检察院检察长叫什么？"])
def test_who_holds_a_post_the_decisions_never_fill_is_refused(mixed, question):
    """Both decisions speak of 检察长 (列席审判委员会, 检察委员会) but name no one: the asked name is not stated."""
    answer = mixed.ask(question)
    assert answer.refused and not answer.citations


@pytest.fixture(scope="module")
def shanghai(tmp_path_factory):
    """上海's own 重大事项 rules and 示范区 decision, 浙江's 重大事项 rules, and the 最高人民法院's rules on
    上海金融法院 (a nationwide document)."""
    from assistant import Assistant

    index_dir = tmp_path_factory.mktemp("shanghai-index")
    with Assistant.open(index_dir=index_dir) as assistant:
        report = assistant.add_paths([*sorted(SHANGHAI.glob("*讨论、决定重大事项的规定*.md")),
                                      *sorted(SHANGHAI.glob("*长三角生态绿色一体化发展示范区*.md")),
                                      *sorted(ZHEJIANG.glob("*讨论决定重大事项的规定*.md")), SHANGHAI_COURT])
        assert not report.errors
        yield assistant


def test_a_nationwide_document_about_a_place_answers_for_that_place(shanghai):
    """「在上海」 narrows to 上海's documents and the nationwide ones whose title names 上海, and the search is
    not filtered by region then (the court rules' region is 全国)."""
    answer = shanghai.ask("在上海，境外投资者的证券纠纷由哪个法院管辖？")
    assert not answer.refused
    assert cited(answer) == {("最高人民法院关于修改《关于上海金融法院案件管辖的规定》的决定", "第三条")}


@pytest.mark.parametrize("question", ["疫情那会儿北京有超市趁机乱涨口罩价格，归谁管？", "北京疫情期间超市哄抬口罩价格，谁来查处？"])
def test_a_party_asked_in_everyday_words_is_stated_by_the_nearest_sentence_naming_a_body(mixed, question):
    """No sentence covers half of these words, but the one nearest in meaning (第五条: 哄抬…价格 …由…部门…查处)
    names who acts."""
    answer = mixed.ask(question)
    assert not answer.refused
    assert ("北京市人民代表大会常务委员会关于依法防控新型冠状病毒感染肺炎疫情  坚决打赢疫情防控阻击战的决定", "第五条") in cited(answer)


@pytest.mark.parametrize("question", ["离婚后孩子的抚养权归谁？", "夫妻离婚，房子判给谁？", "孩子上学的学费减免该找谁？"])
def test_a_party_asked_as_object_is_one_the_text_must_name(mixed, question):
    """Who gets something or whom to turn to (归谁, 判给谁, 找谁) is not any body a nearby sentence names: no
    decision here says it."""
    answer = mixed.ask(question)
    assert answer.refused and not answer.citations


def test_a_county_another_regions_decision_names_is_searched_there_too(shanghai):
    """嘉善县 is in 浙江, whose own rules say nothing of the 示范区; 上海's 示范区 decision names 嘉善县."""
    answer = shanghai.ask("我在浙江嘉善县，先行启动区的控制性详细规划由谁来负责？")
    assert not answer.refused
    assert ("上海市人民代表大会常务委员会关于促进和保障长三角生态绿色一体化发展示范区建设若干问题的决定", "第五条") in cited(answer)


def test_a_date_the_text_leaves_out_is_not_answered_with_the_clause_that_lacks_it(shanghai):
    """浙江's 重大事项 rules read 「本规定自施行。」 (the date is missing from the text) and the document has no
    date of effect: asked when they took effect, the answer says the text does not state it and quotes
    what it does say, instead of citing the dateless clause as the answer. A dated one is still answered."""
    answer = shanghai.ask("浙江省讨论决定重大事项的规定是从哪天开始施行的？")
    assert answer.refused and not answer.citations
    assert "未载明施行日期" in answer.text and "本规定自施行" in answer.text
    answer = shanghai.ask("浙江省讨论决定重大事项的规定是什么时候通过的？")
    assert not answer.refused and "2001年11月2日" in answer.text


def test_a_numbered_shorthand_the_text_names_without_listing_is_not_explained(seed_assistant):
    """「“四件大事”是哪四件」: 西藏's decision says 聚焦“四件大事” and never lists them, so quoting that sentence
    would answer a question it does not answer. 呼和浩特's 「五大任务和全方位建设“模范自治区”两件大事」 names the
    two things right before the term, so that one is answered."""
    answer = seed_assistant.ask("西藏的决定里讲的“四件大事”分别是哪四件？")
    assert answer.refused and not answer.citations
    assert "“四件大事”" in answer.text and "未列明" in answer.text
    assert answer.debug["silent"] == answer.text  # the reason is in the debug info too, for the evaluation report
    answer = seed_assistant.ask("呼和浩特决定说的“两件大事”具体指什么？")
    assert not answer.refused
    assert {(c.doc_title[:4], c.label) for c in answer.citations} == {("呼和浩特", "第三条")}


def test_a_place_left_out_of_a_list_of_its_neighbours_is_not_answered_for(mixed):
    """北京's 耕地占用税 decision gives the rate district by district and never names 西城区: the rates of the
    others do not answer for it. 怀柔区 is listed and answered; a decision that names no districts at all
    still applies to every one of them (拉萨 under 西藏's decision)."""
    answer = mixed.ask("西城区占用耕地建房子，耕地占用税每平方米交多少？")
    assert answer.refused and not answer.citations
    assert "未提及西城区" in answer.text
    answer = mixed.ask("怀柔区占用耕地建房子，耕地占用税每平方米交多少？")
    assert not answer.refused and "四十二元" in answer.text
    answer = mixed.ask("拉萨的检察机关要不要开展公益诉讼？")
    assert not answer.refused and any(c.doc_title.startswith("西藏") for c in answer.citations)


def test_a_calendar_date_is_not_a_length_of_time():
    """「几年」「几个月」「几天」 are lengths of time: a date (2018年12月1日, 二〇一八年, 十二月一日) states none."""
    from assistant.figures import figure_pattern

    years, months, days = (figure_pattern(q) for q in ("要判几年？", "拖几个月算违约？", "几天内答复？"))
    for date in ("2018年12月1日施行", "二〇一八年十二月一日", "12月1日起"):
        assert not any(p.search(date) for p in (years, months, days)), date
    assert years.search("处三年以下有期徒刑") and months.search("超过三个月仍不归还") and days.search("三十日内")


CREDIT_CARD = LAWREFBOOK / "司法解释" / "最高人民法院、最高人民检察院关于修改《关于办理妨害信用卡管理刑事案件具体应用法律若干问题的解释》的决定.md"


@pytest.fixture(scope="module")
def credit_card(tmp_path_factory):
    from assistant import Assistant

    with Assistant.open(index_dir=tmp_path_factory.mktemp("credit-card-index")) as assistant:
        assert not assistant.add_paths([CREDIT_CARD]).errors
        yield assistant


KNOWLEDGE = LAWREFBOOK / "司法解释" / ("最高人民法院关于修改《最高人民法院关于审理侵犯专利权纠纷案件应用法律若干问题的解释（二）》"
                                     "等十八件知识产权类司法解释的决定.md")


def test_the_sentence_stating_an_asked_figure_comes_with_its_article(seed_assistant):
    """A quote from 第十三条 that does not state the amount asked for (最多赔多少钱) gets the sentence of the same
    article that does (「…在300万元以下确定赔偿数额」), cited to its own paragraph; with no such sentence in a
    quoted article, the answer says the figure is not stated (extractive.figure_focus)."""
    from assistant.extractive import Quote, _cited_unit, figure_focus, sentences_of
    from store.records import Hit

    article = next(c for c in parse_file(KNOWLEDGE).clauses if c.kind == "article" and c.article == 13)
    stating = {n for n, s in sentences_of(article) if "300万元" in s}
    other = next(n for n, s in sentences_of(article) if n not in stating)
    quote = Quote(_cited_unit(article, other), "植物新品种权……", 0)
    plan = seed_assistant.plan("自己培育的种子品种被人偷偷繁育拿去卖，法院最多能判赔多少钱？")
    quotes, unstated = figure_focus(plan, [quote], [Hit(article, 1.0, {})])
    assert not unstated
    assert [q.clause.label for q in quotes if "300万元" in q.text] == [_cited_unit(article, n).label for n in stating]
    quotes, unstated = figure_focus(plan, [quote], [])
    assert unstated and quotes == [quote]


def test_an_asked_figure_is_quoted_from_the_article_that_states_it(credit_card):
    """The figure asked for (几个月) comes with the answer when a quoted article states it; when no quoted article
    states a figure of the asked unit (多少元), nothing found answers: the answer is a refusal that says so above
    the provisions it found, shown for reference (第五条 says what happens when the debt is repaid, in terms of
    数额较大, not in 元)."""
    from assistant.extractive import FIGURE_UNSTATED

    answer = credit_card.ask("信用卡透支了，银行有效催收两次以后，再拖几个月不还就算恶意透支？")
    assert not answer.refused and "三个月" in answer.text and FIGURE_UNSTATED not in answer.text
    answer = credit_card.ask("恶意透支的人在起诉前把钱还清了，欠多少元以内可以不起诉？")
    assert answer.refused and answer.text.startswith(FIGURE_UNSTATED)
    assert answer.debug["figure_unstated"] and "第五条" in {c.label for c in answer.citations}


def test_a_question_in_words_no_decision_uses_is_refused_saying_so(mixed):
    """None of 「电动车」「头盔」 … occurs in the library: the refusal says which words were not found."""
    answer = mixed.ask("骑电动车不戴头盔会被罚款吗？")
    assert answer.refused and not answer.citations
    assert "「头盔」" in answer.text and "没有出现" in answer.text


def test_a_body_introduced_by_you_is_the_one_that_acts():
    """「罚款收据的格式和印制，由财政部规定」「本办法由财政部会同中国人民银行组织实施」: 由 names who acts,
    also as the second of a list after 由; 「同级财政部门」 after 报…和 is only where the agreement goes."""
    from assistant.extractive import entity_sentences

    parsed = parse_file(LAWREFBOOK / "行政法规" / "罚款决定与罚款收缴分离实施办法(1997-11-17).md")
    article = {c.article: c for c in parsed.clauses if c.kind == "article"}
    assert entity_sentences(article[8], ("财政部",))
    assert entity_sentences(article[16], ("财政部",))
    assert entity_sentences(article[5], ("中国人民银行",))  # 由财政部、中国人民银行确定
    assert not entity_sentences(article[6], ("财政部门",))  # 报上一级行政机关和同级财政部门备案
    from assistant.extractive import _agent

    assert not _agent("有关单位无正当理由")  # 理由 is no 由


def test_a_word_shortening_the_named_documents_title_names_it_and_is_not_asked_about(mixed):
    """「新冠」 shortens the named decision's 新型冠状病毒: it says which document, so only 隔离 and 医学观察 are
    what the question asks; a word the title does not shorten stays."""
    from assistant.documents import ABBREVIATION_GAP, shortened

    def abbreviates(word, text):
        return shortened(word, text, ABBREVIATION_GAP)

    plan = mixed.plan("北京新冠肺炎疫情防控决定中关于隔离和医学观察的规定有哪些？", [])
    matcher = mixed.matcher(plan, mixed.scope(plan, None))
    assert set(matcher.words) == {"隔离", "医学观察"}
    assert abbreviates("新冠", "依法防控新型冠状病毒感染肺炎疫情") and not abbreviates("冠新", "新型冠状病毒")
    assert not abbreviates("新病", "新型冠状病毒")


def test_each_before_a_verb_asks_for_a_comparison(mixed):
    """「…各有什么税额标准」 asks each named decision for its own answer, as 分别 does: the answer sets the two side
    by side and says what differs; 各级, 各有关部门 only say "every"."""
    from assistant.analysis import distributive

    asked = "北京的耕地占用税决定和环境保护税决定，各有什么税额标准？"
    assert mixed.plan(asked, []).compare and not mixed.plan(asked.replace("各有", "有"), []).compare
    answer = mixed.ask(asked)
    assert not answer.refused and "**对照**" in answer.text
    assert len(titles(answer)) == 2
    assert not distributive("各级人民政府和各有关部门应当支持检察机关")


def test_an_article_saying_the_asked_phrase_is_quoted_however_it_ranks(seed_assistant):
    """呼和浩特's 第八条 says 「未成年人保护」 among the new fields of public-interest litigation; retrieval ranks it well
    below 第四条 (the article on minors), but an article that says the question's words together is about them."""
    answer = seed_assistant.ask("呼和浩特那部决定在未成年人保护上提了哪些要求？")
    assert not answer.refused
    assert {c.article for c in answer.citations} >= {4, 8}
    assert "未成年人保护" in next(c.text for c in answer.citations if c.article == 8)


def test_what_is_required_of_a_body_after_dui_asks_for_its_duties(seed_assistant):
    """「对审判机关提出了什么要求」 asks what 审判机关 must do, although it stands after 对; 「对检察机关怎么监督」 and
    「向人大常委会报告」 keep the body as the one acted on."""
    plan = seed_assistant.plan("呼和浩特那部决定对审判机关提出了什么要求？", [])
    assert (plan.intent, plan.entity) == ("entity", "审判机关")
    answer = seed_assistant.ask("呼和浩特那部决定对审判机关提出了什么要求？")
    assert {c.article for c in answer.citations} >= {12, 17}
    assert seed_assistant.plan("人大常委会对检察机关怎么开展监督？", []).entity is None
    assert seed_assistant.plan("这些情况要不要向人大常委会报告？", []).entity is None


# The document as a whole ------------------------------------------------------------------------------


def test_how_many_articles_a_named_decision_has_is_counted_and_each_article_cited(mixed):
    answer = mixed.ask("山东检察监督决议一共有多少条？")
    assert not answer.refused and "共十一条" in answer.text
    assert titles(answer) == {"山东省人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决议"}
    assert [c.label for c in answer.citations] == [f"第{n}条" for n in "一二三四五六七八九十"] + ["第十一条"]


def test_what_a_decision_covers_is_outlined_from_its_articles(seed_assistant):
    answer = seed_assistant.ask("呼和浩特的决定主要讲了哪些方面？")
    assert "共十七条" in answer.text
    assert len(answer.citations) == 17 and {c.region for c in answer.citations} == {"呼和浩特市"}
    assert "公安机关应当自觉接受并积极配合检察机关的法律监督。" in answer.text


def test_retrieval_for_an_outline_question_gives_the_documents_articles_in_order(seed_assistant):
    hits = seed_assistant.retrieve("呼和浩特的决定主要讲了哪些方面？", k=3)
    assert [(h.clause.region, h.clause.label) for h in hits] == [("呼和浩特市", f"第{n}条") for n in "一二三"]


def test_each_decisions_article_count_is_given_when_the_library_holds_a_few(seed_assistant):
    answer = seed_assistant.ask("两个决定各有几条？")
    assert "共十七条" in answer.text and "共十八条" in answer.text


def test_an_article_count_naming_no_decision_asks_which_one(mixed):
    answer = mixed.ask("这部决定一共有几条？")
    assert answer.refused and not answer.citations
    assert "没有指明是哪一部决定" in answer.text


def test_an_outline_question_about_one_subject_is_a_search_question(seed_assistant):
    answer = seed_assistant.ask("西藏的决定关于公益诉讼主要讲了什么？")
    assert not answer.refused and answer.debug["intent"] == "topic"
    assert ("西藏自治区", "第十条") in {(c.region, c.label) for c in answer.citations}
    assert len(answer.citations) < 6


def test_an_article_count_follow_up_counts_the_document_discussed(mixed):
    first = "西藏的决定对公安机关有什么要求？"
    answer = mixed.ask("它一共有几条？", history=[(first, mixed.ask(first).text)])
    assert "共十八条" in answer.text and {c.region for c in answer.citations} == {"西藏自治区"}


def test_a_follow_up_asking_its_own_question_is_judged_on_its_own_words(mixed):
    """The earlier question chose the document; its words (公安机关, 要求) are not what this one asks about, so a
    provision on 公益诉讼 alone answers it (before, it was refused for leaving them unsaid)."""
    first = "西藏的决定对公安机关有什么要求？"
    answer = mixed.ask("那关于公益诉讼有什么规定？", history=[(first, mixed.ask(first).text)])
    assert not answer.refused
    assert ("西藏自治区", "第十条") in {(c.region, c.label) for c in answer.citations}


def test_a_laws_chapters_are_counted_with_its_articles(tmp_path):
    from assistant import Assistant

    donations = LAWREFBOOK / "社会法" / "公益事业捐赠法(1999-06-28).md"
    with Assistant.open(index_dir=tmp_path / "index") as assistant:
        assert not assistant.add_paths([donations]).errors
        answer = assistant.ask("公益事业捐赠法分为几章？一共多少条？")
        assert "分六章、共三十二条" in answer.text and len(answer.citations) == 32


@pytest.mark.parametrize("question, count", [
    ("西藏自治区人大常委会2024年通过的那部检察监督决定，一共写了几条？", "共十八条"),  # a year, 通过, 那部: they say which
    ("帮我梳理下山东检察监督决议的内容框架", "共十一条"),  # 梳理: a verb no decision uses frames the question
    ("山东检察监督决议，你能帮我理一下它的框架结构吗？", "共十一条"),  # 我理: jieba's word, 我/理 to its tagger
    ("介绍一下山东省人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决议", "共十一条"),
])
def test_words_that_only_frame_an_outline_question_make_no_subject(mixed, question, count):
    answer = mixed.ask(question)
    assert not answer.refused and count in answer.text and answer.debug["intent"] == "outline"


def test_an_outline_question_about_a_subject_the_decision_says_is_searched(mixed):
    """审计 and 整改 are verbs to jieba, but the decision says them: they are what is asked about."""
    answer = mixed.ask("北京市级预算审查监督决定对审计查出问题的整改主要规定了什么？")
    assert answer.debug["intent"] == "topic" and len(answer.citations) < 6


def test_the_issuer_in_a_spoken_title_is_not_the_body_asked_about(mixed):
    plan = mixed.plan("山东省人大常委会关于加强新时代检察机关法律监督工作的决议对公安机关有什么要求？")
    assert plan.entity == "公安机关"
    answer = mixed.ask("山东省人大常委会关于加强新时代检察机关法律监督工作的决议，要点是什么？")
    assert answer.debug["intent"] == "outline" and "共十一条" in answer.text


def test_a_follow_up_is_matched_on_its_own_words_only_when_it_asks_its_own_question():
    from assistant.analysis import QueryPlan

    earlier = "（北京耕地占用税决定里东城区每平方米税额是多少？）"
    asks = QueryPlan(question="那关于减免有什么规定？", query="关于减免有什么规定" + earlier, refers_to_previous=True)
    again = QueryPlan(question="朝阳区也是这个数吗？", query="朝阳区也是这个数" + earlier, refers_to_previous=True)
    assert asks.content_text == "关于减免有什么规定"
    whether = QueryPlan(question="朝阳区是否也是这个数？", query="朝阳区是否也是这个数" + earlier, refers_to_previous=True)
    assert again.content_text == again.query  # 「也是这个数吗」 asks the earlier question again
    assert whether.content_text == whether.query


@pytest.mark.parametrize("own, earlier, again", [
    ("对未成年人检察", "西藏的决定对公益诉讼检察有什么规定？", "西藏的决定对未成年人检察有什么规定"),
    ("行政诉讼", "呼和浩特对民事诉讼监督提了哪些要求？", "呼和浩特对行政诉讼监督提了哪些要求"),
    ("被法院驳回的时候", "检察建议被法院拒收，检察机关能向谁报告？", "检察建议被法院驳回的时候，检察机关能向谁报告"),
    ("单位呢", "个人恶意透支多少算数额较大？", None),
])
def test_a_follow_up_naming_something_else_asks_the_earlier_question_again(own, earlier, again):
    from assistant.analysis import asked_again

    assert asked_again(own, earlier) == again


def test_an_elliptical_follow_up_is_searched_as_the_earlier_question_asked_again(tmp_path):
    """「那…不准予执行的呢？」 asks where to apply for review again: 第七条 (review of a 不准予执行 ruling), not 第六条
    (when a court rules 不准予执行), which the follow-up's own words alone find."""
    from assistant import Assistant

    expropriation = LAWREFBOOK / "司法解释" / "最高人民法院关于办理申请人民法院强制执行国有土地上房屋征收补偿决定案件若干问题的规定(2012-03-26).md"
    with Assistant.open(index_dir=tmp_path / "index") as assistant:
        assert not assistant.add_paths([expropriation]).errors
        earlier = "房屋征收部门申请强制执行，法院裁定不予受理的，征收部门不服可以向哪里申请复议？"
        hits = assistant.retrieve("那法院裁定不准予执行的呢？", k=3, history=[(earlier, "")])
        assert hits[0].clause.label == "第七条"


def test_what_a_documents_title_note_says_of_it_names_it_in_an_outline_question(tmp_path):
    """「2019年修订以后」「经过2007年修正后」 say which text is meant (the 题注 records the revision): they are no
    subject of the question (修订 was read as one, and the count question was refused or searched)."""
    from assistant import Assistant

    jinan = SHANDONG / "济南市人民代表大会常务委员会讨论决定重大事项的规定(2019-07-26).md"
    judicial = HENAN / "河南省人民代表大会常务委员会关于加强对司法工作监督的决议.md"
    with Assistant.open(index_dir=tmp_path / "index") as assistant:
        assert not assistant.add_paths([jinan, judicial]).errors
        answer = assistant.ask("济南市讨论决定重大事项的规定2019年修订以后一共有多少条？")
        assert answer.debug["intent"] == "outline" and "共二十四条" in answer.text
        assert {c.doc_title for c in answer.citations} == {jinan.name.split("(")[0]}
        answer = assistant.ask("河南加强对司法工作监督的决议经过2007年修正后，主要内容有哪些？")
        assert answer.debug["intent"] == "outline" and "共六条" in answer.text


def test_a_regions_only_document_is_named_by_the_words_only_its_title_has(tmp_path):
    """「浙江省各级人大常委会讨论决定重大事项的规定」: 各级 is the 浙江 title's own, so the question names that document
    (its title words say which, not what is asked) although 浙江 has no other document to tell it from. Before,
    its title words were searched for, and articles without 监察委员会 (第四条, 第二十条) were quoted."""
    from assistant import Assistant

    zhejiang = ZHEJIANG / "浙江省各级人民代表大会常务委员会讨论决定重大事项的规定(2018-07-27).md"
    others = [SHANDONG / "山东省人民代表大会常务委员会讨论决定重大事项的规定(2018-11-30).md",
              HENAN / "河南省人民代表大会常务委员会讨论、决定重大事项的规定.md"]
    with Assistant.open(index_dir=tmp_path / "index") as assistant:
        assert not assistant.add_paths([zhejiang, *others]).errors
        question = "浙江省各级人大常委会讨论决定重大事项的规定对监察委员会有什么要求？"
        assert assistant.scope(assistant.plan(question)).named
        answer = assistant.ask(question)
        quoted = {re.sub(r"第[^条]+款$", "", c.label) for c in answer.citations}
        assert quoted and quoted <= {"第七条", "第八条", "第十二条", "第十七条", "第十八条"}


@pytest.mark.parametrize("question, count", [
    ("山东检察监督决议的条数是多少？", "共十一条"),
    ("帮我把西藏检察监督的决定列个提纲", "共十八条"),
    ("呼和浩特检察监督决定的核心内容是什么？", "共十七条"),
    ("西藏那个检察监督决定的正文一共有多少？", "共十八条"),
])
def test_nouns_that_ask_for_the_document_itself_make_an_outline_question(mixed, question, count):
    """条数, 提纲, 核心内容, 正文 ask about the document as such (as 几条 and 主要内容 do): not subjects inside it."""
    answer = mixed.ask(question)
    assert answer.debug["intent"] == "outline" and count in answer.text


def test_the_whole_document_said_in_a_follow_up_is_the_one_discussed(mixed):
    """「整部决议」 points back at the decision discussed as 「这部决议」 does (it was searched across the library)."""
    first = "山东检察监督决议对公安机关有什么要求？"
    answer = mixed.ask("整部决议一共几条？", history=[(first, mixed.ask(first).text)])
    assert "共十一条" in answer.text and {c.region for c in answer.citations} == {"山东省"}


def test_a_kind_of_document_its_title_says_is_no_subject_of_an_outline_question(mixed):
    """司法解释 says what kind of text the 最高人民法院 decision amends (《…的解释》): it names the document, as
    修改决定 does; before, it was read as a subject the decision never says and the question was searched."""
    answer = mixed.ask("最高法修改铁路运输人身损害赔偿那部司法解释的决定，核心内容是什么？")
    assert answer.debug["intent"] == "outline" and "共" in answer.text
    assert {c.doc_title for c in answer.citations} == {EXTRA[-1].stem}


def test_an_abbreviation_of_the_issuers_names_the_document_in_an_outline_question(tmp_path):
    """两高 is 最高人民法院 and 最高人民检察院 (store/aliases.txt); both issued the decision, so the word says which
    document is meant, not what is asked about it (it was read as a subject no decision says, and searched)."""
    from assistant import Assistant

    card = LAWREFBOOK / "司法解释" / "最高人民法院、最高人民检察院关于修改《关于办理妨害信用卡管理刑事案件具体应用法律若干问题的解释》的决定.md"
    with Assistant.open(index_dir=tmp_path / "index") as assistant:
        assert not assistant.add_paths([card]).errors
        answer = assistant.ask("两高修改信用卡刑事案件解释的那份决定，主要讲了什么？")
        assert answer.debug["intent"] == "outline" and "共" in answer.text
        assert {c.doc_title for c in answer.citations} == {card.stem}


def test_a_long_law_is_outlined_by_its_chapters_and_inserted_articles_are_counted_apart(tmp_path):
    """A law of hundreds of articles is outlined chapter by chapter (each with its span of articles), not with
    every article's first sentence; 刑法's 第十七条之一 and the like are counted apart from its 452 numbered
    articles (the outline said 共五百零五条, and 分十六章 with the 附则 counted as a chapter)."""
    from assistant import Assistant

    civil = LAWREFBOOK / "诉讼与非诉讼程序法" / "民事诉讼法(2021-12-24).md"
    criminal = LAWREFBOOK / "刑法" / "刑法.md"
    with Assistant.open(index_dir=tmp_path / "index") as assistant:
        assert not assistant.add_paths([civil, criminal], dense=False).errors
        answer = assistant.ask("民事诉讼法一共多少条？分几章？")
        assert "分二十七章、共二百九十一条" in answer.text and len(answer.citations) == 27
        assert "第十一章 诉讼费用（第一百二十一条）" in answer.text
        answer = assistant.ask("中华人民共和国刑法有多少条？")
        assert "分十五章、共四百五十二条（另有第十七条之一等增补条文五十三条，合计五百零五条）" in answer.text


def test_a_national_law_is_named_by_its_short_name(tmp_path):
    """刑法 and 宪法 are one bigram each, too little for the distinctive-words naming, so 「刑法第二十条说了什么」
    was refused as an article asked of no document. The law's title without 中华人民共和国 names it; a longer such
    name said (刑法修正案（十二）) names that law and not the shorter one inside it."""
    from assistant import Assistant

    criminal, amendment = LAWREFBOOK / "刑法" / "刑法.md", LAWREFBOOK / "刑法" / "刑法修正案（十二）(2023-12-29).md"
    with Assistant.open(index_dir=tmp_path / "index") as assistant:
        assert not assistant.add_paths([criminal, amendment, LAWREFBOOK / "宪法" / "宪法.md"], dense=False).errors
        answer = assistant.ask("刑法第二十条说了什么？")
        assert not answer.refused and {(c.doc_title, c.article) for c in answer.citations} == {("中华人民共和国刑法", 20)}
        answer = assistant.ask("宪法第一条是什么？")
        assert {(c.doc_title, c.article) for c in answer.citations} == {("中华人民共和国宪法", 1)}
        answer = assistant.ask("刑法修正案（十二）一共几条？")
        assert {c.doc_title for c in answer.citations} == {"中华人民共和国刑法修正案（十二）"}


def test_a_word_naming_the_documents_text_asks_nothing_by_itself(mixed):
    """文本 and 正文 name the document's text: a question saying them asks what its other words ask (when the
    current text was amended, when it took effect), not for an outline."""
    plan = mixed.plan("山东讨论决定重大事项的规定现行文本是哪一年修正的？什么时候施行？")
    assert plan.intent != "outline"
    assert mixed.ask("山东检察监督决议的正文一共列了几条？").debug["intent"] == "outline"


def test_two_versions_of_a_law_are_told_apart_in_headings_and_citations(tmp_path):
    """公司法(2018-10-26).md and 公司法(2023-12-29).md share their title: each is shown and cited with its version,
    and a marker naming the bare title (which version, unsaid) resolves to neither. Before, both quotes sat under
    the same heading and the marker resolved to whichever version came first."""
    from assistant import Assistant
    from assistant.citations import resolve

    company = LAWREFBOOK / "民法商法"
    with Assistant.open(index_dir=tmp_path / "index") as assistant:
        assert not assistant.add_paths([company / "公司法(2018-10-26).md", company / "公司法(2023-12-29).md"],
                                       dense=False).errors
        answer = assistant.ask("公司法第五条说了什么？")
        assert "《中华人民共和国公司法（2023-12-29版）》" in answer.text
        assert "《中华人民共和国公司法（2018-10-26版）》" in answer.text
        by_version = {c.doc_id: c.text for c in answer.citations if c.paragraph in (None, 1)}
        assert len(by_version) == 2 and len(set(by_version.values())) == 2
        sources = [c for d in by_version for c in assistant.index.clauses(d) if c.article == 5]
        assert resolve("中华人民共和国公司法", "第五条", sources, assistant.titles()) is None


def test_an_article_above_a_thousand_is_looked_up_in_the_named_codes_part(tmp_path):
    """民法典 comes in parts (合同编.md, 附则.md …), each titled 中华人民共和国民法典: 第一千二百六十条 is read as an
    article number (千 was not), looked up in whichever named part has it, and cited with that part."""
    from assistant import Assistant

    code = LAWREFBOOK / "民法典"
    parts = [code / f"{name}.md" for name in ("总则", "物权编", "合同编", "人格权编", "婚姻家庭编", "附则")]
    with Assistant.open(index_dir=tmp_path / "index") as assistant:
        assert not assistant.add_paths(parts, dense=False).errors
        answer = assistant.ask("民法典第一千二百六十条说了什么？")
        assert [(c.article, c.doc_title) for c in answer.citations] == [(1260, "中华人民共和国民法典")]
        assert "〔《中华人民共和国民法典（附则）》第一千二百六十条〕" in answer.text


def test_a_title_shared_with_other_places_decisions_names_the_places_only_one(mixed):
    """「呼和浩特市人大常委会关于加强新时代检察机关法律监督工作的决定」: 西藏 and 山东 have a decision of the same
    title, so its words tell no document from another, yet said as a name before 决定 they name 呼和浩特's only one:
    they say which document, not what is asked. Before, 新时代 was searched for as a subject."""
    question = "呼和浩特市人大常委会关于加强新时代检察机关法律监督工作的决定中，对生态环境保护有什么规定？"
    plan = mixed.plan(question)
    scope = mixed.scope(plan)
    assert [mixed._docs()[d].region for d in scope.named] == ["呼和浩特市"]
    assert "时代" not in mixed.matcher(plan, scope).words


@pytest.mark.parametrize("question, articles", [
    ("呼和浩特的决定里，有几条提到了司法行政机关？", {"第九条", "第十七条"}),
    ("呼和浩特那份决定中涉及未成年人的内容有哪些？", {"第四条", "第八条"}),
])
def test_a_question_asking_which_provisions_say_a_word_gets_every_one(mixed, question, articles):
    """「有几条提到了X」「涉及X的内容有哪些」 ask which provisions say X: every article of the document that says
    it, counted, each with its sentences that say it. Before, the search's best one or two were quoted."""
    answer = mixed.ask(question)
    assert {c.doc_title for c in answer.citations} == {"呼和浩特市人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定"}
    assert {re.sub(r"第[^条]+款$", "", c.label) for c in answer.citations} == articles
    assert f"共{'二' if len(articles) == 2 else len(articles)}条" in answer.text


def test_a_compound_said_with_words_inside_it_is_mentioned(mixed):
    """「追究责任」: 河南's 第十七条 says 「依法追究有关人员责任」, its parts a few characters apart (extractive.says);
    before, only 第十六条 (「依法追究责任」) was counted."""
    answer = mixed.ask("河南省人大常委会讨论、决定重大事项的规定中，提到追究责任的有几条？")
    assert {re.sub(r"第[^条]+款$", "", c.label) for c in answer.citations} == {"第十六条", "第十七条"}
    assert "共二条" in answer.text and "追究有关人员责任" in answer.text


def test_a_compound_is_made_of_the_words_inside_it():
    from ingest.tokenize import parts

    assert parts("追究责任") == ["追究", "责任"]
    assert parts("监察委员会") == ["监察", "委员会"]
    assert parts("律师") == []


def test_which_documents_mention_a_law_not_indexed_is_answered_from_those_that_name_it(mixed):
    """「哪些文件提到了《环境保护税法》」: the law is not indexed, but where the indexed texts name it is what is asked
    (北京's 环保税 决定 cites it in its preamble). Before, a 《title》 not indexed emptied the scope: refused."""
    answer = mixed.ask("哪些文件提到了《环境保护税法》？")
    assert not answer.refused
    assert "文库中没有《环境保护税法》本身" in answer.text
    assert answer.citations and all("环境保护税法" in c.text for c in answer.citations)
    assert any("环境保护税适用税额" in c.doc_title for c in answer.citations)


def test_a_word_asked_what_a_provision_says_is_no_mention_question():
    """「提到要建什么平台」 and 「提到的检察听证…有什么要求」 ask what a provision says, 「…涉及职责调整问题的决定」
    names a document."""
    from assistant.analysis import analyze

    assert analyze("浙江的规定里有哪些条文提到了监察委员会？").mentioned == "监察委员会"
    assert analyze("西藏那条里提到要建什么平台？").mentioned == ""
    assert analyze("决定中提到的检察听证，具体有什么要求？").mentioned == ""
    assert analyze("北京市人民政府机构改革涉及职责调整问题的决定有几条？").mentioned == ""


def test_a_share_asked_with_the_asking_word_first_must_be_stated(tmp_path):
    """「要多大比例的组成人员同意」 asks for a share as 「比例是多少」 does, and 过半数 or 三分之二 states one. 济南's
    规定 says 过半数 (第十七条); 浙江's says no share: answering with its 联名 head counts was a false answer."""
    from assistant import Assistant
    from assistant.figures import figure_pattern

    assert figure_pattern("需要多大比例的组成人员通过").search("由常委会全体组成人员的过半数通过")
    assert figure_pattern("要多少比例的人同意").search("三分之二以上")
    assert not figure_pattern("要多少比例的人同意").search("组成人员五人以上联名")
    jinan = SHANDONG / "济南市人民代表大会常务委员会讨论决定重大事项的规定(2019-07-26).md"
    zhejiang = ZHEJIANG / "浙江省各级人民代表大会常务委员会讨论决定重大事项的规定(2018-07-27).md"
    with Assistant.open(index_dir=tmp_path / "index") as assistant:
        assert not assistant.add_paths([jinan, zhejiang]).errors
        stated = assistant.ask("济南市人大常委会的决议、决定，需要多大比例的组成人员通过？")
        assert not stated.refused and 17 in {c.article for c in stated.citations}
        assert assistant.ask("浙江省人大常委会就重大事项作决议，要多大比例的组成人员同意才行？").refused


def test_the_supervisory_commission_is_found_by_the_name_the_texts_give_it(tmp_path):
    """The texts call the body 监察委员会 (浙江's 规定, the 监察法) as well as 监察机关: a question about its duties
    under a decision that says only 监察委员会 quotes those sentences. Before, only 监察机关 was looked for in the
    texts, and with the decision named, nothing it says was found (refused)."""
    from assistant import Assistant

    zhejiang = ZHEJIANG / "浙江省各级人民代表大会常务委员会讨论决定重大事项的规定(2018-07-27).md"
    with Assistant.open(index_dir=tmp_path / "index") as assistant:
        assert not assistant.add_paths([zhejiang, *sorted(CORPUS.iterdir())]).errors
        answer = assistant.ask("浙江省各级人大常委会讨论决定重大事项的规定对监察委员会有哪些要求？")
        assert not answer.refused
        assert all("监察委员会" in c.text for c in answer.citations)
