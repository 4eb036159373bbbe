"""Ingest: decision files → `Document` + ordered `Clause`s (no index, no model).

    from ingest import parse_file
    parsed = parse_file("corpus/xizang-2024-jiancha-jiandu.md")
    parsed.document.title, [c.label for c in parsed.clauses]
"""

from ingest.errors import IngestError
from ingest.loaders import SUPPORTED_SUFFIXES, discover_files
from ingest.parser import parse_file, parse_text
from ingest.records import Clause, Document, Heading, ParsedDocument

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Clause",
    "Document",
    "Heading",
    "IngestError",
    "ParsedDocument",
    "discover_files",
    "parse_file",
    "parse_text",
]
