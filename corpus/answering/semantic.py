"""Searching by meaning beside the words: the sentence model, loaded once on first use; the question's
vector, made on a thread of its own while the lexical stages run; and what `stats` says about it.

With ARTICLEBOT_SEMANTIC=0, or when the model is missing or damaged, the engine answers from the words
alone, exactly as it does without vectors, and says why once (in the log and in `stats`).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from .. import settings
from ..errors import CorpusError

log = logging.getLogger("articlebot.semantic")
log.addHandler(logging.NullHandler())  # the bot logs it; the command line says it in `stats` and errors


class Semantic:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._encoder = None
        self._embedder = None
        self._tried = False
        self.status = "not loaded yet"
        self._pool: ThreadPoolExecutor | None = None

    @property
    def enabled(self) -> bool:
        return settings.semantic()

    def encoder(self):
        """The sentence model, or None (switched off, or it could not be loaded: see `status`)."""
        if not self.enabled:
            self.status = "off (ARTICLEBOT_SEMANTIC=0): answers come from the words alone"
            return None
        with self._lock:
            if not self._tried:
                self._tried = True
                self._load()
        return self._encoder

    def _load(self) -> None:
        try:
            from ..sentence_model.encoder import load_encoder

            self._encoder = load_encoder(settings.model())
        except CorpusError as exc:
            self.status = f"off: {exc}; answers come from the words alone"
            log.warning("searching by meaning is off: %s", exc)
            return
        self.status = f"on ({self.identity})"

    @property
    def identity(self) -> str:
        """The model's name and version, stored with the vectors it makes."""
        e = self._encoder
        return f"{e.name}@{e.version}" if e is not None else ""

    def embedder(self):
        from ..sentence_model.embedding import Embedder

        encoder = self.encoder()
        if encoder is None:
            return None
        with self._lock:
            if self._embedder is None:
                self._embedder = Embedder(encoder, model=self.identity)
        return self._embedder

    def question_vector(self, question: str) -> Future | None:
        """The question's vector, computed on a thread of its own (the model releases the GIL, so it runs
        beside the lexical stages on a second core); None when searching by words alone."""
        encoder = self.encoder()
        if encoder is None:
            return None
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="articlebot-question")
        return self._pool.submit(lambda: encoder.encode_queries([question])[0])

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
