"""The keyword index: numpy BM25 builder agrees with bm25s, terms, aliases, masks, persistence."""

from __future__ import annotations

import bm25s
import numpy as np

from ingest.tokenize import tokenize
from store.aliases import expansions
from store.keyword import KeywordIndex, _bm25, keyword_terms
from store.query import prepare, short_region

TEXTS = [
    "公安机关应当自觉接受并积极配合检察机关的法律监督。",
    "审判机关应当落实检察长列席同级人民法院审判委员会会议制度。",
    "检察机关应当加强未成年人检察工作，依法严惩侵害未成年人犯罪。",
    "本决定自2024年8月1日起施行。",
    "Article 3 applies to PDF files and 12309 hotline.",
    "",
]


def test_numpy_builder_scores_like_bm25s():
    corpus = [tokenize(t) or [""] for t in TEXTS * 3]
    reference = bm25s.BM25()
    reference.index(corpus, show_progress=False)
    mine = _bm25(corpus)
    for query in ("公安机关配合", "未成年人犯罪", "2024 施行", "pdf hotline", "人民法院审判委员会"):
        terms = tokenize(query)
        assert np.allclose(mine.get_scores(terms), reference.get_scores(terms), rtol=1e-5)


def test_build_save_load_scores_and_masks(tmp_path):
    rows = [(f"d{i % 2}:{i:04d}", f"d{i % 2}", "closing" if "施行" in t else "article", t) for i, t in enumerate(TEXTS)]
    index = KeywordIndex.build(rows, "fp1")
    index.save(tmp_path)
    assert KeywordIndex.load(tmp_path, "other") is None
    loaded = KeywordIndex.load(tmp_path, "fp1")
    assert loaded.clause_ids == index.clause_ids and loaded.doc_ids == ["d0", "d1"]
    scores = loaded.scores(keyword_terms("公安机关需配合哪些事项"))
    assert int(np.argmax(scores)) == 0
    assert loaded.scores(["不存在"]).max() == 0
    mask = loaded.mask({"d1"}, None)
    assert mask.tolist() == [i % 2 == 1 for i in range(len(TEXTS))]
    assert loaded.mask(None, {"closing"}).tolist() == ["施行" in t for t in TEXTS]
    assert loaded.mask(None, None) is None
    index.fingerprint = "fp2"
    index.save(tmp_path)
    assert len(list(tmp_path.glob("keyword-*"))) == 1  # the old version is cleaned up


def test_query_terms_and_alias_expansion():
    assert keyword_terms("公安机关需配合哪些事项") == ["公安", "安机", "配合", "事项"]
    assert "公安机关" in expansions("警察要配合检察院做什么")
    assert expansions("人大常委会如何监督") == ["人民代表大会常务委员会"]  # longest alias wins, once
    assert expansions("公安机关") == []
    assert "未成年人" in expansions("怎么保护孩子")


def test_locality_names_are_dropped_only_when_filtered_or_compared():
    regions = ["西藏自治区", "呼和浩特市"]
    assert short_region("西藏自治区") == "西藏" and short_region("呼和浩特市") == "呼和浩特"
    kept = prepare("西藏的决定对公安机关有什么要求", regions)
    assert "西藏" in kept.terms
    filtered = prepare("西藏的决定对公安机关有什么要求", regions, region_filtered=True)
    assert "西藏" not in filtered.terms and "公安" in filtered.terms
    compared = prepare("西藏和呼和浩特对公安机关的要求有什么不同", regions)
    assert not {"西藏", "呼和", "浩特"} & set(compared.terms)
    assert prepare("西藏", regions, region_filtered=True).terms == ["西藏"]


def test_document_frequencies_come_from_the_index():
    rows = [(f"d:{i:04d}", "d", "article", t) for i, t in enumerate(TEXTS)]
    index = KeywordIndex.build(rows, "fp")
    df = index.document_frequencies()
    expected: dict[str, int] = {}
    for text in TEXTS:
        for term in set(tokenize(text)):
            expected[term] = expected.get(term, 0) + 1
    assert {t: n for t, n in df.items() if n} == expected


def test_the_text_to_embed_leaves_out_punctuation_and_particles():
    """Each token costs the e5 call about a millisecond; 「？」「吗」「请问」 say nothing to it."""
    asked = prepare("请问，公安机关需要配合检察机关吗？")
    assert asked.dense_text == "公安机关需要配合检察机关"
    assert asked.terms == prepare("公安机关需要配合检察机关").terms
    assert prepare("？").dense_text == "？"  # nothing left: the question as asked
