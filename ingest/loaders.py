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
# A .docx is a zip: its declared uncompressed sizes are checked before anything is inflated
# (zipfile never inflates past the declared size, so a lying header cannot get more).
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024  # all parts together (images included)
MAX_ZIP_XML = 25 * 1024 * 1024  # the XML parts python-docx parses into memory
MAX_ZIP_RATIO = 200  # per part larger than 1 MB: uncompressed ÷ compressed
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
    """Decode text whose encoding is UTF-8 (±BOM), UTF-16/32 (±BOM) or GB18030/GBK.

    Shift-JIS (Japanese) and Big5 (traditional Chinese) also decode as GB18030 — into garbage — so
    each legacy decoding is scored by how many of its characters are common CJK text; when Shift-JIS or
    Big5 reads far better than GB18030 the file is refused with a message naming the encoding.
    """
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
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _plausible_text(text):
            return text, "utf-8"
    legacy = _legacy_scores(data)
    gb = legacy.get("gb18030", -1.0)
    for encoding, label in (("shift_jis", "Shift-JIS (Japanese)"), ("big5", "Big5 (traditional Chinese)")):
        score = legacy.get(encoding, -1.0)
        if score >= 0.2 and score > 1.5 * max(gb, 0.0) + 0.05:
            raise DecodeError(
                f"{name}: the text looks {label}-encoded, which is not supported; re-save it as UTF-8")
    utf16 = _guess_utf16_without_bom(data)  # all-CJK UTF-16 has no NUL bytes
    if utf16 and legacy.get(utf16, -1.0) > max(gb, 0.0) + 0.1:
        return data.decode(utf16), utf16
    if gb >= 0 and _plausible_text(data.decode("gb18030")):
        return data.decode("gb18030"), "gb18030"
    if utf16:
        return data.decode(utf16), utf16
    raise DecodeError(
        f"{name}: not text in UTF-8, UTF-16 or GB18030/GBK; re-save it as UTF-8"
    )


# The most frequent characters of Chinese (legal) text, simplified and traditional; a wrong legacy
# decoding produces rare glyphs and hits few of them.
_COMMON_CJK = frozenset(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定"
    "行学法所民得经十三之进着等部度家力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些"
    "然前外天政四日那社义事平形相全表间样与关各重新线内数正心反明看原又么利比或但质气第向道命此变条只没结解问意建月公"
    "无系很情者最立代想已通并提直题程展五果料员位入常文总次品式活设及管特件长求头基资边流路级少图山统接知较将组见计别"
    "手期根论运农指几九区强放决西被干做必战先回则任取据处理世车检察监督诉讼审判议务权责依规县市省自治委常代表"
    "這個們來為與對發動會國說後經區長問點從現樣門義務權責監督訴訟審判決議員檢察機關條規應當於時實過開體學產"
)
_KANA = range(0x3040, 0x3100)


def _legacy_scores(data: bytes) -> dict[str, float]:
    """encoding → share of the decoded non-ASCII characters that are common CJK (kana count for Shift-JIS)."""
    scores = {}
    for encoding in ("gb18030", "big5", "shift_jis", "utf-16-le", "utf-16-be"):
        if encoding.startswith("utf-16") and len(data) % 2:
            continue
        try:
            text = data[:40000].decode(encoding, errors="strict" if len(data) <= 40000 else "ignore")
        except UnicodeDecodeError:
            continue
        wide = [ch for ch in text if not ch.isascii() and not ch.isspace()]
        if not wide:
            continue
        hits = sum(1 for ch in wide if ch in _COMMON_CJK or (encoding == "shift_jis" and ord(ch) in _KANA))
        if encoding == "shift_jis" and not any(ord(ch) in _KANA for ch in wide):
            continue  # Japanese without a single kana: not Japanese
        scores[encoding] = hits / len(wide)
    return scores


def _guess_utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: the byte order whose decoding reads as text, more NULs first."""
    if len(data) % 2:
        return None
    even_zeros = data[0::2].count(0) / max(1, len(data[0::2]))
    odd_zeros = data[1::2].count(0) / max(1, len(data[1::2]))
    for encoding, _ in sorted((("utf-16-le", odd_zeros), ("utf-16-be", even_zeros)), key=lambda e: -e[1]):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _plausible_text(text) and "\x00" not in text:
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
    check_zip_container(data, name)
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


def check_zip_container(data: bytes, name: str) -> None:
    """Refuse zip bombs from the central directory alone: entry count, total and XML sizes, ratio."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnsupportedFileError(f"{name}: not a readable .docx ({exc.__class__.__name__}); re-save it from Word") from exc
    if len(infos) > MAX_ZIP_ENTRIES:
        raise UnsupportedFileError(
            f"{name}: the .docx holds {len(infos)} parts (limit {MAX_ZIP_ENTRIES}); re-save it from Word")
    total = sum(i.file_size for i in infos)
    xml = sum(i.file_size for i in infos if i.filename.lower().endswith((".xml", ".rels")))
    if total > MAX_ZIP_UNCOMPRESSED or xml > MAX_ZIP_XML:
        raise FileTooLargeError(
            f"{name}: the .docx unpacks to {total / 1048576:.0f} MB ({xml / 1048576:.0f} MB of XML; limits "
            f"{MAX_ZIP_UNCOMPRESSED / 1048576:.0f} MB and {MAX_ZIP_XML / 1048576:.0f} MB); "
            "split the document or save it as .txt")
    for info in infos:
        if info.file_size > 1048576 and info.file_size > MAX_ZIP_RATIO * max(1, info.compress_size):
            raise FileTooLargeError(
                f"{name}: part {info.filename!r} inflates {info.file_size // max(1, info.compress_size)}-fold "
                f"(limit {MAX_ZIP_RATIO}); not a normal Word file, re-save it from Word")


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
