"""Fit the rerank weights in corpus/answering/search.py on development questions, and show the abstention trade-off.

Dumps each question's candidates with their features (through the engine itself), then runs a
coordinate ascent on top-1. The result is printed, not written: copy it into corpus/answering/search.py.

    python benchmarks/fit_weights.py --news-db /tmp/news.db [--squad ../shared/bench/squad-dev-a.json]

--news-db is a database built by `benchmarks/news.py --db PATH` (all BBC articles plus the seed).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import norm  # noqa: E402

from corpus import Corpus, Document  # noqa: E402
from corpus.answering import rerank as search  # noqa: E402  (the weights live in corpus.answering.rerank)
from corpus.answering.search import UNKNOWN_SHARE_REFUSED  # noqa: E402

# Where the fit starts for the features of meaning (the cosine to the question, and how far below the
# nearest candidate by meaning): present only when the questions' files have vectors.
MEANING_START = {"cosine": 0.3, "cosine_gap": -0.3}


def candidates_with_features(corpus: Corpus, question: str):
    reading = corpus.read(question)
    return reading.candidates, bool(reading.speaker_terms), _answer_inputs(reading)


def _answer_inputs(reading) -> dict:
    """What `answered` reads besides the best candidate (see corpus.answering.search.Reading.answered)."""
    return {"refused_anyway": bool(reading.function_words_only or reading.unknown_share >= UNKNOWN_SHARE_REFUSED)}


def dump_news(db: Path, questions: Path):
    corpus = Corpus.open(db)
    rows = []
    for line in questions.read_text().splitlines():
        q = json.loads(line)
        golds = [norm(a["sentence"]) for a in q["answers"]]
        cands, is_speaker, inputs = candidates_with_features(corpus, q["question"])
        rows.append({"id": q["id"], "kind": q["kind"], "speaker": is_speaker, "answerable": bool(golds), **inputs,
                     "cands": [(c.features, c.coverage, any(g in norm(c.text) for g in golds)) for c in cands]})
    return rows


def dump_squad(path: Path, n: int, seed: int = 7, db: Path | None = None):
    """SQuAD questions' candidates, on a database of all the file's paragraphs: `db` if given (built there
    on the first run and reused: embedding the SQuAD half takes minutes), else a temporary one."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from squad import load

    articles, questions = load(path)
    random.Random(seed).shuffle(questions)
    questions = questions[:n]
    with tempfile.TemporaryDirectory() as tmp:
        reuse = db is not None and db.exists()
        corpus = Corpus.open(db or Path(tmp) / "s.db", load_samples=False)
        if not reuse:
            for title, paragraphs in articles:
                corpus.add(Document(title=title, paragraphs=paragraphs))
        corpus.embed([store for store, _ in corpus.pending_vectors()])  # nothing with ARTICLEBOT_SEMANTIC=0
        rows = []
        for q, gold in questions:
            cands, is_speaker, inputs = candidates_with_features(corpus, q)
            rows.append({"id": q, "kind": "squad", "speaker": is_speaker, "answerable": True, **inputs,
                         "cands": [(c.features, c.coverage, c.text == gold) for c in cands]})
        corpus.close()
    return rows


def top1(rows, weights):
    hits = 0
    for r in rows:
        if not r["cands"]:
            continue
        best = max(r["cands"], key=lambda c: sum(weights.get(k, 0) * v for k, v in c[0].items()))
        hits += best[2]
    return hits / max(len(rows), 1)


def fit_pairwise(sets, weights, epochs=30, lr=0.05, depth=30, seed=1):
    """Averaged pairwise perceptron: push each gold candidate above the others in its top `depth`."""
    keys = list(weights)
    w = [weights[k] for k in keys]
    avg = [0.0] * len(keys)
    rng = random.Random(seed)
    questions = [(r, set_i) for set_i, rows in enumerate(sets) for r in rows if any(c[2] for c in r["cands"])]
    steps = 0
    for _ in range(epochs):
        rng.shuffle(questions)
        for r, set_i in questions:
            vecs = [([c[0].get(k, 0.0) for k in keys], c[2]) for c in r["cands"]]
            scored = sorted(vecs, key=lambda v: -sum(a * b for a, b in zip(w, v[0])))[:depth]
            golds = [v for v, g in scored if g] or [v for v, g in vecs if g][:1]
            gold = max(golds, key=lambda v: sum(a * b for a, b in zip(w, v)))
            g_score = sum(a * b for a, b in zip(w, gold))
            weight = 1000.0 / len(sets[set_i])  # each question set counts the same
            for v, is_gold in scored:
                if is_gold:
                    continue
                if sum(a * b for a, b in zip(w, v)) + 0.1 > g_score:
                    w = [a + lr * weight * 0.01 * (x - y) for a, x, y in zip(w, gold, v)]
            avg = [a + b for a, b in zip(avg, w)]
            steps += 1
    return {k: round(a / steps, 3) for k, a in zip(keys, avg)}


def fit(sets, weights, rounds=4):
    """Coordinate ascent on the mean top-1 of several question sets."""
    def objective(w):
        return sum(top1(rows, w) for rows in sets) / len(sets)

    best = objective(weights)
    for _ in range(rounds):
        improved = False
        for key in list(weights):
            for factor in (0.0, 0.5, 0.75, 1.33, 2.0):
                trial = dict(weights, **{key: round(weights[key] * factor, 3) if weights[key] else 0.25 * factor})
                score = objective(trial)
                if score > best + 1e-9:
                    best, weights, improved = score, trial, True
        if not improved:
            break
    return weights, best


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--news-db", type=Path, required=True)
    parser.add_argument("--questions", type=Path, default=ROOT / "benchmarks" / "news_questions.jsonl")
    parser.add_argument("--squad", type=Path, default=ROOT.parent / "shared" / "bench" / "squad-dev-a.json")
    parser.add_argument("--squad-n", type=int, default=1500)
    parser.add_argument("--squad-db", type=Path, help="SQuAD database to reuse (built there if missing)")
    args = parser.parse_args()
    news = dump_news(args.news_db, args.questions)
    squad = dump_squad(args.squad, args.squad_n, db=args.squad_db)
    general_news = [r for r in news if r["answerable"] and not r["speaker"]]
    speaker_news = [r for r in news if r["answerable"] and r["speaker"]]
    general_squad = [r for r in squad if not r["speaker"]]
    print(f"questions: news general {len(general_news)}, news speaker {len(speaker_news)}, squad {len(general_squad)}")
    print(f"current: general news {top1(general_news, search.WEIGHTS):.3f}, squad {top1(general_squad, search.WEIGHTS):.3f}, "
          f"speaker {top1(speaker_news, search.SPEAKER_WEIGHTS):.3f}")
    start = {**MEANING_START, **search.WEIGHTS}
    pw = fit_pairwise([general_news, general_squad], start)
    print(f"pairwise WEIGHTS = {pw}  (news {top1(general_news, pw):.3f}, squad {top1(general_squad, pw):.3f})")
    w, score = fit([general_news, general_squad], pw)
    print(f"fitted WEIGHTS = {w}  (mean top-1 {score:.3f}: news {top1(general_news, w):.3f}, squad {top1(general_squad, w):.3f})")
    spw = fit_pairwise([speaker_news], {**MEANING_START, **search.SPEAKER_WEIGHTS})
    print(f"pairwise SPEAKER_WEIGHTS = {spw}  (top-1 {top1(speaker_news, spw):.3f})")
    sw, sscore = fit([speaker_news], spw)
    print(f"fitted SPEAKER_WEIGHTS = {sw}  (top-1 {sscore:.3f})")

    # Abstention: the best candidate's coverage for answerable vs unanswerable questions.
    def best_cov(r, wg, ws):
        if not r["cands"]:
            return 0.0
        w = ws if r["speaker"] else wg
        return max(r["cands"], key=lambda c: sum(w.get(k, 0) * v for k, v in c[0].items()))[1]

    ans = [best_cov(r, w, sw) for r in news + squad if r["answerable"]]
    una = [best_cov(r, w, sw) for r in news if not r["answerable"]]
    print("threshold  answerable-wrongly-abstained  unanswerable-abstained")
    for t in (0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9):
        print(f"  {t:.2f}     {sum(c < t for c in ans) / len(ans):.3f}                       "
              f"{sum(c < t for c in una) / max(len(una), 1):.3f}")
    Path("/tmp/fit_dump.json").write_text(json.dumps({"news": news, "squad": squad}))
    return 0


if __name__ == "__main__":
    sys.exit(main())


def cross_validate(dump_path="/tmp/fit_dump.json"):
    """Two-fold check that the fitted weights generalise: fit on half the questions, score the other half."""
    d = json.loads(Path(dump_path).read_text())
    news, squad = d["news"], d["squad"]
    for label, speaker_flag, base, extra in (("general", False, search.WEIGHTS, True), ("speaker", True, search.SPEAKER_WEIGHTS, False)):
        rows = [r for r in news if r["answerable"] and r["speaker"] == speaker_flag]
        sq = [r for r in squad if not r["speaker"]]
        folds = [rows[0::2], rows[1::2]]
        sqf = [sq[0::2], sq[1::2]]
        for i in (0, 1):
            train, test = folds[i], folds[1 - i]
            sets = [train, sqf[i]] if extra else [train]
            w = fit_pairwise(sets, dict(base))
            w2, _ = fit(sets, dict(w))
            print(f"{label} fold {i}: base test {top1(test, base):.3f}; pairwise test {top1(test, w):.3f}; "
                  f"pairwise+ascent test {top1(test, w2):.3f}" + (f"; squad test {top1(sqf[1 - i], base):.3f} -> {top1(sqf[1 - i], w2):.3f}" if extra else ""))


def fit_answer_model(dump_path="/tmp/fit_dump.json", max_false=0.05):
    """Pick ANSWER_MODEL weights and ANSWERED_THRESHOLD: most unanswerable questions abstained while at
    most `max_false` of answerable ones (news + SQuAD) are."""
    import itertools

    d = json.loads(Path(dump_path).read_text())

    def top(r):
        w = search.SPEAKER_WEIGHTS if r["speaker"] else search.WEIGHTS
        return max(r["cands"], key=lambda c: sum(w.get(k, 0) * v for k, v in c[0].items()))[0] if r["cands"] else None

    rows = [(r, top(r)) for r in d["news"] + d["squad"]]
    results = []
    for a, b, c in itertools.product([0, 0.25, 0.5, 0.75, 1], repeat=3):
        if a + b + c == 0:
            continue
        model = {"sentence": a / (a + b + c), "context": b / (a + b + c), "rarest": c / (a + b + c)}
        search.ANSWER_MODEL.update(model)
        for t in [x / 100 for x in range(20, 90, 2)]:
            ans = [f is not None and search.Searcher._coverage(f, r["speaker"]) >= t for r, f in rows if r["answerable"]]
            una = [f is not None and search.Searcher._coverage(f, r["speaker"]) >= t for r, f in rows if not r["answerable"]]
            false_abstain = 1 - sum(ans) / len(ans)
            if false_abstain <= max_false:
                results.append((1 - sum(una) / len(una), -false_abstain, t, model))
    results.sort(key=lambda x: (x[0], x[1]), reverse=True)
    for r in results[:5]:
        print(f"unanswerable abstained {r[0]:.3f}, answerable wrongly abstained {-r[1]:.3f}, threshold {r[2]}, {r[3]}")


def fit_answered_with_meaning(dump_path="/tmp/fit_dump.json", max_false=0.05):
    """`answered` when the questions have vectors: the best passage's coverage reaches T, or its cosine to
    the question reaches C while its coverage reaches T2 (a paraphrase shares meaning, not words). Prints
    the rules that refuse the most unanswerable news questions while refusing at most `max_false` of the
    answerable ones, news and SQuAD each."""
    d = json.loads(Path(dump_path).read_text())

    def top(r):
        if not r["cands"] or r.get("refused_anyway"):  # refused before the passage is looked at
            return None
        speaker = r["speaker"] and any(c[0].get("speaker_article", 0) > 0 for c in r["cands"])
        w = search.MEANING_SPEAKER_WEIGHTS if speaker else search.MEANING_WEIGHTS
        return max(r["cands"], key=lambda c: sum(w.get(k, 0) * v for k, v in c[0].items()))

    rows = [(r["answerable"], top(r), name) for name in ("news", "squad") for r in d[name]]
    results = []
    for t in [x / 100 for x in range(30, 70, 2)]:
        for c in [x / 100 for x in range(78, 96)]:
            for t2 in [0.0, 0.1, 0.2, 0.3]:
                def answered(best):
                    if best is None:
                        return False
                    f, cov = best[0], best[1]
                    return cov >= t or (f.get("cosine", 0.0) >= c and cov >= t2)
                news = [answered(b) for a, b, name in rows if a and name == "news"]
                squad = [answered(b) for a, b, name in rows if a and name == "squad"]
                una = [answered(b) for a, b, _ in rows if not a]
                false_refused = 1 - sum(news) / len(news)
                if false_refused <= max_false and 1 - sum(squad) / max(len(squad), 1) <= max_false:
                    results.append((1 - sum(una) / max(len(una), 1), -false_refused, t, c, t2))
    results.sort(reverse=True)
    for r in results[:8]:
        print(f"unanswerable refused {r[0]:.3f}, answerable wrongly refused {-r[1]:.3f}: "
              f"coverage >= {r[2]} or (cosine >= {r[3]} and coverage >= {r[4]})")

