"""Every LawRefBook file parses, and its clauses and headings reassemble to its cleaned body."""

import pytest

from ingest import discover_files, parse_file

from conftest import LAWREFBOOK

pytestmark = pytest.mark.skipif(not LAWREFBOOK.exists(), reason="needs ../shared/corpora/lawrefbook")


def test_every_lawrefbook_file_is_lossless():
    files, rejected = discover_files([LAWREFBOOK])
    assert len(files) >= 3400 and not rejected
    lossy, without_articles, dropped = [], 0, []
    for path in files:
        parsed = parse_file(path)
        if parsed.reassemble() != parsed.body:
            lossy.append(path.name)
        if not parsed.articles():
            without_articles += 1
        if parsed.dropped_lines:
            dropped.append(path.name)
        numbers = [c.article for c in parsed.articles()]
        assert all(isinstance(n, int) and n > 0 for n in numbers), path.name
    assert lossy == []
    assert dropped == []  # LawRefBook has no page chrome: nothing may be dropped as noise
    assert without_articles < 60
