"""The answering path as named steps a question walks once, top to bottom.

    condense → scope → retrieve → decide → answer → verify

Each step reads and extends one `Turn`. `Assistant.ask` runs them as a LangChain `RunnableSequence`
(`chain`), so a trace shows every step by name; `Assistant.stream` runs the same functions and streams
what the answer step writes (LLM tokens as they come; an extractive answer line by line once verified).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from assistant.answerability import Decision
from assistant.analysis import METADATA_INTENTS, OUTLINE, QueryPlan
from assistant.citations import verify as verify_markers
from assistant.errors import LLMError
from assistant.matching import TermMatcher
from assistant.records import Answer
from store.records import Hit

log = logging.getLogger(__name__)

ANSWER_K = 6  # clauses shown to the answerer


@dataclass
class Turn:
    """One question on its way down the chain."""

    question: str
    history: list[tuple[str, str]] = field(default_factory=list)
    filters: dict | None = None
    mode: str = "extractive"
    k: int = 5
    plan: QueryPlan | None = None
    scope: object | None = None  # assistant.api.Scope
    matcher: TermMatcher | None = None
    hits: list[Hit] = field(default_factory=list)
    meaning: object | None = None  # assistant.extractive.Meaning: how near each retrieved sentence is
    decision: Decision | None = None
    draft: str | None = None  # the answer's Markdown with citation markers, not yet verified
    figure_unstated: bool = False  # the draft shows provisions for reference: none states the figure asked for
    notice: str | None = None
    answer_mode: str = "extractive"
    answer: Answer | None = None
    debug: dict = field(default_factory=dict)

    @property
    def sources(self) -> list:
        return [h.clause for h in self.hits]


def condense(assistant, turn: Turn) -> Turn:
    """History → a standalone question and its plan (intent, regions, body, article asked for)."""
    turn.plan = assistant.plan(turn.question, turn.history)
    if turn.mode == "llm" and turn.history:
        turn.plan = assistant._llm_condense(turn.plan, turn.history)
    return turn


def scope(assistant, turn: Turn) -> Turn:
    """The documents the question is about, and the words it asks with."""
    turn.scope = assistant.scope(turn.plan, turn.filters)
    turn.matcher = assistant.matcher(turn.plan, turn.scope)
    return turn


def retrieve(assistant, turn: Turn) -> Turn:
    turn.hits = assistant._retrieve(turn.plan, turn.scope, max(turn.k, ANSWER_K), turn.matcher)
    turn.meaning = assistant.meaning(turn.plan, turn.scope, turn.hits)
    return turn


def decide(assistant, turn: Turn) -> Turn:
    """Answer or refuse, from the evidence retrieval saw (see `Assistant.decide`)."""
    decision = assistant.decide(turn.plan, turn.scope, turn.hits, turn.matcher, looser=turn.mode == "llm",
                                meaning=turn.meaning)
    plan = turn.plan
    missing = not decision.answerable and decision.features.get("lookup_missing")
    other_law = missing and plan.intent == "article" and not assistant.article_in_scope(plan.article, turn.scope)
    if missing and (plan.intent in METADATA_INTENTS or plan.intent == OUTLINE or other_law):
        # Read as a question about the document itself, but no clause of it states such a fact: the
        # evidence overrules the intent model (「…许可证的效力如何规定」 asks about content), and the
        # question is judged as a search question. So is an article number no document in scope has
        # (「民法典第八百五十条所称…如何界定」: another law's article, quoted by the decision).
        # An outline question asking about one subject (「…在大气污染治理方面讲了哪些内容」) is a search question:
        # what the search found answers it, not every article.
        outline = plan.intent == OUTLINE
        searched = [h for h in turn.hits if "lookup" not in h.scores] if outline else turn.hits
        as_search = replace(plan, intent="topic", also=(), article=None if other_law else plan.article)
        second = assistant.decide(as_search, turn.scope, searched, turn.matcher, looser=turn.mode == "llm",
                                  meaning=turn.meaning)
        if second.answerable or outline:
            turn.plan, turn.hits, decision = as_search, searched, second
    if turn.plan.intent == OUTLINE and decision.answerable and not decision.features.get("mention"):
        # the articles, each once, in the document's order (those saying what is asked about are kept as found)
        turn.hits = [h for h in turn.hits if "lookup" in h.scores]
    turn.decision = decision
    plan, chosen = turn.plan, turn.scope
    turn.debug.update(intent=plan.intent, intent_confidence=round(plan.intent_confidence, 4), compare=plan.compare,
                      answerability=decision.probability, threshold=decision.threshold,
                      features={k: round(v, 4) for k, v in decision.features.items()},
                      scope=list(chosen.doc_ids) if chosen.narrowed else "all", filtered=chosen.filtered)
    if decision.silent or decision.unstated:  # what the texts leave out, as the refusal says it
        turn.debug["silent"] = decision.silent or "unstated: " + "、".join(c.label for c in decision.unstated)
    log.debug("answerability %.3f (threshold %.3f) for %r", decision.probability, decision.threshold, plan.query)
    return turn


def answer_stream(assistant, turn: Turn) -> Iterator[str]:
    """Write the draft: LLM tokens are yielded as they arrive; the extractive draft is yielded by `stream`
    after verification. A refusal sets `turn.answer` directly."""
    if not turn.decision.answerable:
        turn.answer = assistant._refusal(turn.plan, turn.sources, turn.scope, turn.filters,
                                         unstated=turn.decision.unstated, silent=turn.decision.silent)
        return
    if turn.mode == "llm":
        from assistant.llm import LLMResult

        try:
            result = None
            for item in assistant._llm_client().stream_answer(turn.plan, turn.hits, assistant.titles()):
                if isinstance(item, LLMResult):
                    result = item
                else:
                    yield item
            if result.refused:
                turn.answer = assistant._refusal(turn.plan, turn.sources, turn.scope, turn.filters)
                return
            turn.draft, turn.answer_mode = result.text, "llm"
            turn.debug["llm_dropped"] = result.dropped
            return
        except LLMError as exc:
            log.warning("LLM answer failed, falling back to the extractive answer: %s", exc)
            turn.notice = f"大模型服务不可用（{exc.reason}），以下为摘录式回答。"
            turn.answer_mode = "extractive-fallback"
    draft = assistant._extractive_draft(turn.plan, turn.hits, turn.matcher, turn.scope, turn.filters, turn.meaning)
    if draft is None:
        turn.answer = assistant._refusal(turn.plan, turn.sources, turn.scope, turn.filters)
        return
    turn.draft, turn.figure_unstated = draft.text, draft.figure_unstated
    if draft.figure_unstated:
        turn.debug["figure_unstated"] = True


def answer(assistant, turn: Turn) -> Turn:
    for _ in answer_stream(assistant, turn):
        pass
    return turn


def verify(assistant, turn: Turn) -> Turn:
    """Keep the markers that name a shown clause of the document they name; build the `Answer`."""
    if turn.answer is None:
        checked = verify_markers(turn.draft, turn.sources, assistant.titles())
        body = f"{turn.notice}\n\n{checked.text}" if turn.notice else checked.text
        # Nothing answers: the model found no provision to cite, or the figure asked for (几天, 多少元) is stated
        # by none of the provisions quoted under 「所摘条文未载明…」.
        refused = (turn.answer_mode == "llm" and not checked.citations) or turn.figure_unstated
        turn.answer = Answer(text=body, citations=checked.citations, refused=refused, mode=turn.answer_mode,
                             query=turn.plan.query, notice=turn.notice, sources=tuple(turn.sources),
                             dropped_citations=checked.dropped + turn.debug.get("llm_dropped", 0))
    turn.answer = replace(turn.answer, debug=turn.debug)
    return turn


STEPS = (("condense", condense), ("scope", scope), ("retrieve", retrieve), ("decide", decide),
         ("answer", answer), ("verify", verify))


def chain(assistant):
    """The steps as a LangChain `RunnableSequence` of named `RunnableLambda`s (Turn in, Turn out)."""
    from langchain_core.runnables import RunnableLambda, RunnableSequence

    def bind(step):
        return lambda turn: step(assistant, turn)

    return RunnableSequence(*[RunnableLambda(bind(step), name=name) for name, step in STEPS])


def stream(assistant, turn: Turn) -> Iterator[str | Answer]:
    """The same steps; str deltas of the answer, then the final `Answer`."""
    for _, step in STEPS[:4]:
        step(assistant, turn)
    yield from answer_stream(assistant, turn)
    streamed = turn.mode == "llm" and turn.answer_mode == "llm"
    verify(assistant, turn)
    if not streamed:
        for line in turn.answer.text.splitlines(keepends=True):
            yield line
    yield turn.answer
