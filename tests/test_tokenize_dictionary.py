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
