"""articlebot's article engine: ingest, clean, store and search news articles. Never imports discord."""

from .answering.search import Answer, Passage
from .errors import CorpusError, FetchError, IngestError, QuestionError
from .reading.ingest import Document
from .storage.scopes import Corpus, open_corpus
from .storage.store import SHARED_SCOPE, AddResult, ArticleInfo

__all__ = ["Corpus", "open_corpus", "Document", "AddResult", "ArticleInfo", "Answer", "Passage",
           "SHARED_SCOPE", "CorpusError", "IngestError", "FetchError", "QuestionError"]
