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
from dataclasses import replace
from pathlib import Path

from assistant import extractive
from assistant.analysis import QueryPlan, analyze, short_region
from assistant.matching import TermMatcher
from assistant.citations import verify
from assistant.errors import AssistantError, LLMError
from store.files import sync_paths
from assistant.records import Answer
from assistant.settings import Settings
from ingest.parser import parse_file
from ingest.records import Clause, Document, ParsedDocument
from ingest.tokenize import tokenize
from store import ClauseIndex
from store.records import DocumentEntry, Hit

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]

# Calibrated on eval/seeds_dev.jsonl (eval/README.md: tune on dev, report on test): below this relevance nothing answers.
DEFAULT_REFUSAL_THRESHOLD = 0.40
ANSWER_K = 6  # clauses shown to the answerer
BULK_LEAD_RATIO = 0.4  # read off seed questions (decision/bulk BM25 ratio .49–2.9) and law questions (.06–.33)
METADATA_INTENTS = ("effective", "adoption", "repeal", "basis")
QUANTITY_QUESTION_RE = re.compile(r"多少|多久|多长时间|(?<!哪)几(天|年|个月|月|岁|次|倍|小时|元|周)")
QUANTITY_RE = re.compile(r"[0-9０-９]|[一二三四五六七八九十百千万两]+(个|年|月|日|天|元|岁|周|次|倍|小时|分钟)|[%％]")
ENTITY_POOL = 20  # candidates per tier searched for clauses addressed to the body an entity question asks about


def refusal_text(question: str) -> str:
    return f"现有决定中未找到与「{question.strip()}」相关的规定。"


class Assistant:
    def __init__(self, settings: Settings, index: ClauseIndex) -> None:
        self.settings = settings
        self.index = index
        self._lock = threading.RLock()
        self._documents: dict[str, Document] | None = None
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

    def preview(self, path: str | Path) -> ParsedDocument:
        return parse_file(path, max_bytes=self.settings.max_file_bytes)

    def add_paths(self, paths: list[str | Path], progress: Progress | None = None, *, rebuild: bool = False):
        with self._lock:
            report = sync_paths(self.index, paths, max_bytes=self.settings.max_file_bytes, progress=progress,
                                rebuild=rebuild)
            self._documents = self._weights = self._tier_cache = None
        return report

    def remove(self, doc_id: str) -> int:
        with self._lock:
            removed = self.index.remove(doc_id)
            self._documents = self._weights = self._tier_cache = None
        return removed

    def _fresh(self) -> None:
        """Drop the library caches when the index changed (in this process or another one)."""
        generation = self.index.generation
        if generation != self._generation:
            self._documents = self._weights = self._tier_cache = None
            self._generation = generation

    def _docs(self) -> dict[str, Document]:
        self._fresh()
        if self._documents is None:
            self._documents = {e.document.doc_id: e.document for e in self.index.documents()}
        return self._documents

    def _regions(self) -> list[str]:
        return sorted({d.region for d in self._docs().values() if d.region and d.region != "全国"}, key=len,
                      reverse=True)

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
        return analyze(question, history, self._regions())

    def retrieve(self, question: str, k: int | None = None, filters: dict | None = None,
                 history: list[tuple[str, str]] | None = None) -> list[Hit]:
        """The clauses the answerer would see for `question`, best first."""
        return self._retrieve(self.plan(question, history), k or self.settings.k, filters)

    def _retrieve(self, plan: QueryPlan, k: int, filters: dict | None) -> list[Hit]:
        filters = dict(filters or {})
        if plan.regions and "doc_id" not in filters:
            chosen = _region_values(filters)
            named = [r for r in plan.regions if not chosen or any(c in r for c in chosen)]
            if named:  # 「呼和浩特的决定…」 narrows a 限定地区 of 西藏+呼和浩特 to 呼和浩特
                filters["region"] = named
        prefer = self._preference(plan)
        search = lambda f, n: self._tiered_search(plan.query, n, f, prefer)  # noqa: E731
        compared = _compared_regions(plan, filters)
        if compared:
            per_region = [search({**filters, "region": [r]}, k) for r in compared]
            hits = _interleave(per_region, k * len(compared))
        else:
            hits = search(filters, k)
        if plan.intent in METADATA_INTENTS:
            hits = self._with_metadata_clauses(plan, hits, filters)
        return hits

    @staticmethod
    def _preference(plan: QueryPlan) -> Callable[[Clause], bool] | None:
        """Entity questions: clauses that address the asked-about body (its duties) rank first."""
        if plan.intent != "entity" or not plan.terms:
            return None
        forms = extractive.entity_forms(plan)
        return lambda clause: bool(extractive.entity_sentences(clause, forms))

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
                       prefer: Callable[[Clause], bool] | None = None) -> list[Hit]:
        """Search the decisions and the bulk laws as two tiers; decisions first unless they miss.

        One min-max blend over 117k law clauses and a few hundred decision clauses lets the laws'
        BM25 scale drown the decisions (seed Recall@5 .65 with the whole LawRefBook loaded); each
        tier is ranked on its own instead, and the bulk tier leads only when its best raw BM25 (the
        same keyword index, so comparable) beats the decisions' by 1 / BULK_LEAD_RATIO. Within a
        tier, clauses that `prefer` picks move ahead of the rest, keeping their order.
        """
        weights = {"bm25_weight": self.settings.bm25_weight, "dense_weight": self.settings.dense_weight}
        pool = search_pool(k, prefer)
        primary, bulk_types = self._tiers()
        filters = dict(filters or {})
        if not primary or not bulk_types or "doc_id" in filters:
            return _arrange(self.index.search(query, k=pool, filters=filters or None, **weights), prefer)[:k]
        first = _arrange(self.index.search(query, k=pool, filters={**filters, "doc_id": primary}, **weights), prefer)
        in_primary = set(primary)
        bulk = [h for h in self.index.search(query, k=pool + len(primary), filters={**filters, "doc_type": bulk_types},
                                             bm25_weight=1.0, dense_weight=0.0)
                if h.clause.doc_id not in in_primary][:pool]
        bulk = _arrange(bulk, prefer)
        best_first = max((h.scores.get("bm25", 0.0) for h in first), default=0.0)
        best_bulk = max((h.scores.get("bm25", 0.0) for h in bulk), default=0.0)
        ordered = first[:k] + bulk[:k] if first and best_first >= BULK_LEAD_RATIO * best_bulk else bulk[:k] + first[:k]
        return ordered[:k]

    def _with_metadata_clauses(self, plan: QueryPlan, hits: list[Hit], filters: dict) -> list[Hit]:
        """Put the closing clause / 题注 of each decision in scope in front of the hits."""
        docs = self._docs()
        if plan.regions:
            scope = [d for d, doc in docs.items() if doc.region in plan.regions]
        elif filters.get("doc_id"):
            scope = list(filters["doc_id"]) if isinstance(filters["doc_id"], list) else [filters["doc_id"]]
        else:
            scope = list(dict.fromkeys(h.clause.doc_id for h in hits))[:3]
        wanted = {"adoption": "note", "basis": "preamble"}.get(plan.intent, "closing")
        front: list[Hit] = []
        for doc_id in scope:
            every = self.index.clauses(doc_id)
            clauses = [c for c in every if c.kind == wanted]
            if wanted == "closing" and not clauses:
                clauses = [c for c in every if c.kind == "article" and "施行" in c.text][-1:]
            front.extend(Hit(clause=c, score=1.0, scores={"metadata": 1.0}) for c in clauses)
        seen = {h.clause.clause_id for h in front}
        return front + [h for h in hits if h.clause.clause_id not in seen]

    # ------------------------------------------------------------------ answering

    def relevance(self, plan: QueryPlan, hits: list[Hit], matcher: TermMatcher | None = None) -> float:
        """Share of the question's content words (IDF-weighted) that the best hits contain, 0..1.

        A word counts as found when it, or a term its alias expands to, occurs in the clause. Words
        that the corpus never uses weigh most, so 「检察官的工资标准」 scores low although 检察官 occurs.
        """
        if plan.intent in METADATA_INTENTS and any("metadata" in h.scores for h in hits):
            return 1.0
        if plan.intent == "entity" and extractive.entity_quotes(plan, hits):
            return 1.0  # the asked-about body is the subject of retrieved sentences
        matcher = matcher or self.matcher(plan)
        if not matcher.words or not hits:
            return 0.0
        if QUANTITY_QUESTION_RE.search(plan.query) and not any(_states_a_figure(h.clause) for h in hits[:3]):
            return 0.0  # 「…多少/几天」 asks for a figure; clauses that state none do not answer it
        return max(matcher.score(h.clause.text) for h in hits[:3])

    def matcher(self, plan: QueryPlan) -> TermMatcher:
        regions = self._regions()
        return TermMatcher.for_plan(plan, self._word_weight, ignore=lambda w: _is_region_word(w, regions))


    def _word_weight(self, word: str) -> float:
        """IDF of the word's rarest bigram: a word the corpus never uses gets the highest weight."""
        weights = self._term_weights()
        ceiling = math.log(1 + max(1, len(weights)))
        bigrams = tokenize(word)
        return max((weights.get(b, ceiling) for b in bigrams), default=ceiling)

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, filters: dict | None = None,
            mode: str | None = None, k: int | None = None) -> Answer:
        final = None
        for item in self.stream(question, history=history, filters=filters, mode=mode, k=k):
            final = item
        assert isinstance(final, Answer)
        return final

    def stream(self, question: str, history: list[tuple[str, str]] | None = None, filters: dict | None = None,
               mode: str | None = None, k: int | None = None) -> Iterator[str | Answer]:
        """Yield str deltas of the answer; the last item is the final `Answer`."""
        history = list(history or [])
        mode = self._mode(mode)
        plan = self.plan(question, history)
        if mode == "llm" and history:
            plan = self._llm_condense(plan, history)
        hits = self._retrieve(plan, max(k or self.settings.k, ANSWER_K), filters)
        sources = [h.clause for h in hits]
        threshold = self.settings.refusal_threshold
        threshold = DEFAULT_REFUSAL_THRESHOLD if threshold is None else threshold
        matcher = self.matcher(plan)
        if not hits or self.relevance(plan, hits, matcher) < threshold:
            answer = self._refusal(plan, sources)
            yield answer.text
            yield answer
            return
        if mode == "llm":
            try:
                yield from self._llm_stream(plan, hits, sources)
                return
            except LLMError as exc:
                log.warning("LLM answer failed, falling back to the extractive answer: %s", exc)
                notice = f"大模型服务不可用（{exc.reason}），以下为摘录式回答。"
                answer = self._extractive(plan, hits, sources, matcher, notice=notice,
                                          mode_name="extractive-fallback")
        else:
            answer = self._extractive(plan, hits, sources, matcher)
        for line in answer.text.splitlines(keepends=True):
            yield line
        yield answer

    def _mode(self, mode: str | None) -> str:
        mode = mode or self.settings.answer_mode
        if mode == "auto":
            return "llm" if self.settings.llm_configured else "extractive"
        if mode not in ("extractive", "llm"):
            raise AssistantError(f"unknown answer mode {mode!r}: use extractive, llm or auto")
        if mode == "llm" and not self.settings.llm_configured:
            raise AssistantError("LLM mode needs JUEDING_LLM_BASE_URL and JUEDING_LLM_MODEL (an OpenAI-compatible endpoint)")
        return mode

    def _refusal(self, plan: QueryPlan, sources: list[Clause]) -> Answer:
        return Answer(text=refusal_text(plan.question), citations=[], refused=True, query=plan.query,
                      sources=tuple(sources))

    def _extractive(self, plan: QueryPlan, hits: list[Hit], sources: list[Clause], matcher: TermMatcher, *,
                    notice: str | None = None, mode_name: str = "extractive") -> Answer:
        docs = self._docs()
        scope = list(dict.fromkeys(h.clause.doc_id for h in hits)) if plan.compare else []
        text = extractive.answer(plan, hits, docs, matcher, scope=scope)
        if text is None:
            return self._refusal(plan, sources)
        verified = verify(text, sources, {d: doc.doc_type for d, doc in docs.items()})
        body = f"{notice}\n\n{verified.text}" if notice else verified.text
        return Answer(text=body, citations=verified.citations, refused=False, mode=mode_name, query=plan.query,
                      dropped_citations=verified.dropped, notice=notice, sources=tuple(sources))

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

    def _llm_stream(self, plan: QueryPlan, hits: list[Hit], sources: list[Clause]) -> Iterator[str | Answer]:
        from assistant.llm import LLMResult

        docs = self._docs()
        result = None
        for item in self._llm_client().stream_answer(plan, hits, docs):
            if isinstance(item, LLMResult):
                result = item
            else:
                yield item
        if result.refused:
            yield self._refusal(plan, sources)
            return
        verified = verify(result.text, sources, {d: doc.doc_type for d, doc in docs.items()})
        yield Answer(text=verified.text, citations=verified.citations, refused=not verified.citations,
                     mode="llm", query=plan.query, dropped_citations=verified.dropped + result.dropped,
                     sources=tuple(sources))


def _states_a_figure(clause: Clause) -> bool:
    """A number or an amount in the clause's text (its own article number 「8.」「第八条」 aside)."""
    return any(QUANTITY_RE.search(sentence) for _, sentence in extractive.sentences_of(clause))


def _is_region_word(word: str, regions: list[str]) -> bool:
    return any(word in (r, short_region(r)) or (len(word) >= 2 and word in r) for r in regions)


def _compared_regions(plan: QueryPlan, filters: dict) -> list[str]:
    """The regions a compare question sets side by side: those it names, else the 限定地区 chosen."""
    if not plan.compare:
        return []
    if len(plan.regions) > 1:
        return list(plan.regions)
    chosen = _region_values(filters)
    return chosen if len(chosen) > 1 and not plan.regions else []


def _region_values(filters: dict) -> list[str]:
    chosen = filters.get("region")
    return [chosen] if isinstance(chosen, str) else list(chosen or [])


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
