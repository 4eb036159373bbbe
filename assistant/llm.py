"""The optional LLM answerer: any OpenAI-compatible chat endpoint through langchain-openai.

Retrieved clauses go to the model as delimited, numbered sources ([S1] …) whose text is escaped
so that nothing inside a clause can close the block or pose as an instruction. The model cites
[S1] / [S1-3]; `to_markers` turns those into 〔《…》第十六条第三款〕 markers and drops any that name
no source, so the usual citation verification can check the result like an extractive answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from langchain_core.prompts import ChatPromptTemplate

from assistant.analysis import QueryPlan
from assistant.citations import LABEL_RE, MARKER_RE, marker
from assistant.errors import LLMError
from assistant.settings import PROMPTS_DIR, Settings
from ingest.numerals import to_chinese_numeral
from ingest.records import Clause
from store.records import Hit

log = logging.getLogger(__name__)

PROMPTS = PROMPTS_DIR
SOURCE_REF_RE = re.compile(r"\[S(\d+)(?:[-–—](\d+))?\]")
NOT_FOUND = "未找到相关规定"


def load_prompt(name: str) -> str:
    path = PROMPTS / name
    if not path.exists():
        raise LLMError(f"prompt file {path} is missing; restore it from the repository")
    return path.read_text(encoding="utf-8")


def answer_prompt() -> ChatPromptTemplate:
    """System rules (answer_system.md) + the user turn with the sources and the question (answer_user.md)."""
    return ChatPromptTemplate.from_messages(
        [("system", load_prompt("answer_system.md")), ("human", load_prompt("answer_user.md"))]
    )


def condense_prompt() -> ChatPromptTemplate:
    """One user turn (condense.md) with the `history` transcript and the follow-up `question`."""
    return ChatPromptTemplate.from_messages([("human", load_prompt("condense.md"))])


@dataclass(frozen=True)
class LLMResult:
    text: str  # with 〔…〕 markers in place of [S…] references
    refused: bool
    dropped: int  # references to sources that do not exist, and article numbers no source has


def _escape(text: str) -> str:
    return text.replace("<", "＜").replace(">", "＞")


def format_sources(hits: list[Hit], titles: dict[str, str]) -> str:
    """The sources block; `titles` maps doc_id → the unique short title markers use (`Assistant.titles`)."""
    blocks = []
    for number, hit in enumerate(hits, start=1):
        clause = hit.clause
        cite = marker(clause, titles.get(clause.doc_id)).strip("〔〕")
        if len(clause.paragraphs) > 1:
            body = "\n".join(f"（第{i}款）{_escape(p)}" for i, p in enumerate(clause.paragraphs, start=1))
        else:
            body = _escape(clause.text)
        blocks.append(f'<source id="S{number}" cite="{_escape(cite)}">\n{body}\n</source>')
    return "\n".join(blocks)


def to_markers(text: str, sources: list[Clause], titles: dict[str, str]) -> tuple[str, int]:
    """[S2-3] → 〔《…》第十六条第三款〕; unknown sources and unsupported article numbers are removed."""
    dropped = 0

    def convert(match: re.Match) -> str:
        nonlocal dropped
        index, paragraph = int(match.group(1)), match.group(2)
        if not 1 <= index <= len(sources):
            dropped += 1
            return ""
        clause = sources[index - 1]
        if paragraph:
            n = int(paragraph)
            if n > len(clause.paragraphs):
                dropped += 1
                return ""
            clause = clause.paragraph_view(n)
        return marker(clause, titles.get(clause.doc_id))

    text = SOURCE_REF_RE.sub(convert, text)
    known = {c.label for c in sources if c.kind == "article"}

    def check_bare(match: re.Match) -> str:
        nonlocal dropped
        label = f"第{to_chinese_numeral(_number(match.group(1)))}条{match.group(2) or ''}"
        if label in known:
            return match.group(0)
        dropped += 1
        return "〔条号未核实，已删除〕"

    pieces = []
    last = 0
    for m in MARKER_RE.finditer(text):  # leave verified markers alone; check bare mentions between them
        pieces.append(LABEL_RE.sub(check_bare, text[last : m.start()]))
        pieces.append(m.group(0))
        last = m.end()
    pieces.append(LABEL_RE.sub(check_bare, text[last:]))
    return "".join(pieces), dropped


def _number(text: str) -> int:
    from ingest.numerals import parse_chinese_numeral

    return int(text) if text.isdigit() else parse_chinese_numeral(text) or 0


class LLMAnswerer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._model = None

    def _chat(self):
        if self._model is None:
            from langchain_openai import ChatOpenAI

            self._model = ChatOpenAI(
                base_url=self.settings.llm_base_url,
                model=self.settings.llm_model,
                api_key=self.settings.llm_api_key or "not-needed",
                timeout=self.settings.llm_timeout_s,
                max_retries=0,
                temperature=0,
            )
        return self._model

    def condense(self, question: str, history: list[tuple[str, str]]) -> str:
        transcript = "\n".join(f"用户：{q}\n助理：{a[:500]}" for q, a in history[-4:])
        messages = condense_prompt().invoke({"history": transcript, "question": question})
        try:
            reply = self._chat().invoke(messages)
        except Exception as exc:  # network, HTTP and protocol errors of any client version
            raise _endpoint_error(exc) from exc
        return str(reply.content).strip().splitlines()[0].strip() if str(reply.content).strip() else ""

    def stream_answer(self, plan: QueryPlan, hits: list[Hit], titles: dict[str, str]) -> Iterator[str | LLMResult]:
        """Yield the model's text deltas, then one `LLMResult`; `titles` as for `format_sources`."""
        messages = answer_prompt().invoke({"sources": format_sources(hits, titles), "question": _escape(plan.query)})
        parts: list[str] = []
        try:
            for chunk in self._chat().stream(messages):
                delta = str(chunk.content or "")
                if delta:
                    parts.append(delta)
                    yield delta
        except Exception as exc:  # network, HTTP and protocol errors of any client version
            raise _endpoint_error(exc) from exc
        raw = "".join(parts).strip()
        if not raw:
            raise LLMError("the endpoint returned an empty answer", reason="返回了空回答")
        text, dropped = to_markers(raw, [h.clause for h in hits], titles)
        refused = NOT_FOUND in raw and not MARKER_RE.search(text)
        yield LLMResult(text=text, refused=refused, dropped=dropped)


def _endpoint_error(exc: Exception) -> LLMError:
    """An LLMError whose reason a user can read: the HTTP status, a timeout or a failed connection."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)
    if status:
        reason = f"HTTP {status}"
    elif "Timeout" in name:
        reason = "请求超时"
    elif "Connection" in name:
        reason = "无法连接"
    else:
        reason = name
    return LLMError(f"{name}: {exc}", reason=reason)
