"""Errors the engine raises. Every message is one line a user can act on."""


class CorpusError(Exception):
    """Base class: anything the engine refuses, with a user-facing reason."""


class IngestError(CorpusError):
    """An article could not be read, fetched or stored (bad file, bad URL, not an article)."""


class FetchError(IngestError):
    """A URL was refused or could not be fetched (unsafe address, too large, timeout...)."""


class HTTPStatusError(FetchError):
    """The server answered with an error status: ``status`` (404, 429, 500...), and its ``Retry-After``
    header as sent (None when absent), for a caller that retries (corpus.feeds)."""

    def __init__(self, message: str, status: int = 0, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    def __reduce__(self):  # it crosses processes (the bot's reader workers)
        return type(self), (str(self), self.status, self.retry_after)


class QuestionError(CorpusError):
    """A question that cannot be asked (empty, too long)."""


class StorageError(CorpusError):
    """The database file cannot be used: damaged, read-only, busy, missing (see corpus.storage.database)."""


class DiskFullError(StorageError):
    """The disk is full: this write failed, but reading and later writes may still work."""


class ModelError(CorpusError):
    """The sentence-embedding model is missing, damaged or not the one pinned."""
