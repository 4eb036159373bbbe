"""The web app's API (/ask, /ask_stream): what it returns and how its parameters are described. No Gradio.

app.py annotates its endpoints with these types; Gradio builds the API schema (view_api, the MCP tool list)
from them and from the descriptions.
"""

from __future__ import annotations

from typing import TypedDict


class CitationDict(TypedDict):
    doc_id: str
    doc_title: str
    region: str
    kind: str
    article: int | None
    paragraph: int | None
    label: str
    text: str


class UploadedSource(TypedDict):
    doc_id: str
    title: str
    uploaded_by: str
    uploaded_at: str
    file_name: str


class AskResult(TypedDict):
    text: str
    refused: bool
    citations: list[CitationDict]
    mode: str
    query: str
    notice: str | None
    uploaded_sources: list[UploadedSource]


class AskStreamChunk(TypedDict):
    text: str
    done: bool
    result: AskResult | None


ASK_PARAMETERS = {
    "question": "The question, in Chinese, at most 1000 characters, e.g. 公安机关需配合哪些事项.",
    "history": "Earlier turns of the conversation as [[question, answer_text], ...], oldest first; null for none.",
    "filters": 'Restrict retrieval: {"region": ["西藏自治区", ...], "doc_id": [...]}; null for the whole library.',
    "mode": '"extractive" (quotes, offline), "llm" (needs a configured LLM) or null for the server default.',
}
ASK_RETURNS = ("The answer: text (Markdown with inline 〔…〕 citations), refused (true when the library holds nothing "
               "that answers), citations (each cited clause once: doc_id, doc_title, region, kind, article, paragraph, "
               "label, text), mode, query, notice, uploaded_sources (cited documents that users uploaded: not "
               "official publications).")
ASK_STREAM_RETURNS = "While streaming: {text (so far), done: false}; last: {text, done: true, result: the /ask result}."
