"""The jieba user dictionary keeps legal terms whole and loads only on first use."""

import subprocess
import sys

from ingest.tokenize import content_words, user_dictionary


def test_legal_terms_stay_whole():
    assert content_words("民事支持起诉和行政公益诉讼") == ["民事", "支持起诉", "行政", "公益诉讼"]
    assert "检察建议" in content_words("检察建议怎么落实")


def test_dictionary_comes_from_the_curated_terms_and_the_entity_table():
    terms = user_dictionary()
    assert {"公益诉讼", "支持起诉", "检察建议", "公安机关", "侦查机关", "司法行政机关"} <= set(terms)
    assert all("、" not in t and "/" not in t for t in terms)


def test_nothing_loads_at_import_time():
    code = "import sys, ingest.tokenize; assert 'jieba' not in sys.modules; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_asking_words_are_not_content():
    """「哪一年」「几个」「哪天」 say what kind of answer is wanted; the corpus never uses them, so counted as content
    they would read as words the decisions never say."""
    assert content_words("河南打算哪一年基本实现现代化？") == ["河南", "打算", "基本", "实现", "现代化"]
    assert content_words("议案要在会议举行几天前送到？") == ["议案", "会议", "举行", "送到"]
    for asked in ("这部条例是哪天通过的？", "审查意见要在几个工作日内反馈？", "刊登在哪份公报上？"):
        assert not [w for w in content_words(asked) if w[0] in "哪几"]
    # 「是第几条」 asks which article: it weighed most of all the question's words, as one the corpus never says
    assert content_words("行政检察年度报告制度是第几条？") == ["行政", "年度报告"]


def test_yes_no_forms_are_not_content():
    """「能不能」「要不要」 ask yes or no; split by jieba they left 不能/不要 as question words, which read as the
    prohibitions the texts say (不得, 不能)."""
    assert content_words("人大常委会要不要向人民代表大会报告？") == ["人大常委会", "人民代表大会", "报告"]
    assert "不能" not in content_words("重大违法案件的监督结果能不能通过新闻媒介公开？")
    assert "不准" not in content_words("法院准不准执行？")
    assert content_words("这部决议后来修改过没有？") == ["这部", "后来", "修改"]  # 「V过没有」 asks yes or no too
    # in quotation marks the words are the text's own: 「“四问该不该”」 is a term, not a question form
    assert "该不该" in content_words("“四问该不该”是哪四问？")
