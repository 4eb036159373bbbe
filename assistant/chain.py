"""The assistant as a LangChain runnable (LCEL), for use inside other LangChain pipelines.

    chain = as_runnable(Assistant.open())              # as_runnable() opens the default index on first use
    chain.invoke("公安机关需配合哪些事项")                              # → Answer
    chain.invoke({"question": "那审判机关呢？", "chat_history": [("公安机关需配合哪些事项", "…")]})
    for piece in chain.stream({"question": "…"}): ...              # str deltas, then the final Answer
    async for piece in chain.astream("…"): ...                      # the same, asynchronously
    (RunnablePassthrough() | chain).stream("…")                     # streams through composition too

Input: a question string, or a dict with `question` (or `input`), optional `history` / `chat_history`, `filters`,
`mode` and `k`. History is a list of `(question, answer)` pairs or of LangChain messages (HumanMessage /
AIMessage, or {"role", "content"} dicts): each human message is paired with the AI reply that follows it.

Output: `invoke` returns the `Answer`; `stream`, `astream`, `transform` and `atransform` yield `str` deltas and
then the `Answer` as the last chunk. A chunk that cannot be added to text ends LangChain's aggregation there, so
the run's recorded output (callbacks' on_chain_end, `astream_events`' last event) is the `Answer` itself, and a
non-streaming step after this one receives the `Answer`. The answering is `Assistant.stream` / `Assistant.ask`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.messages import BaseMessage, convert_to_messages
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import run_in_executor

from assistant.records import Answer

REQUEST_KEYS = ("question", "history", "filters", "mode", "k")
_DONE = object()


def normalize_history(history: Sequence[Any] | None) -> list[tuple[str, str]]:
    """(question, answer) pairs from pairs or LangChain messages (a question with no reply gets "")."""
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    for item in history or ():
        if isinstance(item, (tuple, list)) and len(item) == 2 and all(isinstance(x, str) for x in item) \
                and item[0] not in ("human", "user", "ai", "assistant", "system"):
            if pending is not None:
                pairs.append((pending, ""))
                pending = None
            pairs.append((item[0], item[1]))
            continue
        message = item if isinstance(item, BaseMessage) else convert_to_messages([item])[0]
        text = message.text if isinstance(message.text, str) else str(message.content)
        if message.type == "human":
            if pending is not None:
                pairs.append((pending, ""))
            pending = text
        elif message.type == "ai":
            pairs.append((pending or "", text))
            pending = None
        # system and tool messages carry no turn of the conversation
    if pending is not None:
        pairs.append((pending, ""))
    return pairs


def unpack(request: dict | str | BaseMessage) -> dict:
    """Keyword arguments of `Assistant.stream` from a chain input."""
    if isinstance(request, str):
        return {"question": request}
    if isinstance(request, BaseMessage):
        return {"question": request.text}
    if not isinstance(request, dict):
        raise TypeError(f"expected a question string or a dict with 'question', got {type(request).__name__}")
    question = request.get("question", request.get("input"))
    if not isinstance(question, str) or not question.strip():
        raise ValueError("the input needs a non-empty 'question' (or 'input')")
    history = request.get("history", request.get("chat_history"))
    return {"question": question, "history": normalize_history(history), "filters": request.get("filters"),
            "mode": request.get("mode"), "k": request.get("k")}


def _merge(chunks: Iterator[Any]) -> Any:
    """The whole input from the chunks an upstream step streamed (strings concatenate, dicts merge)."""
    value: Any = None
    for chunk in chunks:
        if value is None:
            value = dict(chunk) if isinstance(chunk, dict) else chunk
        elif isinstance(value, dict) and isinstance(chunk, dict):
            value.update(chunk)
        elif isinstance(value, str) and isinstance(chunk, str):
            value += chunk
        else:
            value = chunk
    return value


class AssistantRunnable(Runnable[Any, Answer]):
    """`Assistant.ask` / `Assistant.stream` as a Runnable that streams through every LCEL entry point."""

    name = "jueding_qa"

    def __init__(self, assistant=None) -> None:
        self._assistant = assistant

    @property
    def assistant(self):
        if self._assistant is None:
            from assistant.api import Assistant

            self._assistant = Assistant.open()
        return self._assistant

    @property
    def InputType(self) -> Any:  # noqa: N802 - LangChain's name
        return str | dict

    @property
    def OutputType(self) -> Any:  # noqa: N802 - LangChain's name
        return Answer

    # ---------------------------------------------------------------- sync

    def _ask(self, request: Any) -> Answer:
        return self.assistant.ask(**unpack(request))

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:  # noqa: A002
        return self._call_with_config(self._ask, input, config, run_type="chain")

    def _stream(self, chunks: Iterator[Any]) -> Iterator[str | Answer]:
        yield from self.assistant.stream(**unpack(_merge(chunks)))

    def transform(self, input: Iterator[Any], config: RunnableConfig | None = None,  # noqa: A002
                  **kwargs: Any) -> Iterator[str | Answer]:
        yield from self._transform_stream_with_config(input, self._stream, config, run_type="chain")

    def stream(self, input: Any, config: RunnableConfig | None = None,  # noqa: A002
               **kwargs: Any) -> Iterator[str | Answer]:
        yield from self.transform(iter([input]), config, **kwargs)

    # ---------------------------------------------------------------- async (the work runs in a thread)

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:  # noqa: A002
        async def ask(request: Any) -> Answer:
            return await run_in_executor(None, self._ask, request)

        return await self._acall_with_config(ask, input, config, run_type="chain")

    async def _astream(self, chunks: AsyncIterator[Any]) -> AsyncIterator[str | Answer]:
        collected = [chunk async for chunk in chunks]
        pieces = iter(self.assistant.stream(**unpack(_merge(iter(collected)))))
        while True:
            piece = await run_in_executor(None, next, pieces, _DONE)
            if piece is _DONE:
                return
            yield piece

    async def atransform(self, input: AsyncIterator[Any], config: RunnableConfig | None = None,  # noqa: A002
                         **kwargs: Any) -> AsyncIterator[str | Answer]:
        async for piece in self._atransform_stream_with_config(input, self._astream, config, run_type="chain"):
            yield piece

    async def astream(self, input: Any, config: RunnableConfig | None = None,  # noqa: A002
                      **kwargs: Any) -> AsyncIterator[str | Answer]:
        async def once() -> AsyncIterator[Any]:
            yield input

        async for piece in self.atransform(once(), config, **kwargs):
            yield piece


def as_runnable(assistant=None) -> AssistantRunnable:
    """The assistant as a Runnable; without an argument it opens the default index on first use."""
    return AssistantRunnable(assistant)


__all__ = ["AssistantRunnable", "as_runnable", "normalize_history", "unpack"]
