"""Errors the engine raises. Every message is one line a user can act on."""


class CorpusError(Exception):
    """Base class: anything the engine refuses, with a user-facing reason."""


class IngestError(CorpusError):
    """An article could not be read, fetched or stored (bad file, bad URL, not an article)."""


class FetchError(IngestError):
    """A URL was refused or could not be fetched (unsafe address, too large, timeout...)."""


class QuestionError(CorpusError):
    """A question that cannot be asked (empty, too long)."""


class StorageError(CorpusError):
    """The database file cannot be used: damaged, read-only, busy, missing (see corpus.storage.database)."""


class DiskFullError(StorageError):
    """The disk is full: this write failed, but reading and later writes may still work."""


class ModelError(CorpusError):
    """The sentence-embedding model is missing, damaged or not the one pinned."""
