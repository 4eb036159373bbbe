"""Conversations kept in the browser: turns to and from JSON, the list of past conversations.

Pure functions, no Gradio. A stored conversation is {"id", "title", "updated", "turns": [turn...]}; a turn is
{"q", "scope", "answer": Answer.to_dict() (citations with clause_id and part)} or {"q", "scope", "error"}.
The store is {"conversations": [...newest first], "current": id | None}; `browser_secret` is the key Gradio's
BrowserState encrypts it with.
"""

from __future__ import annotations

import os
import secrets
import uuid
from datetime import datetime
from pathlib import Path

from assistant.records import Answer, Citation

MAX_CONVERSATIONS = 30


def empty_store() -> dict:
    return {"conversations": [], "current": None}


def turn_to_json(turn) -> dict:
    question, answer = turn[0], turn[1]
    scope = turn[2] if len(turn) > 2 else None
    if isinstance(answer, str):
        return {"q": question, "scope": scope, "error": answer}
    return {"q": question, "scope": scope, "answer": answer.to_dict()}


def turn_from_json(data: dict) -> tuple:
    question, scope = str(data.get("q", "")), data.get("scope")
    if "answer" not in data:
        return (question, str(data.get("error") or "没有得到回答。"), scope)
    a = data["answer"] or {}
    fields = set(Citation.__dataclass_fields__)
    citations = [Citation(**{k: v for k, v in c.items() if k in fields}) for c in a.get("citations") or []]
    answer = Answer(text=str(a.get("text", "")), citations=citations, refused=bool(a.get("refused")),
                    mode=str(a.get("mode") or "extractive"), query=str(a.get("query") or ""),
                    notice=a.get("notice"))
    return (question, answer, scope)


def _store(store) -> dict:
    if not isinstance(store, dict) or not isinstance(store.get("conversations"), list):
        return empty_store()
    return {"conversations": [c for c in store["conversations"] if isinstance(c, dict) and c.get("id")],
            "current": store.get("current")}


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def save(store, conv_id: str | None, turns: list) -> tuple[dict, str | None]:
    """The store with conversation `conv_id` set to `turns` (moved to the top); returns (store, id)."""
    store = _store(store)
    if not turns:
        return store, conv_id
    conv_id = conv_id or new_id()
    entry = {"id": conv_id, "title": str(turns[0][0])[:40],
             "updated": datetime.now().strftime("%Y-%m-%d %H:%M"),
             "turns": [turn_to_json(t) for t in turns]}
    others = [c for c in store["conversations"] if c["id"] != conv_id]
    store["conversations"] = [entry, *others][:MAX_CONVERSATIONS]
    store["current"] = conv_id
    return store, conv_id


def load(store, conv_id: str | None) -> list:
    for c in _store(store)["conversations"]:
        if c["id"] == conv_id:
            return [turn_from_json(t) for t in c.get("turns") or []]
    return []


def delete(store, conv_id: str | None) -> dict:
    store = _store(store)
    store["conversations"] = [c for c in store["conversations"] if c["id"] != conv_id]
    if store["current"] == conv_id:
        store["current"] = None
    return store


def choices(store) -> list[tuple[str, str]]:
    """(label, id) for the list of past conversations, newest first."""
    return [(f"{c.get('updated', '')} · {c.get('title', '')}（{len(c.get('turns') or [])} 问）", c["id"])
            for c in _store(store)["conversations"]]


def browser_secret(data_dir: str | None = None) -> str:
    """The key the conversations kept in the browser are encrypted with: kept in the data folder (JUEDING_DATA_DIR,
    else $XDG_DATA_HOME/jueding-qa), so that they survive a restart of the server; a new random one each start
    when that folder cannot be written."""
    base = data_dir or os.environ.get("JUEDING_DATA_DIR") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "jueding-qa")
    path = Path(base) / "browser-history.key"
    try:
        if path.is_file():
            key = path.read_text(encoding="utf-8").strip()
            if key:
                return key
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(24)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never readable by others, not even briefly
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(key)
        return key
    except OSError:
        return secrets.token_urlsafe(24)
