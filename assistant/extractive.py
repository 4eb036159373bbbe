"""The default answerer: quote the sentences of the retrieved clauses that answer the question.

Offline and deterministic. Every bullet is verbatim source text followed by its citation marker;
nothing is paraphrased. Entity questions keep the sentences whose subject is that body; topic
questions keep the sentences that carry the question's terms, or, when it is asked in other words than
the text's, the sentences nearest to it in meaning (their vectors are in the index); metadata questions
(施行, 通过, 废止) quote the closing clause or the 题注 that states the fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from assistant.analysis import BODY_LEVEL, LEVEL_CHARS, METADATA_INTENTS, OUTLINE, QueryPlan, entity_table
from assistant.citations import marker
from assistant.documents import counterparts
from assistant.figures import figure_pattern
from assistant.matching import TermMatcher
from ingest.numerals import NUMERAL_CHARS, to_chinese_numeral
from ingest.records import Clause, Document
from ingest.tokenize import parts, tagged_words
from store.chunking import sentence_texts
from store.records import Hit

NUMBER_PREFIX_RE = re.compile(rf"^(第[{NUMERAL_CHARS}0-9]+条(之[{NUMERAL_CHARS}]+)?[\s\u3000]*|[{NUMERAL_CHARS}]+、|\d{{1,3}}[.．、])")
SENTENCE_RE = re.compile(r"[^。；！？\n]+[。；！？]?")
DUTY_AFTER_RE = re.compile(r"^[^。；]{0,80}?(应当|应|要|须|必须|负责|配合|支持|接受|协助)")
OBJECT_MARKERS = ("与", "和", "同", "对", "向", "、", "及", "由", "将", "为", "或")
MAX_SENTENCES_PER_ARTICLE = 6
# What a content question quotes: a closing clause says more than 施行 (「《解释》…修改后重新公布」「…同时废止」).
QUOTED_KINDS = ("article", "preamble", "closing")
MAX_ARTICLES = 6
MIN_SENTENCE_COVERAGE = 0.05  # the answerability model decides whether to answer; this only drops noise
FIGURE_UNSTATED = "所摘条文未载明所问的具体数字或期限；以下是与问题相关的规定，供参考。"
OUTLINE_ARTICLES = 60  # a longer document in chapters is outlined chapter by chapter
CHAPTER_RE = re.compile(rf"^第[{NUMERAL_CHARS}0-9]+章")
FALLBACK_ARTICLES = 2  # when no sentence shares the question's words, quote the best-ranked clauses
CLOSE_SCORE = 0.9  # a further clause is quoted when its fused score is this close to the best one's
# A clause is quoted for its words only when its fused score is at least this share of its decision's best
# (0.7 before sentence vectors; refit on the dev sets after them, as the fused scores now lie closer together).
RANK_RATIO = 0.85
WEAK_COVERAGE = 0.5  # below this best sentence coverage the question is in other words than the text
# A question in other words than the text's: sentences are judged by meaning (cosine to the question), their
# words counting a little (COVERAGE_WEIGHT × coverage) and the clause's fused rank a little (RANK_WEIGHT ×
# score); an article is quoted when its best sentence is within MEANING_MARGIN of the best one (dev sets).
COVERAGE_WEIGHT = 0.05
RANK_WEIGHT = 0.1
MEANING_MARGIN = 0.02
# A yes-or-no question (「检察院能告它吗」「要不要人大点头」) asks whether a provision says so: the articles within
# YES_NO_MARGIN of the best answer it (dev sets: .01 and 0 cost recall, .015 kept it and raised precision).
YES_NO_RE = re.compile(r"吗[？?]?$|([\u4e00-\u9fff])不\1|有没有|可不可以")  # 能不能, 管不管: A-not-A
YES_NO_MARGIN = 0.015
DOC_MEANING_MARGIN = 0.05  # a decision is quoted when its best article is this close to the best overall
BODY_EVERYWHERE = 0.67  # share of the retrieved articles in which the asked-about body acts
JOINT_COVERAGE = 0.5  # below this share of the question found in the best clauses together: other words
ARTICLE_RATIO = 0.75  # an article is quoted when its best sentence covers >= 75 % of its decision's best
DOC_RATIO = 0.5


@dataclass(frozen=True)
class Quote:
    clause: Clause  # the article (or paragraph view) the sentences come from
    text: str
    rank: float = 0.0  # lower = more relevant; quotes are shown and cut in this order


@dataclass(frozen=True)
class Section:
    document_title: str
    doc_id: str
    quotes: tuple[Quote, ...]


def sentences_of(clause: Clause) -> list[tuple[int, str]]:
    """(paragraph number, sentence) pairs, the article number prefix removed."""
    out = []
    for number, paragraph in enumerate(clause.paragraphs or (clause.text,), start=1):
        body = NUMBER_PREFIX_RE.sub("", paragraph, count=1) if number == 1 else paragraph
        out.extend((number, s.strip()) for s in SENTENCE_RE.findall(body) if s.strip())
    return out


ITEM_RE = re.compile(r"^[（(][一二三四五六七八九十]+[）)]|^\d{1,2}[.．、]")


def with_stem(clause: Clause, paragraph: int, text: str) -> str:
    """An enumerated item （十三）… quoted with the sentence that says who acts (「…应当做好以下工作：」)."""
    paragraphs = clause.paragraphs or (clause.text,)
    own = paragraphs[paragraph - 1] if 0 < paragraph <= len(paragraphs) else ""
    if not ITEM_RE.match(own.strip()):
        return text
    for earlier in reversed(paragraphs[: paragraph - 1]):
        stripped = earlier.strip()
        if stripped.endswith(("：", ":")):
            stem = NUMBER_PREFIX_RE.sub("", stripped, count=1)
            return f"{stem}……{text}"
        if not ITEM_RE.match(stripped):
            break
    return text


def _cited_unit(clause: Clause, paragraph: int) -> Clause:
    return clause.paragraph_view(paragraph) if len(clause.paragraphs) > 1 else clause


def _opens_with(sentence: str, form: str) -> bool:
    """「各级人民政府及其工作部门应当…」 opens with 人民政府: a short qualifier may precede the body, not a
    preposition (「按照属地人民政府的要求，…」: the body is its object)."""
    start = sentence.find(form)
    return start == 0 or (0 < start <= 6 and not any(m in sentence[:start] for m in OBJECT_MARKERS + ("，",))
                          and not _has_preposition(sentence[:start])
                          or 0 < start <= 6 and sentence[:start] in QUALIFIERS)


@lru_cache(maxsize=4096)
def _has_preposition(text: str) -> bool:
    return any(tag == "p" for _, tag in tagged_words(text))


QUALIFIERS = ("各级", "全省各级", "市、旗县区", "县级以上", "本级", "同级", "有关", "相关", "地方各级")


LIST_JOIN_RE = re.compile(r"以及|、|和|及")
LIST_QUALIFIERS = ("其他", "其它", "各级", "有关", "相关", "本级", "同级")
_QUALIFIERS_LONGEST_FIRST = tuple(sorted(QUALIFIERS, key=len, reverse=True))


@lru_cache(maxsize=1)
def _body_names() -> frozenset[str]:
    return frozenset(f for forms in entity_table().values() for key in ("question", "text") for f in forms[key])


def _in_subject_list(prefix: str) -> bool:
    """「公安机关、司法行政机关和其他行政执法机关接受…」: the body is one of the subjects listed first.

    Every item before it must be a known body name (with at most a qualifier such as 其他), so
    「健全监察机关、公安机关…」 and 「加强与公安机关、审判机关…」 are not lists of subjects.
    """
    for qualifier in _QUALIFIERS_LONGEST_FIRST:
        if prefix.startswith(qualifier):
            prefix = prefix[len(qualifier):]
            break
    if not prefix.endswith(("、", "和", "及")):
        return False
    names = _body_names()
    items = [item for item in LIST_JOIN_RE.split(prefix) if item]
    return bool(items) and all(
        item in names or any(item.startswith(q) and item[len(q):] in names for q in LIST_QUALIFIERS) for item in items
    )


AGENT_RE = re.compile(r"(?<![理自事缘经来])由(?:[^，。；：由]{1,20}(?:、|和|及|会同|或者))?$")  # not 理由, 自由 …


def _agent(prefix: str) -> bool:
    """「罚款收据的格式和印制，由财政部规定」「由财政部、中国人民银行确定」: 由 names who acts."""
    return bool(AGENT_RE.search(prefix))


def _other_level(before: str, level: str) -> bool:
    """The text names the body at another level than the question (「市、区人民政府」 when 乡镇政府 was asked)."""
    said = re.search(BODY_LEVEL + "$", before).group(0)
    said = {c for c in said if c in LEVEL_CHARS}
    return bool(level and said and not said & set(level))


def _occurrences(text: str, form: str):
    start = text.find(form)
    while start != -1:
        yield start
        start = text.find(form, start + 1)


def _entity_subject(sentence: str, forms: tuple[str, ...], level: str = "") -> bool:
    for form in forms:
        for start in _occurrences(sentence, form):
            if _other_level(sentence[:start], level):
                continue
            if _agent(sentence[:start]):
                return True
            head = re.sub(BODY_LEVEL + "$", "", sentence[:start], count=1)  # 「…的，市人民政府应当…」
            at_start = (_opens_with(sentence, form) or _in_subject_list(sentence[:start])
                        or head[-1:] in "，：" and not head.endswith(OBJECT_MARKERS))
            if at_start and (start == 0 or DUTY_AFTER_RE.match(sentence[start + len(form):])):
                return True
    return False


def entity_sentences(clause: Clause, forms: tuple[str, ...], level: str = "") -> dict[int, list[str]]:
    """{paragraph number: sentences whose subject is one of `forms` (at `level`, when the question says one); a
    paragraph opened by it is taken whole."""
    chosen: dict[int, list[str]] = {}
    if clause.kind != "article":
        return chosen
    for number, paragraph in enumerate(clause.paragraphs or (clause.text,), start=1):
        body = NUMBER_PREFIX_RE.sub("", paragraph, count=1) if number == 1 else paragraph
        sentences = [s.strip() for s in SENTENCE_RE.findall(body) if s.strip()]
        first = sentences[0] if sentences else ""
        if any(_opens_with(first, f) and not _other_level(first[:first.find(f)], level) for f in forms):
            chosen[number] = sentences  # the paragraph is about this body throughout
            continue
        picked = [s for s in sentences if _entity_subject(s, forms, level)]
        if picked:
            chosen[number] = picked
    return chosen


def entity_forms(plan: QueryPlan) -> tuple[str, ...]:
    return tuple(sorted(set(plan.terms), key=len, reverse=True))


def entity_quotes(plan: QueryPlan, hits: list[Hit], matcher: TermMatcher | None = None) -> list[Quote]:
    """Sentences whose subject is the asked-about body, per paragraph of each retrieved article.

    Where the body is the subject of most of what was retrieved (人大常委会 in its own rules), the
    question's other words decide which of those sentences answer it.
    """
    forms = entity_forms(plan)
    quotes: list[Quote] = []
    for rank, hit in enumerate(hits):
        for number, picked in entity_sentences(hit.clause, forms, plan.entity_level).items():
            text = with_stem(hit.clause, number, "".join(picked))
            quotes.append(Quote(_cited_unit(hit.clause, number), text, rank))
    if matcher is not None and len({q.clause.article_key for q in quotes}) > MAX_ARTICLES:
        others = [w for w in matcher.words if w != plan.entity]
        if others:
            scored = [(matcher.score_words(q.text, others), q) for q in quotes]
            best = max(s for s, _ in scored)
            if best > 0:
                quotes = [q for s, q in scored if s >= 0.6 * best]
    return quotes


def body_everywhere(plan: QueryPlan, hits: list[Hit]) -> bool:
    """The asked-about body acts in nearly every retrieved article (人大常委会 in its own rules): that it acts
    tells no article from another, so the question is answered as a topic question."""
    articles = {h.clause.article_key for h in hits if h.clause.kind == "article" and "lookup" not in h.scores}
    acting = {q.clause.article_key for q in entity_quotes(plan, hits)}
    return len(articles) >= 3 and len(acting & articles) >= BODY_EVERYWHERE * len(articles)


def topic_quotes(plan: QueryPlan, hits: list[Hit], matcher: TermMatcher) -> list[Quote]:
    """Sentences that cover the question's words, from the articles that cover it nearly as well as the best."""
    if not matcher.words:
        return []
    candidates = []
    best_score: dict[str, float] = {}
    for hit in hits:
        if "lookup" not in hit.scores:
            best_score.setdefault(hit.clause.doc_id, hit.score)
    phrases = _phrases(plan, matcher)
    for hit in hits:
        clause = hit.clause
        if clause.kind not in QUOTED_KINDS:
            continue
        if ("lookup" not in hit.scores and hit.score < RANK_RATIO * best_score.get(clause.doc_id, 0.0)
                and not any(phrase in clause.text for phrase in phrases)):
            continue  # words in common, but retrieval ranked it far below its decision's best clause
        scored = [(matcher.score(sentence), number, sentence) for number, sentence in sentences_of(clause)]
        best = max((s for s, _, _ in scored), default=0.0)
        candidates.append((best, clause, scored))
    top = max((best for best, _, _ in candidates), default=0.0)
    top_in_doc: dict[str, float] = {}
    for best, clause, _ in candidates:
        top_in_doc[clause.doc_id] = max(best, top_in_doc.get(clause.doc_id, 0.0))
    quotes: list[Quote] = []
    for rank, (best, clause, scored) in enumerate(candidates):
        # Each decision words things its own way: an article is judged against the best of its own
        # decision, and the decision against the best overall.
        if best < max(MIN_SENTENCE_COVERAGE, ARTICLE_RATIO * top_in_doc[clause.doc_id], DOC_RATIO * top):
            continue
        keep = [(n, s) for score, n, s in scored if score >= max(0.2, 0.6 * best)][:MAX_SENTENCES_PER_ARTICLE]
        by_paragraph: dict[int, list[str]] = {}
        for number, sentence in keep:
            by_paragraph.setdefault(number, []).append(sentence)
        for number, picked in by_paragraph.items():
            text = with_stem(clause, number, "".join(picked))
            quotes.append(Quote(_cited_unit(clause, number), text, rank + (1.0 - best)))
    return quotes


def _phrases(plan: QueryPlan, matcher: TermMatcher) -> list[str]:
    """Two of the question's words said together (「未成年人保护」): an article saying them together is about that,
    however retrieval ranked it."""
    words = matcher.words
    return [a + b for a, b in zip(words, words[1:]) if a + b in plan.query]


def best_coverage(hits: list[Hit], matcher: TermMatcher) -> float:
    return max((matcher.score(s) for h in hits[:3] for _, s in sentences_of(h.clause)), default=0.0) if matcher.words else 0.0


def joint_coverage(hits: list[Hit], matcher: TermMatcher) -> float:
    """How much of the question the best clauses cover together (「队伍建设和司法改革」: two articles, one each)."""
    return matcher.score("\n".join(h.clause.text for h in hits[:3])) if matcher.words else 0.0


def ranked_quotes(hits: list[Hit], matcher: TermMatcher, per_document: bool = False) -> list[Quote]:
    """A question in other words than the text's: the best-ranked clauses, each its most covering paragraph.

    Retrieval (meaning as well as words) ranked them and the answerability model accepted them; the
    quote is the paragraph, so what is shown is what was judged. Clauses scoring close to the best
    one come too (at most FALLBACK_ARTICLES per document, or per side of a comparison).
    """
    searched = [h for h in hits if h.clause.kind in QUOTED_KINDS and "lookup" not in h.scores]
    quotes = []
    taken: dict[str, int] = {}
    best = {}
    for hit in searched:
        best.setdefault(hit.clause.doc_id if per_document else "", hit.score)
    for rank, hit in enumerate(searched):
        side = hit.clause.doc_id if per_document else ""
        if taken.get(side, 0) >= FALLBACK_ARTICLES or (taken.get(side) and hit.score < CLOSE_SCORE * best[side]):
            continue
        taken[side] = taken.get(side, 0) + 1
        clause = hit.clause
        paragraphs = clause.paragraphs or (clause.text,)
        scores = [matcher.score(p) if matcher.words else 0.0 for p in paragraphs]
        number = 1 + max(range(len(paragraphs)), key=lambda i: (scores[i], -i))
        picked = [s for n, s in sentences_of(clause) if n == number][:4]
        if picked:
            quotes.append(Quote(_cited_unit(clause, number), with_stem(clause, number, "".join(picked)), rank))
    return quotes


@dataclass(frozen=True)
class Meaning:
    """How close each retrieved sentence is to the question in meaning: {clause_id: {n: cosine}} over the
    sentences of `chunking.sentence_texts`, found for the answerer's sentences by their text."""

    sims: dict[str, dict[int, float]]

    def __bool__(self) -> bool:
        return bool(self.sims)

    def of(self, clause: Clause, sentence: str) -> float | None:
        own = self.sims.get(clause.clause_id)
        if not own:
            return None
        core = sentence.rstrip("。；！？;")
        for number, stored in enumerate(_stored_sentences(clause)):
            if number in own and core and (core in stored or stored in core):
                return own[number]
        return None


@lru_cache(maxsize=4096)
def _stored_sentences(clause: Clause) -> tuple[str, ...]:
    return tuple(s.rstrip("。；！？;") for s in sentence_texts(clause))


def meaning_quotes(hits: list[Hit], matcher: TermMatcher, meaning: Meaning, per_document: bool = False,
                   documents: dict[str, Document] | None = None, yes_no: bool = False) -> list[Quote]:
    """A question in other words than the text's, judged by meaning: the articles whose best sentence is
    within MEANING_MARGIN of the best one (of each side of a comparison), each with its paragraphs that
    come as close. The question's words and the retrieval rank count a little (see COVERAGE_WEIGHT).

    The same decision from another place (`documents.counterparts`) says the same things in its own
    words: its articles are judged against its own best, and it is quoted when that best is within
    DOC_MEANING_MARGIN of the best overall. A yes-or-no question keeps only the articles within YES_NO_MARGIN."""
    judged = []
    for hit in hits:
        clause = hit.clause
        if clause.kind not in QUOTED_KINDS or "lookup" in hit.scores:
            continue
        by_paragraph: dict[int, list[tuple[float, str]]] = {}
        for number, sentence in sentences_of(clause):
            sim = meaning.of(clause, sentence)
            if sim is not None:
                covered = matcher.score(sentence) if matcher.words else 0.0
                by_paragraph.setdefault(number, []).append((sim + COVERAGE_WEIGHT * covered, covered, sentence))
        if by_paragraph:
            best = max(score for scored in by_paragraph.values() for score, _, _ in scored)
            judged.append((best + RANK_WEIGHT * hit.score, best, hit, by_paragraph))
    top_in_doc: dict[str, float] = {}
    for value, _, hit, _ in judged:
        top_in_doc[hit.clause.doc_id] = max(value, top_in_doc.get(hit.clause.doc_id, value))
    judged.sort(key=lambda item: -item[0])
    lead = judged[0][2].clause.doc_id if judged else ""

    def reference(doc_id: str) -> float:
        """What an article of this decision is judged against: its own decision's best (a side of a comparison,
        the leading decision, or a counterpart close enough to it), or else the leading decision's best."""
        own, best_overall = top_in_doc[doc_id], top_in_doc[lead]
        if per_document or doc_id == lead:
            return own
        if documents and doc_id in documents and lead in documents and counterparts(documents[doc_id], documents[lead]):
            return own if own >= best_overall - DOC_MEANING_MARGIN else float("inf")
        return best_overall

    quotes = []
    margin = YES_NO_MARGIN if yes_no else MEANING_MARGIN
    for rank, (value, best, hit, by_paragraph) in enumerate(judged):
        if value < reference(hit.clause.doc_id) - margin:
            continue
        for number, scored in by_paragraph.items():
            if max(score for score, _, _ in scored) >= best:
                text = with_stem(hit.clause, number, "".join(_nearest_sentences(scored, best)))
                quotes.append(Quote(_cited_unit(hit.clause, number), text, rank))
    return quotes


def _nearest_sentences(scored: list[tuple[float, float, str]], best: float) -> list[str]:
    """A paragraph's sentences near the question in meaning (within MEANING_MARGIN of the best) or in words
    (as topic_quotes keeps them), at most MAX_SENTENCES_PER_ARTICLE, in text order; a list's opening
    sentence (「下列重大事项，应当…报告：」) comes with its items."""
    top_words = max(covered for _, covered, _ in scored)
    near = [i for i, (score, covered, _) in enumerate(scored)
            if score >= best - MEANING_MARGIN or covered >= max(0.2, 0.6 * top_words)]
    keep = set(sorted(near, key=lambda i: -scored[i][0])[:MAX_SENTENCES_PER_ARTICLE])
    if scored[0][2].endswith(("：", ":")) and len(scored) > 1:
        keep.add(0)
    return [sentence for i, (_, _, sentence) in enumerate(scored) if i in keep]


def article_quotes(plan: QueryPlan, hits: list[Hit]) -> list[Quote]:
    """「第五条说了什么」: the whole article each looked-up document has under that number."""
    quotes = []
    for rank, hit in enumerate(hits):
        clause = hit.clause
        if "lookup" in hit.scores and clause.kind == "article" and clause.article == plan.article:
            for number, paragraph in enumerate(clause.paragraphs or (clause.text,), start=1):
                body = NUMBER_PREFIX_RE.sub("", paragraph, count=1) if number == 1 else paragraph
                quotes.append(Quote(_cited_unit(clause, number), body.strip(), rank + number / 100))
    return quotes


FACT_CLAUSE = {"adoption": "note", "basis": "preamble", "effective": "closing", "repeal": "closing"}
FACT_WORDS = {"effective": ("施行", "生效"), "repeal": ("废止", "失效", "停止执行"), "adoption": ("通过",)}


def metadata_quotes(plan: QueryPlan, hits: list[Hit]) -> list[Quote]:
    """The closing clause (施行, 废止) or the 题注 (通过) of each decision in scope."""
    kinds = (plan.intent, *plan.also)
    quotes = []
    for rank, hit in enumerate(hits):
        clause = hit.clause
        if "lookup" not in hit.scores and clause.kind not in {FACT_CLAUSE[k] for k in kinds}:
            continue
        sentences = [s for _, s in sentences_of(clause)]
        if plan.also:  # several facts asked: the sentences that state one of them (a 序言 states the basis)
            stating = [s for s in sentences if any(w in s for k in kinds for w in FACT_WORDS.get(k, ()))]
            sentences = stating or (sentences if "basis" in kinds and clause.kind == "preamble" else [])
        elif plan.intent == "effective":
            sentences = [s for s in sentences if any(w in s for w in FACT_WORDS["effective"])] or sentences
        elif plan.intent == "repeal":
            sentences = [s for s in sentences if any(w in s for w in FACT_WORDS["repeal"])]
        if sentences:
            quotes.append(Quote(clause, "".join(sentences), rank))
    return quotes


def outline(plan: QueryPlan, hits: list[Hit], titles: dict[str, str]) -> str | None:
    """「这部决定一共有几条」「主要讲了哪些方面」「分几章」: each looked-up document's number of articles (and of
    chapters), and every article's first sentence, cited, in the document's order; a document of more than
    OUTLINE_ARTICLES articles in chapters (刑法) is outlined by its chapters, each with its articles' span."""
    lines: list[str] = []
    for doc_id, articles in _articles_by_document(hits, "lookup").items():
        if lines:
            lines.append("")
        groups: dict[str, list[Clause]] = {}
        for clause in articles:
            groups.setdefault(clause.part or "", []).append(clause)
        chapters = sum(bool(CHAPTER_RE.match(part)) for part in groups)
        parts = f"分{to_chinese_numeral(chapters)}章、" if chapters > 1 else "不分章，" if "章" in plan.query else ""
        title, cite = heading(doc_id, articles[0].doc_title, titles), titles.get(doc_id)
        if len(articles) > OUTLINE_ARTICLES and chapters > 1:
            lines.append(f"**《{title}》{parts}{_article_count(articles)}**，各章如下：")
            for part, members in groups.items():
                span = members[0].label + (f"至{members[-1].label}" if len(members) > 1 else "")
                lines.append(f"- {part or '（章前条文）'}（{span}）{marker(members[0], cite)}")
            continue
        lines.append(f"**《{title}》{parts}{_article_count(articles)}**，各条首句如下：")
        for clause in articles:
            sentences = [s for _, s in sentences_of(clause)] or [""]
            more = "……" if len(sentences) > 1 else ""
            lines.append(f"- {sentences[0]}{more}{marker(clause, cite)}")
    return "\n".join(lines) or None


def _articles_by_document(hits: list[Hit], found_by: str) -> dict[str, list[Clause]]:
    """The articles that `found_by` ("lookup", "mention") brought, per document, in the order found."""
    by_document: dict[str, list[Clause]] = {}
    for hit in hits:
        if found_by in hit.scores and hit.clause.kind == "article":
            by_document.setdefault(hit.clause.doc_id, []).append(hit.clause)
    return by_document


def _article_count(articles: list[Clause]) -> str:
    """共四百五十二条 for the numbered articles; those an amendment inserted (第十七条之一) are counted apart."""
    first: dict[int | None, Clause] = {}
    inserted = [c for c in articles if first.setdefault(c.article, c) is not c]
    count = f"共{to_chinese_numeral(len(first))}条"
    if not inserted:
        return count
    return (f"{count}（另有{inserted[0].label}等增补条文{to_chinese_numeral(len(inserted))}条，"
            f"合计{to_chinese_numeral(len(articles))}条）")


def letters(text: str) -> str:
    """The text's letters and digits only: 「加计30—50%」 and 「加计30-50%」 read alike."""
    return "".join(ch for ch in text if ch.isalnum())


def mention_quotes(clauses, names: tuple[str, ...], kinds: tuple[str, ...]) -> list[Quote]:
    """The sentences of `clauses` that name one of `names` and state a fact of `kinds` of it (「废止《北京市社会
    治安综合治理条例》（1992年9月19日…通过）」 states its repeal and its adoption), or any that name it when no kind
    is a document's fact (「哪些文件提到了《…》」)."""
    forms = [letters(name) for name in names]
    facts = [word for kind in kinds for word in FACT_WORDS.get(kind, ())]
    quotes = []
    for rank, clause in enumerate(clauses):
        stating = [s for _, s in sentences_of(clause)
                   if any(form in letters(s) for form in forms) and (not facts or any(word in s for word in facts))]
        if stating:
            quotes.append(Quote(clause, "".join(stating), rank))
    return quotes


def group_by_document(quotes: list[Quote]) -> list[Section]:
    """Sections in order of their best quote; within one, quotes by relevance, the weakest cut first."""
    ordered = sorted(quotes, key=lambda q: q.rank)
    order: list[str] = []
    grouped: dict[str, list[Quote]] = {}
    titles: dict[str, str] = {}
    for quote in ordered:
        doc = quote.clause.doc_id
        if doc not in grouped:
            order.append(doc)
            grouped[doc] = []
            titles[doc] = quote.clause.doc_title
        if all(q.clause.clause_id != quote.clause.clause_id for q in grouped[doc]):
            grouped[doc].append(quote)
    return [Section(titles[doc], doc, tuple(grouped[doc][:MAX_ARTICLES])) for doc in order[:MAX_ARTICLES]]


def metadata_lead(plan: QueryPlan, document: Document, quoted: str = "") -> str:
    """One line per fact asked about the document (施行, 通过, 依据, 废止), from its metadata and, for what it
    repeals, the provisions quoted under it (`quoted`: a decision whose articles each repeal a regulation)."""
    name = f"《{document.title}》"
    first, *more = [_fact_lead(kind, document, quoted) for kind in (plan.intent, *plan.also)]
    return first + "".join(lead.replace(name, "该文件", 1) for lead in more if lead != name)


def _fact_lead(kind: str, document: Document, quoted: str = "") -> str:
    name = f"《{document.title}》"
    if kind == "effective":
        if document.effective_on_publication:
            when = f"（公布之日，即{_cn_date(document.effective_date)}）" if document.effective_date else ""
            return f"{name}自公布之日起施行{when}。"
        if document.effective_date:
            return f"{name}自{_cn_date(document.effective_date)}起施行。"
    if kind == "adoption" and document.adoption_date:
        meeting = f"经{document.meeting}" if document.meeting else ""
        return f"{name}于{_cn_date(document.adoption_date)}{meeting}通过。"
    if kind == "basis":
        return f"{name}在序言中载明了制定的依据和目的："
    if kind == "repeal":
        if document.repeals:
            return f"{name}施行时，" + "、".join(f"《{t}》" for t in document.repeals) + "同时废止。"
        if any(word in quoted for word in FACT_WORDS["repeal"]):
            return f"{name}所废止的文件见以下条文："
        return f"{name}未载明废止其他文件。"
    return name


def _cn_date(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


FIGURE_RE = re.compile(
    r"(?<!第)(?:[0-9０-９]+(?:\.[0-9]+)?|[一二三四五六七八九十百千万两]+)(?:个)?(?:工作日|日|天|个月|月|年|周|小时|元|万元|亿元|倍|人|名|次|%|％)(?:以内|内|以上|以下)?"
    r"|百分之[一二三四五六七八九十百点]+")
BODY_TAGS = frozenset("njb")  # nouns (n, nt, ns …), abbreviations (j: 常委会), distinguishers (b: 主任)
BARE_BODY_RE = re.compile(r"委员会|机关|部门|机构|会议")
BODY_SHORT_FORMS = (("人民代表大会常务委员会", "人大常委会"), ("人民代表大会", "人大"), ("人民检察院", "检察院"),
                    ("人民法院", "法院"), ("人民政府", "政府"))
LEVEL_PREFIX_RE = re.compile(r"^(?:各级|本级|同级|上级|自治区|省|市|区|县|州)")
BODY_RE = re.compile(r"[\u4e00-\u9fff]{0,8}?(?:人民政府|人民法院|人民检察院|委员会|常委会|主任会议|机关|部门|机构|法院|检察院)")


def _facts(section: Section) -> tuple[dict[str, Quote], dict[str, Quote]]:
    """(figure → the quote stating it, body → the quote naming it) for one side of a comparison."""
    figures: dict[str, Quote] = {}
    bodies: dict[str, Quote] = {}
    for quote in section.quotes:
        for match in FIGURE_RE.finditer(quote.text):
            figures.setdefault(match.group(0), quote)
        for match in BODY_RE.finditer(quote.text):
            name = body_name(match.group(0))
            if name:
                bodies.setdefault(name, quote)
    return figures, bodies


def body_name(phrase: str) -> str:
    """The body a phrase ending in a body word names: its trailing nouns (「积极配合检察机关」 → 检察机关,
    「由省人大常委会主任会议」 → 省人大常委会主任会议); "" when only the bare word is left (机关, 部门)."""
    tagged = tagged_words(phrase)
    start = len(tagged)
    while start and tagged[start - 1][1][:1] in BODY_TAGS:
        start -= 1
    name = "".join(word for word, _ in tagged[start:])
    return name if name and not BARE_BODY_RE.fullmatch(name) else ""


def short_forms(name: str) -> str:
    """A name with its bodies said short (人民代表大会常务委员会 → 人大常委会), as questions say them."""
    for long, short in BODY_SHORT_FORMS:
        name = name.replace(long, short)
    return name


def body_key(name: str) -> str:
    """One key for a body however a decision names it: 省人民代表大会常务委员会, 市人大常委会 and 常委会 alike."""
    name = LEVEL_PREFIX_RE.sub("", short_forms(name))
    return "人大常委会" + name[3:] if name.startswith("常委会") else name


def differences(sections: list[Section], titles: dict[str, str]) -> list[str]:
    """Sentences stating what differs between the compared documents: the figures and deadlines each
    states, the bodies one names and another does not. Every side is cited."""
    if len(sections) < 2:
        return []
    facts = [(section, *_facts(section)) for section in sections]
    lines = []
    stated = [(s, f) for s, f, _ in facts if f]
    if stated and any(set(f) != set(stated[0][1]) for _, f in stated) or 0 < len(stated) < len(facts):
        parts = []
        for section, figures, _ in facts:
            name = f"《{titles.get(section.doc_id, section.document_title)}》"
            if figures:
                shown = list(figures.items())[:3]
                parts.append(name + "载明" + "、".join(f"「{fig}」{marker(q.clause, titles.get(section.doc_id))}" for fig, q in shown))
            else:
                parts.append(name + "所摘条文未载明具体数字或期限")
        lines.append("- 数字与期限：" + "；".join(parts) + "。")
    named = [{body_key(b) for b in bodies} for _, _, bodies in facts]
    if len(named) > 1 and any(n != named[0] for n in named):
        parts = []
        for (section, _, bodies), names in zip(facts, named):
            others = set().union(*(n for n in named if n is not names))
            only = list({body_key(b): b for b in reversed(bodies) if body_key(b) not in others}.values())[::-1][:4]
            if only:
                name = f"《{titles.get(section.doc_id, section.document_title)}》"
                parts.append(name + "另提及" + "、".join(f"{b}{marker(bodies[b].clause, titles.get(section.doc_id))}" for b in only))
        if parts:
            lines.append("- 涉及的机关：" + "；".join(parts) + "。")
    return lines


def heading(doc_id: str, title: str, titles: dict[str, str]) -> str:
    """A document's full title, with its version when another indexed document has the same title (公司法)."""
    marked = titles.get(doc_id, "")
    return marked if marked.startswith(f"{title}（") else title


def render(plan: QueryPlan, sections: list[Section], documents: dict[str, Document], scope: list[str],
           titles: dict[str, str]) -> str:
    """Markdown: an opening line, then one block per decision with quoted bullets and markers."""
    lines: list[str] = []
    if plan.intent in ("effective", "adoption", "repeal", "basis"):
        for section in sections:
            quoted = "".join(quote.text for quote in section.quotes)
            lines.append(f"- {metadata_lead(plan, documents[section.doc_id], quoted)}")
            for quote in section.quotes:
                lines.append(f"  > {quote.text}{marker(quote.clause, titles.get(section.doc_id))}")
        return "\n".join(lines)
    if plan.intent == "article":
        lines.append(f"第{to_chinese_numeral(plan.article)}条原文如下：")
    else:
        subject = f"关于{plan.entity}" if plan.entity else "相关"
        lines.append(f"现有决定中{subject}的规定如下（原文摘录）：")
    for section in sections:
        lines.append("")
        lines.append(f"**《{heading(section.doc_id, section.document_title, titles)}》**")
        for quote in section.quotes:
            lines.append(f"- {quote.text}{marker(quote.clause, titles.get(section.doc_id))}")
    compared = plan.compare or len(scope) > 1
    if compared:
        answered = {s.doc_id for s in sections}
        for doc_id in scope:
            if doc_id not in answered and doc_id in documents:
                lines.append("")
                lines.append(f"**《{heading(doc_id, documents[doc_id].title, titles)}》**")
                lines.append("- 未见相关规定。")
        diff = differences(sections, titles) if plan.compare else []
        if diff:
            lines.append("")
            lines.append("**对照**")
            lines.extend(diff)
    return "\n".join(lines)


def mention_answer(plan: QueryPlan, hits: list[Hit], matcher: TermMatcher, titles: dict[str, str]) -> str | None:
    """「有几条提到了监察委员会」: how many articles of each document in scope say what is asked about, and each
    of them with its sentences that say it, in the document's order (`Assistant._mentioning_articles`)."""
    words = mentioned_words(plan, matcher)
    lines: list[str] = []
    for doc_id, articles in _articles_by_document(hits, "mention").items():
        if lines:
            lines.append("")
        cite = titles.get(doc_id)
        lines.append(f"**《{heading(doc_id, articles[0].doc_title, titles)}》**中提到「{plan.mentioned}」的共"
                     f"{to_chinese_numeral(len(articles))}条：")
        for clause in articles:
            said = [(n, s) for n, s in sentences_of(clause) if all(says(matcher, w, s) for w in words)]
            said = said or [(n, s) for n, s in sentences_of(clause) if any(says(matcher, w, s) for w in words)]
            by_paragraph: dict[int, list[str]] = {}
            for number, sentence in said[:MAX_SENTENCES_PER_ARTICLE]:
                by_paragraph.setdefault(number, []).append(sentence)
            for number, picked in by_paragraph.items():
                unit = _cited_unit(clause, number)
                lines.append(f"- {with_stem(clause, number, ''.join(picked))}{marker(unit, cite)}")
    return "\n".join(lines) or None


# A compound said with a few words inside it (追究责任: 「追究相关人员的责任」「追究其责任」), within one sentence.
APART_GAP = 5


def says(matcher: TermMatcher, word: str, text: str) -> bool:
    """The text says the word: in one of its forms (aliases), or its parts in order a few characters apart."""
    if matcher.found(word, text) == 1.0:
        return True
    pieces = parts(word)
    if len(pieces) < 2:
        return False
    gap = rf"[^。；;！？!?\n]{{0,{APART_GAP}}}?"
    return re.search(gap.join(map(re.escape, pieces)), text) is not None


def mentioned_words(plan: QueryPlan, matcher: TermMatcher) -> list[str]:
    """The question's words inside what it asks which provisions say (the body asked about counts by any of its
    names: 监察委员会 for 监察机关)."""
    return [w for w in matcher.words if w in plan.mentioned
            or (w == plan.entity and plan.entity_form and plan.entity_form in plan.mentioned)]


@dataclass(frozen=True)
class Draft:
    """The extractive answer's Markdown with citation markers; `figure_unstated` when the question asks for a
    figure of a named unit and no quoted provision states one (the provisions are shown for reference only)."""

    text: str
    figure_unstated: bool = False


def _as_draft(text: str | None) -> Draft | None:
    return Draft(text) if text is not None else None


def answer(plan: QueryPlan, hits: list[Hit], documents: dict[str, Document], matcher: TermMatcher,
           scope: list[str] | None = None, titles: dict[str, str] | None = None,
           meaning: Meaning | None = None) -> Draft | None:
    """The answer, or None when no retrieved sentence answers the question."""
    if any("mention" in hit.scores for hit in hits):
        return _as_draft(mention_answer(plan, hits, matcher, titles or {}))
    if plan.intent == OUTLINE:
        return _as_draft(outline(plan, hits, titles or {}))
    if plan.intent in METADATA_INTENTS:
        quotes = metadata_quotes(plan, hits)
    elif plan.intent == "article":
        quotes = article_quotes(plan, hits) or topic_quotes(plan, hits, matcher)
    elif plan.intent == "entity" and not body_everywhere(plan, hits):
        quotes = entity_quotes(plan, hits, matcher) or topic_quotes(plan, hits, matcher)
    else:
        quotes = topic_quotes(plan, hits, matcher)
        if meaning and joint_coverage(hits, matcher) < JOINT_COVERAGE:  # other words than the text's
            yes_no = bool(YES_NO_RE.search(plan.question))
            quotes = meaning_quotes(hits, matcher, meaning, plan.compare, documents, yes_no) or quotes
        elif not meaning and best_coverage(hits, matcher) < WEAK_COVERAGE:  # (no sentence vectors) the ranking leads
            ranked = ranked_quotes(hits, matcher, plan.compare)
            have = {q.clause.article_key for q in ranked}
            quotes = ranked + [q for q in quotes if q.clause.article_key not in have]
    if not quotes:
        quotes = ranked_quotes(hits, matcher, plan.compare)
    if not quotes:
        return None
    quotes, unstated = figure_focus(plan, quotes, hits)
    text = render(plan, group_by_document(quotes), documents, scope or [], titles or {})
    return Draft(f"{FIGURE_UNSTATED}\n\n{text}", figure_unstated=True) if unstated else Draft(text)


def figure_focus(plan: QueryPlan, quotes: list[Quote], hits: list[Hit]) -> tuple[list[Quote], bool]:
    """A question that asks for a figure of a named unit (「几个工作日」「拖多久」「最多赔多少钱」): of each
    document's quotes, those that state such a figure, when any does; the others only surround it. A document
    none of whose quotes states one brings its quoted articles' sentences that do (each cited to its own
    paragraph). (quotes, whether no quoted article states such a figure: the answer then says so above the
    provisions found.)"""
    pattern = figure_pattern(plan.query) if plan.intent not in METADATA_INTENTS and plan.intent != "article" else None
    if pattern is None:
        return quotes, False
    articles = {h.clause.article_key: h.clause for h in hits}
    stating = {q.clause.doc_id for q in quotes if pattern.search(q.text)}
    completed: list[Quote] = []
    for quote in quotes:
        article = articles.get(quote.clause.article_key)
        if quote.clause.doc_id in stating or article is None:
            completed.append(quote)
            continue
        stated = [(n, s) for n, s in sentences_of(article) if pattern.search(s)]
        own = [s for n, s in stated if _cited_unit(article, n).clause_id == quote.clause.clause_id]
        completed.append(replace(quote, text=quote.text + "……" + "".join(own)) if own else quote)
        completed += [Quote(_cited_unit(article, n), with_stem(article, n, s), quote.rank + 0.5)
                      for n, s in stated if _cited_unit(article, n).clause_id != quote.clause.clause_id]
    stating = {q.clause.doc_id for q in completed if pattern.search(q.text)}
    return [q for q in completed if q.clause.doc_id not in stating or pattern.search(q.text)], not stating
