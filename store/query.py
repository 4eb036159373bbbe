"""What each retriever is given for a question: keyword terms and the text to embed.

Three rewrites, all measured on the dev question sets:
- names of indexed localities (西藏自治区 / 西藏, 呼和浩特市 / 呼和浩特) are dropped when the search is
  already filtered by region, or when the question names several (a comparison): then they say
  which decision, not what it says, and as keywords they pull preambles and titles to the top.
  A single locality in an unfiltered search is kept: it is the only hint of the decision meant;
- alias expansion from `aliases.txt` (警察 → 公安机关 …) is added to both retrievers: as extra BM25
  terms, and for the dense side as term vectors blended into the question's vector (see
  `ClauseIndex._query_vector`) rather than appended to the embedded text. Appending them made the
  text to embed up to 6x longer (64 vs 11 characters) and the e5 call 3–4x slower, for the same
  Recall@5 on the seed question sets (seeds and whole-corpus indexes);
- the text to embed leaves out punctuation and particles (`NOT_EMBEDDED`): the e5 call is paid per token.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from store.aliases import expansions
from store.keyword import keyword_terms

_REGION_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "自治县", "省", "市", "县", "盟", "旗")


def short_region(region: str) -> str:
    """西藏自治区 → 西藏, 呼和浩特市 → 呼和浩特 (how people name it)."""
    for suffix in _REGION_SUFFIXES:
        if region.endswith(suffix) and len(region) - len(suffix) >= 2:
            return region[: -len(suffix)]
    return region


def named_regions(query: str, regions: Iterable[str]) -> set[str]:
    return {r for r in regions if r and (r in query or (len(short_region(r)) >= 2 and short_region(r) in query))}


def strip_localities(query: str, regions: Iterable[str]) -> str:
    forms = {f for r in regions if r for f in (r, short_region(r)) if len(f) >= 2}
    for form in sorted(forms, key=len, reverse=True):
        query = query.replace(form, " ")
    return query


# Not embedded: punctuation and particles. The e5 call costs about 1 ms per token (7 tokens 10.6 ms, 25 tokens
# 29.8 ms, one thread); dropping these kept the dev sets' R@5/P/R (bank dev R@5 .921 → .922, seeds dev .994 →
# 1.0). Dropping the question scaffolding too (有哪些, 如何, 规定 …) cost recall and refusals.
NOT_EMBEDDED = ("？", "?", "。", "！", "，", "吗", "呢", "请问")


@dataclass(frozen=True)
class RetrievalQuery:
    terms: list[str]  # BM25 terms
    dense_text: str  # what the query embedding is computed from
    dense_terms: tuple[str, ...] = ()  # alias expansions whose vectors are blended into the query's


def prepare(query: str, regions: Iterable[str] = (), *, region_filtered: bool = False,
            expand_dense: bool = True) -> RetrievalQuery:
    content = query
    named = named_regions(query, regions)
    if named and (region_filtered or len(named) > 1):
        content = strip_localities(query, named)
        if not content.strip(" 的之和与及、，,？?"):
            content = query  # the question is only a place name: keep it
    extra = expansions(content)
    dense = content
    for filler in NOT_EMBEDDED:
        dense = dense.replace(filler, "")
    return RetrievalQuery(keyword_terms(content, extra), dense.strip() or content.strip(), tuple(extra) if expand_dense else ())
