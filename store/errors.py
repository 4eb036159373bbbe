"""Errors raised by the index. Messages say what went wrong and how to fix it."""


class StoreError(Exception):
    """Base class for index problems."""


class IndexMismatchError(StoreError):
    """The index on disk was built with another embedding model or schema version."""


class IndexNotFoundError(StoreError):
    """No index at the given place."""
