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
