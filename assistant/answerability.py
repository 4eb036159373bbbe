"""Does what retrieval found answer the question? A calibrated probability, not a word count.

Evidence from the retrieval step (how similar the best clauses are to the question in meaning and
in words, whether the two retrievers agree, whether the clause asked for by number or by kind was
found, whether the asked-about body acts in a retrieved sentence, whether an asked-for figure is
stated) goes through a logistic model whose weights are fit on the dev question sets by
`python -m assistant.calibrate`. The fitted weights and the threshold live in answerability.json.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MODEL_FILE = Path(__file__).with_name("answerability.json")
# figure_missing: an asked-for figure, party or place is not stated (Assistant._specific_missing), or a term
#   the question quotes or a body it asks about is said by no document in scope (Assistant._named_unsaid).
FEATURES = ("coverage", "dense_top", "dense_margin", "bm25_top", "agreement", "lookup", "lookup_missing",
            "entity_acts", "figure_missing", "scope_gap", "unknown", "named", "intent_confidence", "bias")


@dataclass(frozen=True)
class Decision:
    answerable: bool
    probability: float
    threshold: float
    features: dict[str, float]
    unstated: tuple = ()  # the clauses that state a fact asked for without its date (施行, 通过)
    silent: str = ""  # why the texts are silent on what is asked although they name its subject (the refusal says it)


@dataclass(frozen=True)
class AnswerabilityModel:
    weights: dict[str, float]
    threshold: float
    fitted_on: str = ""

    def probability(self, features: dict[str, float]) -> float:
        z = sum(self.weights.get(name, 0.0) * features.get(name, 0.0) for name in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def decide(self, features: dict[str, float], threshold: float | None = None) -> Decision:
        threshold = self.threshold if threshold is None else threshold
        p = self.probability(features)
        return Decision(p >= threshold, round(p, 4), threshold, features)

    def to_dict(self) -> dict:
        return {"weights": self.weights, "threshold": self.threshold, "fitted_on": self.fitted_on,
                "features": list(FEATURES)}


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_FILE) -> AnswerabilityModel:
    data = json.loads(path.read_text(encoding="utf-8"))
    return AnswerabilityModel(weights=data["weights"], threshold=data["threshold"], fitted_on=data.get("fitted_on", ""))


def fit(rows: list[dict[str, float]], labels: list[int], *, l2: float = 0.01, steps: int = 4000,
        rate: float = 1.0) -> dict[str, float]:
    """Logistic regression by full-batch gradient descent (deterministic), classes weighted equally.

    Features are standardised for the descent and the weights mapped back to raw feature units.
    """
    import numpy as np

    names = [n for n in FEATURES if n != "bias"]
    raw = np.array([[row.get(name, 0.0) for name in names] for row in rows])
    mean, std = raw.mean(axis=0), raw.std(axis=0)
    std[std < 1e-9] = 1.0
    x = np.hstack([(raw - mean) / std, np.ones((len(rows), 1))])
    y = np.array(labels, dtype=float)
    positive = max(1.0, y.sum())
    negative = max(1.0, len(y) - y.sum())
    sample = np.where(y == 1, 0.5 / positive, 0.5 / negative)
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ ((p - y) * sample)
        penalty = l2 * w
        penalty[-1] = 0.0
        w -= rate * (grad + penalty)
    scaled = w[:-1] / std
    weights = {name: round(float(v), 4) for name, v in zip(names, scaled)}
    weights["bias"] = round(float(w[-1] - (scaled * mean).sum()), 4)
    return weights
