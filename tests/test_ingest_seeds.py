"""The bundled decisions and the Shandong 决议 parse into the articles a lawyer would cite."""

from datetime import date

import pytest

from ingest import parse_file
from ingest.records import cite_label

from conftest import HUHEHAOTE, SHANDONG, XIZANG

NAV_WORDS = ("首页", "发布日期", "来源", "字体", "分享到", "打印", "卫生健康委员会 呼和浩特")


@pytest.fixture(scope="module")
def xizang():
    return parse_file(XIZANG)


@pytest.fixture(scope="module")
def huhehaote():
    return parse_file(HUHEHAOTE)


def test_xizang_articles_and_paragraphs(xizang):
    articles = xizang.articles()
    assert [a.article for a in articles] == list(range(1, 19))
    assert [a.label for a in articles][:3] == ["第一条", "第二条", "第三条"]
    art16 = articles[15]
    assert art16.label == "第十六条" and len(art16.paragraphs) == 5
    assert art16.paragraphs[2].startswith("公安机关应当与检察机关共同推动侦查监督")
    assert len(articles[6].paragraphs) == 3  # 第七条
    assert "\n".join(art16.paragraphs) == art16.text


def test_xizang_paragraph_view_is_citable(xizang):
    view = xizang.articles()[15].paragraph_view(3)
    assert view.label == "第十六条第三款"
    assert view.paragraph == 3 and view.article == 16
    assert view.text.startswith("公安机关应当")
    with pytest.raises(ValueError):
        xizang.articles()[15].paragraph_view(6)


def test_xizang_metadata_and_closing(xizang):
    doc = xizang.document
    assert doc.title == "西藏自治区人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定"
    assert doc.region == "西藏自治区"
    assert doc.adoption_date == date(2024, 7, 31)
    assert doc.effective_date == date(2024, 8, 1)
    assert doc.meeting == "西藏自治区第十二届人民代表大会常务委员会第十一次会议"
    assert doc.status == "有效"
    assert doc.source_url.startswith("https://flk.npc.gov.cn/")
    assert doc.repeals == ("西藏自治区人民代表大会常务委员会关于加强检察机关法律监督工作的决定",)
    closing = [c for c in xizang.clauses if c.kind == "closing"]
    assert len(closing) == 1
    assert "2024年8月1日" in closing[0].text and "2010年9月29日" in closing[0].text
    assert "同时废止" in closing[0].text
    kinds = [c.kind for c in xizang.clauses]
    assert kinds[:2] == ["note", "preamble"] and kinds[-1] == "closing"


def test_huhehaote_parts_and_articles(huhehaote):
    articles = huhehaote.articles()
    assert [a.article for a in articles] == list(range(1, 18))
    assert len(huhehaote.headings) == 3
    parts = {a.article: a.part for a in articles}
    assert parts[1].startswith("一、充分发挥法律监督职能作用")
    assert parts[5].startswith("二、全面提升法律监督履职质效")
    assert parts[11].startswith("三、构建完善法律监督保障体系")
    assert articles[10].label == "第十一条"
    assert articles[10].text.startswith("11.公安机关应当自觉接受")


def test_huhehaote_has_no_navigation_text(huhehaote):
    for clause in huhehaote.clauses:
        for word in NAV_WORDS:
            assert word not in clause.text, (clause.label, word)
    assert any("分享到" in line for line in huhehaote.dropped_lines)


def test_huhehaote_metadata(huhehaote):
    doc = huhehaote.document
    assert doc.region == "呼和浩特市"
    assert doc.adoption_date == date(2023, 11, 1)
    assert "第十六届人民代表大会常务委员会第十一次会议" in doc.meeting
    assert doc.effective_on_publication is True
    assert doc.effective_date == date(2023, 11, 1)
    closing = [c for c in huhehaote.clauses if c.kind == "closing"]
    assert [c.text for c in closing] == ["本决定自公布之日起施行。"]
    note = [c for c in huhehaote.clauses if c.kind == "note"]
    assert note[0].text == "（2023年11月1日呼和浩特市第十六届人民代表大会常务委员会第十一次会议通过）"


def test_huhehaote_half_width_punctuation_normalised(huhehaote):
    art1 = huhehaote.articles()[0]
    assert "，" in art1.text and "," not in art1.text


def test_cross_reference_is_not_a_heading():
    from ingest import parse_text

    text = (
        "测试市人民代表大会常务委员会关于测试工作的决定\n"
        "一、总体要求\n1.检察机关应当依照11.5的规定办理。\n2.根据第十一条的规定，"
        "检察机关应当加强监督。\n第十一条规定的事项除外。\n3.公安机关应当配合。\n本决定自公布之日起施行。\n"
    )
    parsed = parse_text(text)
    assert [a.article for a in parsed.articles()] == [1, 2, 3]
    assert "第十一条规定的事项除外。" in parsed.articles()[1].text


def test_numbered_section_headings_are_articles():
    """「## 一、…」 headings with their paragraphs below: each section is an article (some 决议 look so)."""
    from ingest import parse_text

    text = (
        "# 测试省人民代表大会常务委员会关于测试工作的决议\n\n为了测试，作如下决议：\n\n"
        "## 一、加强组织领导\n\n各级人民政府应当加强领导。\n\n1.明确责任。\n\n2.落实保障。\n\n"
        "## 二、完善制度\n\n健全工作制度。\n\n第二段。\n\n"
        "三、强化监督\n\n人大常委会应当加强监督。\n"
    )
    parsed = parse_text(text, source_format="md")
    articles = parsed.articles()
    assert [a.article for a in articles] == [1, 2, 3]
    assert not [h for h in parsed.headings if h.text.startswith("一、")]
    first = articles[0]
    assert first.paragraphs[0].startswith("一、加强组织领导") and "各级人民政府应当加强领导。" in first.paragraphs[0]
    assert len(first.paragraphs) == 1  # the 1. 2. items stay inside; the heading line is not a 款 of its own
    assert articles[1].paragraphs == ("二、完善制度\n健全工作制度。", "第二段。")
    assert "人大常委会应当加强监督。" in articles[2].text
    assert parsed.reassemble() == parsed.body


@pytest.mark.skipif(not SHANDONG.exists(), reason="needs ../shared/corpora")
def test_shandong_resolution():
    parsed = parse_file(SHANDONG)
    articles = parsed.articles()
    assert [a.article for a in articles] == list(range(1, 12))
    preamble = [c for c in parsed.clauses if c.kind == "preamble"][0]
    assert "会议听取和审议了" in preamble.text  # 「听\n\n取」 re-joined
    assert "根据宪法和法律规定" in preamble.text
    assert parsed.document.region == "山东省"
    assert parsed.document.title.startswith("山东省人民代表大会常务委员会")
    assert parsed.document.adoption_date == date(2019, 9, 27)
    assert len(articles[7].paragraphs) == 7  # 第八条
    assert parsed.document.repeals == ("山东省人民代表大会常务委员会关于加强人民检察院法律监督工作的决议",)


@pytest.mark.parametrize("path", [XIZANG, HUHEHAOTE])
def test_nothing_lost(path):
    parsed = parse_file(path)
    assert parsed.reassemble() == parsed.body
    assert all(c.text for c in parsed.clauses)


@pytest.mark.parametrize("n,label", [(1, "第一条"), (10, "第十条"), (16, "第十六条"), (20, "第二十条"),
                                     (101, "第一百零一条"), (110, "第一百一十条")])
def test_cite_label(n, label):
    assert cite_label("article", n) == label


@pytest.mark.parametrize("title,region", [
    ("济南市12345市民服务热线条例", "济南市"),
    ("郑州市城市房地产市场管理条例", "郑州市"),
    ("新疆维吾尔自治区人民代表大会常务委员会关于加强检察工作的决定", "新疆维吾尔自治区"),
    ("汕头经济特区城市市容和环境卫生管理条例", "汕头经济特区"),
    ("国务院关于禁止在市场经济活动中实行地区封锁的规定", ""),
    ("关于市场监督管理的若干规定", ""),
    ("中华人民共和国刑法", "全国"),
])
def test_region_of_title(title, region):
    from ingest.metadata import region_of

    assert region_of(title, None) == region
