"""`Assistant`: the public Python API (retrieve, ask, stream, library management).

    a = Assistant.open()                       # default index; built from the bundled corpus if missing
    a.ask("公安机关需配合哪些事项")               # Answer with verified citations
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from assistant import extractive, pipeline
from assistant.answerability import Decision, load_model
from assistant.analysis import (DOCUMENT_KINDS, DOCUMENT_TEXT_RE, METADATA_INTENTS, OUTLINE, OUTLINE_ASK_RE, QueryPlan,
                                analyze, enclosing_places, is_determiner, place_names, ISSUERS, SPOKEN_TITLE_RE,
                                short_region)
from assistant.documents import (ABBREVIATION_GAP, CLAUSE_BREAK, DOC_TYPE_WORDS, DocumentTable, counterparts,
                                 names_a_document, region_forms, shortened, strip_runs, title_core)
from assistant.matching import TermMatcher
from assistant.errors import AssistantError, LLMError
from assistant.figures import QUANTITY_RE, asks_figure, figure_pattern
from assistant.intent import asking_words
from assistant.pipeline import ANSWER_K
from store.files import sync_paths
from assistant.records import Answer
from assistant.settings import Settings
from ingest.numerals import NUMERAL_CHARS
from ingest.parser import parse_file
from ingest.records import Clause, Document, ParsedDocument
from ingest.tokenize import place_gazetteer, tagged_words, tokenize
from store import ClauseIndex
from store.records import DocumentEntry, Hit

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]

LLM_GATE_FACTOR = 0.5  # in LLM mode the answerability threshold is halved; the model's own refusal counts
FEW_DOCUMENTS = 4  # a scope this small is read whole: a looked-up article or fact, 「有几条提到…」 from every article
BULK_LEAD_RATIO = 0.4  # read off seed questions (decision/bulk BM25 ratio .49–2.9) and law questions (.06–.33)
# The question asks for one specific party, person or place (a figure: figures.asks_figure).
SPECIFIC_QUESTION_RE = re.compile(r"谁|哪个部门|哪个机关|哪家|哪位"  # a party or a person (由谁, 判给谁, 是谁)
                                  r"|什么地方|哪里|哪个位置|什么位置|地址")  # a place
# The question asks which party acts, the party as subject (「谁来处理」, 「由谁审批」, 「钱谁出」, 「归哪家法院管」),
# not whom to turn to or who gets something, the party as object (「找谁」, 「向谁反映」, 「抚养权归谁」, 「判给谁」):
# the texts state an actor as a body; an addressee or a recipient they must name.
ASKED_PARTY = r"(?:谁|哪个部门|哪个机关|哪家)"
ACTOR_ASKED_RE = re.compile(r"由谁|谁(?!(?:呢|啊)?(?:[？?。，,！!]|$))|哪个部门|哪个机关|哪家")
PARTY_AS_OBJECT_RE = re.compile(r"(?:向|找|给|问|跟|对|和|属于|交给|分给|判给)" + ASKED_PARTY
                                + r"|归" + ASKED_PARTY + r"(?:呢|啊)?(?:[？?。，,！!]|$)")  # 「归谁管」: 谁 manages
# A sentence names a party: a body (…部门, …机关, …法院, …人民政府, …常委会 …).
PARTY_RE = re.compile(r"部门|机关|机构|法院|检察院|人民政府|委员会|常委会|执委会|单位|组织|办公室|[^结布格]局|厅")
# The question asks who holds a post (「执委会的主任是谁」): a name, which a sentence states only when it says who
# is appointed to, elected to or holds that post (「任命…为…主任」, 「由…担任召集人」).
POST = r"(主任|局长|书记|主席|院长|检察长|市长|省长|县长|区长|部长|厅长|负责人|委员长|秘书长|召集人|组长)"
# 哪位 asks for a person whatever the noun after it (「是哪位省领导作的报告」): stated only with who was appointed.
PERSON_ASKED_RE = re.compile(POST + r"(?:现在|现任|目前)?(?:是谁|叫什么|姓什么|是哪位)|谁(?:担任|出任|当)" + POST + "|哪一?位")
APPOINTED_RE = re.compile(r"任命|担任|当选|选举|辞去|免去|同志")
PERSON_UNSTATED = "现有文本未载明所问的具体人员（由谁主持、提请、说明或担任）。"
# A question about a document's own fact whose words its clause, title and asking words mostly leave unsaid
# (under FACT_COVERAGE of them, and two words or more: one stray word such as 一共 or 当初 says little) asks
# about something else.
FACT_COVERAGE = 0.4
MIN_UNSAID_WORDS = 2
NAME_SHORTENING_GAP = 4  # 最高院 of 最高人民法院, 人大 of 人民代表大会: a few characters left out between kept ones
FRAMING_TAGS = frozenset("mtrqpcduyef")  # numerals, times, pronouns, measure words, particles: no subject of a question
# What frames a question about a document's dated fact (最初, 后来, 当初); 必须, 几天 or 以后 may ask something else.
TIME_TAGS = frozenset("t")
OUTLINE_DOCUMENTS = 4  # an outline question naming no document is answered for a library of this many at most
# A question about a document's own fact that names no document, place or filter identifies the document by
# the words of its title: under this share of what it asks about (IDF-weighted) in the looked-up titles, it
# asks about another document or about something that is not a document (「考研报名时间是什么时候」).
TITLE_SHARE = 0.5
# A term the asker quotes (“四件大事”, 「随申办」) is the thing asked about, word for word.
QUOTED_RE = re.compile(r"[“「『‘\"]([^“”「」『』‘’\"]{2,40})[”」』’\"]")
QUOTED_POOL = 10  # keyword hits searched for the clauses that may say a quoted term
# The facts a date answers, and whether a document's metadata has it; a question asking when; a clause saying when
DATED_FACTS: dict[str, Callable[[Document], bool]] = {
    "effective": lambda d: bool(d.effective_date or d.effective_on_publication),
    "adoption": lambda d: bool(d.adoption_date),
}
ARTICLE_LABEL_RE = re.compile(rf"^\s*第[{NUMERAL_CHARS}0-9]+条\s*")
FACT_NAMES = {"effective": "施行", "adoption": "通过"}
WHEN_ASKED_RE = re.compile(r"哪[一]?天|什么时候|什么时间|何时|哪[一]?年|几月|几号|日期|哪个月")
TIME_STATED_RE = re.compile(r"[0-9０-９〇零一二三四五六七八九]{4}\s*年|\d{1,2}\s*月\s*\d{1,2}\s*日|[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日"
                            r"|(?:公布|发布|通过|印发|颁布)之日")
# A numbered shorthand (四件大事, 五大任务, 两个维护) asked for what it consists of, and the words that list it
SHORTHAND_RE = re.compile(r"[一二三四五六七八九十两]+(?:大|件|个|项|种|类|步)[\u4e00-\u9fff]{1,4}?(?=[”」』’\"]|具体|是|指|包括|有|都|分别|$)")
MEMBERS_ASKED_RE = re.compile(r"具体(?:指|是|包括|内容)|指的?是?什么|是哪[几些一二三四五六七八九十]|包括哪些|都有哪些|都是什么|分别是什么")
LISTED_AFTER_RE = re.compile(r"[”」』’\"]?\s*(?:[，,]?\s*即|是指|指的是|包括|[：:]|（[一1])")
LISTED_BEFORE_RE = re.compile(r"(?:简称|统称|以下称)[“「『‘\"]?$")
MEMBERS_JOINED_RE = re.compile(r"[、和及与]")
OTHER_PLACES_RE = re.compile(r"两地|两个地方|其他地方|别的地方|其他地区|外地|各地|两个决定|两部决定|两份决定")
NATIONWIDE = ("全国", "")  # regions of documents no one place owns (national ones, or a region the parser could not read)
ENTITY_POOL = 20  # candidates per tier searched for clauses addressed to the body an entity question asks about


def refusal_text(question: str) -> str:
    return f"现有决定中未找到与「{question.strip()}」相关的规定。"


class Assistant:
    def __init__(self, settings: Settings, index: ClauseIndex) -> None:
        self.settings = settings
        self.index = index
        self._lock = threading.RLock()
        self._documents: dict[str, Document] | None = None
        self._table: DocumentTable | None = None
        self._tier_cache: tuple[list[str], list[str]] | None = None
        self._weights: dict[str, float] | None = None
        self._generation: int | None = None  # the index generation the caches above were read at
        self._llm = None

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, index_dir: str | Path | None = None, *, settings: Settings | None = None,
             progress: Progress | None = None, build_if_missing: bool = True) -> Assistant:
        settings = settings or Settings.from_env(index_dir=index_dir)
        if index_dir is not None and settings.index_dir != Path(index_dir):
            settings = replace(settings, index_dir=Path(index_dir))
        index = ClauseIndex.open(
            settings.index_dir,
            embedding_model=settings.embedding_model,
            chroma_url=settings.chroma_url,
            reranker_model=settings.reranker_model,
        )
        assistant = cls(settings, index)
        if build_if_missing and index.is_empty:
            log.info("index at %s is empty: building it from %s", settings.index_dir, settings.corpus_dir)
            report = assistant.add_paths([settings.corpus_dir], progress=progress)
            if report.errors:
                raise AssistantError("the bundled corpus did not index: " + "; ".join(m for _, m in report.errors))
        return assistant

    def close(self) -> None:
        self.index.close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ library

    def documents(self) -> list[DocumentEntry]:
        return self.index.documents()

    def document(self, doc_id: str) -> Document:
        return self.index.document(doc_id)

    def clauses(self, doc_id: str) -> list[Clause]:
        """The clauses of one indexed document, in document order (for reading the whole text)."""
        return self.index.clauses(doc_id)

    def preview(self, path: str | Path) -> ParsedDocument:
        return parse_file(path, max_bytes=self.settings.max_file_bytes)

    def add_paths(self, paths: list[str | Path], progress: Progress | None = None, *, rebuild: bool = False,
                  dense=True):
        """`dense`: which files get vectors (True, False, or a mode of store.bulk.dense_policy: "auto"…)."""
        with self._lock:
            report = sync_paths(self.index, paths, max_bytes=self.settings.max_file_bytes, progress=progress,
                                rebuild=rebuild, dense=dense)
            self._documents = self._weights = self._tier_cache = self._table = None
        return report

    def remove(self, doc_id: str) -> int:
        with self._lock:
            removed = self.index.remove(doc_id)
            self._documents = self._weights = self._tier_cache = self._table = None
        return removed

    def _fresh(self) -> None:
        """Drop the library caches when the index changed (in this process or another one)."""
        generation = self.index.generation
        if generation != self._generation:
            self._documents = self._weights = self._tier_cache = self._table = None
            self._generation = generation

    def _docs(self) -> dict[str, Document]:
        self._fresh()
        if self._documents is None:
            self._documents = {e.document.doc_id: e.document for e in self.index.documents()}
        return self._documents

    def _regions(self) -> list[str]:
        """Indexed regions, longest first (ties by name: the order must not depend on the hash seed)."""
        return sorted({d.region for d in self._docs().values() if d.region and d.region != "全国"},
                      key=lambda r: (-len(r), r))

    def titles(self) -> dict[str, str]:
        """doc_id → the unique short title citation markers use."""
        table = self.table()
        return {d: table.short_title(d) for d in table.documents}

    def table(self) -> DocumentTable:
        if self._table is None:
            self._table = DocumentTable(self._docs())
        return self._table

    def _term_weights(self) -> dict[str, float]:
        """IDF of each bigram over the indexed clauses: rare terms count more when matching."""
        self._fresh()
        if self._weights is None:
            # The keyword index already counts them: reading its counts takes ~0.2 s on 117k clauses,
            # re-tokenising every clause ~10 s (and ~300 MB).
            counted = self.index.term_document_frequencies()
            if counted is not None:
                df, n = counted
            else:
                df = {}
                clauses = self.index.clauses()
                for clause in clauses:
                    for term in set(tokenize(clause.text)):
                        df[term] = df.get(term, 0) + 1
                n = len(clauses)
            n = max(1, n)
            self._weights = {t: math.log(1 + n / c) for t, c in df.items()}
        return self._weights

    # ------------------------------------------------------------------ retrieval

    def plan(self, question: str, history: list[tuple[str, str]] | None = None) -> QueryPlan:
        return analyze(question, history, self._regions(), unnamed=self.table().strip_names)

    def retrieve(self, question: str, k: int | None = None, filters: dict | None = None,
                 history: list[tuple[str, str]] | None = None) -> list[Hit]:
        """The clauses the answerer would see for `question`, best first, at most `k` (for a question about a
        whole document, its articles in order)."""
        k = k or self.settings.k
        plan = self.plan(question, history)
        scope = self.scope(plan, filters)
        hits = self._retrieve(plan, scope, k)
        if plan.intent == OUTLINE and not self._outline_subjects(plan, scope, self.matcher(plan, scope)):
            hits = [h for h in hits if "lookup" in h.scores] or hits
        return hits[:k]

    def scope(self, plan: QueryPlan, filters: dict | None = None) -> Scope:
        """The documents a question is about: what the filters allow, narrowed (never widened) by the
        regions and the document titles the question names."""
        docs = self._docs()
        table = self.table()
        every = list(table._order)
        allowed = [d for d in every if _passes(docs[d], filters or {})]
        chosen = list(allowed)
        outside: tuple[str, ...] = ()
        if plan.regions:
            in_region = [d for d in chosen if any(_of_region(docs[d], r) for r in plan.regions)]
            if in_region:
                chosen = in_region
            elif filters:
                outside = plan.regions
        named: tuple[str, ...] = ()
        others: tuple[str, ...] = ()
        missing = tuple(t for t in TITLE_RE.findall(plan.query) if not _indexed_title(t, docs.values()))
        # A 《title》 not indexed names no indexed document, whatever words it shares with one
        # (《河南省旅游管理条例》 is not the 旅游业 决议 that mentions it)
        naming = TITLE_RE.sub(lambda m: "" if m.group(1) in missing else m.group(0), plan.query)
        if plan.refers_to_previous and not any(t in plan.own_words for t in DOC_TYPE_WORDS):
            # 「它对浦东新区有什么特别安排」: the document is the one discussed before; a title's words said with no
            # type word after them (浦东新区, in the 浦东 决定's title) are what is asked about, not another name
            naming = naming.replace(plan.own_words, "", 1)
        if plan.regions and not outside:
            picked: list[str] = []
            for region in plan.regions:  # each region's own decision: 「西藏决定和山东决议」 → 山东's 决议
                pool = [d for d in chosen if _of_region(docs[d], region)]
                # a region's only document is named when the library's titles say it is (「浙江省各级人大常委会讨论
                # 决定重大事项的规定」: 各级 is its title's own)
                hit = (table.named(naming, within=pool).doc_ids if len(pool) > 1
                       else tuple(d for d in table.named(naming, within=allowed).doc_ids if d in pool)
                       or table.named(naming, within=pool).doc_ids)
                named += hit
                picked += list(hit) or self._of_said_type(plan, region, pool)
            chosen = picked or chosen
            if plan.compare and len(plan.regions) == 1 and len(chosen) == 1 and OTHER_PLACES_RE.search(plan.query):
                # One side named in a comparison (「两地决定…有何不同？呼和浩特有没有专门一条」): the other sides are
                # the same decision from the other places.
                others = tuple(d for d in allowed if d not in chosen and counterparts(docs[d], docs[chosen[0]]))
                chosen += others
            if not named:  # 「浙江嘉善县在长三角示范区里…」: 上海's 示范区 decision names 嘉善县, so it is about it too
                chosen += self._mentioning_places(plan, [d for d in allowed if d not in chosen])
        else:
            named = table.named(naming, within=chosen).doc_ids
            chosen = list(named) or chosen
        mentions: tuple[Clause, ...] = ()
        acted_on = [t for t in missing if _describes_a_document(plan.query, t)]
        if acted_on and not named:
            # 「北京废止《北京市邮政通信条例》的那个决定，是什么时候通过的」: the document asked about is the one that
            # acts on the title (repeals, amends it), named by it; the titled document itself is not asked about
            named = tuple(dict.fromkeys(c.doc_id for t in acted_on for c in self._keyword_clauses(t, chosen)
                                        if _letters(t) in _letters(c.text)))
            chosen = list(named) or chosen
        if missing and not named:  # 「《上海口岸服务条例》第一条…」 with no such document indexed: nothing to search,
            # unless it asks a fact about it that an indexed document states (the decision that repeals it,
            # 「…现在还有效吗」): what a text says of another document is its status, not its content
            # 「哪些文件提到了《水污染防治法》」: where the indexed texts name it is what is asked
            asked_where = any(title in plan.mentioned for title in missing)
            if plan.intent in METADATA_INTENTS and not plan.article or asked_where:
                mentions = self._mentioning(missing, chosen, (plan.intent, *plan.also))
            chosen = list(dict.fromkeys(c.doc_id for c in mentions))
        elsewhere = () if plan.regions or filters else self._unindexed_places(plan.query)
        enclosing: tuple[str, ...] = ()
        if elsewhere:  # 「广东省的检察监督决定…」, 「天津的预算审查监督决定…」: other places' decisions do not apply there;
            # those of the province or city it lies in (杭州 in 浙江) and nationwide ones do
            regions = {d.region for d in docs.values()}
            enclosing = tuple(sorted({r for p in elsewhere for r in enclosing_places(p) if r in regions}))
            chosen = [d for d in chosen if docs[d].region in NATIONWIDE or docs[d].region in enclosing]
        return Scope(doc_ids=tuple(chosen), narrowed=len(chosen) < len(every), filtered=bool(filters),
                     outside=outside, named=named, missing=missing, other_sides=others, elsewhere=elsewhere,
                     enclosing=enclosing, mentions=mentions)

    def _of_said_type(self, plan: QueryPlan, region: str, pool: list[str]) -> list[str]:
        """The region's documents of the type said after its name (「山东的决议」). A type said once after a list of
        places (「西藏、呼和浩特、山东的规定分别有哪些」) is said of each: when one of them has no document of that
        type, the word means their provisions, and no type is chosen."""
        docs = self._docs()
        typed = self.table().of_type(_mention(plan.query, region), pool)
        if len(typed) == len(pool):
            return pool
        kind = docs[typed[0]].doc_type
        for other in _listed_before(plan.query, region, plan.regions):
            if not any(_of_region(d, other) and d.doc_type == kind for d in docs.values()):
                return pool
        return typed

    def _mentioning(self, titles: tuple[str, ...], pool: list[str], kinds: tuple[str, ...]) -> tuple[Clause, ...]:
        """The clauses of `pool`'s documents that name one of `titles` and state a fact of `kinds` of it
        (「废止《…条例》」 for 「…还有效吗」)."""
        found: dict[str, Clause] = {}
        for title in titles:
            form = _letters(title)
            found.update((c.clause_id, c) for c in self._keyword_clauses(title, pool) if form in _letters(c.text))
        return tuple(dict.fromkeys(q.clause for q in extractive.mention_quotes(list(found.values()), titles, kinds)))

    def _mentioning_places(self, plan: QueryPlan, pool: list[str]) -> list[str]:
        """The documents of `pool` whose text names a place the question names within its regions (a county
        or district: 嘉善县 in 浙江), besides the regions' own documents."""
        places = [p for p in place_names(plan.query) if enclosing_places(p) & set(plan.regions)]
        found: list[str] = []
        for place in places:
            found += [c.doc_id for c in self._keyword_clauses(place, pool) if place in c.text and c.doc_id not in found]
        return found

    def _keyword_clauses(self, text: str, doc_ids: list[str] | None) -> list[Clause]:
        """The QUOTED_POOL clauses keyword search finds for `text` (a quoted term, a title, a place), within
        `doc_ids` when given: where the texts may say it word for word."""
        filters = {"doc_id": doc_ids} if doc_ids is not None else None
        return [h.clause for h in self.index.search(text, k=QUOTED_POOL, filters=filters, bm25_weight=1.0,
                                                    dense_weight=0.0)]

    def _unindexed_places(self, question: str) -> tuple[str, ...]:
        """Places the question names that are no indexed document's region, in no title, and that no indexed
        text mentions (密云 is in 北京's 耕地占用税 decision, so it is not one)."""
        docs = self._docs().values()
        forms = {form for d in docs if d.region for form in (d.region, short_region(d.region))}
        titles = "".join(d.title for d in docs)
        ceiling = math.log(1 + max(1, len(self._term_weights())))
        unindexed = {short_region(place): place for place in reversed(place_names(question))  # 杭州 of 杭州市: one place
                     if not {place, short_region(place)} & forms and short_region(place) not in titles
                     and self._word_weight(short_region(place)) >= ceiling}
        return tuple(reversed(unindexed.values()))

    def _retrieve(self, plan: QueryPlan, scope: Scope, k: int, matcher: TermMatcher | None = None) -> list[Hit]:
        if scope.outside or not scope.doc_ids:
            return []
        filters = {"doc_id": list(scope.doc_ids)} if scope.narrowed else {}
        neutral = False  # the locality words do not steer the search (the store drops them)
        if _region_filtered(plan, scope):
            docs = self._docs()
            if all(docs[d].region in plan.regions for d in scope.doc_ids if d in docs):
                filters["region"] = list(plan.regions)
            else:  # a nationwide document about the place is in scope (_of_region): the doc_ids filter it
                neutral = True
        query = self._search_text(plan, scope)
        prefer = self._preference(plan)
        search = lambda f, n: self._tiered_search(query, n, f, prefer, neutral)  # noqa: E731
        compared = self._compared(plan, scope)
        if compared:
            per_side = [search({"doc_id": side, **({"region": filters["region"]} if "region" in filters else {})}, k)
                        for side in compared]
            hits = _interleave(per_side, max(k, 2 * len(compared)))
        else:
            hits = search(filters, k)
        mentioning = self._mentioning_articles(plan, scope, matcher)
        if mentioning:
            seen = {h.clause.clause_id for h in mentioning}
            return mentioning + [h for h in hits if h.clause.clause_id not in seen and "lookup" not in h.scores]
        front = self._looked_up(plan, scope, hits)
        if plan.intent == OUTLINE:  # every article, after what the search found: read as a search question if asked so
            return hits + front
        seen = {h.clause.clause_id for h in front}
        return front + [h for h in hits if h.clause.clause_id not in seen]

    def _mentioning_articles(self, plan: QueryPlan, scope: Scope, matcher: TermMatcher | None = None) -> list[Hit]:
        """「有几条提到了监察委员会」「涉及律师的内容有哪些」: every article, in document order, of the documents in
        scope (at most FEW_DOCUMENTS, narrowed by name or place) that says each word asked about."""
        if not plan.mentioned or not scope.narrowed or not 0 < len(scope.doc_ids) <= FEW_DOCUMENTS:
            return []
        matcher = matcher or self.matcher(plan, scope)
        words = extractive.mentioned_words(plan, matcher)
        if not words:
            return []
        articles = [c for d in scope.doc_ids for c in self.index.clauses(d) if c.kind == "article"]
        return [Hit(c, 1.0, {"mention": 1.0}) for c in articles if all(extractive.says(matcher, w, c.text) for w in words)]

    def _search_text(self, plan: QueryPlan, scope: Scope) -> str:
        """The query without the words that name the documents in scope (they say where, not what). A
        follow-up searches with what it asks (`QueryPlan.content_text`): the earlier question chose the scope."""
        query = plan.content_text if len(plan.own_words) >= 2 else plan.query
        naming = self.table().title_words(scope.named) if scope.named else ""
        stripped = strip_runs(query, naming).strip() if naming else query
        if scope.narrowed and (scope.named or plan.regions) and plan.intent not in METADATA_INTENTS:  # 「呼和浩特的决定对…」
            docs = self._docs()
            for kind in {docs[d].doc_type for d in scope.doc_ids if d in docs and docs[d].doc_type}:
                stripped = stripped.replace(kind, " ")
        stripped = stripped.strip()
        return stripped if len(stripped) >= 2 else query

    def _compared(self, plan: QueryPlan, scope: Scope) -> list[list[str]]:
        """The sides of a compare question: each named document, and each region in scope none of whose
        documents is named (「河南、山东和济南的…」 with two titles matched: 济南's one document is the third)."""
        if not plan.compare or len(scope.doc_ids) < 2:
            return []
        docs = self._docs()
        by_region: dict[str, list[str]] = {}
        for d in scope.doc_ids:
            by_region.setdefault(docs[d].region, []).append(d)
        named = [d for d in scope.named if d in scope.doc_ids]
        if named:
            covered = {docs[d].region for d in named}
            sides = [[d] for d in named] + [ds for region, ds in by_region.items() if region not in covered]
            if len(sides) > 1:
                return sides
        if len(by_region) > 1 and len(by_region) <= 6:
            return list(by_region.values())
        return [[d] for d in scope.doc_ids] if len(scope.doc_ids) <= 4 else []

    def _looked_up(self, plan: QueryPlan, scope: Scope, hits: list[Hit]) -> list[Hit]:
        """Clauses a question asks for by what they are, not by their words: an article by number, the
        施行/废止 provisions, the 题注, the 序言 of each document in scope."""
        if plan.intent == OUTLINE:
            unnamed = not (scope.narrowed or plan.refers_to_previous)
            if scope.mentions or (unnamed and len(scope.doc_ids) > OUTLINE_DOCUMENTS):
                return []  # 「一共有几条」 with no document named: guessing one would answer for the wrong decision
            return [Hit(clause=c, score=1.0, scores={"lookup": 1.0}) for d in scope.doc_ids[:OUTLINE_DOCUMENTS]
                    for c in self.index.clauses(d) if c.kind == "article"]
        if plan.article is None and plan.intent not in METADATA_INTENTS:
            return []
        if scope.mentions:  # a fact of a document not indexed: what the indexed ones say of it
            return [Hit(clause=c, score=1.0, scores={"lookup": 1.0}) for c in scope.mentions]
        all_named = set(scope.doc_ids) <= set(scope.named)
        if scope.narrowed and (len(scope.doc_ids) <= FEW_DOCUMENTS or (plan.article is not None and all_named)):
            in_scope = list(scope.doc_ids)  # 「民法典第一千二百六十条」: whichever of its named parts has it
        elif plan.article is not None and (plan.intent == "article" or plan.refers_to_previous):
            return []  # 「第五条说了什么」 with no document named: guessing one would cite the wrong decision
        else:
            in_scope = list(dict.fromkeys(h.clause.doc_id for h in hits))[:2]
        front: list[Hit] = []
        for doc_id in in_scope:
            clauses = self.index.clauses(doc_id)
            if plan.article is not None and (plan.intent == "article" or plan.refers_to_previous):
                picked = [c for c in clauses if c.kind == "article" and c.article == plan.article][:1]
            else:
                picked = list(dict.fromkeys(c for kind in (plan.intent, *plan.also) for c in metadata_clauses(kind, clauses)))
            front.extend(Hit(clause=c, score=1.0, scores={"lookup": 1.0}) for c in picked)
        return front

    def article_in_scope(self, article: int, scope: Scope) -> bool:
        """Some document in scope has an article with this number (「民法典第八百五十条」: none does)."""
        return any(c.kind == "article" and c.article == article for d in scope.doc_ids for c in self.index.clauses(d))

    @staticmethod
    def _preference(plan: QueryPlan) -> Callable[[Clause], bool] | None:
        """Entity questions: clauses that address the asked-about body (its duties) rank first."""
        if plan.intent != "entity" or not plan.terms:
            return None
        forms = extractive.entity_forms(plan)
        return lambda clause: bool(extractive.entity_sentences(clause, forms, plan.entity_level))

    def _tiers(self) -> tuple[list[str], list[str]]:
        """(documents with vectors, doc types of keyword-only documents).

        With `ingest add --dense auto` the decisions and the user's own uploads get vectors and bulk
        folders of laws are keyword-only context.
        """
        self._fresh()
        if self._tier_cache is None:
            entries = self.index.documents()
            primary = [e.document.doc_id for e in entries if e.n_vectors]
            bulk_types = sorted({e.document.doc_type or "" for e in entries if not e.n_vectors})
            self._tier_cache = (primary, bulk_types)
        return self._tier_cache

    def _tiered_search(self, query: str, k: int, filters: dict | None,
                       prefer: Callable[[Clause], bool] | None = None, neutral: bool = False) -> list[Hit]:
        """Search the decisions and the bulk laws as two tiers; decisions first unless they miss.

        One min-max blend over 117k law clauses and a few hundred decision clauses lets the laws'
        BM25 scale drown the decisions (seed Recall@5 .65 with the whole LawRefBook loaded); each
        tier is ranked on its own instead, and the bulk tier leads only when its best raw BM25 (the
        same keyword index, so comparable) beats the decisions' by 1 / BULK_LEAD_RATIO. Within a
        tier, clauses that `prefer` picks move ahead of the rest, keeping their order.
        """
        weights = {"bm25_weight": self.settings.bm25_weight, "dense_weight": self.settings.dense_weight,
                   "region_neutral": neutral}
        pool = search_pool(k, prefer)
        primary, bulk_types = self._tiers()
        filters = dict(filters or {})
        if not primary or not bulk_types or "doc_id" in filters:
            return _arrange(self.index.search(query, k=pool, filters=filters or None, **weights), prefer)[:k]
        first = _arrange(self.index.search(query, k=pool, filters={**filters, "doc_id": primary}, **weights), prefer)
        in_primary = set(primary)
        bulk = [h for h in self.index.search(query, k=pool + len(primary), filters={**filters, "doc_type": bulk_types},
                                             bm25_weight=1.0, dense_weight=0.0, region_neutral=neutral)
                if h.clause.doc_id not in in_primary][:pool]
        bulk = _arrange(bulk, prefer)
        best_first = max((h.scores.get("bm25", 0.0) for h in first), default=0.0)
        best_bulk = max((h.scores.get("bm25", 0.0) for h in bulk), default=0.0)
        ordered = first[:k] + bulk[:k] if first and best_first >= BULK_LEAD_RATIO * best_bulk else bulk[:k] + first[:k]
        return ordered[:k]

    # ------------------------------------------------------------------ answering

    def coverage(self, plan: QueryPlan, hits: list[Hit], matcher: TermMatcher | None = None) -> float:
        """Share of the question's content words (IDF-weighted) that the best hits contain, 0..1.

        A word counts as found when it, or a term its alias expands to, occurs in the clause. Words
        that the corpus never uses weigh most, so 「检察官的工资标准」 scores low although 检察官 occurs.
        """
        matcher = matcher or self.matcher(plan)
        if not matcher.words or not hits:
            return 0.0
        return max(matcher.score(h.clause.text) for h in hits[:3])

    def meaning(self, plan: QueryPlan, scope: Scope, hits: list[Hit]) -> extractive.Meaning:
        """How close each retrieved sentence is to the question in meaning (the retrieval's query vector)."""
        return extractive.Meaning(self.index.sentence_similarities(
            self._search_text(plan, scope), [h.clause for h in hits], region_filtered=_region_filtered(plan, scope)))

    def evidence(self, plan: QueryPlan, scope: Scope, hits: list[Hit], matcher: TermMatcher,
                 meaning: extractive.Meaning | None = None, silent: str | None = None) -> dict[str, float]:
        """What retrieval saw, as the answerability model's features (see assistant/answerability.py);
        `silent` is `_silence`'s reason when the caller has it already."""
        meaning = self.meaning(plan, scope, hits) if meaning is None else meaning
        silent = self._silence(plan, scope) if silent is None else silent
        searched = [h for h in hits if "lookup" not in h.scores][:3]
        dense = sorted((h.scores.get("dense") or 0.0 for h in hits if "lookup" not in h.scores), reverse=True)
        bm25 = [h.scores.get("bm25", 0.0) for h in searched]
        by_dense = max(searched, key=lambda h: h.scores.get("dense") or 0.0, default=None)
        by_bm25 = max(searched, key=lambda h: h.scores.get("bm25", 0.0), default=None)
        looked_up = any("lookup" in h.scores for h in hits)
        wants_lookup = plan.intent in METADATA_INTENTS or plan.intent == "article"
        return {
            "coverage": self.coverage(plan, searched, matcher) if searched else 0.0,
            "dense_top": dense[0] if dense else 0.0,
            "dense_margin": (dense[0] - dense[min(4, len(dense) - 1)]) * 10 if dense else 0.0,
            "bm25_top": math.log1p(max(bm25, default=0.0)),
            "agreement": float(by_dense is not None and by_dense.clause.article_key == by_bm25.clause.article_key),
            "lookup": float(looked_up),
            "lookup_missing": float(wants_lookup and not looked_up),
            "entity_acts": float(plan.intent == "entity" and bool(extractive.entity_quotes(plan, hits[:ANSWER_K]))),
            "figure_missing": float(self._specific_missing(plan, hits[:3], matcher, meaning)
                                    or self._named_unsaid(plan, scope) or bool(silent)),
            "scope_gap": self._scope_gap(plan, scope, searched),
            "unknown": self._unknown_share(matcher),
            "named": float(bool(scope.named) or bool(plan.regions)),
            "intent_confidence": plan.intent_confidence,
            "bias": 1.0,
        }

    @staticmethod
    def _specific_missing(plan: QueryPlan, hits: list[Hit], matcher: TermMatcher, meaning: extractive.Meaning) -> bool:
        """The question asks for one specific thing — a figure (多少, 几天), the holder of a post, a party
        (归谁, 由谁), a place — and no sentence of the best clauses states it: a figure of the asked unit in a
        sentence that shares the question's words or is one of the nearest to it in meaning, the post with
        who fills it (PERSON_ASKED_RE), or, for a party or place, a sentence covering at least half of what
        the question asks — or, for a party that acts, one of the sentences nearest in meaning naming a body."""
        if asks_figure(plan.query):
            return not _figure_answered(plan.query, hits, matcher, meaning)
        if PERSON_ASKED_RE.search(plan.query):
            return not _person_stated(plan.query, hits)
        if SPECIFIC_QUESTION_RE.search(plan.query):
            if extractive.best_coverage(hits, matcher) >= 0.5:
                return False
            # a party said in other words than the text's (「谁说了算」, 「钱谁出」): stated when a sentence nearest
            # to the question in meaning names a body, as a figure of a named unit may be (_figure_answered)
            acting = ACTOR_ASKED_RE.search(plan.query) and not PARTY_AS_OBJECT_RE.search(plan.query)
            return not (acting and _party_near(hits, meaning))
        return False

    def _named_unsaid(self, plan: QueryPlan, scope: Scope) -> bool:
        """A term the question quotes, or the body an entity question asks about, that no document in scope
        says in any form: the texts are silent about the very thing asked (「西藏的决定里“四件大事”指什么」,
        「…对省人大常委会办公厅有什么要求」, 「新闻媒体有哪些义务」 where no decision names the media)."""
        asked = [(quoted,) for quoted in QUOTED_RE.findall(plan.query)]
        if plan.entity:
            asked.append((*plan.terms, plan.entity_form or ""))
        return bool(scope.doc_ids) and any(not self._said(forms, scope) for forms in asked)

    def _silence(self, plan: QueryPlan, scope: Scope) -> str:
        """Why the documents in scope are silent on what the question asks although they name its subject
        (a shorthand named but not listed, a place left out of a list of its neighbours), in words for
        the refusal; "" when they are not."""
        terms = self._members_unlisted(plan, scope)
        if terms:
            return f"现有决定提到{''.join(f'“{t}”' for t in terms)}，但未列明其具体内容。"
        place, neighbours = self._place_unlisted(plan, scope)
        if place:
            return f"现有决定逐一列出了{'、'.join(neighbours[:3])}等地的规定，但未提及{place}。"
        return ""

    def _place_unlisted(self, plan: QueryPlan, scope: Scope) -> tuple[str, list[str]]:
        """A county or city the question names (「东城区…每平方米多少」) that the documents in scope never say,
        while they name two or more of its neighbours (places of its kind in the same province or city,
        「朝阳区、海淀区…」): they go place by place and leave it out. A decision that names no such places
        applies to all of them (拉萨 under 西藏's decision). (place, the neighbours said) or ("", [])."""
        asked = [p for p in place_names(plan.query) if enclosing_places(p)]
        if not asked or not scope.doc_ids:
            return "", []
        docs = self._docs()
        regions = {docs[d].region for d in scope.doc_ids if d in docs}
        text = "\n".join(c.text for d in scope.doc_ids for c in self.index.clauses(d))
        gazetteer = place_gazetteer()
        for place in asked:
            if place in regions or place in text or (len(place) > 2 and place[:-1] in text):
                continue
            neighbours = [q for q, within in gazetteer.items()
                          if within == gazetteer[place] and q != place and q[-1] == place[-1] and q in text]
            if len(neighbours) >= 2:
                return place, sorted(neighbours, key=text.index)
        return "", []

    def _members_unlisted(self, plan: QueryPlan, scope: Scope) -> tuple[str, ...]:
        """The question asks what a numbered shorthand consists of (「“四件大事”具体指什么」, 「五大任务是哪五项」)
        and the documents in scope name it without listing it: no sentence saying it has a listing word
        next to it (即, 是指, 包括, ：, 简称, 统称). Naming a slogan is not defining it. The terms, or ()."""
        if not MEMBERS_ASKED_RE.search(plan.query):
            return ()
        terms = [t for t in dict.fromkeys(SHORTHAND_RE.findall(plan.query)) if not MEMBERS_ASKED_RE.fullmatch(t)]
        if not terms or not scope.doc_ids:
            return ()
        for term in terms:
            sentences = [s for c in self._keyword_clauses(term, _narrowed(scope)) for _, s in extractive.sentences_of(c)
                         if term in s]
            if not sentences or any(_lists(term, s) for s in sentences):
                return ()  # not said (_named_unsaid's case) or said with its members
        return tuple(terms)

    def _said(self, forms: tuple[str, ...], scope: Scope) -> bool:
        """A document in scope says one of `forms` in its title or its clauses (punctuation and spacing aside)."""
        forms = [form for form in map(_letters, forms) if len(form) >= 2]
        if not forms:
            return True
        documents = self._docs()
        titles = "".join(_letters(documents[d].title) for d in scope.doc_ids if d in documents)
        return any(form in titles or any(form in _letters(c.text) for c in self._keyword_clauses(form, _narrowed(scope)))
                   for form in forms)

    def _fact_coverage(self, plan: QueryPlan, hits: list[Hit], matcher: TermMatcher) -> tuple[float, int]:
        """How much of a question about a document's own facts is said by the looked-up clauses, their
        documents' titles and the example questions of the facts asked (assistant/intent_examples.json),
        and how many of its words none of them says (a word half said counts half); a word saying when the
        question is set (最初, 后来: TIME_TAGS) is left out unless they say it (日期, tagged a time too, asks the fact)."""
        if not matcher.words:
            return 1.0, 0
        looked_up = [h.clause for h in hits if "lookup" in h.scores]
        documents = self._docs()
        said = [c.text for c in looked_up] + [documents[c.doc_id].title for c in looked_up if c.doc_id in documents]
        said += [asking_words(fact) for fact in (plan.intent, *plan.also)]
        text = "\n".join(said)
        asked = fact_words(matcher, plan.query, text)
        return matcher.score_words(text, asked), sum(1.0 - matcher.found(word, text) for word in asked)

    def _unidentified_document(self, plan: QueryPlan, scope: Scope, hits: list[Hit], matcher: TermMatcher) -> list[str]:
        """A question about a document's own fact that no name, place, filter or earlier turn ties to a
        document identifies it by the words of its title. What it asks about (its words less those the fact's
        clause and the usual ways of asking for the fact say, and less determiners: 各地, 上述) must be, at
        least TITLE_SHARE of it, in the looked-up titles. Returns those words when it is not; else []. A place
        said inside a title without 《》 (「上海市人大常委会关于…的决定」) is part of the name, not a tie."""
        placed = plan.regions and not SPOKEN_TITLE_RE.search(plan.query)
        if (not matcher.words or scope.named or scope.mentions or scope.filtered or placed
                or plan.refers_to_previous):
            return []
        looked_up = [h.clause for h in hits if "lookup" in h.scores]
        asked = "\n".join(asking_words(fact) for fact in (plan.intent, *plan.also))
        stated = "\n".join(c.text for c in looked_up)
        documents = self._docs()
        titles = "\n".join(documents[c.doc_id].title for c in looked_up if c.doc_id in documents)
        subject = [w for w in matcher.words if not matcher.found(w, asked) and not matcher.found(w, stated)
                   and not is_determiner(w) and not OTHER_PLACES_RE.fullmatch(w)]
        total = sum(matcher.weights[w] for w in subject)
        in_titles = sum(matcher.weights[w] * matcher.found(w, titles) for w in subject)  # found: a degree (人民 of 人民币)
        return subject if total and in_titles < TITLE_SHARE * total else []

    def _unknown_share(self, matcher: TermMatcher) -> float:
        """IDF-weighted share of the question's words that the indexed text never uses, in any form its
        aliases know (「抚养权」: nothing here is about it; 「孩子」: the decisions say 未成年人)."""
        total = sum(matcher.weights.values())
        if not total:
            return 0.0
        ceiling = math.log(1 + max(1, len(self._term_weights())))
        unknown = sum(weight for word, weight in matcher.weights.items()
                      if all(self._word_weight(form) >= ceiling for form in matcher.forms[word]))
        return unknown / total

    def _scope_gap(self, plan: QueryPlan, scope: Scope, searched: list[Hit]) -> float:
        """How much more of the question the best clauses outside the documents in scope cover (0 when
        the scope is not narrowed).

        A topic that the named decision lacks and another decision has (「呼和浩特的决定里关于强制医疗…」)
        shows as a gap; a question the named decision answers has its best match there.
        """
        if not scope.narrowed or not searched:
            return 0.0
        query = self._search_text(plan, scope)  # the retrieval's own text and places: one query vector
        outside = [h for h in self.index.search(query, k=5, region_neutral=bool(plan.regions))
                   if h.clause.doc_id not in scope.doc_ids][:3]
        if not outside:
            return 0.0
        matcher = self.matcher(plan, scope)
        return max(0.0, self.coverage(plan, outside, matcher) - self.coverage(plan, searched, matcher))

    def decide(self, plan: QueryPlan, scope: Scope, hits: list[Hit], matcher: TermMatcher, *,
               looser: bool = False, meaning: extractive.Meaning | None = None) -> Decision:
        """Answer or refuse. A question about the document itself (施行, 通过, 废止, 依据, 第X条) is
        answerable exactly when the lookup found the clause that states it; any other question goes
        to the calibrated answerability model."""
        if not hits:
            return Decision(False, 0.0, 0.0, {})
        silent = self._silence(plan, scope)
        features = self.evidence(plan, scope, hits, matcher, meaning, silent)
        if any("mention" in h.scores for h in hits):  # the articles that say what is asked about were found
            return Decision(True, 1.0, 0.5, {**features, "route": 1.0, "mention": 1.0})
        if plan.intent == OUTLINE:
            return self._outline_decision(plan, scope, hits, matcher, features)
        if looks_up(plan):
            found = features["lookup"] > 0
            if found and plan.intent in METADATA_INTENTS:
                covered, unsaid = self._fact_coverage(plan, hits, matcher)
                elsewhere = covered < FACT_COVERAGE and unsaid >= MIN_UNSAID_WORDS
                unidentified = self._unidentified_document(plan, scope, hits, matcher)
                if unidentified and names_a_document(plan.query, unidentified):
                    # 「网络安全条例是哪次会议通过的」: a document that no indexed title names. Searching the clauses
                    # for its name would quote whichever decision shares a word with it.
                    return Decision(False, 0.0, 0.5, {**features, "route": 1.0, "unindexed_document": 1.0},
                                    silent=_unindexed_words(plan.query, unidentified))
                if elsewhere or unidentified:
                    # The clause that states the fact, the title and the usual ways of asking for it leave most
                    # of the question unsaid: it asks about something else (「…工作报告是在哪次会议上审议通过的」,
                    # 「…判决送达后要过多少天才算生效」), or about no document (「检察建议的回复期限从什么时候开始算」),
                    # so it is judged as a search question (pipeline.decide).
                    return Decision(False, 0.0, 0.5, {**features, "route": 1.0, "lookup_missing": 1.0,
                                                      "fact_coverage": covered})
            if found and plan.intent in DATED_FACTS and WHEN_ASKED_RE.search(plan.query):
                unstated = self._undated(plan.intent, hits)
                if unstated:
                    # 「…从哪一天起施行」 where the text reads 「本规定自施行。」: the clause is there, the date is not
                    return Decision(False, 0.0, 0.5, {**features, "route": 1.0, "fact_unstated": 1.0},
                                    unstated=unstated)
            if (found and plan.intent in METADATA_INTENTS and PERSON_ASKED_RE.search(plan.query)
                    and not _person_stated(plan.query, [h for h in hits if "lookup" in h.scores])):
                # 「…是哪位领导主持会议通过的」: the clause names the meeting, not the person asked for
                return Decision(False, 0.0, 0.5, {**features, "route": 1.0, "person_unstated": 1.0},
                                silent=PERSON_UNSTATED)
            return Decision(found, float(found), 0.5, {**features, "route": 1.0})
        if matcher.words and features["unknown"] >= 1.0:
            # Not one of the question's words occurs in the indexed texts, in any form the aliases know:
            # only a similarity in meaning connects them, too weak to answer on.
            return Decision(False, 0.0, 0.5, {**features, "route": 3.0},
                            silent=f"现有决定中没有出现问题里的「{'」「'.join(matcher.words[:4])}」等词语，未找到相关规定。")
        if plan.compare and len(scope.named) > 1 and not matcher.words:
            # 「A和B有什么区别」: the documents are named and nothing narrower is asked; each is compared whole.
            return Decision(True, 1.0, 0.5, {**features, "route": 2.0})
        model = load_model()
        threshold = self.settings.refusal_threshold if self.settings.refusal_threshold is not None else model.threshold
        # An LLM reads the clauses and may refuse itself (「现有决定未规定」 → refused): the gate only stops the hopeless.
        decision = model.decide(features, threshold * LLM_GATE_FACTOR if looser else threshold)
        if not decision.answerable and silent:
            decision = replace(decision, silent=silent)
        return decision

    def _outline_decision(self, plan: QueryPlan, scope: Scope, hits: list[Hit], matcher: TermMatcher,
                          features: dict) -> Decision:
        """A question about a whole document is answered when it names the document (or the library holds
        only a few) and asks about no subject inside it (「…关于公益诉讼主要讲了什么」 is a search question,
        pipeline.decide; see `_outline_subjects`)."""
        features = {**features, "route": 1.0}
        if self._outline_subjects(plan, scope, matcher):
            return Decision(False, 0.0, 0.5, {**features, "lookup_missing": 1.0})
        if not any("lookup" in h.scores for h in hits):
            return Decision(False, 0.0, 0.5, features, silent=(
                f"问题没有指明是哪一部决定（文库中有{len(scope.doc_ids)}部文件）。请写明决定的名称或地区，"
                "例如「西藏的决定一共有几条」。"))
        return Decision(True, 1.0, 0.5, features)

    def _outline_subjects(self, plan: QueryPlan, scope: Scope, matcher: TermMatcher) -> list[str]:
        """The words of an outline question that name a subject: besides the words asking for the outline and
        those naming the document (its title, a shortening of it, what its 题注 says of its adoption and revisions:
        「2018年修订后的…」, a kind of document its title says: 司法解释 of 《…的解释》, a word whose alias terms the
        title says: 两高), a word the documents in scope say (审计, 整改), or a noun they never say (醉驾: asked about,
        and not there). A word that only frames the question — a year, a pronoun (那份, 本身), a verb the texts never
        use (梳理, 确认, 出台) — is none.
        A follow-up's earlier question chose the document; its words are no subject of this one."""
        docs = self._docs()
        titles = [docs[d].title for d in scope.doc_ids if d in docs]
        notes = [c.text for d in scope.doc_ids for c in self.index.clauses(d) if c.kind == "note"]
        asked = [m.group(0) for regex in (OUTLINE_ASK_RE, DOCUMENT_TEXT_RE) for m in regex.finditer(plan.own_words)]
        said = "\n".join(asked + titles + [extractive.short_forms(t) for t in titles] + notes)
        tags = dict(tagged_words(plan.own_words))
        text = None
        subjects = []
        for word in matcher.words:
            tag = part_tags(word, tags)[-1]  # head-final
            if (word not in plan.own_words or word in said or is_determiner(word) or frames(word, tags)
                    or any(shortened(word, title, NAME_SHORTENING_GAP) for title in titles)
                    or any(word.endswith(kind) and kind in title for kind in DOC_TYPE_WORDS for title in titles)
                    or any(all(term in title for term in matcher.forms[word][1:]) for title in titles
                           if len(matcher.forms[word]) > 1)):
                continue
            if text is None:
                text = "\n".join(c.text for d in scope.doc_ids for c in self.index.clauses(d))
            if matcher.found(word, text) == 1.0 or tag[:1] == "n" or tag == "vn":
                subjects.append(word)
        return subjects

    def _undated(self, fact: str, hits: list[Hit]) -> tuple[Clause, ...]:
        """The looked-up clauses stating `fact` (施行, 通过), when no document they come from has its date: not
        in its metadata and not in a clause (a date, 公布之日, 通过之日); empty when one has it."""
        documents = self._docs()
        looked_up = [h.clause for h in hits if "lookup" in h.scores]
        for doc_id in dict.fromkeys(c.doc_id for c in looked_up):
            document = documents.get(doc_id)
            if document is None or DATED_FACTS[fact](document):
                return ()
            if any(TIME_STATED_RE.search(c.text) for c in looked_up if c.doc_id == doc_id):
                return ()
        return tuple(looked_up)

    def matcher(self, plan: QueryPlan, scope: Scope | None = None) -> TermMatcher:
        """The question's content words; a region, or the title words naming a document in scope, say
        where to look, not what to find."""
        regions = self._regions()
        naming = self.table().title_words(scope.named) if scope is not None and scope.named else ""
        return TermMatcher.for_plan(plan, self._word_weight,
                                    ignore=lambda w: _is_region_word(w, regions)
                                    or (len(w) >= 2 and shortened(w, naming, ABBREVIATION_GAP)))


    def _word_weight(self, word: str) -> float:
        """IDF of the word's rarest bigram: a word the corpus never uses gets the highest weight."""
        weights = self._term_weights()
        ceiling = math.log(1 + max(1, len(weights)))
        bigrams = tokenize(word)
        return max((weights.get(b, ceiling) for b in bigrams), default=ceiling)

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, filters: dict | None = None,
            mode: str | None = None, k: int | None = None, *, config: dict | None = None) -> Answer:
        """The answer, through the chain of named steps (`assistant.pipeline`); `config` is a LangChain
        RunnableConfig (callbacks, tags) for tracing them."""
        turn = self._turn(question, history, filters, mode, k)
        return pipeline.chain(self).invoke(turn, config=config).answer

    def stream(self, question: str, history: list[tuple[str, str]] | None = None, filters: dict | None = None,
               mode: str | None = None, k: int | None = None) -> Iterator[str | Answer]:
        """Yield str deltas of the answer; the last item is the final `Answer` (with `debug`: the intent,
        its confidence, the answerability probability and threshold, the documents in scope)."""
        yield from pipeline.stream(self, self._turn(question, history, filters, mode, k))

    def _turn(self, question, history, filters, mode, k) -> pipeline.Turn:
        return pipeline.Turn(question=question, history=list(history or []), filters=filters, mode=self._mode(mode),
                             k=k or self.settings.k)

    def _mode(self, mode: str | None) -> str:
        mode = mode or self.settings.answer_mode
        if mode == "auto":
            return "llm" if self.settings.llm_configured else "extractive"
        if mode not in ("extractive", "llm"):
            raise AssistantError(f"unknown answer mode {mode!r}: use extractive, llm or auto")
        if mode == "llm" and not self.settings.llm_configured:
            raise AssistantError("LLM mode needs JUEDING_LLM_BASE_URL and JUEDING_LLM_MODEL (an OpenAI-compatible endpoint)")
        return mode

    def _refusal(self, plan: QueryPlan, sources: list[Clause], scope: Scope | None = None,
                 filters: dict | None = None, unstated: tuple[Clause, ...] = (), silent: str = "") -> Answer:
        text = refusal_text(plan.question)
        if unstated:
            fact = FACT_NAMES.get(plan.intent, "")
            said = "；".join(f"《{c.doc_title}》{c.label if c.kind == 'article' else ''}原文为"
                            f"「{ARTICLE_LABEL_RE.sub('', c.text).strip()}」" for c in unstated)
            text = f"现有文本未载明{fact}日期：{said}，没有写明日期。"
        elif scope is not None and scope.missing and not scope.doc_ids:
            text = ("文库中没有" + "、".join(f"《{t}》" for t in scope.missing)
                    + "，无法回答关于它的问题。如需查询，请先把它加入文库。")
        elif scope is not None and scope.elsewhere and scope.enclosing and not silent:
            text = (f"文库中没有{'、'.join(scope.elsewhere)}的决定或决议；{'、'.join(scope.enclosing)}和全国适用的规定中"
                    "也未找到相关规定。")
        elif scope is not None and scope.elsewhere and not scope.enclosing:
            text = (f"文库中没有{'、'.join(scope.elsewhere)}的决定或决议，现有文件也未提及{'、'.join(scope.elsewhere)}，"
                    "无法回答关于它的问题。如需查询，请先把相关决定加入文库。")
        elif scope is not None and scope.outside:
            text = (f"当前检索范围限定为{scope_words(filters)}，不包括问题所问的"
                    f"{'、'.join(scope.outside)}；未在限定范围外检索。如需查询，请先调整限定范围。")
        else:  # what the texts in scope leave out, when the decision step said (Decision.silent)
            text = silent or text
            if scope is not None and scope.filtered:
                text = f"（检索范围：{scope_words(filters)}）\n\n{text}"
        return Answer(text=text, citations=[], refused=True, query=plan.query, sources=tuple(sources))

    def _extractive_draft(self, plan: QueryPlan, hits: list[Hit], matcher: TermMatcher, scope: Scope,
                          filters: dict | None, meaning: extractive.Meaning | None = None) -> extractive.Draft | None:
        """The extractive answer (Markdown with citation markers), or None when no sentence answers."""
        compared = list(dict.fromkeys(h.clause.doc_id for h in hits)) if plan.compare else []
        if scope.mentions:  # what the indexed documents say of one that is not indexed, in their own words
            sections = extractive.group_by_document(extractive.mention_quotes(scope.mentions, scope.missing,
                                                                                  (plan.intent, *plan.also)))
            draft = (extractive.Draft(f"文库中没有{'、'.join(f'《{t}》' for t in scope.missing)}本身；以下摘录提及它的文件。\n\n"
                     + extractive.render(replace(plan, intent="topic", also=()), sections, self._docs(), [], self.titles()))
                     if sections else None)
        else:
            meaning = self.meaning(plan, scope, hits) if meaning is None else meaning
            draft = extractive.answer(plan, hits, self._docs(), matcher, scope=compared, titles=self.titles(),
                                      meaning=meaning)
        if draft is None:
            return None
        text = draft.text
        if scope.elsewhere:
            applies = "".join(f"{region}和" for region in scope.enclosing) + "全国适用的规定"
            text = f"文库中没有{'、'.join(scope.elsewhere)}的决定或决议；以下只摘录{applies}。\n\n{text}"
        if scope.filtered:
            text = f"（检索范围：{scope_words(filters)}）\n\n{text}"
        return replace(draft, text=text)

    # ------------------------------------------------------------------ LLM

    def _llm_client(self):
        if self._llm is None:
            from assistant.llm import LLMAnswerer

            self._llm = LLMAnswerer(self.settings)
        return self._llm

    def _llm_condense(self, plan: QueryPlan, history: list[tuple[str, str]]) -> QueryPlan:
        try:
            standalone = self._llm_client().condense(plan.question, history)
        except LLMError as exc:
            log.warning("LLM condense failed, keeping the rule-based rewrite: %s", exc)
            return plan
        if not standalone:
            return plan
        rewritten = analyze(standalone, [], self._regions())
        return replace(rewritten, question=plan.question, rewritten=True)


_letters = extractive.letters


def _region_filtered(plan: QueryPlan, scope: Scope) -> bool:
    """The search is filtered to the regions the question names (their names then do not steer it)."""
    return bool(plan.regions and scope.narrowed and not scope.other_sides)


def looks_up(plan: QueryPlan) -> bool:
    """Questions answered by looking a clause up (by kind or number), not by searching its words."""
    return (plan.intent in METADATA_INTENTS or plan.intent == OUTLINE
            or (plan.intent == "article" and plan.article is not None))


FIGURE_NEAREST = 3  # sentences nearest the question in meaning that may state its figure in other words


def _figure_answered(query: str, hits: list[Hit], matcher: TermMatcher, meaning: extractive.Meaning) -> bool:
    """An asked-for figure is stated: a sentence in the best clauses gives it and shares the question's words.

    When the question names the unit or asks for a share, the figure pattern itself is specific, and one
    of the FIGURE_NEAREST sentences nearest to the question in meaning may state it in other words
    (「拖多久算违约」 → 「…合理期限为三个月」); a bare 「多少」 is met by any number, so its sentence must
    share the question's words."""
    pattern = figure_pattern(query)
    sentences = _sentences(hits)
    nearest = _nearest(sentences, meaning) if pattern is not None else set()
    pattern = pattern or QUANTITY_RE
    return any(pattern.search(sentence) and (not matcher.words or n in nearest or matcher.score(sentence) >= 0.1)
               for n, (_, sentence) in enumerate(sentences))


def _person_stated(query: str, hits: list[Hit]) -> bool:
    """A sentence of `hits` says who was appointed to (elected to, holds) the post the question asks about, or to
    any post when it asks 哪位 (PERSON_ASKED_RE)."""
    person = PERSON_ASKED_RE.search(query)
    post = (person.group(1) or person.group(2) or "") if person else ""
    return any(post in sentence and APPOINTED_RE.search(sentence) for _, sentence in _sentences(hits))


def _party_near(hits: list[Hit], meaning: extractive.Meaning) -> bool:
    """One of the FIGURE_NEAREST sentences of `hits` nearest to the question in meaning names a body."""
    sentences = _sentences(hits)
    return any(PARTY_RE.search(sentences[n][1]) for n in _nearest(sentences, meaning))


def _sentences(hits: list[Hit]) -> list[tuple[Clause, str]]:
    return [(hit.clause, sentence) for hit in hits for _, sentence in extractive.sentences_of(hit.clause)]


def _nearest(sentences: list[tuple[Clause, str]], meaning: extractive.Meaning) -> set[int]:
    """The positions of the FIGURE_NEAREST sentences nearest to the question in meaning."""
    scored = [(sim, n) for n, (clause, sentence) in enumerate(sentences)
              if (sim := meaning.of(clause, sentence)) is not None]
    return {n for _, n in sorted(scored, key=lambda x: -x[0])[:FIGURE_NEAREST]}


def _narrowed(scope: Scope) -> list[str] | None:
    """The documents in scope as a search filter, or None when the scope is every document."""
    return list(scope.doc_ids) if scope.narrowed else None


def _unindexed_words(question: str, unidentified: list[str]) -> str:
    """The refusal for a question about a document no indexed title names: its title as said, when said whole
    (「上海市人大常委会关于…的决定」), or else the words of it that no title has."""
    said = SPOKEN_TITLE_RE.search(question)
    if said:  # from its place or issuer on (「请问北京市人大常委会关于…」)
        title = said.group(0)
        starts = [title.find(p) for p in place_names(title)] + [m.start() for m in re.finditer(ISSUERS, title)]
        title = title[min((i for i in starts if i >= 0), default=0):].strip()
        return f"文库中没有「{title}」，无法回答关于它的问题。如需查询，请先把它加入文库。"
    return (f"文库中没有标题含「{'、'.join(unidentified)}」的文件，无法确定问题所说的是哪一份。"
            "如需查询，请先把它加入文库。")


def _lists(term: str, sentence: str) -> bool:
    """`sentence` spells out what `term` consists of: a listing word right after it (即, 包括, ：), a 简称/统称
    right before, or the members themselves right before (「…五大任务和…建设“模范自治区”两件大事」)."""
    for i in (m.start() for m in re.finditer(re.escape(term), sentence)):
        before = re.split(r"[，,。；;：:]", sentence[:i])[-1].rstrip("“「『‘\"")
        if (LISTED_AFTER_RE.match(sentence[i + len(term):]) or LISTED_BEFORE_RE.search(before[-8:] + "“")
                or (MEMBERS_JOINED_RE.search(before) and not before.endswith("的"))):
            return True
    return False


def _is_region_word(word: str, regions: list[str]) -> bool:
    return any(word in (r, short_region(r)) or (len(word) >= 2 and word in r) for r in regions)


@dataclass(frozen=True)
class Scope:
    """The documents a question is about (see `Assistant.scope`)."""

    doc_ids: tuple[str, ...]
    narrowed: bool = False  # fewer than every indexed document
    filtered: bool = False  # the caller set filters
    outside: tuple[str, ...] = ()  # regions the question names that the filters exclude
    named: tuple[str, ...] = ()  # documents the question names by title
    missing: tuple[str, ...] = ()  # 《titles》 the question names that no indexed document has
    elsewhere: tuple[str, ...] = ()  # places the question names that no indexed document is from or mentions
    enclosing: tuple[str, ...] = ()  # indexed regions those places lie in (浙江省 for 杭州)
    mentions: tuple[Clause, ...] = ()  # clauses naming a 《document》 asked about that is not indexed
    other_sides: tuple[str, ...] = ()  # a comparison naming one side: the same decision from the other places


def scope_words(filters: dict | None) -> str:
    """限定地区：呼和浩特市 — the filters a user set, in words, stated above every answer they shape."""
    names = {"region": "限定地区", "doc_id": "限定文件", "doc_type": "限定类型", "status": "限定状态", "kind": "限定条文类型"}
    parts = []
    for key, value in (filters or {}).items():
        values = [value] if isinstance(value, str) else list(value or ())
        if values:
            shown = [v[:12] for v in values] if key == "doc_id" else values
            parts.append(f"{names.get(key, key)}：{'、'.join(str(v) for v in shown)}")
    return "；".join(parts) or "全部文件"


TITLE_RE = re.compile(r"《([^《》]{4,80})》")
# What a 《title》 is said before when it describes another document by it: 「废止《…条例》等四部法规的那个决定」
ACTED_ON_BY = r"(?:等[^，。？！；,《》]{0,12})?的?(?:那个|这个|那部|这部|那份|这份|该)?" + DOCUMENT_KINDS


def _describes_a_document(query: str, title: str) -> bool:
    """The question says 《title》 to describe the document it asks about (the one that repeals or amends it)."""
    return re.search(re.escape(f"《{title}》") + ACTED_ON_BY, query) is not None


def _indexed_title(title: str, documents) -> bool:
    """Whether a 《title》 from a question names an indexed document (or the text one of them amends): part
    of its title, or its title shortened (《西藏自治区人大常委会关于…的决定》). A title with the same subject
    from another issuer or of another kind is another document (《中共中央关于…的意见》, 《内蒙古…决定》)."""
    return any(title in d.title or (len(title_core(d)) >= 4 and title_core(d) in title and shortened(title, d.title))
               for d in documents)


def _of_region(document: Document, region: str) -> bool:
    """The document is the place's own, or a nationwide one about it (最高人民法院's rules on 上海金融法院)."""
    return document.region == region or (document.region in NATIONWIDE and short_region(region) in document.title)


def fact_words(matcher: TermMatcher, query: str, text: str) -> list[str]:
    """The question's words a document's fact is judged on against `text` (what states the fact and the ways of
    asking for it): all but determiners (「那份…决议」 points at the document) and those saying when the question is
    set (最初, 后来: TIME_TAGS) that the text does not say (日期, tagged a time too, asks for the fact)."""
    tags = dict(tagged_words(query))
    return [w for w in matcher.words if not is_determiner(w)
            and not (frames(w, tags, TIME_TAGS) and matcher.found(w, text) < 1.0)] or list(matcher.words)


LIST_JOINERS = ("、", "和", "及", "与")


def _listed_before(query: str, region: str, regions: tuple[str, ...]) -> list[str]:
    """The places listed right before `region`, joined by 、/和/及/与 (「西藏、呼和浩特、山东的规定」: 西藏 and
    呼和浩特 before 山东)."""
    forms = {r: region_forms(r) for r in regions}
    listed: list[str] = []
    at = min((query.find(f) for f in forms[region] if f in query), default=-1)
    while at > 0:
        before = query[:at]
        if not before.endswith(LIST_JOINERS):
            break
        before = before[:-1]
        found = [(r, f) for r in regions if r != region and r not in listed for f in forms[r] if before.endswith(f)]
        if not found:
            break
        other, form = max(found, key=lambda item: len(item[1]))
        listed.append(other)
        at = len(before) - len(form)
    return listed


def part_tags(word: str, tags: dict[str, str]) -> list[str]:
    """The word's part-of-speech tag in the question (`tags`), or, when the tagger cut the question otherwise
    (帮我理一下: 我理 against 我/理), its parts' tags."""
    return [tags[word]] if word in tags else [t for _, t in tagged_words(word)] or ["n"]


def frames(word: str, tags: dict[str, str], framing: frozenset[str] = FRAMING_TAGS) -> bool:
    """The word only frames the question (a time: 最初, 后来; a numeral, a pronoun, a particle …: FRAMING_TAGS)."""
    return any(t[:1] in framing for t in part_tags(word, tags))


# Where the words naming a region's document end at the latest: a pause, or an article (no title holds 第X条).
MENTION_END_RE = re.compile(rf"{CLAUSE_BREAK.pattern}|第[几{NUMERAL_CHARS}0-9]+条")


def _mention(query: str, region: str) -> str:
    """The part of the question about one region: from its name up to the next region named, a pause or an
    article, or the end (「西藏决定和山东决议」 → 「西藏决定和」 for 西藏; 「山东检察监督决议第几条规定了…」 → 「山东检察监督决议」).
    The whole question when the region is not named."""
    forms = [f for f in region_forms(region) if f in query]
    if not forms:
        return query
    start = query.find(forms[0])
    rest = MENTION_END_RE.split(query[start + len(forms[0]):], maxsplit=1)[0]
    return forms[0] + rest[:12]


def _passes(document: Document, filters: dict) -> bool:
    """The store's filter semantics: region by substring (呼和浩特 matches 呼和浩特市), others exact."""
    for key, value in filters.items():
        values = [value] if isinstance(value, str) else [v for v in (value or ()) if v is not None]
        if not values:
            continue
        if key == "region":
            if not any(v == document.region or (v and v in (document.region or "")) for v in values):
                return False
        elif key == "doc_id":
            if document.doc_id not in values:
                return False
        elif key in ("doc_type", "status"):
            if getattr(document, key) not in values:
                return False
    return True


STATES_EFFECT_RE = re.compile(r"本(决定|决议|规定|办法|解释|条例)[^。；]{0,40}(施行|生效)")
NOTE_STATES_EFFECT_RE = re.compile(STATES_EFFECT_RE.pattern + r"|日\s*起?(施行|生效)")  # 「2012年4月10日 施行」
REPEALS_RE = re.compile(r"废止|失效|停止执行")


def metadata_clauses(intent: str, clauses: list[Clause]) -> list[Clause]:
    """The clauses of one document that state a fact about it: 施行, 废止, 通过, 依据."""
    if intent == "adoption":
        return [c for c in clauses if c.kind == "note"] or [c for c in clauses if c.kind == "preamble" and "通过" in c.text][:1]
    if intent == "basis":
        return [c for c in clauses if c.kind == "preamble"][:1]
    pattern = REPEALS_RE if intent == "repeal" else STATES_EFFECT_RE
    in_note = REPEALS_RE if intent == "repeal" else NOTE_STATES_EFFECT_RE
    stating = [c for c in clauses if c.kind in ("closing", "article") and pattern.search(c.text)] or [
        c for c in clauses if c.kind == "note" and in_note.search(c.text)]  # a 题注 states it only when nothing else does
    if intent == "repeal":  # the closing's 「…同时废止」, or the articles of a decision that repeals other texts
        return stating[:8]
    own = [c for c in stating if c.kind == "closing"]  # an amending article may quote the amended text's 「本解释自…施行」
    return own or stating or [c for c in clauses if c.kind == "closing"] or [
        c for c in clauses if c.kind == "preamble" and STATES_EFFECT_RE.search(c.text)]


def search_pool(k: int, prefer: Callable[[Clause], bool] | None) -> int:
    """Hits to fetch per tier for `k`: room to re-order for an entity, a few spare for repeated 序言 blocks."""
    return max(k, ENTITY_POOL) if prefer else k + 3


def _arrange(hits: list[Hit], prefer: Callable[[Clause], bool] | None) -> list[Hit]:
    """One hit per article (a 序言 may come in several blocks); preferred clauses first, order kept."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for hit in hits:
        if hit.clause.article_key not in seen:
            seen.add(hit.clause.article_key)
            unique.append(hit)
    if prefer is None:
        return unique
    picked = [prefer(h.clause) for h in unique]
    return [h for h, p in zip(unique, picked) if p] + [h for h, p in zip(unique, picked) if not p]


def _interleave(lists: list[list[Hit]], limit: int) -> list[Hit]:
    out: list[Hit] = []
    seen: set[str] = set()
    for rank in range(max((len(x) for x in lists), default=0)):
        for hits in lists:
            if rank < len(hits) and hits[rank].clause.clause_id not in seen:
                seen.add(hits[rank].clause.clause_id)
                out.append(hits[rank])
    return out[:limit]
