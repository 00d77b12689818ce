"""articlebot's article engine: ingest, clean, store and search news articles. Never imports discord."""

from .errors import CorpusError, FetchError, IngestError, QuestionError
from .ingest import Document
from .search import Answer, Passage
from .scopes import Corpus, open_corpus
from .store import SHARED_SCOPE, AddResult, ArticleInfo

__all__ = ["Corpus", "open_corpus", "Document", "AddResult", "ArticleInfo", "Answer", "Passage",
           "SHARED_SCOPE", "CorpusError", "IngestError", "FetchError", "QuestionError"]
