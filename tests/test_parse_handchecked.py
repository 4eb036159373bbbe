"""决定/决议 checked by hand: article counts and first words counted by reading the source files
(LawRefBook and the two seeds), never by running the parser.

Conventions, as a lawyer reads these texts:
- 「一、」「二、」… items are the articles, in a heading (「## 一、」), a plain line, or a mix;
- 呼和浩特: 「1.」–「17.」 are the articles, 一、二、三、 above them are parts;
- an amendment decision's top-level items 一、… are its articles; 「将第十二条修改为：“…”」 quotes the amended
  text, whose 第X条 / 一、 are not articles of the decision; a decision making one change (no 一、) has
  that change as its one article;
- 「本决定自…起施行」 standing alone after the last item is the 施行条款 (closing); 「七、本决定自…」 is item 七.
"""

import re

import pytest

from ingest import parse_file

from conftest import HUHEHAOTE, LAWREFBOOK, XIZANG

BJ = "DLC/北京地方法规/地方性法规/北京/北京市人民代表大会常务委员会关于"
SH = "DLC/上海地方法规/地方性法规/上海/上海市人民代表大会常务委员会关于"
HN = "DLC/河南地方法规/地方性法规/河南/"
SD = "DLC/山东地方法规/地方性法规/山东/"
SPC = "司法解释/最高人民法院关于修改"

# (path under LawRefBook, or a seed path; articles; {article: its first words after the number}; closing?)
TABLE = [
    (BJ + "北京市耕地占用税适用税额的决定(2019-07-26).md", 3,
     {1: "北京市各区耕地占用税的适用税额", 3: "北京市对占用园地、林地、草地"}, True),
    (SPC + "《最高人民法院关于审理食品药品纠纷案件适用法律若干问题的规定》的决定.md", 1,
     {1: "将第十二条修改为：“食品检验机构故意出具虚假检验报告"}, True),
    (SPC + "《关于审理掩饰、隐瞒犯罪所得、犯罪所得收益刑事案件适用法律若干问题的解释》的决定.md", 1,
     {1: "自本决定实施之日起，《关于审理掩饰、隐瞒犯罪所得"}, True),
    (SPC + "《最高人民法院关于在民事审判工作中适用〈工会法〉若干问题的解释》等二十七件民事类司法解释的决定.md", 27,
     {1: "修改《最高人民法院关于在民事审判工作中适用〈中华人民共和国工会法〉", 27: "修改《最高人民法院关于审理民间借贷"},
     True),
    (SPC + "《最高人民法院关于审理侵犯专利权纠纷案件应用法律若干问题的解释（二）》等十八件知识产权类司法解释的决定.md",
     18, {1: "修改《最高人民法院关于审理侵犯专利权纠纷案件", 18: "修改《最高人民法院关于北京、上海、广州知识产权法院"},
     True),
    (SPC + "《最高人民法院关于破产企业国有划拨土地使用权应否列入破产财产等问题的批复》等二十九件商事类司法解释的决定.md",
     29, {1: "修改《最高人民法院关于破产企业国有划拨土地使用权", 29: "修改《最高人民法院关于审理海"}, True),
    (SPC + "《关于上海金融法院案件管辖的规定》的决定.md", 12,
     {1: "将第一条修改为：", 12: "将第七条修改为第十二条。"}, True),
    (SPC + "《最高人民法院关于仲裁司法审查案件报核问题的有关规定》的决定.md", 7,
     {1: "将第三条修改为：“本规定第二", 7: "原第八条作为第九条。"}, True),
    (SPC + "《最高人民法院关于审理铁路运输人身损害赔偿纠纷案件适用法律若干问题的解释》的决定.md", 10,
     {1: "第一条第二款开始部分增加规定", 10: "将《解释》的条文顺序作相应调整"}, True),
    ("司法解释/最高人民法院、最高人民检察院关于修改《关于办理妨害信用卡管理刑事案件具体应用法律若干问题的解释》的决定.md",
     8, {1: "将《解释》原第六条修改为：“", 8: "将《解释》原第八条改为修改后"}, None),
    (BJ + "北京市应税大气污染物和水污染物环境保护税适用税额的决定(2017-12-01).md", 2,
     {1: "北京市应税大气污染物适用税额", 2: "北京市应税水污染物适用税额为"}, True),
    (BJ + "依法防控新型冠状病毒感染肺炎疫情  坚决打赢疫情防控阻击战的决定(2020-02-07).md", 5,
     {1: "市、区人民政府及其有关部门可", 5: "依法加强治安管理、市场监管等"}, True),
    (BJ + "加强市级预算审查监督的决定(2021-12-24).md", 14,
     {1: "加强全口径审查和全过程监管", 10: "依法执行备案工作", 14: "完善预算工作机构职责"}, True),
    (BJ + "市人民政府机构改革涉及地方性法规规定的行政机关职责调整问题的决定(2018-11-23).md", 5,
     {1: "现行地方性法规规定的行政机关", 5: "本决定自2018年11月24"}, False),
    (BJ + "废止部分地方性法规的决定.md", 4,
     {1: "废止《北京市社会治安综合治理", 4: "废止《北京市信息化促进条例》"}, True),
    (SH + "促进和保障浦东新区改革开放再出发实现新时代高质量发展的决定(2019-07-25).md", 7,
     {1: "市人民代表大会常务委员会围绕", 7: "本决定自2019年7月26日"}, False),
    (SH + "促进和保障长三角生态绿色一体化发展示范区建设若干问题的决定(2020-09-25).md", 7,
     {1: "示范区建设要全面贯彻国务院批", 7: "在示范区内，本市地方性法规的"}, True),
    (SH + "进一步促进和保障“一网通办”改革的决定(2021-06-23).md", 16,
     {1: "本市推进“一网通办”改革，整", 16: "本市保障“一网通办”改革创新"}, True),
    (SD + "山东省人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决议(2019-09-27).md", 11,
     {1: "全省各级检察机关要深入学习贯", 11: "监督、支持检察机关依法开展法"}, True),
    (HN + "河南省人大常委会关于努力夺取传染性非典型肺炎防治工作和经济建设双胜利的决议.md", 3,
     {1: "提高认识，认清形势，坚定信心", 3: "坚持一手抓防治非典这件大事不"}, None),
    (HN + "河南省人民代表大会常务委员会关于促进河南省全面建成小康社会加快现代化建设的决议(2015-01-21).md", 4,
     {1: "充分认识全面建成小康社会加快", 4: "全省各级人民政府、法院和检察"}, None),
    (HN + "河南省人民代表大会常务委员会关于全面加强生态环境保护  依法推动打好污染防治攻坚战  让中原更加出彩的决议(2018-09-29).md",
     6, {1: "坚持以习近平生态文明思想为引", 4: "大力推动生态环境保护", 6: "广泛动员人民群众积极参与生态"}, None),
    (HN + "河南省人民代表大会常务委员会关于加强基层文化设施建设有关问题的决议(2009-05-22).md", 5,
     {1: "提高认识，确保实现基层文化设", 5: "加强基层文化设施建设地方立法"}, None),
    (HN + "河南省人民代表大会常务委员会关于加强对司法工作监督的决议.md", 6,
     {1: "切实提高对司法监督工作的认识", 6: "坚持在党委领导下做好人大司法"}, None),
    (HN + "河南省人民代表大会常务委员会关于进一步加强水污染防治工作的决议.md", 4,
     {1: "认真做好水污染防治法等环保法", 4: "加强水污染防治地方立法和监督"}, None),
    (HN + "河南省人民代表大会常务委员会关于进一步加强省地方税务工作的决议.md", 5,
     {1: "提高认识，正确处理依法征管与", 5: "加强领导，营造良好税收执法环"}, None),
    (HN + "河南省人民代表大会常务委员会关于进一步加快我省旅游业发展的决议.md", 4,
     {1: "转变观念，进一步提高对旅游业", 4: "优化环境，依法保障旅游业的健"}, None),
    (HN + "河南省第六届人民代表大会关于进一步开展全民义务植树运动的决议(2010-07-30).md", 5,
     {1: "根据国家的规定，凡是条件具备", 5: "会议责成省人民政府根据本决议"}, None),
    (XIZANG, 18, {1: "检察机关应当坚持以", 16: "健全监察机关、公"}, True),
    (HUHEHAOTE, 17, {1: "检察机关应当坚持党的绝对领导", 17: "人大及其常委会应当加强对检察机关法"}, True),
]

NUMBER_PREFIX = re.compile(r"^([一二三四五六七八九十]+、|\d{1,3}[.．、])")


def _path(entry):
    return entry if not isinstance(entry, str) else LAWREFBOOK / entry


def _id(row):
    path = row[0]
    return (path.name if not isinstance(path, str) else path.rsplit("/", 1)[-1])[:40]


@pytest.mark.parametrize("row", TABLE, ids=[_id(r) for r in TABLE])
def test_handchecked_articles(row):
    path, count, first_words, closing = row
    path = _path(path)
    if not path.exists():
        pytest.skip("needs ../shared/corpora/lawrefbook")
    parsed = parse_file(path)
    articles = parsed.articles()
    assert [a.article for a in articles] == list(range(1, count + 1))
    for number, words in first_words.items():
        text = NUMBER_PREFIX.sub("", articles[number - 1].text, count=1)
        assert text.startswith(words), (number, text[:40])
    closings = [c for c in parsed.clauses if c.kind == "closing"]
    if closing is True:
        effective = [c for c in closings if c.label == "施行条款"]
        assert len(effective) == 1 and re.match(r"^本(决定|决议)自", effective[0].text)
        assert parsed.clauses.index(effective[0]) > parsed.clauses.index(articles[-1])
    elif closing is False:
        assert not closings
    assert parsed.reassemble() == parsed.body


def _doc(name):
    path = LAWREFBOOK / "司法解释" / name
    if not path.exists():
        pytest.skip("needs ../shared/corpora/lawrefbook")
    return parse_file(path)


def test_gengdi_heading_then_plain_items():
    path = LAWREFBOOK / TABLE[0][0]
    if not path.exists():
        pytest.skip("needs ../shared/corpora/lawrefbook")
    parsed = parse_file(path)
    assert [c.label for c in parsed.clauses] == ["题注", "序言", "第一条", "第二条", "第三条", "施行条款"]
    assert parsed.articles()[0].text.startswith("一、北京市各区耕地占用税的适用税额\n朝阳区")
    assert not parsed.document.warnings


def test_single_change_decision_is_one_article_closing_and_note():
    parsed = _doc("最高人民法院关于修改《最高人民法院关于审理食品药品纠纷案件适用法律若干问题的规定》的决定.md")
    assert [(c.kind, c.label) for c in parsed.clauses] == [
        ("note", "题注"), ("preamble", "序言"), ("article", "第一条"), ("closing", "施行条款"), ("closing", "附注")]
    article = parsed.articles()[0]
    assert "食品检验机构因过失出具不实检验报告" in article.text  # the quoted second 款 stays in the article
    assert parsed.clauses[-1].text.startswith("根据本决定") and parsed.clauses[-1].text.endswith("重新公布。")
    assert parsed.clauses[1].text.endswith("作如下修改：")


def test_twenty_seven_civil_interpretations():
    parsed = _doc("最高人民法院关于修改《最高人民法院关于在民事审判工作中适用〈工会法〉若干问题的解释》"
                  "等二十七件民事类司法解释的决定.md")
    assert len(parsed.articles()) == 27
    assert max(len(c.text) for c in parsed.clauses) < 5000
    closing = [c for c in parsed.clauses if c.label == "施行条款"]
    assert [c.text for c in closing] == ["本决定自2021年1月1日起施行。"]
    # the quoted 「本解释所称的‘医疗产品’…」 of item 八 stays in article 8
    assert "本解释所称的‘医疗产品’" in parsed.articles()[7].text
