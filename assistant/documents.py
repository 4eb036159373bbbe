"""Which indexed documents a question names, and a short title that names each one unambiguously.

A document is named by the distinctive part of its title: 「耕地占用税」 names one 北京 决定,
「检察机关法律监督」 names the three procuratorial decisions. Distinctive = character bigrams of the
title core (region, issuing body and boilerplate removed) that few titles share, weighted by how
few (title-level IDF). Short titles (〔《北京…耕地占用税…决定》第三条〕) are unique among the
documents an answer cites, so a citation marker always resolves to one document.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingest.metadata import DOC_TYPES
from ingest.records import Document
from ingest.tokenize import QUOTATION_RE, query_terms, tokenize, words

BOILERPLATE = re.compile(
    r"人民代表大会常务委员会|人民代表大会|人大常委会|常务委员会|最高人民法院、最高人民检察院|最高人民法院|最高人民检察院|"
    r"第[一二三四五六七八九十]+届|关于|的决定$|的决议$|的规定$|的解释$|办法$|决定$|决议$|规定$|解释$|修改|"
    r"若干问题|适用法律|具体应用法律|应用法律|进一步|加强|全面|促进和保障|[《》〈〉“”\s]"
)
STATE_NAME = "中华人民共和国"
DOC_TYPE_WORDS = ("决定", "决议", "规定", "办法", "解释", "条例")
ASPECT_AFTER = "(?![了过着])"  # 「规定了」「决定过」: the word said as a verb
# Not a document's type where it follows a locative (「某些地方法规里的规定」: the provisions in them), a title
# (「《…条例》规定…」) or a type word (「山东的决议规定，…」): the provisions, or the verb 'to stipulate'.
NOT_A_TYPE_AFTER = "(?<![里中内]的)(?<![里中内])(?<!》)" + "".join(f"(?<!{t})" for t in DOC_TYPE_WORDS)
BODY_WORD_RE = re.compile(r"..(?:机关|部门|机构)$")
MAX_DISTINCTIVE_DF = 2  # a bigram shared by at most this many titles can name a document
MIN_NAMED_BIGRAMS = 2  # distinctive title bigrams a question must contain to name a document (and one 3-character phrase)


def short_region(region: str) -> str:
    """西藏自治区 → 西藏, 呼和浩特市 → 呼和浩特, 山东省 → 山东 (how people say it)."""
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "省", "市", "县", "盟"):
        if region.endswith(suffix) and len(region) - len(suffix) >= 2:
            return region[: -len(suffix)]
    return region


def region_forms(region: str) -> tuple[str, ...]:
    """How a place is said: 山东省, 山东."""
    return tuple(dict.fromkeys(f for f in (region, short_region(region)) if f))


def title_core(document: Document) -> str:
    title = document.title
    for form in region_forms(document.region or ""):
        if form != "全国":
            title = title.replace(form, "")
    return BOILERPLATE.sub("", title)


COUNTERPART_OVERLAP = 0.8  # Dice overlap of two title cores' bigrams: the same decision from another place


def counterparts(first: Document, second: Document) -> bool:
    """The same kind of decision from two places: title cores that differ at most by a word
    (西藏 / 呼和浩特 「新时代检察机关法律监督工作」, 浙江 「各级讨论决定重大事项」 / 山东 「讨论决定重大事项」)."""
    a, b = (_bigrams(title_core(d)) for d in (first, second))
    return bool(a and b) and 2 * len(a & b) >= COUNTERPART_OVERLAP * (len(a) + len(b))


ABBREVIATION_GAP = 3  # 新冠 of 新型冠状病毒: each kept character at most this many places after the one before


def shortened(short: str, full: str, max_gap: int | None = None) -> bool:
    """Whether `short` is `full` with characters left out, the Chinese way of shortening a name (人大常委会 of
    人民代表大会常务委员会); with `max_gap`, each kept character at most that many places after the one before (新冠
    of 新型冠状病毒, 环保 of 环境保护)."""
    if max_gap is None:
        rest = iter(full)
        return all(char in rest for char in short)
    return bool(shortened_span(short, full, max_gap))


SHORT_NAME_GAP = 2  # 耕占税 of 耕地占用税


def shortened_span(short: str, full: str, max_gap: int) -> str:
    """The phrase of `full` that `short` shortens, each kept character at most `max_gap` places after the one
    before (环境保护税 for 环保税), or ""."""
    start = full.find(short[:1]) if short else -1
    while start != -1:
        at = start
        for char in short[1:]:
            at = full.find(char, at + 1, at + 1 + max_gap)
            if at == -1:
                break
        else:
            return full[start:at + 1]
        start = full.find(short[0], start + 1)
    return ""


@lru_cache(maxsize=1024)
def _bigrams(text: str) -> frozenset[str]:
    return frozenset(tokenize(text))


@dataclass(frozen=True)
class NamedDocuments:
    doc_ids: tuple[str, ...]  # best first
    mass: float  # evidence for the best one (summed IDF of its matched distinctive bigrams)


class DocumentTable:
    """The indexed documents, with what it takes to find the ones a question names."""

    def __init__(self, documents: dict[str, Document]):
        self.documents = documents
        self._order = sorted(documents, key=lambda d: (documents[d].region or "", documents[d].title, d))
        self._core_texts = {d: title_core(documents[d]) for d in self._order}
        self._cores = {d: _bigrams(core) for d, core in self._core_texts.items()}
        df = Counter(b for bigrams in self._cores.values() for b in bigrams)
        n = max(1, len(documents))
        self._idf = {b: math.log(1 + n / c) for b, c in df.items() if c <= MAX_DISTINCTIVE_DF}
        self._short = self._unique_short_titles()
        self._all_cores = "\n".join(self._core_texts.values())
        # the place a title begins with says where to look: strip_names leaves it
        said_places = {d: next((f for f in region_forms(documents[d].region or "")
                                if documents[d].title.startswith(f)), "") for d in self._order}
        self._titles_longest_first = sorted({(documents[d].title, said_places[d]) for d in self._order},
                                            key=lambda t: (-len(t[0]), t))
        # 刑法, 宪法, 民事诉讼法: a national law is named by its title without the state's name, however short
        self._law_names = {d: documents[d].title.removeprefix(STATE_NAME) for d in self._order
                           if documents[d].title.startswith(STATE_NAME)
                           and len(documents[d].title) >= len(STATE_NAME) + 2}

    def named(self, text: str, within: list[str] | None = None) -> NamedDocuments:
        """Documents whose distinctive title words the text contains (within `within`, if given), and the
        national laws it calls by name (刑法, 宪法: the title without 中华人民共和国).

        Distinctive is relative to the pool: among the two 山东 documents, 「讨论决定重大事项」 names the
        规定 although three other provinces' titles share it.
        """
        pool = [d for d in self._order if within is None or d in within]
        said = [d for d in pool if d in self._law_names and self._law_names[d] in text]
        names = self._law_names
        inside = {d for d in said for e in said if names[d] != names[e] and names[d] in names[e]}
        said = [d for d in said if d not in inside]  # 刑法修正案（十二） names the amendment, not 刑法 as well
        found = self._named_by_words(text, pool)
        return NamedDocuments(tuple(dict.fromkeys(said + list(found.doc_ids))), found.mass) if said else found

    def said_in_full(self, text: str, pool: list[str]) -> str:
        """The text with each name said shortened the Chinese way (环保税, 耕占税: three characters or more, each
        at most SHORT_NAME_GAP places after the one before) written as the phrase of a pool title it shortens."""
        cores = [self._core_texts[d] for d in pool]
        for run in re.findall(r"[\u4e00-\u9fff]{3,}", text):
            for size in range(min(len(run), 4), 2, -1):
                for start in range(len(run) - size + 1):
                    short = run[start:start + size]
                    if any(short in core for core in cores):
                        continue
                    spans = {span for core in cores if len(span := shortened_span(short, core, SHORT_NAME_GAP))
                             >= len(short) + 2}  # two characters or more left out: a shortening, not a slip
                    if len(spans) == 1:
                        text = text.replace(short, spans.pop())
        return text

    def _named_by_words(self, text: str, pool: list[str]) -> NamedDocuments:
        text = BOILERPLATE.sub("", text)  # as in the titles: 「北京市人民代表大会常务委员会关于…」 names nothing itself
        text = self.said_in_full(text, pool)
        asked = set(query_terms(text))  # the question's scaffolding (「…是怎么规定的」) names nothing
        if len(pool) == 1:  # nothing to tell it from: named only when its title is said as a name (「…的决定」)
            core = self._cores[pool[0]]
            as_name = core & asked & _before_type_words(text)
            said = _shares_phrase(text, self._core_texts[pool[0]], dict.fromkeys(core, 1.0))
            if len(as_name) >= MIN_NAMED_BIGRAMS and said:
                return NamedDocuments(tuple(pool), float(len(as_name)))
            return NamedDocuments((), 0.0)
        if not pool:
            return NamedDocuments((), 0.0)
        before_type = _before_type_words(text)
        # A body (行政机关, 检察机关) is what a question asks about; it names a document only said as a name
        # (「…行政机关职责调整问题的决定」), not in 「被行政机关开了罚单…」.
        asked -= {b for w in words(text) if BODY_WORD_RE.search(w) for b in tokenize(w)} - before_type
        df = Counter(b for d in pool for b in self._cores[d])
        cutoff = min(MAX_DISTINCTIVE_DF, len(pool) - 1)
        idf = {b: math.log(1 + len(pool) / c) for b, c in df.items() if c <= cutoff}
        matched = {d: [b for b in self._cores[d] & asked if b in idf] for d in pool}
        mass = {d: sum(idf[b] for b in matched[d]) for d in pool}
        best = max(mass.values(), default=0.0)
        qualified = [d for d in pool if len(matched[d]) >= MIN_NAMED_BIGRAMS
                     and _shares_phrase(text, self._core_texts[d], idf)]
        if not qualified:
            return NamedDocuments((), best)
        top = max(mass[d] for d in qualified)
        ranked = sorted(qualified, key=lambda d: (-mass[d], self._order.index(d)))
        # Near the best: titles sharing the words the question names them by (the three 检察机关法律监督
        # decisions). Further down: a title named by words no chosen title explains, said as a name, i.e.
        # right before a document type (「水污染防治决议和生态环境保护决议」 names two documents, however unequal
        # their evidence; 「民事类修改决定里涉及铁路运输的修改」 names one: 铁路运输 is what it asks about).
        chosen: list[str] = []
        explained: set[str] = set()
        as_name = {d: [b for b in matched[d] if b in before_type] for d in ranked}
        for d in ranked:
            if mass[d] >= 0.75 * top or (len(as_name[d]) >= MIN_NAMED_BIGRAMS and set(as_name[d]) - explained):
                chosen.append(d)
                explained |= set(matched[d])
        # A title said as a name outweighs one whose words the question only uses (「罚款收缴分离办法中，…行政
        # 机关要履行哪些职责」: not the 北京 decision on 行政机关职责调整).
        said = [d for d in chosen if len(as_name[d]) >= MIN_NAMED_BIGRAMS]
        return NamedDocuments(tuple(said or chosen), top)

    def strip_names(self, text: str) -> str:
        """The text without the indexed titles said whole (「浙江省各级人民代表大会常务委员会讨论决定重大事项的规定」,
        its issuer included; the place it begins with stays) and the runs (3+ characters) that some indexed
        title core contains: what is left is what the question asks, not which document it names."""
        for title, place in self._titles_longest_first:
            text = text.replace(title, place)
        return strip_runs(text, self._all_cores)

    def title_words(self, doc_ids: tuple[str, ...] | list[str]) -> str:
        """The title cores of these documents (words a question uses to name them, not to ask about)."""
        return "".join(title_core(self.documents[d]) for d in doc_ids if d in self.documents)

    def of_type(self, text: str, pool: list[str]) -> list[str]:
        """Narrow `pool` to the documents of the type the text names (「山东的决议」), when that leaves any. A type
        word with an aspect particle after it is a verb (「…决议规定了哪些…」), and so is one after a title or another
        type word (「山东的决议规定，…」); one after a locative says what is in something (「…地方法规里的规定」)."""
        found = [(m.start(), t) for t in DOC_TYPE_WORDS
                 for m in re.finditer(NOT_A_TYPE_AFTER + re.escape(t) + ASPECT_AFTER, text)]
        if not found:
            return pool
        last = max(found)[1]  # 「讨论决定重大事项的规定」: the type word that ends the name
        narrowed = [d for d in pool if (self.documents[d].doc_type or "") == last]
        return narrowed or pool

    def short_title(self, doc_id: str) -> str:
        return self._short.get(doc_id) or self.documents[doc_id].title

    def _unique_short_titles(self) -> dict[str, str]:
        """《西藏…决定》 where that is unique; else the distinctive core joins it (《北京…耕地占用税…决定》)."""
        first: dict[str, str] = {}
        for d in self._order:
            first[d] = _plain_short(self.documents[d])
        clashes = Counter(first.values())
        out = {}
        for d in self._order:
            doc = self.documents[d]
            if clashes[first[d]] == 1 or len(doc.title) <= 16:
                out[d] = first[d] if len(doc.title) > 16 else doc.title
                continue
            core = title_core(doc)
            head = first[d].split("…")[0]
            out[d] = f"{head}…{core[:12]}…{doc.doc_type or doc.title[-2:]}"
        # Cores cut at 12 characters can still clash (two long amendment titles): fall back to the title, and for
        # two versions of one law (the same title) to the title with its version.
        counts = Counter(out.values())
        out = {d: (t if counts[t] == 1 else self.documents[d].title) for d, t in out.items()}
        titles = Counter(doc.title for doc in self.documents.values())
        for d in self._order:
            if titles[self.documents[d].title] > 1:
                out[d] = f"{self.documents[d].title}（{version_of(self.documents[d])}）"
        counts = Counter(out.values())
        return {d: (t if counts[t] == 1 else f"{t[:-1]}，{d[:6]}）") for d, t in out.items()}


VERSION_DATE_RE = re.compile(r"\((\d{4}-\d{2}-\d{2})\)")


def version_of(document: Document) -> str:
    """Which version or part of a law a file holds: the date its file name carries (LawRefBook's
    公司法(2023-12-29).md), else the file's own name when the title does not say it (民法典's 物权编.md), else its
    latest date on record."""
    path = Path(document.source_path or "")
    named = VERSION_DATE_RE.search(path.name)
    if named:
        return f"{named.group(1)}版"
    if path.stem and path.stem not in document.title:
        return path.stem
    dates = [str(d) for d in (document.publication_date, document.effective_date, document.adoption_date) if d]
    return f"{max(dates)}版" if dates else "未注明日期版"


def _plain_short(document: Document) -> str:
    return plain_short_title(document.title, document.region, document.doc_type)


def plain_short_title(title: str, region: str | None, doc_type: str | None) -> str:
    """《西藏…决定》: the region (or the title's first characters) and the document type."""
    head = short_region(region) if region and region != "全国" else title[:6]
    return f"{head}…{doc_type or title[-2:]}"


def _shares_phrase(text: str, core: str, distinctive: dict[str, float]) -> bool:
    """The text says a 3-character phrase of the title core with a distinctive bigram in it: 「营商环境、保护
    民营企业」 shares the bigrams 环境 and 保护 with 「生态环境保护」 but not a phrase of it."""
    return any(text[i:i + 3] in core and (text[i:i + 2] in distinctive or text[i + 1:i + 3] in distinctive)
               for i in range(len(text) - 2))


NAME_WINDOW = 40  # characters before a document type word that may hold the name(s) it ends
CLAUSE_BREAK = re.compile(r"[，。？！；,?!;：:]")
VERB_BEFORE = re.compile(r"(怎么|怎样|如何|什么|哪些|何种|作出|作了|做出|另有|有关|具体)$")


def _before_type_words(text: str) -> set[str]:
    """The bigrams between each document type word and the clause break before it: the name it ends
    (「…水污染防治决议」), or the list of names (「二十七件民事类、十八件知识产权类…这三个修改决定」)."""
    found: set[str] = set()
    for match in re.finditer("|".join(DOC_TYPE_WORDS), text):
        if VERB_BEFORE.search(text[:match.start()]):
            continue  # 「怎么规定」「作出决定」: the word is a verb here, not the end of a name
        start = max(0, match.start() - NAME_WINDOW)
        breaks = [m.end() for m in CLAUSE_BREAK.finditer(text, start, match.start())]
        found.update(tokenize(text[breaks[-1] if breaks else start: match.start()]))
    return found


def strip_runs(text: str, haystack: str, min_run: int = 3) -> str:
    """`text` without every run of `min_run`+ characters that occurs in `haystack`."""
    if not haystack:
        return text
    kept, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and text[i:j + 1] in haystack:
            j += 1
        if j - i >= min_run:
            i = j
        else:
            kept.append(text[i])
            i += 1
    return "".join(kept)


def names_a_document(question: str, name_words: list[str]) -> bool:
    """The question names a document: a word ending in a kind of document (条例, 办法, 决定, 修正案, 法 …) that
    is one of `name_words` (个税法, 刑法) or follows one, 的 aside (网络安全条例, 疫情防控的决定); 法律 and 法院 end
    in none, 「两个决定」 is named by no word of it, and a word inside a quotation is part of what is quoted
    (「“健全防止干预司法‘三个规定’常态化落实机制”是哪一条」)."""
    said = [w for w in words(QUOTATION_RE.sub("", question)) if w.strip() and w != "的"]
    return any(word.endswith((*DOC_TYPES, "法典")) and (word in name_words or (i and said[i - 1] in name_words))
               for i, word in enumerate(said))
