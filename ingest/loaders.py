"""Files → text: format by extension, encoding detected (not assumed), bad input rejected.

Each loader returns `LoadedText(text, source_format, encoding)`; every failure is an
`IngestError` subclass whose message fits on one line and says what to do about it.
"""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from ingest.errors import (
    DecodeError,
    EmptyDocumentError,
    FileTooLargeError,
    UnsupportedFileError,
)

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".text")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + (".docx", ".pdf")


@dataclass(frozen=True)
class LoadedText:
    text: str
    source_format: str  # markdown | text | html | docx | pdf
    encoding: str | None


def load_file(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedText:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileError(
            f"{path.name}: unsupported file type '{suffix or '(none)'}'; "
            f"use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    if not path.is_file():
        raise UnsupportedFileError(f"{path}: not a file")
    size = path.stat().st_size
    if size > max_bytes:
        raise FileTooLargeError(
            f"{path.name}: {size / 1048576:.1f} MB is over the {max_bytes / 1048576:.0f} MB limit; "
            "split the file or raise JUEDING_MAX_FILE_MB"
        )
    if size == 0:
        raise EmptyDocumentError(f"{path.name}: the file is empty")
    data = path.read_bytes()
    if suffix == ".docx":
        return LoadedText(_docx_text(data, path.name), "docx", None)
    if suffix == ".pdf":
        return LoadedText(_pdf_text(data, path.name), "pdf", None)
    text, encoding = decode_bytes(data, path.name)
    if suffix in HTML_SUFFIXES or _looks_like_html(text):
        return LoadedText(html_to_text(text), "html", encoding)
    fmt = "markdown" if suffix in (".md", ".markdown") else "text"
    return LoadedText(text, fmt, encoding)


def discover_files(paths: list[str | Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Expand folders (recursively) into supported files, sorted; return (files, rejected)."""
    files: list[Path] = []
    rejected: list[tuple[Path, str]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
            )
        elif path.is_file():
            files.append(path)
        else:
            rejected.append((path, f"{path}: no such file or folder"))
    return files, rejected


# --- encodings ---------------------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def decode_bytes(data: bytes, name: str = "file") -> tuple[str, str]:
    """Decode text whose encoding is UTF-8 (±BOM), UTF-16/32 (±BOM) or GB18030/GBK."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).lstrip("\ufeff"), encoding
            except UnicodeDecodeError as exc:
                raise DecodeError(f"{name}: starts with a {encoding} mark but is not {encoding} ({exc.reason})") from exc
    if b"\x00" in data:
        utf16 = _guess_utf16_without_bom(data)
        if utf16:
            return data.decode(utf16), utf16
        raise UnsupportedFileError(f"{name}: binary content (NUL bytes), not a text document")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _plausible_text(text):
            return text, encoding
    raise DecodeError(
        f"{name}: not text in UTF-8, UTF-16 or GB18030/GBK; re-save it as UTF-8"
    )


def _guess_utf16_without_bom(data: bytes) -> str | None:
    even_zeros = data[0::2].count(0) / max(1, len(data[0::2]))
    odd_zeros = data[1::2].count(0) / max(1, len(data[1::2]))
    for encoding, zeros in (("utf-16-be", even_zeros), ("utf-16-le", odd_zeros)):
        if zeros > 0.2 or (even_zeros < 0.05 and odd_zeros < 0.05):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if _plausible_text(text):
                return encoding
    return None


def _plausible_text(text: str) -> bool:
    """Reject decodes that are mostly control characters or rare-glyph noise."""
    sample = text[:20000]
    if not sample.strip():
        return True
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t\f") or 0xE000 <= ord(ch) <= 0xF8FF)
    if bad / len(sample) > 0.01:
        return False
    common = sum(1 for ch in sample if ch.isascii() or "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f"
                 or "\uff00" <= ch <= "\uffef" or ch in "“”‘’—…·")
    return common / len(sample) > 0.9


# --- HTML --------------------------------------------------------------------------------

_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
               "table", "ul", "ol", "dd", "dt", "blockquote", "pre", "title", "td"}
_SKIP_TAGS = {"script", "style", "noscript", "nav", "header", "footer", "iframe", "svg", "select", "button", "form"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return "".join(extractor.parts)


def _looks_like_html(text: str) -> bool:
    head = text[:2000].lower()
    return "<html" in head or "<!doctype html" in head or ("<body" in head and "</" in head)


# --- containers --------------------------------------------------------------------------


def _docx_text(data: bytes, name: str) -> str:
    try:
        import docx  # python-docx
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise UnsupportedFileError(f"{name}: python-docx is not installed; pip install python-docx") from exc
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnsupportedFileError(f"{name}: not a readable .docx ({exc.__class__.__name__}); re-save it from Word") from exc
    except Exception as exc:  # python-docx raises assorted lxml/opc errors on broken parts
        raise UnsupportedFileError(f"{name}: not a readable .docx ({exc.__class__.__name__}); re-save it from Word") from exc
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" ".join(cell.text for cell in row.cells))
    text = "\n".join(lines)
    if not text.strip():
        raise EmptyDocumentError(f"{name}: the .docx holds no text")
    return text


def _pdf_text(data: bytes, name: str) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise UnsupportedFileError(f"{name}: pypdf is not installed; pip install pypdf") from exc
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise UnsupportedFileError(f"{name}: not a readable PDF ({exc.__class__.__name__})") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise EmptyDocumentError(f"{name}: the PDF has no text layer (scanned?); run OCR on it first")
    return text
