"""Query analysis: follow-up rewriting, locality filters, entity and intent detection.

Rule-based and offline. `analyze(question, history, regions)` returns a `QueryPlan` that the
retrieval step and the answerers share, so that what is retrieved and what is answered agree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ingest.tokenize import content_words

ENTITY_FILE = Path(__file__).with_name("entities.json")

OBLIGATION_WORDS = ("配合", "义务", "职责", "应当", "要求", "做什么", "做哪些", "做些", "需要", "责任", "支持", "怎么做", "干什么",
                    "承担", "负责", "协助", "接受", "哪些事", "规定", "提供", "反馈", "报告")
COMPARE_WORDS = ("两地", "比较", "对比", "有何不同", "有什么不同", "区别", "异同", "差异", "不同之处", "分别")
EFFECTIVE_WORDS = ("施行", "生效", "实施日期", "开始实施", "什么时候开始", "何时开始", "起施行", "有效期")
ADOPTION_WORDS = ("通过", "哪次会议", "什么会议", "审议通过", "制定时间", "颁布", "出台", "哪一年")
BASIS_WORDS = ("根据什么", "依据什么", "依据哪些", "根据哪些", "制定依据", "立法依据", "为什么制定", "制定目的", "目的是什么")
REPEAL_WORDS = ("废止", "还有效", "是否有效", "仍然有效", "还适用", "失效了", "取代", "替代", "失效", "旧决定", "原决定", "以前的决定")
FOLLOWUP_OPENERS = ("那", "那么", "还有", "另外", "再问", "同样", "它", "其", "这个", "该", "上述", "上面")
FOLLOWUP_CUES = ("这方面", "这一方面", "这个方面", "具体怎么说", "具体是怎么", "详细说", "展开说", "原文", "上述", "前面说的",
                 "刚才", "这项", "这条", "该条", "这些规定", "这一规定")
DOCUMENT_WORDS = ("决定", "决议", "条例")


@dataclass(frozen=True)
class QueryPlan:
    question: str  # as asked
    query: str  # standalone question used for retrieval (follow-ups rewritten)
    regions: tuple[str, ...] = ()  # indexed regions the question names → filter
    entity: str | None = None  # canonical body (公安机关 …) when the question asks about its duties
    intent: str = "topic"  # topic | entity | effective | adoption | repeal | basis
    compare: bool = False
    rewritten: bool = False
    terms: tuple[str, ...] = field(default=())  # entity surface forms to look for in clause text


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


def short_region(region: str) -> str:
    """西藏自治区 → 西藏, 呼和浩特市 → 呼和浩特, 山东省 → 山东 (how people say it)."""
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "省", "市", "县", "盟"):
        if region.endswith(suffix) and len(region) - len(suffix) >= 2:
            return region[: -len(suffix)]
    return region


def find_regions(text: str, regions: list[str]) -> tuple[str, ...]:
    found = []
    for region in regions:
        if region and (region in text or (len(short_region(region)) >= 2 and short_region(region) in text)):
            found.append(region)
    return tuple(found)


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


def rewrite_followup(question: str, history: list[tuple[str, str]], regions: list[str]) -> str:
    """「那审判机关呢？」 after 「公安机关需配合哪些事项」 → 「审判机关需配合哪些事项」."""
    previous = next((q for q, _ in reversed(history) if q and q.strip()), "")
    if not previous or not _is_followup(question, history, regions):
        return question
    core = re.sub(r"^(那么|那|还有|另外|再问一下|同样)", "", question.strip())
    for cue in FOLLOWUP_CUES:
        core = core.replace(cue, "")
    core = re.sub(r"(的)?(呢|吗)?[？?。！!]*$", "", core).strip("，, ")
    old_entity, old_form = find_entity(previous)
    pronoun = re.match(r"^(它们|它|其|这个|该|他们)(的)?", core)
    if pronoun:
        subject = old_entity or previous
        return f"{subject}{pronoun.group(2) or ''}{core[pronoun.end():]}"
    new_entity, new_form = find_entity(core)
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
        rewritten = f"{core}（{previous}）"  # a new topic on the same footing as the previous question
    return rewritten


def analyze(question: str, history: list[tuple[str, str]] | None = None, regions: list[str] | None = None) -> QueryPlan:
    regions = regions or []
    history = [(q, a) for q, a in (history or [])]
    query = rewrite_followup(question, history, regions)
    entity, _ = find_entity(query)
    if entity == "检察机关":
        entity = None
    intent = "topic"
    if any(w in query for w in BASIS_WORDS):
        intent = "basis"
    elif any(w in query for w in REPEAL_WORDS):
        intent = "repeal"
    elif any(w in query for w in EFFECTIVE_WORDS):
        intent = "effective"
    elif any(w in query for w in ADOPTION_WORDS) and any(w in query for w in DOCUMENT_WORDS + ("什么时候", "何时", "哪")):
        intent = "adoption"
    elif entity and (any(w in query for w in OBLIGATION_WORDS) or len(query) <= 12):
        intent = "entity"
    found_regions = find_regions(query, regions)
    compare = any(w in query for w in COMPARE_WORDS) or len(found_regions) > 1
    if intent != "entity":
        entity = None
    terms = tuple(entity_table()[entity]["text"]) if entity else ()
    return QueryPlan(
        question=question,
        query=query,
        regions=found_regions,
        entity=entity,
        intent=intent,
        compare=compare,
        rewritten=query != question,
        terms=terms,
    )
