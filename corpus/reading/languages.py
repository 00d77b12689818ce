"""The language an article is written in (detected once when it is added, stored with it) and each
language's rules for words: its stemmer and its stop words.

Scripts written without spaces (Chinese, Japanese, Thai) are cut into words by script, not by language
(corpus.reading.text), so an English article that quotes a Chinese name is found by that name too.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import snowballstemmer

from .folding import fold

try:  # PyStemmer: the same Snowball stemmers compiled to C, ~50x faster (docs/history/performance-notebook.md)
    import Stemmer as _compiled
except ImportError:  # snowballstemmer's pure-Python ones: the same stems (tests/test_languages.py)
    _compiled = None

DEFAULT = "en"

# Function words plus the words chat questions wrap around a request ("what did ... say about").
ENGLISH_STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't
    down during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's her
    here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its
    itself let's me more most mustn't my myself no nor not of off on once only or other ought our ours
    ourselves out over own same shan't she she'd she'll she's should shouldn't so some such than that
    that's the their theirs them themselves then there there's these they they'd they'll they're they've
    this those through to too under until up very was wasn't we we'd we'll we're we've were weren't what
    what's when when's where where's which while who who's whom why why's with won't would wouldn't you
    you'd you'll you're you've your yours yourself yourselves
    tell me please know anything something say said says think thinks thought view views
    according s t""".split()
)

# ISO 639-1 code -> Snowball algorithm. English keeps Porter, what the index used before it knew languages.
SNOWBALL = {
    "en": "porter", "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
    "da": "danish", "nl": "dutch", "eo": "esperanto", "et": "estonian", "fi": "finnish", "fr": "french",
    "de": "german", "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish",
    "it": "italian", "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "nb": "norwegian", "nn": "norwegian",
    "fa": "persian", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}
# The detector's names for varieties that share a written standard.
_SAME_AS = {"wuu": "zh", "yue": "zh", "nn": "no", "nb": "no", "arz": "ar", "ary": "ar", "gug": "gn"}

# Words that only English text is dense with: an article made of them is English without asking the model
# (loading it takes about a second; most articles are English).
_ENGLISH_MARKERS = frozenset("the of and to is was that for with by he she it at said from has his were "
                             "which this are have".split())
_WORD = re.compile(r"[^\W\d_]+")
_STOP_WORD_CODES = {"no": "nb"}  # the stop-words package names Norwegian Bokmål
# Function words the stop-words package leaves out: question words above all ("क्या", "कब", "किसने"), which
# a question has and an article seldom does, so that an unknown or rare one outweighed the question's topic
# (and was "corrected" into another word: "किसकी" read as "किसी").
MORE_STOP_WORDS = {
    "hi": """क्या कब कहाँ कैसे कैसा कैसी क्यों किसने किसको किसका किसकी किसके किसमें किससे किसपर किन किनके
    किनकी किनका किन्होंने कितना कितने कितनी कौनसी कौनसे सा सी थीं गई गए गयी गये जाता जाती जाते जाने जाना रही
    रहीं हुईं किए किये कीं लिया ली दी दिए वाला वाली उन्होंने इन्होंने जिसमें जिसका जिसकी जिसके जिनमें जिसने
    जिन्होंने बताइए बताओ""".split(),
    "ar": "متى ماذا بماذا لماذا هل كم بكم أين كيف أي أية لمن ممن عما فيم".split(),
    "de": "wofür wozu wem wen wessen womit wodurch worauf worin worüber woran wovon viele vielen wieviel".split(),
    "es": "cuántos cuántas".split(),
    "ru": "какова каково каковы какие откуда чей чья чьё чьи".split(),
    "zh": "什么 哪个 哪些 哪里 哪位 哪年 多少 怎么 何时 为什".split(),  # pairs of characters, as the index cuts them
}
_CONFIDENT = 0.5  # below this the detector is guessing (short texts): keep the default
_SAMPLE_CHARS = 3000

_detector_lock = threading.Lock()
_detector = None


def detect(texts: list[str]) -> str:
    """The ISO 639-1 code of the language `texts` (an article's title and paragraphs) are written in."""
    sample = " ".join(texts)[:_SAMPLE_CHARS]
    found = _WORD.findall(sample.lower())
    if len(found) < 3:
        return DEFAULT
    if sum(w in _ENGLISH_MARKERS for w in found) >= 0.15 * len(found):
        return "en"
    code, confidence = _identifier().classify(sample)
    if confidence < _CONFIDENT:
        return DEFAULT
    return _SAME_AS.get(code, code)


def _identifier():
    """py3langid's model, loaded on first use (about a second) and shared by every thread."""
    global _detector
    with _detector_lock:
        if _detector is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _detector = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _detector


class Language:
    """One language's word rules: a memoised stemmer (one Snowball stemmer per thread: it keeps state
    while it works, in C as in Python) and stop words."""

    def __init__(self, code: str) -> None:
        self.code = code
        algorithm = SNOWBALL.get(code)
        self.algorithm = algorithm if algorithm in _algorithms() else None
        self.stop_words = ENGLISH_STOP_WORDS if code == "en" else _stop_words(code)
        self._stems: dict[str, str] = {}
        self._local = threading.local()

    def stem(self, word: str) -> str:
        """The stem of a lower-cased, accent-folded word (the hottest call in ranking: a plain dict)."""
        try:
            return self._stems[word]
        except KeyError:
            if len(self._stems) > 500_000:
                self._stems.clear()
            result = self._stems[word] = self._stemmer().stemWord(word) if self.algorithm else word
            return result

    def _stemmer(self):
        stemmer = getattr(self._local, "stemmer", None)
        if stemmer is None:
            stemmer = self._local.stemmer = _new_stemmer(self.algorithm)
        return stemmer

    @property
    def stems_words(self) -> bool:
        return self.algorithm is not None


@lru_cache(maxsize=None)
def language(code: str | None) -> Language:
    return Language(code or DEFAULT)


def _new_stemmer(algorithm: str):
    if _compiled is None:
        return snowballstemmer.stemmer(algorithm)
    return _compiled.Stemmer(algorithm, 0)  # no cache of its own: Language.stem keeps every stem


@lru_cache(maxsize=1)
def _algorithms() -> frozenset:
    return frozenset(_compiled.algorithms() if _compiled else snowballstemmer.algorithms())


def _stop_words(code: str) -> frozenset:
    """The stop-words package's list for a language (offline, inside the package) and MORE_STOP_WORDS,
    folded as the index folds words; none for a language neither lists."""
    from stop_words import StopWordError, get_stop_words

    try:
        found = get_stop_words(_STOP_WORD_CODES.get(code, code))
    except StopWordError:
        found = []
    return frozenset(fold(w.lower()) for w in [*found, *MORE_STOP_WORDS.get(code, ())])
