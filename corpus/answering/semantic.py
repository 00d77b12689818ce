"""Searching by meaning beside the words: the sentence model, loaded once on first use; the question's
vector, made on a thread of its own while the lexical stages run (the first question loads the model
there too, so a command-line `ask` reads its words while the model starts); and what `stats` says about
it, which does not load the model.

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
        self._failed = False  # tried, and it could not be loaded
        self.status = "not loaded yet"
        self._pool: ThreadPoolExecutor | None = None
        self._cross_encoder = None
        self._cross_tried = False
        self.rerank_status = "not loaded yet"

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
        from ..sentence_model import model_cache

        model_cache.last_use = None  # set again by this load when it uses the cache (the packaged model)
        try:
            from ..sentence_model.encoder import load_encoder

            self._encoder = load_encoder(settings.model())
        except CorpusError as exc:
            self._failed = True
            self.status = _off(exc)
            log.warning("searching by meaning is off: %s", exc)
            return
        cache = f"; {model_cache.last_use}" if model_cache.last_use else ""
        self.status = f"on ({self.identity}{cache})"

    def cross_encoder(self):
        """The cross-encoder that reads an English question with its best passages (corpus.answering.
        cross_encoder), or None: switched off, or it could not be loaded (see `rerank_status`)."""
        if not settings.rerank():
            self.rerank_status = "off (ARTICLEBOT_RERANK=0 or ARTICLEBOT_SEMANTIC=0)"
            return None
        with self._lock:
            if not self._cross_tried:
                self._cross_tried = True
                self._load_cross_encoder()
        return self._cross_encoder

    def _load_cross_encoder(self) -> None:
        try:
            from .cross_encoder import load_cross_encoder

            self._cross_encoder = load_cross_encoder()
        except CorpusError as exc:
            self.rerank_status = f"off: {exc}"
            log.warning("the cross-encoder is off, passages are ranked as without it: %s", exc)
            return
        self.rerank_status = f"on ({self._cross_encoder.name})"

    @property
    def identity(self) -> str:
        """The model's name and version, stored with the vectors it makes. The packaged model's is known
        before it is loaded (so a question's paragraph vectors are read while it loads); another model's
        once it is."""
        e = self._encoder
        if e is not None:
            return f"{e.name}@{e.version}"
        if self.enabled and not self._failed and _packaged():
            from ..sentence_model.e5_package import identity

            return identity()
        return ""

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
        beside the lexical stages on a second core), loading the model there first if it is not yet; None
        when searching by words alone. The Future gives None when the model cannot be loaded."""
        if not self.enabled or self._failed:
            self.encoder()  # says why in `status`
            return None
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="articlebot-question")
        return self._pool.submit(self._encode_question, question)

    def _encode_question(self, question: str):
        encoder = self.encoder()
        return encoder.encode_queries([question])[0] if encoder is not None else None

    def describe(self) -> str:
        """What `status` says, without loading the model when it is not loaded yet: for the packaged
        model, whether its package is there and its build is cached (the cache file's name is its
        build key, its first bytes say what it is); a model directory of the operator's is loaded."""
        if not self.enabled or self._tried or not _packaged():
            self.encoder()
            return self.status
        from ..sentence_model.encoder import packaged_is_built
        from ..sentence_model.e5_package import identity

        try:
            built = packaged_is_built(settings.cache_dir())
        except CorpusError as exc:
            return _off(exc)
        if built:
            return f"on ({identity()})"
        from ..sentence_model.model_cache import unusable

        why = unusable(settings.cache_dir())
        if why:
            return f"on ({identity()}; not cached: the cache {settings.cache_dir()} cannot be used ({why}), so it is built at every start)"
        return f"on ({identity()}; built at its first use)"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)


def _off(reason: Exception) -> str:
    return f"off: {reason}; answers come from the words alone"


def _packaged() -> bool:
    """Whether the model is the packaged one (no ARTICLEBOT_MODEL directory)."""
    return (settings.model() or "").strip() in ("", "default")
