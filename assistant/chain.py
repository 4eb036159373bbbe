"""The assistant as a LangChain runnable (LCEL), for use inside other LangChain pipelines.

    chain = as_runnable(Assistant.open())
    chain.invoke({"question": "公安机关需配合哪些事项"})            # → Answer
    for piece in chain.stream({"question": "…", "history": [...]}): ...   # str deltas, then the Answer

The steps behind it (rewrite → analyse → retrieve → answer → verify) are the Assistant's own.
"""

from __future__ import annotations

from collections.abc import Iterator

from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from assistant.records import Answer


def _unpack(request: dict | str) -> dict:
    if isinstance(request, str):
        return {"question": request}
    return {k: request.get(k) for k in ("question", "history", "filters", "mode", "k")}


def as_runnable(assistant) -> Runnable:
    def stream(requests: Iterator[dict | str]) -> Iterator[str | Answer]:
        for request in requests:
            yield from assistant.stream(**_unpack(request))

    def invoke(request: dict | str) -> Answer:
        return assistant.ask(**_unpack(request))

    return _Both(invoke, stream)


class _Both(RunnableLambda):
    """invoke/batch return the Answer; stream yields the deltas and then the Answer."""

    def __init__(self, invoke, stream) -> None:
        super().__init__(invoke, name="jueding_qa")
        self._streamer = RunnableGenerator(stream)

    def stream(self, input, config=None, **kwargs):  # noqa: A002 - LangChain's parameter name
        return self._streamer.stream(input, config, **kwargs)
