"""Errors raised by the index. Messages say what went wrong and how to fix it."""


class StoreError(Exception):
    """Base class for index problems."""


class IndexMismatchError(StoreError):
    """The index on disk was built with another embedding model or schema version."""


class IndexNotFoundError(StoreError):
    """No index at the given place."""


class DocumentNotFoundError(StoreError, KeyError):
    """No document with that id in the index."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class IndexBusyError(StoreError):
    """Another process kept the index's write lock longer than we were willing to wait."""


class IndexCorruptError(StoreError):
    """The index's own database is damaged (derived data is rebuilt instead of raising this)."""


class DiskFullError(StoreError):
    """A write failed for lack of space (or quota)."""
