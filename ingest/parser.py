"""File or text → `ParsedDocument`: load, clean, segment, then attach metadata and labels."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from ingest import metadata as meta
from ingest.cleaning import clean_text
from ingest.errors import EmptyDocumentError
from ingest.loaders import DEFAULT_MAX_BYTES, load_file
from ingest.numerals import to_chinese_numeral
from ingest.records import Clause, Document, Heading, ParsedDocument, cite_label
from ingest.structure import CLOSING_ANYWHERE_RE, segment

log = logging.getLogger(__name__)

# Bump when a change to loading, cleaning, segmentation or metadata changes what a file parses to:
# indexes compare it with what they recorded and re-parse files parsed by an older version.
PARSER_VERSION = 5


def parse_file(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedDocument:
    path = Path(path)
    loaded = load_file(path, max_bytes=max_bytes)
    return parse_text(
        loaded.text,
        source_name=path.name,
        source_format=loaded.source_format,
        encoding=loaded.encoding,
        source_path=str(path.resolve()),
    )


def parse_text(
    text: str,
    *,
    source_name: str = "text",
    source_format: str = "text",
    encoding: str | None = None,
    source_path: str | None = None,
) -> ParsedDocument:
    cleaned = clean_text(text, source_format)
    title = cleaned.title or Path(source_name).stem
    lines = cleaned.header_lines + cleaned.body_lines
    md_headings = {i + len(cleaned.header_lines) for i in cleaned.markdown_headings}
    if not any(line.strip() for line in lines):
        raise EmptyDocumentError(f"{source_name}: no text left after removing the title and page chrome")
    structure = segment(lines, md_headings, note_lines=len(cleaned.header_lines))
    body = "\n".join(lines)
    doc_id = hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()[:16]  # the text alone: stable across versions
    content_hash = hashlib.sha256(f"parser {PARSER_VERSION}\n{title}\n{body}".encode()).hexdigest()

    front = cleaned.front_matter
    note_text = "\n".join(line for b in structure.blocks if b.kind == "note" for line in b.lines)
    adoption, meeting = meta.adoption_from_note(note_text) if note_text else (None, None)
    adoption = meta.parse_date(front.get("date")) or adoption
    authority = (
        front.get("author")
        or meta.authority_from_title(title)
        or meta.authority_from_meeting(meeting)
    )
    tail_text = "\n".join(line for b in structure.blocks[-4:] if b.kind in ("closing", "article") for line in b.lines)
    effective, on_publication = meta.effective_from_closing(tail_text)
    publication = meta.parse_date(front.get("publication_date"))
    if on_publication and effective is None:
        effective = publication or adoption
    if effective is None and not on_publication and note_text:
        effective = meta.effective_from_note(note_text)  # no article says when: the 题注 may
    effective = meta.parse_date(front.get("effective_date")) or effective
    urls = front.get("urls") or ([front["url"]] if front.get("url") else [])
    region = meta.region_of(title, authority)

    document = Document(
        doc_id=doc_id,
        title=title,
        region=region,
        authority=authority,
        doc_type=meta.doc_type_of(title),
        adoption_date=adoption,
        meeting=meeting,
        publication_date=publication,
        effective_date=effective,
        effective_on_publication=on_publication,
        status=front.get("status"),
        source_url=urls[0] if urls else None,
        repeals=meta.repeals_in(tail_text),
        content_hash=content_hash,
        source_path=source_path,
        source_format=source_format,
        encoding=encoding,
        warnings=tuple(structure.warnings),
    )
    for warning in structure.warnings:
        log.warning("%s: %s", source_name, warning)

    clauses: list[Clause] = []
    headings: list[Heading] = []
    part = section = None
    for ordinal, block in enumerate(structure.blocks):
        text_block = "\n".join(block.lines)
        if block.kind == "heading":
            headings.append(Heading(text=text_block, level=block.level, ordinal=ordinal))
            if block.level == 1:
                part, section = text_block, None
            else:
                section = text_block
            continue
        if block.label:
            label = block.label
        elif block.kind == "article":
            label = f"第{to_chinese_numeral(block.article)}条{block.suffix or ''}"
        elif block.kind == "closing" and not CLOSING_ANYWHERE_RE.search(text_block):
            label = "附件"
        else:
            label = cite_label(block.kind, None)
        clauses.append(
            Clause(
                doc_id=doc_id,
                doc_title=title,
                region=region,
                kind=block.kind,
                article=block.article,
                paragraph=None,
                part=part if block.kind == "article" else None,
                section=section if block.kind == "article" else None,
                label=label,
                text=text_block,
                ordinal=ordinal,
                paragraphs=tuple(block.paragraphs),
            )
        )
    return ParsedDocument(document=document, clauses=tuple(clauses), headings=tuple(headings), body=body,
                          dropped_lines=tuple(cleaned.dropped_noise))
