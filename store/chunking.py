"""Texts to embed for one clause: the whole article, or paragraph-bounded pieces when it is too long,
and each of its sentences.

The encoder reads at most 512 tokens; an article longer than `max_tokens` is cut at paragraph
(款) boundaries, and a single over-long paragraph at sentence ends. Every piece keeps the
clause's identity (the index stores clause_id on each); retrieval takes the best piece.

A question in everyday words usually matches one sentence of a long article better than the whole
article's vector (which averages every topic the article lists), so an article of several sentences
also gets one vector per sentence; retrieval blends the article's similarity with its best sentence's.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ingest.records import Clause

MAX_TOKENS = 450
_SENTENCE_END = re.compile(r"(?<=[。；！？;])")


def chunk_texts(clause: Clause, count: Callable[[str], int], max_tokens: int = MAX_TOKENS) -> list[str]:
    text = clause.text
    if count(text) <= max_tokens:
        return [text]
    units: list[str] = []
    for paragraph in clause.paragraphs or (text,):
        if count(paragraph) <= max_tokens:
            units.append(paragraph)
        else:
            units.extend(s for s in _SENTENCE_END.split(paragraph) if s)
    return _pack(units, count, max_tokens)


def _pack(units: list[str], count: Callable[[str], int], max_tokens: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for unit in units:
        candidate = f"{current}\n{unit}" if current else unit
        if current and count(candidate) > max_tokens:
            pieces.append(current)
            current = unit
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


MIN_SENTENCE_CHARS = 6  # shorter pieces (「（一）」, a bare heading) say too little to embed alone


def sentence_texts(clause: Clause) -> list[str]:
    """The clause's sentences (split at 。；！？ within each paragraph). A one-sentence clause gives its
    own text (the same vector, from the embedding cache), so every clause has sentence vectors."""
    sentences = [s.strip() for paragraph in (clause.paragraphs or (clause.text,))
                 for s in _SENTENCE_END.split(paragraph)]
    sentences = [s for s in sentences if len(s) >= MIN_SENTENCE_CHARS]
    return sentences
