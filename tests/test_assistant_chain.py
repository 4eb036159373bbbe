"""The assistant through LangChain's Runnable interface."""

from assistant import Answer
from assistant.chain import as_runnable


def test_runnable_invoke_batch_and_stream(seed_assistant):
    chain = as_runnable(seed_assistant)
    answer = chain.invoke({"question": "公安机关需配合哪些事项"})
    assert isinstance(answer, Answer) and "西藏自治区" in {c.region for c in answer.citations}
    followup = chain.invoke({"question": "那审判机关呢？", "history": [("公安机关需配合哪些事项", answer.text)]})
    assert followup.query == "审判机关需配合哪些事项"
    both = chain.batch(["西藏的决定从什么时候开始施行？", "检察官的工资标准是多少？"])
    assert "2024年8月1日" in both[0].text and both[1].refused
    items = list(chain.stream({"question": "公安机关需配合哪些事项"}))
    assert isinstance(items[-1], Answer) and "".join(items[:-1]) == items[-1].text


SEED = "公安机关需配合哪些事项"


def _cited(answer):
    return {(c.region, c.article) for c in answer.citations}


def _check_stream(items):
    assert len(items) > 2, items
    assert all(isinstance(i, str) for i in items[:-1]) and isinstance(items[-1], Answer)
    assert "".join(items[:-1]) == items[-1].text
    assert {("西藏自治区", 16), ("呼和浩特市", 11)} <= _cited(items[-1])


def test_streams_through_composition_transform_and_astream(seed_assistant):
    import asyncio

    from langchain_core.runnables import RunnableLambda, RunnablePassthrough

    chain = as_runnable(seed_assistant)
    _check_stream(list((RunnablePassthrough() | chain).stream(SEED)))
    _check_stream(list(chain.transform(iter([{"question": SEED}]))))

    async def collect(stream):
        return [piece async for piece in stream]

    _check_stream(asyncio.run(collect(chain.astream(SEED))))
    _check_stream(asyncio.run(collect((RunnablePassthrough() | chain).astream({"input": SEED}))))
    # a non-streaming step after it receives the Answer
    labels = (chain | RunnableLambda(lambda a: [c.label for c in a.citations])).invoke(SEED)
    assert "第十六条" in "".join(labels)
    assert isinstance(asyncio.run(chain.ainvoke(SEED)), Answer)


def test_the_final_answer_is_the_runs_output_in_astream_events(seed_assistant):
    import asyncio

    chain = as_runnable(seed_assistant)

    async def events():
        return [e async for e in chain.astream_events(SEED, version="v2")]

    seen = asyncio.run(events())
    chunks = [e["data"]["chunk"] for e in seen if e["event"] == "on_chain_stream"]
    assert len(chunks) > 2 and isinstance(chunks[-1], Answer)
    end = [e for e in seen if e["event"] == "on_chain_end"][-1]
    assert isinstance(end["data"]["output"], Answer) and end["name"] == "jueding_qa"


def test_chat_history_as_pairs_or_messages(seed_assistant):
    from langchain_core.messages import AIMessage, HumanMessage

    chain = as_runnable(seed_assistant)
    first = chain.invoke(SEED)
    for history in ([(SEED, first.text)],
                    [HumanMessage(SEED), AIMessage(first.text)],
                    [{"role": "user", "content": SEED}, {"role": "assistant", "content": first.text}]):
        followup = chain.invoke({"question": "那审判机关呢？", "chat_history": history})
        assert followup.query == "审判机关需配合哪些事项", history


def test_history_normalization():
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    from assistant.chain import normalize_history, unpack

    assert normalize_history([("q1", "a1"), ["q2", "a2"]]) == [("q1", "a1"), ("q2", "a2")]
    assert normalize_history([SystemMessage("s"), HumanMessage("q1"), AIMessage("a1"), HumanMessage("q2")]) == [
        ("q1", "a1"), ("q2", "")]
    assert normalize_history([("human", "q1"), ("ai", "a1")]) == [("q1", "a1")]
    assert unpack({"input": "q", "chat_history": [HumanMessage("a")]})["history"] == [("a", "")]


def test_the_trace_of_one_ask_lists_the_named_steps_in_order(seed_assistant):
    from langchain_core.callbacks import BaseCallbackHandler

    class Names(BaseCallbackHandler):
        def __init__(self):
            self.started = []

        def on_chain_start(self, serialized, inputs, *, run_id, parent_run_id=None, **kwargs):
            self.started.append(kwargs.get("name") or (serialized or {}).get("name"))

    names = Names()
    answer = seed_assistant.ask("公安机关需配合哪些事项", config={"callbacks": [names]})
    steps = [n for n in names.started if n in ("condense", "scope", "retrieve", "decide", "answer", "verify")]
    assert steps == ["condense", "scope", "retrieve", "decide", "answer", "verify"]
    assert {(c.region, c.label.split("第")[1]) for c in answer.citations} >= {("西藏自治区", "十六条"), ("呼和浩特市", "十一条")}


def test_a_question_pays_one_embedding_call(seed_index_dir):
    """Alias term vectors come from the index (computed when it was built) and every search a question
    makes (the narrowed one, the unscoped check for a scope gap, each side of a comparison) reuses
    one query vector: in a freshly opened Assistant each question calls the model once."""
    from assistant import Assistant

    with Assistant.open(index_dir=seed_index_dir) as assistant:
        embeddings = assistant.index.embeddings
        embeddings.embed_query_np("预热")  # the model loads outside the count
        calls = []
        for name in ("embed_query_np", "embed_queries_np", "embed_passages_np"):
            inner = getattr(embeddings, name)
            setattr(embeddings, name, lambda *a, _inner=inner, _name=name: calls.append(_name) or _inner(*a))
        questions = [
            ("警察要配合检察院做什么？", None),  # alias expansion: 公安机关
            ("西藏的决定对法院有什么要求？", None),  # narrowed to one region, scope-gap search, alias
            ("两地决定对审判机关的要求有什么不同？", None),  # one search per side
            ("那公安机关呢？", [("西藏的决定对法院有什么要求？", "……")]),  # a follow-up
        ]
        for question, history in questions:
            calls.clear()
            answer = assistant.ask(question, history=history)
            assert answer.citations, question
            assert len(calls) == 1, (question, calls)
