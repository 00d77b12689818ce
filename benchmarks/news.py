"""News-question benchmark for articlebot (stdlib only).

    python benchmarks/news.py --check          # validate benchmarks/news_questions.jsonl against the files
    python benchmarks/news.py                  # build a temp DB with all BBC articles + the raw seed, ask every
                                               # question through the articlebot CLI, compare with an FTS5 baseline
    python benchmarks/news.py --db /tmp/nb.db  # reuse (or create once) a DB, skipping ingest when it exists
    python benchmarks/news.py --kind speaker --timing

Gold answers are matched on text: a returned paragraph answers a gold entry when the gold
"sentence" (whitespace-normalised) occurs inside the returned paragraph text. Paragraph numbers
and article ids are never compared, so the harness does not depend on how the engine numbers things.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    CATEGORIES,
    DEFAULT_BBC,
    DEFAULT_SEED,
    REPO_ROOT,
    iter_bbc,
    load_seed_article,
    norm,
    read_text,
    split_paragraphs,
)

DEFAULT_QUESTIONS = Path(__file__).resolve().parent / "news_questions.jsonl"
KINDS = ("speaker", "typo", "paraphrase", "keyword", "factoid", "unanswerable")


# ---------------------------------------------------------------- questions

def load_questions(path: Path) -> list[dict]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{n}: bad JSON: {exc}")
    return out


def check(questions: list[dict], bbc: Path, seed: Path) -> int:
    """Verify every gold sentence occurs verbatim in its file/paragraph. Returns number of errors."""
    errors = 0
    warnings = 0
    ids = set()
    articles = {f: (t, ps) for f, t, ps in iter_bbc(bbc)}
    _, seed_paras = load_seed_article(seed)
    seed_raw = norm(read_text(seed))
    # index of every paragraph for duplicate-occurrence warnings
    all_paras = [(f, i, p) for f, (_, ps) in articles.items() for i, p in enumerate(ps, 1)]
    corpus_texts = [(f, t + "\n" + "\n".join(ps)) for f, (t, ps) in articles.items()]
    corpus_texts.append(("seed", "\n".join(seed_paras)))
    for q in questions:
        qid = q.get("id")
        where = f"{qid}"
        for key in ("id", "kind", "question", "source", "answers"):
            if key not in q:
                print(f"ERROR {where}: missing field {key!r}")
                errors += 1
        if qid in ids:
            print(f"ERROR {where}: duplicate id")
            errors += 1
        ids.add(qid)
        if q.get("kind") not in KINDS:
            print(f"ERROR {where}: unknown kind {q.get('kind')!r}")
            errors += 1
        if "\n" in q.get("question", "") or not q.get("question", "").strip():
            print(f"ERROR {where}: question empty or multi-line")
            errors += 1
        if q.get("kind") == "unanswerable" and q.get("answers"):
            print(f"ERROR {where}: unanswerable question has answers")
            errors += 1
        if q.get("kind") != "unanswerable" and not q.get("answers"):
            print(f"ERROR {where}: answerable question without answers")
            errors += 1
        if q.get("kind") == "speaker" and "pronoun" not in q:
            print(f"ERROR {where}: speaker question without 'pronoun'")
            errors += 1
        # unanswerable questions may carry "absent": groups of regexes that must never all occur in
        # one article (BBC articles and the cleaned seed) -- this is how their absence was verified
        for group in q.get("absent", []):
            pats = [re.compile(g, re.I) for g in group]
            found = [f for f, text in corpus_texts if all(p.search(text) for p in pats)]
            if found:
                print(f"ERROR {where}: 'absent' terms {group} occur in {found[:5]}")
                errors += 1
        listed = set()
        for a in q.get("answers", []):
            sent = norm(a.get("sentence", ""))
            if len(sent) < 25:
                print(f"WARN  {where}: short gold sentence {sent!r} may match by accident")
                warnings += 1
            if q.get("source") == "seed":
                if sent not in seed_raw:
                    print(f"ERROR {where}: sentence not in seed raw text: {sent[:80]!r}")
                    errors += 1
                    continue
                pn = a.get("paragraph")
                if not (isinstance(pn, int) and 1 <= pn <= len(seed_paras) and sent in seed_paras[pn - 1]):
                    hits = [i for i, p in enumerate(seed_paras, 1) if sent in p]
                    print(f"ERROR {where}: seed sentence not in cleaned paragraph {pn} (found in {hits})")
                    errors += 1
                continue
            f = a.get("file")
            if f not in articles:
                print(f"ERROR {where}: no such file {f!r}")
                errors += 1
                continue
            ps = articles[f][1]
            pn = a.get("paragraph")
            if not (isinstance(pn, int) and 1 <= pn <= len(ps)):
                print(f"ERROR {where}: {f} has no paragraph {pn} (has {len(ps)})")
                errors += 1
                continue
            if sent not in ps[pn - 1]:
                hits = [i for i, p in enumerate(ps, 1) if sent in p]
                print(f"ERROR {where}: sentence not in {f} paragraph {pn} (found in paragraphs {hits}): {sent[:80]!r}")
                errors += 1
                continue
            listed.add((f, pn))
        # the same gold sentence elsewhere in the corpus (BBC near-duplicates) should be listed too
        if q.get("source") == "bbc":
            for a in q.get("answers", []):
                sent = norm(a.get("sentence", ""))
                for f, i, p in all_paras:
                    if sent and sent in p and (f, i) not in listed:
                        print(f"WARN  {where}: gold sentence also occurs in {f} paragraph {i} (not listed)")
                        warnings += 1
    counts: dict[str, int] = {}
    for q in questions:
        counts[q.get("kind")] = counts.get(q.get("kind"), 0) + 1
    pron = sum(1 for q in questions if q.get("kind") == "speaker" and q.get("pronoun"))
    seedn = sum(1 for q in questions if q.get("source") == "seed")
    files = {a["file"] for q in questions for a in q.get("answers", []) if "file" in a}
    cats = {}
    for f in files:
        cats[f.split("/")[0]] = cats.get(f.split("/")[0], 0) + 1
    print(f"{len(questions)} questions: " + ", ".join(f"{k} {counts.get(k, 0)}" for k in KINDS)
          + f"; pronoun speaker {pron}; seed {seedn}")
    print(f"answer articles: {len(files)} distinct files; per category " + ", ".join(f"{k} {v}" for k, v in sorted(cats.items())))
    print(f"check: {errors} errors, {warnings} warnings")
    return errors


# ---------------------------------------------------------------- scoring

def gold_units(q: dict) -> list[str]:
    """Distinct normalised gold sentences (duplicates across near-identical articles collapse)."""
    seen = []
    for a in q.get("answers", []):
        s = norm(a["sentence"])
        if s not in seen:
            seen.append(s)
    return seen


def score(questions: list[dict], results: list[dict]) -> dict:
    """results[i] = {"answered": bool, "texts": [paragraph text, ...]} in rank order."""
    per = []
    for q, r in zip(questions, results):
        units = gold_units(q)
        texts = [norm(t) for t in r["texts"]]
        ranks = []  # rank (1-based) of first result matching any unit
        matched_top5 = set()
        for rank, t in enumerate(texts[:10], 1):
            hit = [u for u in units if u in t]
            if hit:
                ranks.append(rank)
                if rank <= 5:
                    matched_top5.update(hit)
        first = ranks[0] if ranks else None
        per.append({
            "q": q,
            "answerable": bool(units),
            "answered": r["answered"],
            "first": first,
            "all5": bool(units) and len(matched_top5) == len(units),
        })
    return summarise(per)


def summarise(per: list[dict]) -> dict:
    ans = [p for p in per if p["answerable"]]
    una = [p for p in per if not p["answerable"]]

    def frac(xs, pred):
        return (sum(1 for x in xs if pred(x)) / len(xs)) if xs else float("nan")

    out = {
        "n": len(per),
        "n_answerable": len(ans),
        "n_unanswerable": len(una),
        "top1": frac(ans, lambda p: p["first"] == 1),
        "r5": frac(ans, lambda p: p["first"] is not None and p["first"] <= 5),
        "all5": frac(ans, lambda p: p["all5"]),
        "mrr10": (sum(1.0 / p["first"] for p in ans if p["first"]) / len(ans)) if ans else float("nan"),
        "abstain_unanswerable": frac(una, lambda p: not p["answered"]),
        "abstain_answerable": frac(ans, lambda p: not p["answered"]),
        "per_kind": {},
        "per": per,
    }
    groups: dict[str, list] = {}
    for p in ans:
        groups.setdefault(p["q"]["kind"], []).append(p)
        if p["q"]["kind"] == "speaker" and p["q"].get("pronoun"):
            groups.setdefault("speaker/pronoun", []).append(p)
        if p["q"].get("source") == "seed":
            groups.setdefault("seed", []).append(p)
    for k, ps in groups.items():
        out["per_kind"][k] = (len(ps), frac(ps, lambda p: p["first"] == 1), frac(ps, lambda p: p["first"] is not None and p["first"] <= 5))
    return out


# ---------------------------------------------------------------- baseline

def fts_query(question: str) -> str:
    words = re.findall(r"\w+", question.lower())
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(words))


def run_baseline(questions: list[dict], bbc: Path, seed: Path, limit: int = 10):
    t0 = time.perf_counter()
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE p USING fts5(text, src UNINDEXED, tokenize='porter unicode61')")
    rows = [(p, f"{f}#{i}") for f, _, ps in iter_bbc(bbc) for i, p in enumerate(ps, 1)]
    # the seed goes in as it is on disk: every blank-line block, page junk included (no clean-up)
    rows += [(p, f"seed#{i}") for i, p in enumerate(split_paragraphs(read_text(seed)), 1)]
    con.executemany("INSERT INTO p(text, src) VALUES (?, ?)", rows)
    build_s = time.perf_counter() - t0
    results, lat = [], []
    for q in questions:
        t = time.perf_counter()
        mq = fts_query(q["question"])
        texts = [r[0] for r in con.execute(
            "SELECT text FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT ?", (mq, limit))] if mq else []
        lat.append((time.perf_counter() - t) * 1000)
        results.append({"answered": True, "texts": texts})
    return results, {"build_s": build_s, "rows": len(rows), "ms_per_q": sum(lat) / max(1, len(lat)),
                     "lat": lat}


# ---------------------------------------------------------------- engine

def engine_env(semantic: bool = True) -> dict:
    env = dict(os.environ)
    env["ARTICLEBOT_SAMPLES"] = "0"
    env["ARTICLEBOT_SEMANTIC"] = "1" if semantic else "0"
    env.setdefault("PYTHONPATH", str(REPO_ROOT))
    if str(REPO_ROOT) not in env["PYTHONPATH"].split(os.pathsep):
        env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env["PYTHONPATH"]
    return env


def ingest(cmd: list[str], db: Path, bbc: Path, seed: Path) -> dict:
    t0 = time.perf_counter()
    # the five category folders, not the root: the root also holds README.TXT, which is not an article
    cats = [str(Path(bbc) / c) for c in CATEGORIES if (Path(bbc) / c).is_dir()] or [str(bbc)]
    proc = subprocess.run(cmd + ["--db", str(db), "ingest", *cats, str(seed)], cwd=REPO_ROOT,
                          env=engine_env(), capture_output=True, text=True, errors="replace")
    secs = time.perf_counter() - t0
    lines = proc.stdout.splitlines()
    added = sum(1 for ln in lines if ln.startswith("added #"))
    dup = sum(1 for ln in lines if ln.startswith("duplicate of #"))
    err = [ln for ln in lines + proc.stderr.splitlines() if ln.startswith("error:")]
    other = [ln for ln in lines if not ln.startswith(("added #", "duplicate of #", "error:"))]
    return {"rc": proc.returncode, "added": added, "duplicate": dup, "errors": err, "other": other,
            "stderr": proc.stderr.strip(), "secs": secs}


def ask_batch(cmd: list[str], db: Path, qs: list[str], limit: int, semantic: bool = True) -> tuple[list[dict], float]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        fh.write("\n".join(qs) + "\n")
        batch = fh.name
    try:
        t0 = time.perf_counter()
        proc = subprocess.run(cmd + ["--db", str(db), "ask", "--batch", batch, "--json", "--limit", str(limit)],
                              cwd=REPO_ROOT, env=engine_env(semantic), capture_output=True, text=True, errors="replace")
        secs = time.perf_counter() - t0
    finally:
        os.unlink(batch)
    if proc.returncode != 0:
        raise RuntimeError(f"ask exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    out = []
    for ln in proc.stdout.splitlines():
        ln = ln.strip()
        if ln:
            out.append(json.loads(ln))
    if len(out) != len(qs):
        raise RuntimeError(f"ask returned {len(out)} lines for {len(qs)} questions; stderr: {proc.stderr.strip()[-1000:]}")
    return out, secs


def run_engine(questions, args, db: Path, semantic: bool = True):
    cmd = args.engine_cmd
    info = {}
    if not (db.exists() and db.stat().st_size > 0):
        ing = ingest(cmd, db, args.bbc, args.seed)
        info["ingest"] = ing
        print(f"engine ingest: {ing['added']} added, {ing['duplicate']} duplicates, {len(ing['errors'])} errors, "
              f"exit {ing['rc']}, {ing['secs']:.1f} s (text and, unless ARTICLEBOT_SEMANTIC=0, vectors)")
        for ln in ing["stderr"].splitlines():
            if ln.startswith("embedded "):
                print(f"engine {ln}")
        for ln in ing["errors"][:10]:
            print("   ", ln)
        if ing["added"] == 0:
            raise RuntimeError(f"ingest added nothing; stderr: {ing['stderr'][-2000:]}")
    else:
        print(f"engine: reusing existing DB {db}")
    qs = [q["question"] for q in questions]
    raw, secs = ask_batch(cmd, db, qs, args.limit, semantic)
    results = []
    for q, r in zip(questions, raw):
        if norm(r.get("question", "")) != norm(q["question"]):
            print(f"WARN  {q['id']}: engine echoed a different question: {r.get('question')!r}")
        results.append({"answered": bool(r.get("answered")), "texts": [x.get("text", "") for x in r.get("results", [])],
                        "raw": r})
    info["batch_s"] = secs
    info["ms_per_q"] = secs * 1000 / max(1, len(qs))
    # start-up cost: a batch of one question; subtract it for an estimate of the per-question cost
    _, one = ask_batch(cmd, db, qs[:1], args.limit, semantic)
    info["startup_s"] = one
    info["ms_per_q_net"] = max(0.0, (secs - one)) * 1000 / max(1, len(qs) - 1)
    if args.timing:
        lat = []
        for q in qs[: args.timing]:
            _, s = ask_batch(cmd, db, [q], args.limit, semantic)
            lat.append(s * 1000)
        info["single_lat"] = lat
    return results, info


# ---------------------------------------------------------------- report

def fmt(x: float) -> str:
    return "  n/a" if x != x else f"{x:.3f}"


def report(name: str, s: dict, ms: str, always_answers: bool = False):
    ab_u = "always answers" if always_answers else fmt(s["abstain_unanswerable"])
    ab_a = "always answers" if always_answers else fmt(s["abstain_answerable"])
    print(f"  {name:<10} top1 {fmt(s['top1'])}  r@5 {fmt(s['r5'])}  all@5 {fmt(s['all5'])}  MRR@10 {fmt(s['mrr10'])}  "
          f"| unanswerable abstained {ab_u}  answerable wrongly abstained {ab_a}  | {ms}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bbc", type=Path, default=DEFAULT_BBC)
    ap.add_argument("--seed", type=Path, default=DEFAULT_SEED)
    ap.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    ap.add_argument("--db", type=Path, help="engine DB to reuse (built here first if missing); default: a temp DB")
    ap.add_argument("--engine-cmd", default=None,
                    help='command that runs the articlebot CLI, shell-split (default: "<python> -m corpus")')
    ap.add_argument("--kind", action="append", help="only questions of this kind (repeatable)")
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--check", action="store_true", help="only validate the question file")
    ap.add_argument("--baseline-only", action="store_true", help="skip the engine")
    ap.add_argument("--timing", type=int, nargs="?", const=20, default=0,
                    help="also time N questions (default 20) one per subprocess (includes start-up)")
    ap.add_argument("--misses", action="store_true", help="list the engine's top-1 misses")
    ap.add_argument("--meaning-only", action="store_true",
                    help="skip the words-only run (ARTICLEBOT_SEMANTIC=0 on the same database)")
    args = ap.parse_args(argv)
    import shlex
    args.engine_cmd = shlex.split(args.engine_cmd) if args.engine_cmd else [sys.executable, "-m", "corpus"]

    questions = load_questions(args.questions)
    if args.check:
        return 1 if check(questions, args.bbc, args.seed) else 0
    if args.kind:
        questions = [q for q in questions if q["kind"] in args.kind]
    if not questions:
        print("no questions")
        return 1

    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()} "
          f"({platform.python_implementation()})")
    print(f"questions: {len(questions)} ({sum(1 for q in questions if q['answers'])} answerable) from {args.questions}")
    print(f"corpus: {args.bbc} + {args.seed}")

    base_res, binfo = run_baseline(questions, args.bbc, args.seed, args.limit)
    bs = score(questions, base_res)

    es = einfo = ws = winfo = None
    if not args.baseline_only:
        tmp = None
        try:
            if args.db:
                db = args.db
            else:
                tmp = tempfile.TemporaryDirectory(prefix="newsbench-")
                db = Path(tmp.name) / "bench.db"
            eres, einfo = run_engine(questions, args, db, semantic=True)
            es = score(questions, eres)
            if not args.meaning_only:
                wres, winfo = run_engine(questions, args, db, semantic=False)
                ws = score(questions, wres)
        except (RuntimeError, OSError, json.JSONDecodeError) as exc:
            print(f"engine: FAILED: {exc}")
        finally:
            if tmp:
                tmp.cleanup()

    print()
    print("results (answerable questions for top1/r@5/all@5/MRR; abstention over answered=false):")
    if es:
        ms = (f"{einfo['ms_per_q']:.1f} ms/q batch wall ({einfo['batch_s']:.2f} s), "
              f"{einfo['ms_per_q_net']:.1f} ms/q without start-up ({einfo['startup_s']:.2f} s)")
        report("engine", es, ms)
    if ws:
        report("words-only", ws, f"{winfo['ms_per_q']:.1f} ms/q batch wall, {winfo['ms_per_q_net']:.1f} ms/q without "
                                 f"start-up (ARTICLEBOT_SEMANTIC=0, same database)")
    report("fts5-or", bs, f"{binfo['ms_per_q']:.2f} ms/q in-process ({binfo['rows']} rows, built in {binfo['build_s']:.1f} s)",
           always_answers=True)
    print()
    kinds = sorted(set(bs["per_kind"]), key=lambda k: (list(KINDS + ('speaker/pronoun', 'seed')).index(k)
                                                        if k in KINDS + ('speaker/pronoun', 'seed') else 99))
    print(f"  {'kind':<16} {'n':>4}   " + ("engine top1 / r@5   " if es else "")
          + ("words-only top1 / r@5   " if ws else "") + "fts5-or top1 / r@5")
    for k in kinds:
        n, b1, b5 = bs["per_kind"][k]
        line = f"  {k:<16} {n:>4}   "
        if es:
            _, e1, e5 = es["per_kind"][k]
            line += f"{fmt(e1)} / {fmt(e5)}        "
        if ws:
            _, w1, w5 = ws["per_kind"][k]
            line += f"{fmt(w1)} / {fmt(w5)}            "
        line += f"{fmt(b1)} / {fmt(b5)}"
        print(line)
    if einfo and einfo.get("single_lat"):
        lat = sorted(einfo["single_lat"])
        print(f"\n  engine single-question subprocess latency over {len(lat)} questions (includes start-up): "
              f"median {statistics.median(lat):.0f} ms, max {lat[-1]:.0f} ms")
    if es and args.misses:
        print("\nengine top-1 misses:")
        for p in es["per"]:
            if p["answerable"] and p["first"] != 1:
                print(f"  {p['q']['id']:<8} first hit at {p['first']}: {p['q']['question']}")
        for p in es["per"]:
            if not p["answerable"] and p["answered"]:
                print(f"  {p['q']['id']:<8} answered an unanswerable question: {p['q']['question']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
