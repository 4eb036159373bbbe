"""Pure evaluation metrics: question records, gold matching, per-question scores, aggregation.

Nothing here touches an index or a model: `assistant.evaluate` runs the questions through the
real `Assistant` and turns each `Answer`/`Hit` list into a `Outcome`; everything below works on
those plain records, so it is unit-tested on hand-built clauses.

Definitions (see eval/README.md for the reasoning):

- Units are (decision, article | kind) pairs: a hit or citation on any paragraph (款) of 第十六条
  counts for article 16. A gold entry `{"doc": "西藏", "article": 16}` matches a unit whose
  `doc_title` or `region` contains 「西藏」 and which is article 16; `{"doc": …, "kind": "closing"}`
  matches that kind.
- recall@k (answerable questions): gold entries found among the first k hits ÷ min(|gold|, k).
  The cap keeps recall@1 meaningful for questions with several gold articles.
- mrr: 1 / rank of the first hit matching any gold entry (0 when none of the retrieved hits do).
- citation_recall (answerable): gold entries matched by a citation ÷ |gold|; a refused answer scores 0.
- citation_precision (answerable): distinct cited units matching gold ∪ also ÷ distinct cited units.
  A refused answer is excluded (undefined); an answer that is not refused but cites nothing scores 0.
- citation_f1 (answerable): per-question harmonic mean of the two (0 when either is 0 or undefined).
- refusal_accuracy (all questions): share where `refused == expect_refusal`.
- must_include (questions that have it): share of the strings found in the answer text (0 for a
  refusal; the question's own words echoed back do not count).
- invalid_citations: citations whose unit was not among the clauses shown to the answerer (a count).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.numerals import to_chinese_numeral
from ingest.records import KIND_LABELS, KINDS

QUESTION_TYPES = (
    "entity",
    "topic",
    "exact",
    "paraphrase",
    "meta",
    "compare",
    "followup",
    "filtered",
    "unanswerable",
)

RECALL_KS = (1, 3, 5)

# Higher is better unless listed here (then a --fail-under bound is a maximum).
LOWER_IS_BETTER = frozenset(
    {"invalid_citations", "wrong_document_citations", "latency_ms_p50", "latency_ms_p95", "errors",
     "false_refusal_rate", "false_answer_rate"}
)

# The keys every metrics block carries, in display order.
METRIC_KEYS = (
    "recall@1",
    "recall@3",
    "recall@5",
    "mrr",
    "citation_precision",
    "citation_recall",
    "citation_f1",
    "invalid_citations",
    "wrong_document_citations",
    "refusal_accuracy",
    "false_refusal_rate",
    "false_answer_rate",
    "must_include",
    "latency_ms_p50",
    "latency_ms_p95",
    "n_questions",
    "n_answerable",
    "errors",
)


class QuestionSetError(ValueError):
    """A question file that does not follow the format in the interface spec."""


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class GoldRef:
    """One gold/also entry: a decision (substring of its title or region) and an article or kind."""

    doc: str
    article: int | None = None
    kind: str | None = None

    @classmethod
    def from_dict(cls, data: object, where: str) -> GoldRef:
        if not isinstance(data, dict) or not isinstance(data.get("doc"), str) or not data["doc"].strip():
            raise QuestionSetError(f"{where}: each gold entry needs a non-empty 'doc' string, got {data!r}")
        article, kind = data.get("article"), data.get("kind")
        extra = set(data) - {"doc", "article", "kind"}
        if extra:
            raise QuestionSetError(f"{where}: unknown gold keys {sorted(extra)}")
        if (article is None) == (kind is None):
            raise QuestionSetError(f"{where}: a gold entry needs exactly one of 'article' or 'kind': {data!r}")
        if article is not None and (isinstance(article, bool) or not isinstance(article, int) or article < 1):
            raise QuestionSetError(f"{where}: 'article' must be a positive integer, got {article!r}")
        if kind is not None and (kind not in KINDS or kind == "article"):
            raise QuestionSetError(f"{where}: 'kind' must be one of preamble, note, closing; got {kind!r}")
        return cls(doc=data["doc"], article=article, kind=kind)

    def to_dict(self) -> dict:
        return {"doc": self.doc, "article": self.article} if self.article is not None else {
            "doc": self.doc,
            "kind": self.kind,
        }

    def matches(self, unit: Unit) -> bool:
        if self.doc not in unit.doc_title and self.doc not in unit.region:
            return False
        if self.article is not None:
            return unit.kind == "article" and unit.article == self.article
        return unit.kind == self.kind

    @property
    def label(self) -> str:
        if self.article is not None:
            return f"{self.doc}·第{to_chinese_numeral(self.article)}条"
        return f"{self.doc}·{KIND_LABELS.get(self.kind, self.kind)}"


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    type: str
    gold: tuple[GoldRef, ...] = ()
    also: tuple[GoldRef, ...] = ()
    history: tuple[tuple[str, str], ...] = ()
    must_include: tuple[str, ...] = ()
    expect_refusal: bool = False
    filters: dict | None = None
    source: str = ""  # the file it came from

    @property
    def answerable(self) -> bool:
        return not self.expect_refusal and bool(self.gold)

    @classmethod
    def from_dict(cls, data: object, where: str = "question", source: str = "") -> Question:
        if not isinstance(data, dict):
            raise QuestionSetError(f"{where}: expected a JSON object, got {type(data).__name__}")
        known = {"id", "question", "type", "gold", "also", "history", "must_include", "expect_refusal", "filters",
                 "note", "trap"}  # note/trap: the writer's remarks, not scored
        extra = set(data) - known
        if extra:
            raise QuestionSetError(f"{where}: unknown keys {sorted(extra)}")
        for key in ("id", "question", "type"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                raise QuestionSetError(f"{where}: '{key}' must be a non-empty string")
        where = f"{where} ({data['id']})"
        if not isinstance(data.get("gold"), list):
            raise QuestionSetError(f"{where}: 'gold' must be a list (empty for unanswerable questions)")
        gold = tuple(GoldRef.from_dict(g, where) for g in data["gold"])
        also_raw = data.get("also", [])
        if not isinstance(also_raw, list):
            raise QuestionSetError(f"{where}: 'also' must be a list")
        also = tuple(GoldRef.from_dict(g, where) for g in also_raw)
        history_raw = data.get("history", [])
        if not isinstance(history_raw, list) or not all(
            isinstance(t, list | tuple) and len(t) == 2 and all(isinstance(s, str) for s in t) for t in history_raw
        ):
            raise QuestionSetError(f"{where}: 'history' must be a list of [question, answer] string pairs")
        must = data.get("must_include", [])
        if not isinstance(must, list) or not all(isinstance(s, str) and s for s in must):
            raise QuestionSetError(f"{where}: 'must_include' must be a list of non-empty strings")
        refusal = data.get("expect_refusal", False)
        if not isinstance(refusal, bool):
            raise QuestionSetError(f"{where}: 'expect_refusal' must be true or false")
        if refusal and gold:
            raise QuestionSetError(f"{where}: a question that expects a refusal cannot have gold entries")
        if not refusal and not gold:
            raise QuestionSetError(f"{where}: an answerable question needs at least one gold entry")
        filters = data.get("filters")
        if filters is not None and (
            not isinstance(filters, dict)
            or not all(isinstance(k, str) and isinstance(v, list | str) for k, v in filters.items())
        ):
            raise QuestionSetError(f"{where}: 'filters' must map a field name to a value or list of values")
        return cls(
            id=data["id"],
            question=data["question"],
            type=data["type"],
            gold=gold,
            also=also,
            history=tuple((q, a) for q, a in history_raw),
            must_include=tuple(must),
            expect_refusal=refusal,
            filters=filters,
            source=source,
        )


def load_questions(paths: Iterable[str | Path]) -> list[Question]:
    """Read JSONL question files (blank lines and lines starting with // are skipped)."""
    questions: list[Question] = []
    seen: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise QuestionSetError(f"{path}: cannot read question file ({exc.strerror or exc})") from exc
        for lineno, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            where = f"{path}:{lineno}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise QuestionSetError(f"{where}: not valid JSON ({exc.msg})") from exc
            q = Question.from_dict(data, where, source=str(path))
            if q.id in seen:
                raise QuestionSetError(f"{where}: duplicate id {q.id!r} (first at {seen[q.id]})")
            seen[q.id] = where
            questions.append(q)
    if not questions:
        raise QuestionSetError("no questions found in " + ", ".join(str(p) for p in paths))
    return questions


@dataclass(frozen=True)
class Unit:
    """The (decision, article | kind) a hit or citation points at, with what is needed to match and show it."""

    doc_id: str
    doc_title: str
    region: str
    kind: str
    article: int | None
    label: str = ""

    @classmethod
    def of(cls, record: object) -> Unit:
        """From a `Clause`, a `Citation`, or a `Hit` (its clause)."""
        record = getattr(record, "clause", record)
        return cls(
            doc_id=record.doc_id,
            doc_title=record.doc_title or "",
            region=record.region or "",
            kind=record.kind,
            article=record.article if record.kind == "article" else None,
            label=getattr(record, "label", "") or "",
        )

    @property
    def key(self) -> tuple[str, str]:
        unit = f"article:{self.article}" if self.kind == "article" else self.kind
        return (self.doc_id, unit)

    @property
    def display(self) -> str:
        place = self.region or self.doc_title[:12]
        if self.kind == "article":
            return f"{place}·第{to_chinese_numeral(self.article)}条"
        return f"{place}·{KIND_LABELS.get(self.kind, self.kind)}"


@dataclass
class Outcome:
    """What the system did for one question."""

    retrieved: list[Unit] = field(default_factory=list)  # hits in rank order, one per hit
    cited: list[Unit] = field(default_factory=list)  # Answer.citations in order
    refused: bool = False
    text: str = ""
    latency_ms: float = 0.0
    invalid_citations: int = 0
    wrong_document_citations: int = 0
    query: str = ""
    debug: dict = field(default_factory=dict)  # the Answer's: intent, its confidence, answerability, threshold
    error: str | None = None


# --------------------------------------------------------------------------- scoring


def dedupe(units: Iterable[Unit]) -> list[Unit]:
    seen: set[tuple[str, str]] = set()
    out = []
    for u in units:
        if u.key not in seen:
            seen.add(u.key)
            out.append(u)
    return out


def found(refs: Sequence[GoldRef], units: Sequence[Unit]) -> list[GoldRef]:
    """The refs matched by at least one unit."""
    return [r for r in refs if any(r.matches(u) for u in units)]


def recall_at(gold: Sequence[GoldRef], retrieved: Sequence[Unit], k: int) -> float | None:
    if not gold:
        return None
    return len(found(gold, retrieved[:k])) / min(len(gold), k)


def reciprocal_rank(gold: Sequence[GoldRef], retrieved: Sequence[Unit]) -> float | None:
    if not gold:
        return None
    for rank, unit in enumerate(retrieved, 1):
        if any(r.matches(unit) for r in gold):
            return 1.0 / rank
    return 0.0


def citation_scores(question: Question, outcome: Outcome) -> tuple[float | None, float | None, float | None]:
    """(precision, recall, f1) for an answerable question; (None, None, None) otherwise."""
    if not question.answerable:
        return None, None, None
    cited = dedupe(outcome.cited)
    recall = len(found(question.gold, cited)) / len(question.gold)
    if outcome.refused and not cited:
        precision = None
    elif not cited:
        precision = 0.0
    else:
        relevant = question.gold + question.also
        precision = sum(1 for u in cited if any(r.matches(u) for r in relevant)) / len(cited)
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0
    return precision, recall, f1


def _normalize(text: str) -> str:
    return re.sub(r"\s+", "", text)


def missing_must_include(question: Question, text: str, refused: bool = False) -> list[str]:
    """The must_include strings absent from the answer. A refusal delivers none of them, and an
    answer's echo of the question itself (「未找到与「…」相关的规定」) does not count."""
    if refused:
        return list(question.must_include)
    body = _normalize(text).replace(_normalize(f"「{question.question}」"), "")  # only the quoted echo
    return [s for s in question.must_include if _normalize(s) not in body]


def score_question(question: Question, outcome: Outcome, ks: Sequence[int] = RECALL_KS) -> dict:
    """Per-question metrics; None where a metric does not apply to this question."""
    scores: dict = {}
    answerable = question.answerable
    for k in ks:
        scores[f"recall@{k}"] = recall_at(question.gold, outcome.retrieved, k) if answerable else None
    scores["mrr"] = reciprocal_rank(question.gold, outcome.retrieved) if answerable else None
    p, r, f1 = citation_scores(question, outcome)
    scores["citation_precision"], scores["citation_recall"], scores["citation_f1"] = p, r, f1
    scores["invalid_citations"] = outcome.invalid_citations
    scores["wrong_document_citations"] = outcome.wrong_document_citations
    scores["refusal_ok"] = outcome.refused == question.expect_refusal
    missing = missing_must_include(question, outcome.text, outcome.refused)
    scores["missing_must_include"] = missing
    scores["must_include"] = (
        (len(question.must_include) - len(missing)) / len(question.must_include) if question.must_include else None
    )
    scores["latency_ms"] = outcome.latency_ms
    scores["error"] = outcome.error
    return scores


def is_miss(question: Question, scores: dict, k: int = 5) -> bool:
    """Whether the question belongs in the report's list of misses."""
    rk = scores.get(f"recall@{k}", scores.get("recall@5"))
    return bool(
        scores["error"]
        or not scores["refusal_ok"]
        or scores["invalid_citations"]
        or scores.get("wrong_document_citations")
        or scores["missing_must_include"]
        or (rk is not None and rk < 1)
        or (scores["citation_recall"] is not None and scores["citation_recall"] < 1)
        or (scores["citation_precision"] is not None and scores["citation_precision"] < 1)
    )


# --------------------------------------------------------------------------- aggregation


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), as numpy's default."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def aggregate_block(rows: Sequence[tuple[Question, dict]], ks: Sequence[int] = RECALL_KS) -> dict:
    """Metrics over a set of scored questions (no per_type)."""
    block: dict = {}
    for k in ks:
        block[f"recall@{k}"] = _mean(s[f"recall@{k}"] for _, s in rows)
    block["mrr"] = _mean(s["mrr"] for _, s in rows)
    for key in ("citation_precision", "citation_recall", "citation_f1"):
        block[key] = _mean(s[key] for _, s in rows)
    block["invalid_citations"] = sum(s["invalid_citations"] for _, s in rows)
    block["wrong_document_citations"] = sum(s.get("wrong_document_citations", 0) for _, s in rows)
    block["refusal_accuracy"] = _mean(1.0 if s["refusal_ok"] else 0.0 for _, s in rows)
    answerable = [(q, s) for q, s in rows if not q.expect_refusal]
    unanswerable = [(q, s) for q, s in rows if q.expect_refusal]
    block["false_refusal_rate"] = _mean(0.0 if s["refusal_ok"] else 1.0 for _, s in answerable)
    block["false_answer_rate"] = _mean(0.0 if s["refusal_ok"] else 1.0 for _, s in unanswerable)
    block["must_include"] = _mean(s["must_include"] for _, s in rows)
    latencies = [s["latency_ms"] for _, s in rows if s["latency_ms"] is not None and not s["error"]]
    block["latency_ms_p50"] = percentile(latencies, 50)
    block["latency_ms_p95"] = percentile(latencies, 95)
    block["n_questions"] = len(rows)
    block["n_answerable"] = len(answerable)
    block["errors"] = sum(1 for _, s in rows if s["error"])
    return block


def aggregate(rows: Sequence[tuple[Question, dict]], ks: Sequence[int] = RECALL_KS) -> dict:
    """Overall metrics plus `per_type` {type: same keys}, types in the canonical order."""
    metrics = aggregate_block(rows, ks)
    types = [t for t in QUESTION_TYPES if any(q.type == t for q, _ in rows)]
    types += sorted({q.type for q, _ in rows} - set(types))
    metrics["per_type"] = {t: aggregate_block([(q, s) for q, s in rows if q.type == t], ks) for t in types}
    return metrics


# --------------------------------------------------------------------------- floors and deltas


@dataclass(frozen=True)
class Floor:
    key: str  # "recall@5" or "per_type.exact.recall@5"
    bound: float

    @property
    def metric(self) -> str:
        return self.key.rsplit(".", 1)[-1]

    @property
    def is_ceiling(self) -> bool:
        return self.metric in LOWER_IS_BETTER


def parse_floors(spec: str) -> list[Floor]:
    """'recall@5=0.95,citation_precision=0.9,invalid_citations=0' → [Floor…]."""
    floors = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        try:
            bound = float(value)
        except ValueError:
            bound = None
        if not sep or not key or bound is None:
            raise ValueError(f"--fail-under: expected KEY=NUMBER, got {part!r}")
        metric = key.rsplit(".", 1)[-1]
        if key.startswith("per_type.") and key.count(".") != 2:
            raise ValueError(f"--fail-under: per-type floors are written per_type.TYPE.KEY, got {key!r}")
        if metric not in METRIC_KEYS and not re.fullmatch(r"recall@\d+", metric):
            raise ValueError(f"--fail-under: unknown metric {metric!r} (known: {', '.join(METRIC_KEYS)})")
        floors.append(Floor(key, bound))
    return floors


def lookup(metrics: dict, key: str) -> float | None:
    if key.startswith("per_type."):
        _, qtype, metric = key.split(".", 2)
        return metrics.get("per_type", {}).get(qtype, {}).get(metric)
    return metrics.get(key)


def check_floors(metrics: dict, floors: Sequence[Floor]) -> list[str]:
    """One line per failed floor (empty when all pass)."""
    failures = []
    for floor in floors:
        value = lookup(metrics, floor.key)
        if value is None:
            failures.append(f"{floor.key} is undefined for this question set (floor {floor.bound:g})")
        elif floor.is_ceiling and value > floor.bound:
            failures.append(f"{floor.key} = {value:.4g} is above the allowed maximum {floor.bound:g}")
        elif not floor.is_ceiling and value < floor.bound:
            failures.append(f"{floor.key} = {value:.4g} is below the floor {floor.bound:g}")
    return failures


def deltas(old: dict, new: dict) -> list[tuple[str, float | None, float | None, float | None]]:
    """(key, old, new, new - old) for the overall keys and per-type keys present in either."""
    rows = []

    def add(prefix: str, a: dict, b: dict) -> None:
        numeric = {k for d in (a, b) for k, v in d.items() if isinstance(v, int | float) and not isinstance(v, bool)}
        keys = [k for k in METRIC_KEYS if k in numeric] + sorted(numeric - set(METRIC_KEYS))
        for key in keys:
            va, vb = a.get(key), b.get(key)
            both = isinstance(va, int | float) and isinstance(vb, int | float)
            rows.append((prefix + key, va, vb, vb - va if both else None))

    add("", old, new)
    for qtype in list(dict.fromkeys([*old.get("per_type", {}), *new.get("per_type", {})])):
        add(f"per_type.{qtype}.", old.get("per_type", {}).get(qtype, {}), new.get("per_type", {}).get(qtype, {}))
    return rows


# --------------------------------------------------------------------------- quoted text vs cited document

_MARKER = re.compile(r"〔《([^》]+)》([^〕]+)〕")
_MIN_PIECE = 8  # characters of quoted text needed to say which document it comes from


def _names(short: str, title: str, region: str) -> bool:
    """Whether a marker's short title 《北京…耕地占用税…决定》 can name the document `title`."""
    pieces = [p for p in short.split("…") if p]
    return short == title or all(p in title or (region and p in region) for p in pieces)


def wrong_document_citations(text: str, citations: Sequence, sources: Sequence) -> int:
    """Markers whose quoted text comes from another document than the one the marker cites.

    Each marker's quote is the text before it on its line (after the previous marker); its pieces
    (split at 「……」) that are long enough are looked up in the clauses shown to the answerer. A
    marker counts when a piece occurs in other documents' clauses and not in the cited one's; quotes
    found nowhere (a paraphrase) are not judged. Citations are matched to markers by label and title.
    """
    by_doc: dict[str, str] = {}
    for clause in sources:
        by_doc[clause.doc_id] = by_doc.get(clause.doc_id, "") + _normalize(clause.text) + "\n"
    wrong = 0
    for line in text.splitlines():
        start = 0
        for match in _MARKER.finditer(line):
            quote = line[start:match.start()]
            start = match.end()
            cited = [c for c in citations if c.label == match.group(2).strip()
                     and _names(match.group(1), c.doc_title, c.region)]
            if len(cited) != 1:
                continue
            for piece in re.split(r"……|「|」|：", quote):
                piece = _normalize(piece.strip(" -*>"))
                if len(piece) < _MIN_PIECE:
                    continue
                holders = {d for d, body in by_doc.items() if piece in body}
                if holders and cited[0].doc_id not in holders:
                    wrong += 1
                    break
    return wrong
