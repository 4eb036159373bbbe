"""What a question asks for, decided by a small model fit on labelled example questions.

A multinomial logistic regression over character 1–3-grams, trained on `intent_examples.json`
the first time it is needed (well under a second, deterministic: zero start, full-batch
gradient descent). Words count through their context: 「什么时候通过的」 and 「通过哪些方式」
share 通过 but not the n-grams around it, which is what a keyword list could not tell apart.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

EXAMPLES_FILE = Path(__file__).with_name("intent_examples.json")
METADATA_INTENTS = ("effective", "adoption", "repeal", "basis")
_L2 = 1e-3
_STEPS = 400
_RATE = 2.0


@dataclass(frozen=True)
class IntentGuess:
    label: str
    confidence: float  # the model's probability of `label`
    probabilities: dict[str, float]


def _ngrams(text: str) -> list[str]:
    text = "".join(ch for ch in text if not ch.isspace() and ch not in "？?！!。，,、")
    grams = []
    for n in (1, 2, 3):
        grams.extend(text[i:i + n] for i in range(len(text) - n + 1))
    return grams


class IntentModel:
    def __init__(self, labels: list[str], vocabulary: dict[str, int], weights: np.ndarray, bias: np.ndarray):
        self.labels = labels
        self.vocabulary = vocabulary
        self.weights = weights
        self.bias = bias

    @classmethod
    def fit(cls, examples: dict[str, list[str]]) -> IntentModel:
        labels = sorted(examples)
        texts = [(t, labels.index(label)) for label in labels for t in examples[label]]
        vocabulary: dict[str, int] = {}
        for text, _ in texts:
            for gram in _ngrams(text):
                vocabulary.setdefault(gram, len(vocabulary))
        x = np.stack([_features(t, vocabulary) for t, _ in texts])
        y = np.zeros((len(texts), len(labels)))
        y[np.arange(len(texts)), [i for _, i in texts]] = 1.0
        # Each class weighs the same in the loss, however many examples it has.
        sample_weight = 1.0 / y.sum(axis=0)[[i for _, i in texts]]
        sample_weight /= sample_weight.sum()
        w = np.zeros((len(vocabulary), len(labels)))
        b = np.zeros(len(labels))
        for _ in range(_STEPS):
            p = _softmax(x @ w + b)
            grad = (p - y) * sample_weight[:, None]
            w -= _RATE * (x.T @ grad + _L2 * w)
            b -= _RATE * grad.sum(axis=0)
        return cls(labels, vocabulary, w, b)

    def predict(self, question: str) -> IntentGuess:
        p = _softmax(_features(question, self.vocabulary) @ self.weights + self.bias)
        best = int(np.argmax(p))
        return IntentGuess(self.labels[best], float(p[best]),
                           {label: round(float(v), 4) for label, v in zip(self.labels, p)})


def _features(text: str, vocabulary: dict[str, int]) -> np.ndarray:
    v = np.zeros(len(vocabulary))
    for gram in _ngrams(text):
        index = vocabulary.get(gram)
        if index is not None:
            v[index] += 1.0
    norm = np.linalg.norm(v)
    return v / norm if norm else v


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


_model: IntentModel | None = None
_model_lock = threading.Lock()


def load_examples(path: Path = EXAMPLES_FILE) -> dict[str, list[str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def intent_model() -> IntentModel:
    global _model
    with _model_lock:
        if _model is None:
            _model = IntentModel.fit(_bundled_examples())
        return _model


@lru_cache(maxsize=1)
def _bundled_examples() -> dict[str, list[str]]:
    return load_examples()


@lru_cache(maxsize=None)
def asking_words(label: str) -> str:
    """The example questions of one intent, joined: the words people ask that kind of question with
    (「什么时候」「哪次会议」「起施行」)."""
    return "\n".join(_bundled_examples().get(label, ()))


def classify(question: str) -> IntentGuess:
    return intent_model().predict(question)
