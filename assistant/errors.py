"""The project's error hierarchy in one place for callers (CLIs, app.py) to catch.

Lower layers define their own bases (`IngestError`, `StoreError`); they are re-exported here so
that a caller can write `except ProjectError` for everything the project raises on purpose.
"""

import traceback

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


def plain_message(exc: Exception) -> str:
    """A message for a person: the project's own errors carry one; anything else is logged in full."""
    if isinstance(exc, ProjectError):
        return str(exc)
    traceback.print_exception(exc)
    return f"处理时发生内部错误（{type(exc).__name__}），请重试；若反复出现，请联系管理员查看服务日志。"
