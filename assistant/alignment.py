"""对照: two or more decisions side by side on one or more aspects, differences stated from the quotes.

Built on the public `Assistant` API only (`retrieve` with a doc_id filter, `documents`). No printing.
A row per aspect, a column per decision; each cell holds the decision's provisions that mention the aspect,
quoted verbatim with their full citation, or nothing (shown as 无相应规定). Differences are extractive:
figures, dates and deadlines, bodies (…机关, …部门, 人民法院 …) and enumerated items (、-lists) that one
cell's quotes contain and another's do not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_ITEMS = 3  # provisions quoted per cell
_ASPECT_SPLIT = re.compile(r"[、，,；;\s/]+")
_SENTENCE = re.compile(r"[^。；;！？\n]+[。；;！？]?")
_NUM = "0-9０-９零〇一二三四五六七八九十百千万亿两点.．"
_FIGURE = re.compile(
    rf"(?:每[\u4e00-\u9fff]{{1,6}}?)?[{_NUM}]+(?:元|万元|亿元|亩|平方米|%|％|倍|个工作日|工作日|日|天|个月|月|年|小时|周)(?:内|以内|以上|以下)?"
)
_DATE = re.compile(r"[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日")
_BODY_SUFFIXES = ("机关", "部门", "法院", "检察院", "人民政府", "委员会", "常委会", "机构")
_VERB_PREFIX = re.compile(
    r"^(?:充分|积极|稳妥|依法|全面|深入|加强|加大|做深|做实|推动|推进|健全|完善|办理|开展|运用|落实|包括|建立|强化|支持|协助|提供|及时|"
    r"应当|可以|和|及|与|对|在|的|等)+")
_ITEM_CUT = re.compile(r"[，。；：,;:（）()…]")
_NUMBERING = re.compile(r"^[一二三四五六七八九十百零〇0-9]+[、.．]\s*")
_TITLE = re.compile(r"《[^《》]*》")
_REFERENCE = re.compile(r"第[一二三四五六七八九十百零〇0-9]+[条款项]")


def aspects_of(text: str) -> list[str]:
    """公益诉讼、公安机关 → ["公益诉讼", "公安机关"]."""
    return list(dict.fromkeys(a for a in _ASPECT_SPLIT.split(text or "") if a))


def _mentions(clause, aspect: str) -> bool:
    from ingest.tokenize import query_terms

    haystack = f"{getattr(clause, 'part', '') or ''}\n{clause.text}"
    if aspect in haystack:
        return True
    terms = [t for t in query_terms(aspect) if len(t) > 1]
    return bool(terms) and sum(t in haystack for t in terms) / len(terms) >= 0.75


def quote_of(clause, aspect: str) -> str:
    """The sentences of the clause that mention the aspect (verbatim), else the whole clause."""
    text = clause.text.strip()
    if len(text) <= 160 or aspect not in text:
        return text
    sentences = [s.strip() for s in _SENTENCE.findall(text) if s.strip()]
    picked = [s for s in sentences if aspect in s]
    return "…".join(picked) if picked else text


def _doc_facts(doc) -> dict:
    def iso(value):
        return value.isoformat() if hasattr(value, "isoformat") else value

    return {"doc_id": doc.doc_id, "title": doc.title, "region": doc.region,
            "adoption_date": iso(doc.adoption_date), "effective_date": iso(doc.effective_date),
            "effective_on_publication": bool(doc.effective_on_publication), "status": doc.status,
            "source_url": doc.source_url}


def compare(assistant, doc_ids: Sequence[str], aspect_text: str, k: int = 8) -> dict:
    """{"aspect", "documents": [facts], "rows": [{"aspect", "cells": [[item...] per document]}], "differences"}."""
    docs = {e.document.doc_id: e.document for e in assistant.documents()}
    documents = [docs[d] for d in doc_ids if d in docs]
    aspects = aspects_of(aspect_text)
    rows = []
    for aspect in aspects:
        cells = []
        for doc in documents:
            hits = assistant.retrieve(aspect, k=k, filters={"doc_id": [doc.doc_id]})
            items, seen = [], set()
            matched = [h.clause for h in hits if _mentions(h.clause, aspect)]
            articles = [c for c in matched if c.kind == "article"]
            for c in (articles or matched)[:MAX_ITEMS]:
                if c.clause_id in seen:
                    continue
                seen.add(c.clause_id)
                items.append({"doc_id": c.doc_id, "clause_id": c.clause_id, "label": c.label,
                              "article": c.article, "kind": c.kind, "text": c.text, "quote": quote_of(c, aspect),
                              "citation": f"《{c.doc_title}》{c.label}"})
            cells.append(sorted(items, key=lambda i: (i["kind"] != "article", i["article"] or 0, i["clause_id"])))
        rows.append({"aspect": aspect, "cells": cells})
    table = {"aspect": "、".join(aspects), "documents": [_doc_facts(d) for d in documents], "rows": rows}
    table["differences"] = differences(table)
    return table


# ---------------------------------------------------------------------------
# Differences


def features(text: str) -> dict[str, list[str]]:
    """What a quote states that a comparison can name: figures/deadlines, dates, bodies, enumerated items."""
    from ingest.tokenize import words

    text = _TITLE.sub("", text)  # a cited law's title names no body or figure of this decision
    figures = [m.group(0) for m in _FIGURE.finditer(text) if re.search(r"[0-9０-９]|[一二三四五六七八九十百千两]", m.group(0))]
    figures = [f for f in figures if not re.fullmatch(r"[一二三四五六七八九十]+(?:日|月|年)", f) or "每" in f]
    dates = _DATE.findall(text)
    figures = [f for f in figures if not any(f in d for d in dates)]
    bodies = [w for w in words(text) if len(w) >= 3 and w.endswith(_BODY_SUFFIXES)]
    items = []
    for sentence in _SENTENCE.findall(text):
        sentence = _NUMBERING.sub("", sentence.strip())
        for chunk in _ITEM_CUT.split(sentence):
            parts = chunk.split("、")
            if len(parts) < 2:
                continue
            for i, part in enumerate(parts):
                part = part.strip()
                if i == len(parts) - 1:
                    part = re.split(r"等", part, maxsplit=1)[0]
                part = _VERB_PREFIX.sub("", part).strip()
                if i == 0 and len(part) > 6:  # the first item still carries the sentence's opening words
                    continue
                if 2 <= len(part) <= 12 and not _REFERENCE.search(part):
                    items.append(part)
    unique = lambda xs: list(dict.fromkeys(xs))  # noqa: E731
    return {"数额或期限": unique(figures), "日期": unique(dates), "机关": unique(bodies), "列举事项": unique(items)}


def short_names(titles: Sequence[str]) -> list[str]:
    """What tells the decisions apart: the titles less their shared prefix and suffix (西藏自治区 / 呼和浩特市)."""
    if len(titles) < 2:
        return list(titles)
    prefix = 0
    while all(len(t) > prefix for t in titles) and len({t[prefix] for t in titles}) == 1:
        prefix += 1
    suffix = 0
    while all(len(t) - prefix > suffix for t in titles) and len({t[-1 - suffix] for t in titles}) == 1:
        suffix += 1
    from ingest.tokenize import words

    def starts(title: str) -> set[int]:  # where a word starts, counted from the end
        ends, pos = set(), 0
        for w in words(title):
            ends.add(len(title) - pos)
            pos += len(w)
        return ends

    boundaries = set.intersection(*(starts(t) for t in titles))
    suffix = max([b for b in boundaries if b <= suffix], default=0)
    names = [t[prefix:len(t) - suffix].strip("的之关于") for t in titles]
    return names if all(names) and len(set(names)) == len(names) else list(titles)


def differences(table: dict) -> list[str]:
    """Statements like 「公益诉讼」列举事项：呼和浩特市决定第八条写有「食品药品安全」…，西藏自治区决定所引条文未见。"""
    docs = [dict(d, title=name + ("决定" if not name.endswith(("决定", "决议")) else ""))
            for d, name in zip(table["documents"], short_names([d["title"] for d in table["documents"]]))]
    out = []
    for row in table["rows"]:
        cells = row["cells"]
        present = [i for i, cell in enumerate(cells) if cell]
        for i, cell in enumerate(cells):
            if not cell:
                others = "、".join(docs[j]["title"] for j in present)
                out.append(f"「{row['aspect']}」：{docs[i]['title']}没有相应规定"
                           + (f"，{others}有规定。" if others else "。"))
        if len(present) < 2:
            continue
        texts = {i: "\n".join(item["text"] for item in cells[i]) for i in present}
        for i in present:
            mine = features("\n".join(item["quote"] for item in cells[i]))
            where = docs[i]["title"] + "、".join(item["label"] for item in cells[i])
            others = [j for j in present if j != i]
            for kind, values in mine.items():
                only = [v for v in values if not any(v in texts[j] for j in others)]
                if not only:
                    continue
                if kind == "机关":
                    only = [v for v in only if not any(v != w and v in w for w in only)]
                other_names = "、".join(docs[j]["title"] for j in others)
                out.append(f"「{row['aspect']}」{kind}：{where}写有「{'」「'.join(only[:12])}」，{other_names}所引条文未见。")
    return out
