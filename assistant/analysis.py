"""Query analysis: follow-up rewriting, locality filters, entity and intent detection.

Rule-based and offline. `analyze(question, history, regions)` returns a `QueryPlan` that the
retrieval step and the answerers share, so that what is retrieved and what is answered agree.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from assistant.documents import ASPECT_AFTER, DOC_TYPE_WORDS, region_forms, short_region
from assistant.intent import classify
from ingest.numerals import NUMERAL_CHARS, parse_chinese_numeral
from ingest.tokenize import content_words, place_gazetteer, tagged_words, words

ENTITY_FILE = Path(__file__).with_name("entities.json")

COMPARE_WORDS = ("两地", "两部", "比较", "对比", "有何不同", "有什么不同", "区别", "异同", "差异", "不同之处", "分别", "各自")
# How a comparison is asked (「…有什么不同」「…有什么区别」, the asking verb with it), not what is compared: left out
# when the intent is read, as the words naming a document are (「施行时间的规定有什么区别」 asks about 施行). 两地/两部
# stay: they say which documents.
COMPARISON_FRAME_RE = re.compile("(?:有什么|有何|有哪些|有啥|有没有)?(?:" + "|".join(
    sorted((w for w in COMPARE_WORDS if w not in ("两地", "两部")), key=len, reverse=True)) + ")")


def distributive(text: str) -> bool:
    """「两个决定…各有什么规定」「各提了哪些」: 各 before a verb asks each side for its own answer (各自, 分别); 各 before
    a noun or a measure word (各级, 各部门, 各有关部门) only says "every"."""
    if "各" not in text:
        return False
    tagged = tagged_words(text)
    return any(word == "各" and tag == "v" for (word, _), (_, tag) in zip(tagged, tagged[1:]))


# 「里面列出的…有哪些」「其中…」: words pointing inside the text just discussed, never at a body
LOCATIVE_PRONOUNS = ("其中", "这里面", "里面", "这里", "文中", "这一条里", "这一条")
FOLLOWUP_OPENERS = ("那", "那么", "还有", "另外", "再问", "同样", "它", "其", "这个", "这部", "这份", "整个", "整部", "整份", "这项",
                    "这条", "此", "本", "该", "上述", "上面", *LOCATIVE_PRONOUNS)
FOLLOWUP_CUES = ("这方面", "这一方面", "这个方面", "具体怎么说", "具体是怎么", "详细说", "展开说", "原文", "上述", "前面说的",
                 "刚才", "这项", "这条", "该条", "这些规定", "这一规定", "这个", "这些", "这部", "那个", "它", "也是", "也要", "也需")
ARTICLE_RE = re.compile(rf"第([{NUMERAL_CHARS}0-9]+)(条|项)")
METADATA_INTENTS = ("effective", "adoption", "repeal", "basis")
OUTLINE = "outline"  # the document as a whole: how many articles, what each covers
# 「有几条提到了监察委员会」「涉及律师的内容有哪些」「哪些条文讲到边境」: the question asks which provisions say
# something, not what one of them says of it. What follows the verb, up to the words that frame the question;
# 「提到的检察听证…」 names what it asks about, as a subject.
MENTION_RE = re.compile(
    r"(?:提到|提及|讲到|说到|谈到|写到|涉及)了?(?!的)(?P<said>[^，。？！?!、；;\s]{2,14}?)"
    r"(?=的(?:内容|条文|条款|规定|修改|地方|部分|有)|(?:了吗|吗|没有|的?有哪些|有几条|有多少条|[，。？！?!；;]|$))")
# How a question asks for the whole document: how many articles (几条, not 第几条, which asks which one) or parts,
# or what it covers. A subject beside it (「关于公益诉讼主要讲了什么」) makes it a search question; `Assistant.decide`
# checks that from the words the texts use.
OUTLINE_ASK_RE = re.compile(
    r"(?:一共|总共|共计|全文|正文|总体上?|整体上?|大体上?|简单|简要|大概|大致)?(?:有|是|写了|分为|分成|包含|包括)?"
    r"(?:(?<!第)(?:几|多少)个?(?:条文|条|章|部分)(?:条文|规定|内容)?|条文?总?(?:数量?|数目)|条文(?:有多少|有几条)"
    r"|(?:条文|正文|文本)(?:一共|总共|共计|共)?(?:有|是)?(?:多少|几)"
    r"|(?:主要|核心|具体)内容|核心(?:意思|要点)|主要意思|大意|主旨"
    r"|(?:主要|都|分别)?(?:讲|说)了?(?:些)?(?:什么|啥|哪些)(?:方面|内容|东西|事项)?"
    r"|(?:主要|都)?规定了?(?:些)?(?:什么|啥|哪些(?:方面|内容|东西|事项))"
    r"|(?:包括|包含|有|分|涉及)?(?:哪些|哪几|什么|几)个?(?:方面|部分)(?:内容)?|(?:包括|包含|有)(?:哪些|什么)内容"
    r"|介绍一下|(?:分点|分条|逐条)?概括(?:一下)?|概述|要点|(?:列个|列一个|给个)?提纲|框架结构|框架|结构"
    r"|是(?:干|做)什么(?:用)?的)")
# Words that name the document's text (「…的正文一共列了几条」): no subject of an outline question, and no question
# by themselves (「现行文本是哪次修正的」 asks when it was amended).
DOCUMENT_TEXT_RE = re.compile(r"正文|文本|全文|条文")
ARTICLE_ASK_RE = re.compile(rf"第[{NUMERAL_CHARS}0-9]+[条项](的)?(说了什么|讲了什么|讲的是什么|说的是什么|是什么|是怎么规定|怎么规定|规定了什么|的内容|内容是什么|原文|全文|怎么写)")
# A follow-up with no predicate of its own (「水污染物呢？」「那对虚假诉讼呢？」) or pointing back at what was asked
# (「…也是这个数吗？」「同样适用吗？」) asks the earlier question again; any other asks its own.
ASKS_AGAIN_RE = re.compile(r"呢[？?]?$|也是|也一样|同样|这个数|这种事|这种情况")
# An entity reading must beat the topic reading by this much: everyday questions name a body beside the one
# that acts (「政府部门不管…检察院能告它吗」, entity .42 / topic .34). Read off the dev sets (0 to .3 tried;
# .1 to .15 best on bank dev, .15 and above cost seeds dev recall). 「对X的要求」 asks for X's duties in so many
# words: that reading stands however close the two are (a comparison's frame pulls them together).
ENTITY_MIN_MARGIN = 0.1
METADATA_MIN_CONFIDENCE = 0.4  # read off the dev sets: meta questions score .45–.97, content questions misread as meta below .3


@dataclass(frozen=True)
class QueryPlan:
    question: str  # as asked
    query: str  # standalone question used for retrieval (follow-ups rewritten)
    regions: tuple[str, ...] = ()  # indexed regions the question names → filter
    entity: str | None = None  # canonical body (公安机关 …) when the question asks about its duties
    intent: str = "topic"  # topic | entity | effective | adoption | repeal | basis | article | outline
    compare: bool = False
    rewritten: bool = False
    terms: tuple[str, ...] = field(default=())  # entity surface forms to look for in clause text
    entity_form: str | None = None  # how the question names the body (监察委员会 for 监察机关)
    entity_level: str = ""  # the level(s) the question names it at (乡镇 in 乡镇政府, 市 in 北京市政府)
    article: int | None = None  # 「第五条说了什么」: the article number asked for
    intent_confidence: float = 1.0  # the intent model's probability of `intent`
    intent_probabilities: dict = field(default_factory=dict, compare=False)
    refers_to_previous: bool = False  # a follow-up whose subject is the document discussed before
    also: tuple[str, ...] = ()  # further facts about the document asked with `intent` (「通过时间和施行时间」)
    mentioned: str = ""  # 「有几条提到了监察委员会」: what the question asks which provisions say (see MENTION_RE)

    @property
    def own_words(self) -> str:
        """What this turn itself asks: a follow-up's words without the earlier question appended (「水污染物
        （北京应税大气污染物的…是多少？）」 → 水污染物); the query itself otherwise."""
        return own_words(self.query) if self.refers_to_previous else self.query

    @cached_property
    def content_text(self) -> str:
        """Where the question's content words are read: a follow-up that asks a question of its own (「那关于
        公益诉讼有什么规定？」) asks about its own words in the document discussed; one that does not (「水污染物
        呢？」) asks the earlier question again of something else (`asked_again`), or, with nothing to align,
        the earlier words count too."""
        if not self.refers_to_previous:
            return self.query
        if not ASKS_AGAIN_RE.search(self.question):
            return self.own_words
        return restated(self.question, self.query) or self.query


@lru_cache(maxsize=1)
def entity_table() -> dict[str, dict[str, list[str]]]:
    data = json.loads(ENTITY_FILE.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def find_entity(text: str) -> tuple[str | None, str | None]:
    """(canonical entity, the surface form found) — the longest surface form wins."""
    best: tuple[int, str | None, str | None] = (0, None, None)
    for canonical, forms in entity_table().items():
        for form in forms["question"]:
            if form in text and len(form) > best[0]:
                best = (len(form), canonical, form)
    return best[1], best[2]




# A body the entity table does not list is one word ending so (财政部, 财政经济委员会, 税务局): its own name is
# the only way to find it in the text. A determiner before the suffix (各个部门, 有关机构, 上级机关) names no body.
BODY_SUFFIXES = ("委员会", "办公室", "机关", "机构", "部门", "部", "厅", "局", "署")
NOT_A_NAME = frozenset("各 各个 各级 有关 相关 其他 其它 本级 同级 上级 下级 这个 那个 这部 那部 这份 那份 这些 那些 该 所有 哪个 哪些 什么 "
                       "上述 前述 以上 上面".split())


def is_determiner(word: str) -> bool:
    """各个, 上述, 各地 (各 + a place): a word that points at things rather than naming one."""
    return word in NOT_A_NAME or (len(word) == 2 and word[0] == "各")


# Kinds of office a government body's name ends in, said for one another: 审计局 is the text's 审计部门, 税务局 its
# 税务机关 (a ministry, 部, or a committee keeps its own name).
OFFICE_SUFFIXES = ("部门", "机关", "机构", "局", "厅")


def body_forms(body: str) -> tuple[str, ...]:
    """How the texts may name a body the entity table does not list: its own name, and its stem with each kind
    of office (审计局 → 审计局, 审计部门, 审计机关 …)."""
    suffix = next((s for s in OFFICE_SUFFIXES if body.endswith(s)), "")
    stem = body[:-len(suffix)] if suffix else ""
    if len(stem) < 2:
        return (body,)
    return (body, *(stem + s for s in OFFICE_SUFFIXES if s != suffix))


def unlisted_body(text: str) -> str | None:
    for word in words(text):
        suffix = next((s for s in BODY_SUFFIXES if word.endswith(s)), "")
        stem = word[:-len(suffix)] if suffix else ""
        if stem and len(word) >= 3 and not is_determiner(stem) and not find_entity(word)[0]:
            return word
    return None


def asked_body(text: str, unnamed: str) -> tuple[str | None, str | None]:
    """(body, the form found): a body of the table (find_entity), or one it does not list, said outside the
    documents' names (`unnamed`) — alone, or qualified by a listed one (「市人大财政经济委员会」 asks about the
    committee, not about 人大)."""
    # 「河南省人大常委会关于…的决议，要点是什么」: the issuer in a document's name is not asked about
    entity, form = find_entity(NAMED_TITLE_RE.sub("", text))
    body = unlisted_body(unnamed)
    if body and (not form or text.find(form) + len(form) == text.find(body)):
        return body, body
    return entity, form


# A place named with its administrative level and followed by one of its bodies, in one word (深圳市人大常委会).
PLACE_WITH_BODY_RE = re.compile(r"^(.{2,6}?(?:省|市|自治区|自治州|地区))(?:人大|人民|政府|检察|法院|公安)")


# A 《title》, with the words that say which one (「2010年通过的《…决定》」), names a document: what is asked of it
# is in the rest (「…现在还有效吗」), and the title's own 通过, 决定 or 条例 say nothing of that. A title said
# without 《》 is the issuer's 「关于…的决定」 (「上海市人大常委会关于…的决定是哪天开始施行的」).
ISSUERS = r"(?:人民代表大会常务委员会|人大常委会|常委会|人民代表大会|人民政府|国务院|最高人民法院|最高人民检察院)"
DOCUMENT_KINDS = r"(?:决定|决议|规定|条例|意见|办法|解释)(?!权)"
SPOKEN_TITLE_RE = re.compile(r"[^，。？！；,《》]{0,12}?" + ISSUERS + r"关于[^，。？！；,《》]{2,60}?的" + DOCUMENT_KINDS)
NAMED_TITLE_RE = re.compile(r"(?:[^，。？！；,]{0,30}(?:通过|制定|发布|印发|公布|颁布|修订|修正)的)?"
                            r"(?:《[^《》]{2,80}》|" + SPOKEN_TITLE_RE.pattern + ")")


def enclosing_places(place: str) -> frozenset[str]:
    """The province and prefecture a place lies in (嘉善县 → 浙江省, 嘉兴市); none for a province."""
    return place_gazetteer().get(place, frozenset())


def place_names(text: str) -> list[str]:
    """The provinces, cities and counties a question names (广东省, 上海, 嘉善县, 深圳市人大常委会 → 深圳市), by
    `place_gazetteer`."""
    places = place_gazetteer()
    found = []
    for word in words(text):
        with_body = PLACE_WITH_BODY_RE.match(word)
        if word in places:
            found.append(word)
        elif with_body and with_body.group(1) in places:
            found.append(with_body.group(1))
    return list(dict.fromkeys(found))


def find_regions(text: str, regions: list[str]) -> tuple[str, ...]:
    found = []
    for region in regions:
        if region and (region in text or (len(short_region(region)) >= 2 and short_region(region) in text)):
            found.append(region)
    return tuple(found)


# A place and a few words ending in a document's type (「西藏这个检察监督决定」「北京预算审查监督的决定里」) name the
# document asked about; what the question asks is the rest (「对司法局有哪些要求」). A type word with an aspect
# particle after it is a verb (「…决议规定了」), not a name's end.
SPOKEN_NAME_WORDS = 16


def without_spoken_names(text: str, regions: list[str]) -> str:
    forms = sorted({f for r in regions for f in region_forms(r) if len(f) >= 2}, key=len, reverse=True)
    if not forms:
        return text
    name = (f"(?:{'|'.join(map(re.escape, forms))})[^，。？！；,?!;]{{0,{SPOKEN_NAME_WORDS}}}?"
            f"(?:{'|'.join(DOC_TYPE_WORDS)}){ASPECT_AFTER}")
    return re.sub(name, "", text)


def _is_followup(question: str, history: list[tuple[str, str]], regions: list[str]) -> bool:
    if not history:
        return False
    q = question.strip()
    return (
        q.startswith(FOLLOWUP_OPENERS)
        or any(cue in q for cue in FOLLOWUP_CUES)
        or not [w for w in content_words(q) if not find_regions(w, regions)]
        or q.endswith(("呢？", "呢?", "呢"))
        or len(re.sub(r"[？?。！!，,\s]", "", q)) <= 6
    )


DOCUMENT_PRONOUN_RE = re.compile(r"^(这个|这部|这份|该|本|整个|整部|整份)(决定|决议|规定|办法|解释)")


def rewrite_followup(question: str, history: list[tuple[str, str]], regions: list[str]) -> tuple[str, bool]:
    """(standalone question, whether it is about the document discussed before).

    「那审判机关呢？」 after 「公安机关需配合哪些事项」 → 「审判机关需配合哪些事项」; 「它什么时候施行？」 after a
    question about a decision asks about that decision (the intent model tells a question about
    the document from one about a body's duties).
    """
    previous = next((q for q, _ in reversed(history) if q and q.strip()), "")
    if not previous or not _is_followup(question, history, regions):
        return question, False
    core = re.sub(r"^(那么|那|还有|另外|再问一下|同样)", "", question.strip())
    # 「这部决议规定…」 names the document discussed: read before the cue words (这部) are dropped.
    document = DOCUMENT_PRONOUN_RE.match(core)
    if document:
        core = core[document.end():]  # the reference goes; what is asked of the document stays
    for cue in FOLLOWUP_CUES:
        core = core.replace(cue, "")
    core = re.sub(r"(的)?(呢|吗)?[？?。！!]*$", "", core).strip("，, ")
    if document:
        return (f"{core}（{previous}）" if core else previous), True
    old_entity, old_form = find_entity(previous)
    pronoun = re.match(rf"^(它们|它|{'|'.join(LOCATIVE_PRONOUNS)}|其|这个决定|这个决议|这部决定|这部决议|这个规定|该决定|该决议|本决定"
                       r"|这个|这部|该|他们)(的)?", core)
    about_document = classify(question).label in METADATA_INTENTS + ("article",) or bool(OUTLINE_ASK_RE.search(core))
    inside = bool(pronoun) and pronoun.group(1) in LOCATIVE_PRONOUNS
    if ARTICLE_RE.search(core) or (pronoun and (about_document or inside or not old_entity)):
        rest = core[pronoun.end():] if pronoun else core
        return (f"{rest}（{previous}）" if rest else previous), True
    if pronoun:
        return f"{old_entity}{pronoun.group(2) or ''}{core[pronoun.end():]}", False
    new_entity, new_form = find_entity(core)
    if new_entity and new_entity == old_entity:  # the same body, something else asked: a new question on the same document(s)
        return f"{core}（{previous}）", True
    new_regions = find_regions(core, regions)
    old_regions = find_regions(previous, regions)
    rewritten = previous
    if new_entity and old_form:
        rewritten = rewritten.replace(old_form, new_entity if new_form != new_entity else new_form, 1)
    elif new_entity:
        rewritten = f"{new_entity}{core.replace(new_form, '', 1)} {previous}".strip()
    if new_regions:
        for region in old_regions:
            for form in (region, short_region(region)):
                if form in rewritten:
                    rewritten = rewritten.replace(form, short_region(new_regions[0]), 1)
                    break
        if not old_regions:
            rewritten = f"{short_region(new_regions[0])}的决定：{rewritten}"
    if not new_entity and not new_regions:
        return f"{core}（{previous}）", True  # a new topic in the same document(s)
    return rewritten, False


OBJECT_MARKERS = ("向", "对", "给", "跟", "与", "同", "由", "经", "请")


# 对市人民政府, 「乡、镇人民政府和街道办事处应当…」: the level(s) before the body's name
LEVEL_CHARS = "省市县区乡镇"
BODY_LEVEL = rf"(?:[{LEVEL_CHARS}](?:、[{LEVEL_CHARS}])*|本级|各级|同级|上级|下级)?"
OBJECT_BEFORE_RE = re.compile(rf"(?:{'|'.join(OBJECT_MARKERS)}){BODY_LEVEL}$")  # 向同级人民政府: a marker, a level


def _required_of(text: str, form: str) -> bool:
    """「对公安机关有什么要求」「对监察机关提出了哪些要求」: what is required of the body, whose duties are asked,
    although it stands after 对."""
    return bool(re.search(rf"对(?:[^，。？?]{{0,4}}[、和及])?{BODY_LEVEL}{re.escape(form)}[^，。？?]{{0,8}}?(?:要求|规定|职责|义务)",
                          text))


def _is_object(text: str, form: str) -> bool:
    """The body stands after a preposition everywhere the question names it (向人大常委会报告)."""
    starts = [m.start() for m in re.finditer(re.escape(form), text)]
    return bool(starts) and all(OBJECT_BEFORE_RE.search(text[max(0, i - 3):i]) for i in starts)


NOUN_TAGS = frozenset({"n", "nz", "vn"})


def _modifies_a_noun(text: str, form: str) -> bool:
    """The body's name stands before a noun everywhere the question names it (「政府债务」「法院判决」): it says whose
    debt or judgment, what is asked about is the noun."""
    ends, at = {}, 0
    tagged = tagged_words(text)
    for i, (word, _) in enumerate(tagged):
        at += len(word)
        ends[at] = i
    starts = [m.end() for m in re.finditer(re.escape(form), text)]
    return bool(starts) and all(
        end in ends and ends[end] + 1 < len(tagged) and tagged[ends[end] + 1][1] in NOUN_TAGS for end in starts)


ALSO_ASKED_RATIO = 0.75  # a second fact about the document is asked when the model finds it nearly as likely


PART_BREAK = re.compile(r"[，、；？?,;]")


def asked_facts(probabilities: dict[str, float], asked: str = "") -> tuple[str, ...]:
    """The facts about the document asked besides the likeliest one: 「通过时间和施行时间有什么不同」 splits
    the model's belief between adoption and effective, and asks for both; 「什么时候通过、什么时候施行」 is two
    questions, each of which the model reads on its own."""
    ranked = sorted(((p, k) for k, p in probabilities.items() if k in METADATA_INTENTS), reverse=True)
    if not ranked:
        return ()
    top, first = ranked[0]
    found = [k for p, k in ranked[1:] if p >= ALSO_ASKED_RATIO * top]
    parts = [part for part in PART_BREAK.split(asked) if len(part) >= 4]
    if len(parts) > 1:
        for part in parts:
            guess = classify(part)
            if guess.label in METADATA_INTENTS and guess.confidence >= METADATA_MIN_CONFIDENCE:
                found.append(guess.label)
    return tuple(k for k in dict.fromkeys(found) if k != first)


def restated(question: str, rewritten: str) -> str | None:
    """An elliptical follow-up (ASKS_AGAIN_RE) as the earlier question asked again (`asked_again`); None for any
    other question, or when the two share nothing to align on."""
    earlier = re.search(r"（([^（）]*)）$", rewritten)
    if not earlier or not ASKS_AGAIN_RE.search(question):
        return None
    return asked_again(own_words(rewritten), earlier.group(1))


def asked_again(own: str, earlier: str) -> str | None:
    """The earlier question asked again of what a follow-up names instead (「对虚假诉讼」 after 「…决议对公益诉讼
    有什么规定？」 → 「…决议对虚假诉讼有什么规定」; 「水污染物」 after 「北京应税大气污染物的…税额是多少？」 → 「北京应税
    水污染物的…税额是多少」): the two aligned on the characters they share (two or more together), each part
    the follow-up says differently put in place of the earlier one's — at either end, only the word next to what
    they share. None when they share no two characters together."""
    earlier = re.sub(r"[？?。！!]+$", "", earlier)
    matcher = difflib.SequenceMatcher(None, earlier, own, autojunk=False)
    if not any(block.size >= 2 for block in matcher.get_matching_blocks()):
        return None
    ops = matcher.get_opcodes()
    out = []
    for n, (tag, i1, i2, j1, j2) in enumerate(ops):
        said, instead = earlier[i1:i2], own[j1:j2]
        if tag in ("equal", "delete"):
            out.append(said)
        elif tag == "insert" or 0 < n < len(ops) - 1 or len(ops) == 1:
            out.append(instead)
        elif n == 0:  # before the first shared part: the word next to it is what is said differently
            out.append("".join(w for w, _ in tagged_words(said)[:-1]) + instead)
        else:
            out.append(instead + "".join(w for w, _ in tagged_words(said)[1:]))
    return "".join(out)


def own_words(rewritten: str) -> str:
    return re.sub(r"（[^（）]*）$", "", rewritten).strip()


def said_level(text: str, form: str | None) -> str:
    """The administrative level(s) said right before a body's name: 「街道办和乡镇政府」 → 乡镇."""
    at = text.find(form) if form else -1
    match = re.search(f"[{LEVEL_CHARS}]+$", text[:at]) if at > 0 else None
    return match.group(0) if match else ""


def asked_article(query: str) -> int | None:
    match = ARTICLE_RE.search(query)
    if not match:
        return None
    number = match.group(1)
    return int(number) if number.isdigit() else parse_chinese_numeral(number)


def analyze(question: str, history: list[tuple[str, str]] | None = None, regions: list[str] | None = None,
            unnamed: Callable[[str], str] | None = None) -> QueryPlan:
    """`unnamed` strips the words that name an indexed document, so that what the question asks decides
    its intent (「北京…职责调整问题的决定自何时施行」 asks 自何时施行)."""
    regions = regions or []
    history = [(q, a) for q, a in (history or [])]
    query, refers = rewrite_followup(question, history, regions)
    own = own_words(query) if refers else query  # the follow-up's own words decide its intent
    own = (refers and restated(question, query)) or own  # 「第四条呢？」 asks what the earlier question asked
    asked = NAMED_TITLE_RE.sub("", unnamed(own) if unnamed else own)
    read = next((text for text in (COMPARISON_FRAME_RE.sub("", asked), asked) if len(text) >= 4), own)
    guess = classify(read)
    about_document = guess.label in METADATA_INTENTS and guess.confidence >= METADATA_MIN_CONFIDENCE
    if not about_document and guess.label != "article" and (unnamed_read := without_spoken_names(read, regions)) != read:
        # 「西藏这个检察监督决定，对司法局有哪些要求」: whether a body's duties are asked is read without the name
        # (the name, not what is asked, pulls toward topic); a question about the document itself keeps it
        # (「西藏新决定出台后，原来那份…决定怎么处理」).
        unnamed_guess = classify(unnamed_read)
        guess = unnamed_guess if unnamed_guess.label == "entity" else guess
    intent = guess.label
    entity, form = asked_body(own, asked)
    required = bool(form) and _required_of(own, form)  # 「对公安机关有什么要求」: the body's duties, in so many words
    if entity == "检察机关" or (form and (_is_object(own, form) or _modifies_a_noun(own, form)) and not required):
        entity = None  # 「…要不要向省人大常委会报告」: the body receives, the question is about what is reported
    article = asked_article(own)
    also = asked_facts(guess.probabilities, read) if intent in METADATA_INTENTS else ()
    if intent in METADATA_INTENTS and guess.confidence + sum(guess.probabilities[k] for k in also) < METADATA_MIN_CONFIDENCE:
        intent, also = "topic", ()  # a question about the document itself must say so clearly; a weak guess searches
    wavering = guess.confidence - guess.probabilities.get("topic", 0.0) < ENTITY_MIN_MARGIN
    if intent == "entity" and (not entity or wavering and not required):
        intent = "topic"  # quoting only what one body does needs a clear reading (or 「对X的要求」); a close call searches
    if intent == "article" and article is None:
        intent = "topic"
    elif article is not None and ARTICLE_ASK_RE.search(own):
        intent = "article"  # 「…第一条是怎么规定的」: the article itself is asked for
    # 「介绍一下河南…的决议」: the names go, not what precedes them (NAMED_TITLE_RE would take 介绍一下 with the name)
    unnamed_own = re.sub(r"《[^《》]*》", "", unnamed(own) if unnamed else own)
    if intent in ("topic", *METADATA_INTENTS) and article is None and OUTLINE_ASK_RE.search(unnamed_own):
        intent, also = OUTLINE, ()  # 「…主要规定了什么」: the words say so more precisely than the model
    # A place inside a title another region's document bears (「上海金融法院…规定的修改决定」, a 最高人民法院
    # decision) names that document, not the region's own decisions.
    found_regions = find_regions(unnamed(query) if unnamed else query, regions)
    compare = any(w in own for w in COMPARE_WORDS) or distributive(own) or len(found_regions) > 1
    if intent != "entity":
        entity = None
    if entity is None:
        terms: tuple[str, ...] = ()
    elif entity in entity_table():
        terms = tuple(entity_table()[entity]["text"])
    else:
        terms = body_forms(entity)  # a body the table does not list is found by its own names
    return QueryPlan(
        question=question,
        query=query,
        regions=found_regions,
        entity=entity,
        intent=intent,
        compare=compare,
        rewritten=query != question,
        terms=terms,
        entity_form=form if entity else None,
        entity_level=said_level(own, form) if entity else "",
        article=article if intent == "article" or refers else article,
        intent_confidence=guess.confidence,
        intent_probabilities=guess.probabilities,
        refers_to_previous=refers,
        also=also if intent in METADATA_INTENTS else (),
        mentioned=mentioned(own, intent),
    )


ASKING_RE = re.compile("什么|哪|几|多少|怎|如何|啥")


def mentioned(text: str, intent: str) -> str:
    """What a question asks which provisions say (MENTION_RE), when it asks that; never a document's own name
    (「…涉及职责调整问题的决定自何时施行」) or a question about the document itself."""
    if intent in METADATA_INTENTS or intent == "article":
        return ""
    match = MENTION_RE.search(text)
    said = match.group("said").strip("“”\"'") if match else ""
    if not said or ASKING_RE.search(said) or any(kind in said for kind in DOC_TYPE_WORDS):
        return ""  # 「提到要建什么平台」 asks what a provision says
    return said
