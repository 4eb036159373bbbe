"""How much of a question a piece of text covers: the measure behind refusal and sentence choice.

The question's content words (jieba, generic words removed) are weighted by IDF, so a word the
corpus never uses weighs most. A word counts as found when it, a term its alias expands to, or a
name the decisions use for the same body occurs in the text; a compound word that does not occur
whole earns half credit for the share of its bigrams that do (环境保护 ~ 生态环境和资源保护).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistant.analysis import QueryPlan, entity_table, find_entity
from ingest.tokenize import content_words, tokenize
from store.aliases import expansions, load_aliases


@dataclass(frozen=True)
class TermMatcher:
    words: tuple[str, ...]
    forms: dict[str, tuple[str, ...]]
    weights: dict[str, float]

    @classmethod
    def for_plan(cls, plan: QueryPlan, weight_of: Callable[[str], float],
                 ignore: Callable[[str], bool] = lambda w: False) -> TermMatcher:
        words = [w for w in content_words(plan.content_text) if not ignore(w)]
        if plan.entity:
            words = [w for w in words if find_entity(w)[0] != plan.entity] + [plan.entity]
        forms = {w: [w, *expansions(w)] + list(entity_table().get(w, {}).get("text", []))
                 + list(plan.terms if w == plan.entity else ()) for w in words}
        for alias, terms in load_aliases():  # 「打假官司」 → 虚假诉讼 although jieba cut it into 打假/官司
            if alias in plan.content_text:
                for w in words:
                    if w in alias:
                        forms[w].extend(terms)
        return cls(tuple(words), {w: tuple(dict.fromkeys(f)) for w, f in forms.items()},
                   {w: weight_of(w) for w in words})

    def found(self, word: str, text: str) -> float:
        if any(f in text for f in self.forms[word]):
            return 1.0
        bigrams = tokenize(word)
        return 0.5 * sum(b in text for b in bigrams) / len(bigrams) if len(bigrams) > 1 else 0.0

    def score_words(self, text: str, words: list[str]) -> float:
        """`score` over some of the question's words only."""
        total = sum(self.weights[w] for w in words)
        return sum(self.weights[w] * self.found(w, text) for w in words) / total if total else 0.0

    def score(self, text: str) -> float:
        """Weighted share of the question's words that `text` covers, 0..1."""
        total = sum(self.weights.values())
        if not total:
            return 0.0
        return sum(self.weights[w] * self.found(w, text) for w in self.words) / total
