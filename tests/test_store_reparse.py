"""A new parser version re-parses unchanged files and replaces their records, without re-embedding."""

import ingest.parser
from store import ClauseIndex
from store.files import sync_paths

from conftest import CORPUS
from store_fakes import FakeEmbeddings


def test_parser_version_bump_replaces_records_from_the_embedding_cache(tmp_path, monkeypatch):
    with ClauseIndex.open(tmp_path / "index", embeddings=FakeEmbeddings()) as index:
        first = sync_paths(index, [CORPUS], max_bytes=10**7)
        assert first.added == 2
        again = sync_paths(index, [CORPUS], max_bytes=10**7)
        assert again.unchanged == 2 and again.embedded == 0
        monkeypatch.setattr(ingest.parser, "PARSER_VERSION", ingest.parser.PARSER_VERSION + 1)
        bumped = sync_paths(index, [CORPUS], max_bytes=10**7)
        assert bumped.replaced == 2 and bumped.embedded == 0
        assert {d.document.content_hash for d in index.documents()} == {
            ingest.parser.parse_file(p).document.content_hash for p in sorted(CORPUS.iterdir())}
        assert len(index.documents()) == 2
