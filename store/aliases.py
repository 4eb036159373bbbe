"""Query expansion from the alias table in `aliases.txt` (data, not code)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

ALIASES_FILE = Path(__file__).with_name("aliases.txt")


@lru_cache(maxsize=4)
def load_aliases(path: Path = ALIASES_FILE) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(alias, terms) pairs, longest alias first so 人大常委会 wins over 人大."""
    pairs: list[tuple[str, tuple[str, ...]]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or "=" not in line:
            continue
        left, right = (side.strip() for side in line.split("=", 1))
        terms = tuple(t.strip() for t in right.split("/") if t.strip())
        pairs.extend((alias.strip(), terms) for alias in left.split("/") if alias.strip())
    pairs.sort(key=lambda p: -len(p[0]))
    return tuple(pairs)


def expansions(query: str, path: Path = ALIASES_FILE) -> list[str]:
    """Terms to add to `query`: those of every alias it contains that it does not already say."""
    found: list[str] = []
    rest = query
    for alias, terms in load_aliases(path):
        if alias in rest:
            rest = rest.replace(alias, " ")
            found.extend(t for t in terms if t not in query and t not in found)
    return found


def alias_terms(path: Path = ALIASES_FILE) -> tuple[str, ...]:
    """Every term the table can add, once each (their query vectors are computed at index time)."""
    return tuple(sorted({t for _, terms in load_aliases(path) for t in terms}))
