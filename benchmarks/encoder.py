"""The sentence encoder's cost and quality: ms a question, paragraphs a second on 1 and 2 threads, memory,
and dense-only retrieval on a SQuAD sample (every question against all paragraphs, cosine ranking).

    python benchmarks/encoder.py [--squad ../shared/bench/squad-dev-a.json] [--bbc ../shared/bench/bbc]
                                 [--xquad ../shared/bench/xquad] [--model DIR] [--questions 1500]

--model takes what ARTICLEBOT_MODEL takes (a model directory; default: the packaged multilingual-e5-small).
Throughput is measured on BBC paragraphs (the corpus #12's 15-minute target is about) when --bbc exists,
else on SQuAD's. Other processes on the machine slow the wall-clock figures: the load average is printed.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from squad import DEFAULT as SQUAD_DEFAULT  # noqa: E402
from squad import load

from corpus.sentence_model.encoder import load_encoder  # noqa: E402

BBC_DEFAULT = ROOT.parent / "shared" / "bench" / "bbc"
XQUAD_DEFAULT = ROOT.parent / "shared" / "bench" / "xquad"
XQUAD_LANGUAGES = ("en", "es", "de", "ru", "zh", "ar")
BBC_PARAGRAPHS = 10_500


def rss_mb() -> tuple[int, int]:
    """(now, peak) resident memory of this process, MB."""
    now = int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) // 1024
    return now, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def bbc_paragraphs(root: Path, count: int) -> list[str]:
    files = sorted(root.glob("*/*.txt"))
    random.Random(7).shuffle(files)
    paragraphs: list[str] = []
    for f in files:
        blocks = f.read_bytes().decode("utf-8", errors="replace").split("\n\n")
        paragraphs += [" ".join(b.split()) for b in blocks[1:] if b.strip()]  # the first block is the title
        if len(paragraphs) >= count:
            break
    return paragraphs[:count]


def ms_per_question(encoder, questions: list[str]) -> str:
    """Median wall ms and mean CPU ms of encoding one question at a time."""
    encoder.encode_queries(questions[:5])
    times, cpu = [], time.process_time()
    for q in questions:
        start = time.perf_counter()
        encoder.encode_queries([q])
        times.append(time.perf_counter() - start)
    cpu = (time.process_time() - cpu) / len(questions)
    return f"{statistics.median(times) * 1000:.2f} ms wall (median), {cpu * 1000:.2f} ms CPU"


def paragraphs_per_second(encoder, paragraphs: list[str]) -> tuple[float, float]:
    """(paragraphs a second of wall time, CPU seconds a paragraph)."""
    encoder.encode_passages(paragraphs[:8])
    wall, cpu = time.perf_counter(), time.process_time()
    encoder.encode_passages(paragraphs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(paragraphs) / wall, cpu / len(paragraphs)


def dense_retrieval(encoder, squad: Path, n_questions: int) -> dict:
    articles, questions = load(squad)
    random.Random(7).shuffle(questions)
    questions = questions[:n_questions]
    paragraphs = [p for _, ps in articles for p in ps]
    index = {p: i for i, p in enumerate(paragraphs)}
    matrix = encoder.encode_passages(paragraphs)
    query_vectors = encoder.encode_queries([q for q, _ in questions])
    ranks = []
    for vector, (_, gold) in zip(query_vectors, questions):
        scores = matrix @ vector
        ranks.append(int((scores > scores[index[gold]]).sum()))
    return _scores(ranks) | {"paragraphs": len(paragraphs)}


def _scores(ranks: list[int]) -> dict:
    n = len(ranks)
    return {"questions": n, "top1": sum(r == 0 for r in ranks) / n,
            "recall@5": sum(r < 5 for r in ranks) / n, "mrr@10": sum(1 / (r + 1) for r in ranks if r < 10) / n}


def xquad_top1(encoder, directory: Path) -> dict[str, float]:
    """Dense top-1 per language on XQuAD: each language's questions against its own 240 paragraphs."""
    result = {}
    for lang in XQUAD_LANGUAGES:
        path = directory / f"xquad.{lang}.json"
        if not path.exists():
            continue
        articles, questions = load(path)
        paragraphs = [p for _, ps in articles for p in ps]
        index = {p: i for i, p in enumerate(paragraphs)}
        matrix = encoder.encode_passages(paragraphs)
        vectors = encoder.encode_queries([q for q, _ in questions])
        ranks = [int(((matrix @ v) > (matrix[index[gold]] @ v)).sum()) for v, (_, gold) in zip(vectors, questions)]
        result[lang] = _scores(ranks)["top1"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path, default=SQUAD_DEFAULT)
    parser.add_argument("--bbc", type=Path, default=BBC_DEFAULT)
    parser.add_argument("--xquad", type=Path, default=XQUAD_DEFAULT, help="XQuAD directory (skipped when absent)")
    parser.add_argument("--model", default=None, help="a model directory (default: $ARTICLEBOT_MODEL, else the packaged one)")
    parser.add_argument("--questions", type=int, default=1500)
    parser.add_argument("--throughput-paragraphs", type=int, default=400)
    args = parser.parse_args()
    if not args.squad.exists():
        sys.exit(f"no SQuAD file at {args.squad}: pass --squad PATH")

    start = time.perf_counter()
    encoder = load_encoder(args.model, threads=1)
    load_s = time.perf_counter() - start
    print(f"model: {encoder.name} ({encoder.version}), {encoder.dim} dimensions")
    print(f"load: {load_s:.1f} s, RSS after load {rss_mb()[0]} MB (peak {rss_mb()[1]} MB); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    _, questions = load(args.squad)
    sample = [q for q, _ in random.Random(1).sample(questions, 200)]
    if args.bbc.is_dir():
        paragraphs, source = bbc_paragraphs(args.bbc, args.throughput_paragraphs), "BBC"
    else:
        paragraphs, source = [p for _, ps in load(args.squad)[0] for p in ps][:args.throughput_paragraphs], "SQuAD"
    words = statistics.mean(len(p.split()) for p in paragraphs)
    print(f"encode one question, median of {len(sample)} SQuAD questions: 1 thread {ms_per_question(encoder, sample)}")
    rate, cpu = paragraphs_per_second(encoder, paragraphs)
    print(f"{len(paragraphs)} {source} paragraphs ({words:.0f} words on average), 1 thread: {rate:.1f} paragraphs/s "
          f"({1000 / rate:.1f} ms wall, {cpu * 1000:.1f} ms CPU a paragraph)")
    quality = dense_retrieval(encoder, args.squad, args.questions)
    print(f"dense retrieval alone, {quality['questions']} SQuAD questions against all {quality['paragraphs']} "
          f"paragraphs: top-1 {quality['top1']:.3f}, recall@5 {quality['recall@5']:.3f}, MRR@10 {quality['mrr@10']:.3f}")
    per_language = xquad_top1(encoder, args.xquad) if args.xquad.is_dir() else {}
    if per_language:
        print("dense top-1 on XQuAD, each language's questions against its own 240 paragraphs: "
              + ", ".join(f"{lang} {top1:.3f}" for lang, top1 in per_language.items()))
    print(f"RSS after embedding: {rss_mb()[0]} MB, peak so far {rss_mb()[1]} MB")

    del encoder
    gc.collect()
    encoder = load_encoder(args.model, threads=2)
    print(f"encode one question, 2 threads: {ms_per_question(encoder, sample)}")
    rate2, cpu2 = paragraphs_per_second(encoder, paragraphs)
    print(f"{len(paragraphs)} {source} paragraphs, 2 threads: {rate2:.1f} paragraphs/s ({1000 / rate2:.1f} ms wall, "
          f"{cpu2 * 1000:.1f} ms CPU a paragraph)")
    if source == "BBC":
        print(f"whole BBC set (~{BBC_PARAGRAPHS:,} paragraphs) at these rates: {BBC_PARAGRAPHS / rate / 60:.1f} min "
              f"on 1 thread, {BBC_PARAGRAPHS / rate2 / 60:.1f} min on 2; from the CPU time, on an idle machine: "
              f"{BBC_PARAGRAPHS * cpu / 60:.1f} min on one core, {BBC_PARAGRAPHS * cpu2 / 2 / 60:.1f} min at best on two")
    print(f"peak RSS: {rss_mb()[1]} MB; load average now {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
