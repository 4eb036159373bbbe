"""Errors raised by ingest. Messages say what went wrong and how to fix it."""


class IngestError(Exception):
    """Base class: a file could not be turned into a document."""


class UnsupportedFileError(IngestError):
    """Unknown extension, binary content or a broken container (.docx/.pdf)."""


class EmptyDocumentError(IngestError):
    """The file holds no text after cleaning."""


class FileTooLargeError(IngestError):
    """The file is over the configured size limit."""


class DecodeError(IngestError):
    """The bytes are not text in any supported encoding."""
