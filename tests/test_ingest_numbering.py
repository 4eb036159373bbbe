"""Numbering the parser must not merge or invent: duplicates and out-of-order numbers, quoted text of an
amended instrument, lists restarting inside an article, and a closing sentence in mid-document."""

import logging

from ingest import parse_text
from ingest.cli import format_parsed

TITLE = "测试省人民代表大会常务委员会关于测试工作的决定\n"


def test_duplicate_article_number_is_kept_as_its_own_article_with_a_warning(caplog):
    text = TITLE + "第一条 甲。\n第二条 乙。\n第二条 丙。\n第三条 丁。\n"
    with caplog.at_level(logging.WARNING, logger="ingest.parser"):
        parsed = parse_text(text)
    articles = parsed.articles()
    assert [(a.article, a.label, a.text) for a in articles] == [
        (1, "第一条", "第一条 甲。"), (2, "第二条", "第二条 乙。"), (2, "第二条", "第二条 丙。"), (3, "第三条", "第三条 丁。")]
    assert any("duplicate article number 2" in w for w in parsed.document.warnings)
    assert "duplicate article number 2" in caplog.text
    assert "warning:    duplicate article number 2" in format_parsed(parsed)  # `python -m ingest parse` shows it
    assert parsed.reassemble() == parsed.body


def test_out_of_order_and_skipped_numbers_warn_and_keep_their_own_labels():
    parsed = parse_text(TITLE + "第一条 甲。\n第三条 丙。\n第二条 乙。\n第四条 丁。\n")
    assert [(a.article, a.label) for a in parsed.articles()] == [(1, "第一条"), (3, "第三条"), (2, "第二条"), (4, "第四条")]
    warnings = " | ".join(parsed.document.warnings)
    assert "skip from 1 to 3" in warnings and "out-of-order article number 2 after article 3" in warnings


def test_duplicate_item_number_in_a_decision():
    parsed = parse_text(TITLE + "一、甲。\n二、乙。\n二、丙。\n三、丁。\n本决定自公布之日起施行。\n")
    assert [a.article for a in parsed.articles()] == [1, 2, 2, 3]
    assert parsed.articles()[2].text == "二、丙。"
    assert parsed.clauses[-1].label == "施行条款"


def test_a_list_restarting_inside_an_article_stays_inside_it():
    parsed = parse_text(TITLE + "一、总体要求。\n二、主要任务如下：\n一、加强领导。\n二、完善制度。\n三、保障措施。\n")
    articles = parsed.articles()
    assert [a.article for a in articles] == [1, 2, 3]
    assert "一、加强领导。\n二、完善制度。" in articles[1].text
    assert not parsed.document.warnings


def test_quoted_articles_of_the_amended_text_are_not_articles():
    text = (TITLE + "现作如下修改：\n一、将第五条修改为：“第五条 县级以上人民政府应当加强领导。\n"
            "二、本条所称监督，包括检查。\n本规定自2020年1月1日起施行。”\n二、增加一条，作为第六条。\n"
            "本决定自公布之日起施行。\n")
    parsed = parse_text(text)
    articles = parsed.articles()
    assert [a.article for a in articles] == [1, 2]
    assert "本规定自2020年1月1日起施行。”" in articles[0].text
    assert [c.text for c in parsed.clauses if c.kind == "closing"] == ["本决定自公布之日起施行。"]


def test_a_closing_like_sentence_before_later_articles_is_not_the_closing():
    parsed = parse_text(TITLE + "第一条 甲。\n第二条 乙。\n本规定所称丙，是指丁。\n第三条 本规定自公布之日起施行。\n")
    assert [a.article for a in parsed.articles()] == [1, 2, 3]
    assert parsed.articles()[1].text.endswith("本规定所称丙，是指丁。")
    assert not [c for c in parsed.clauses if c.kind == "closing"]


def test_single_change_decision_without_items():
    text = (TITLE + "根据审判实践需要，决定对《某规定》作如下修改：\n将第二条修改为：“甲。\n乙。”\n"
            "本决定自2021年1月1日起施行。\n根据本决定，《某规定》作相应修改后，重新公布。\n")
    parsed = parse_text(text)
    assert [(c.kind, c.label) for c in parsed.clauses] == [
        ("preamble", "序言"), ("article", "第一条"), ("closing", "施行条款"), ("closing", "附注")]
    assert parsed.articles()[0].text == "将第二条修改为：“甲。\n乙。”"


def test_a_citation_of_the_republication_note_resolves_to_it():
    from assistant.citations import resolve

    text = (TITLE + "决定对《某规定》作如下修改：\n将第二条修改为：“甲。”\n"
            "本决定自2021年1月1日起施行。\n根据本决定，《某规定》作相应修改后，重新公布。\n")
    clauses = list(parse_text(text).clauses)
    title = clauses[0].doc_title
    assert resolve(title, "附注", clauses, {}).text.startswith("根据本决定")
    assert resolve(title, "施行条款", clauses, {}).text.startswith("本决定自")
