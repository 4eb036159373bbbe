"""The project's error hierarchy in one place for callers (CLIs, app.py) to catch.

Lower layers define their own bases (`IngestError`, `StoreError`); they are re-exported here so
that a caller can write `except ProjectError` for everything the project raises on purpose.
"""

from ingest.errors import (  # noqa: F401  (re-exported)
    DecodeError,
    EmptyDocumentError,
    FileTooLargeError,
    IngestError,
    UnsupportedFileError,
)
from store.errors import IndexMismatchError, IndexNotFoundError, StoreError  # noqa: F401
from assistant.settings import SettingsError  # noqa: F401


class AssistantError(Exception):
    """Base class for problems in query answering."""


class LLMError(AssistantError):
    """The configured LLM endpoint failed or answered something unusable.

    `reason` is a short phrase for the user (「HTTP 500」, 「请求超时」); the message has the details.
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


ProjectError = (IngestError, StoreError, AssistantError, SettingsError)
