"""The CLI contract, run as a real subprocess: output lines, JSON shapes, exit codes, one-line errors."""

import json
import subprocess
import sys

import pytest
from conftest import FIXTURES, INTERPOL_OPENINGS, SEED_RAW


def run(*args, db=None, stdin=None, env_extra=None, cwd=None):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTICLEBOT_") or k == "ARTICLEBOT_SEMANTIC"}
    env.update(env_extra or {})
    cmd = [sys.executable, "-m", "corpus"] + (["--db", str(db)] if db else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, input=stdin, env=env, cwd=cwd, timeout=120)


@pytest.fixture
def db(tmp_path):
    """A database with the bundled sample, made the way the bot makes it (reading commands create none)."""
    from corpus import Corpus

    path = tmp_path / "a.db"
    Corpus.open(path).close()
    return path


def test_fresh_install_answers_the_headline_question(tmp_path):
    """No --db, nothing set up: ./articlebot.db is created with the sample and answers at once."""
    for question in ("what did Kolokoltsev say about Interpol", "what did kolokolsev say about interpoll"):
        out = run("ask", question, "--json", cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        answer = json.loads(out.stdout)
        assert answer["answered"] is True
        top = [r["text"] for r in answer["results"][:3]]
        assert all(any(t.startswith(o) for t in top) for o in INTERPOL_OPENINGS)
        assert set(answer["results"][0]) == {"article_id", "title", "url", "paragraph", "text", "score", "speakers"}
        assert all(r["speakers"] == ["Vladimir Kolokoltsev"] for r in answer["results"][:3])
        assert answer["corrections"] == ({} if "Kolokoltsev" in question else {"kolokolsev": "kolokoltsev"})
    assert (tmp_path / "articlebot.db").exists()


def test_readable_answer_says_how_a_typo_was_read(db):
    out = run("ask", "what did kolokolsev say about interpoll", db=db)
    assert out.returncode == 0
    assert out.stdout.startswith('(read "kolokolsev" as "kolokoltsev")')
    assert "The Russian minister complained" in out.stdout


def test_readable_answer(db):
    out = run("ask", "what did Kolokoltsev say about Interpol", db=db)
    assert out.returncode == 0
    assert "paragraph 10 of 24" in out.stdout
    assert "The Russian minister complained" in out.stdout


def test_ingest_lines_and_exit_codes(tmp_path):
    db = tmp_path / "a.db"
    good = tmp_path / "story.txt"
    good.write_text("Lighthouse strike\n\nKeepers walked out on Monday, the union said.\n")
    out = run("ingest", str(good), str(tmp_path / "missing.txt"), db=db)
    assert out.returncode == 1
    assert out.stdout.splitlines() == [f'added #2 "Lighthouse strike" (1 paragraph) from {good}']
    assert out.stderr.splitlines() == [f"error: {tmp_path / 'missing.txt'}: no such file"]
    again = run("ingest", str(good), db=db)
    assert again.returncode == 0 and again.stdout.strip() == f"duplicate of #2 from {good}"


def test_ingest_directory_html_guild_and_title(tmp_path):
    db = tmp_path / "a.db"
    folder = tmp_path / "articles"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "page.html").write_bytes((FIXTURES / "article.html").read_bytes())
    (folder / "mutu.txt").write_bytes((FIXTURES / "bbc-sport-199-cp1252.txt").read_bytes())
    out = run("ingest", str(folder), "--guild", "42", db=db)
    assert out.returncode == 0, out.stdout + out.stderr
    assert 'added #1000001 "Chelsea sack Mutu"' in out.stdout and '"Harbour bridge reopens after repairs"' in out.stdout
    assert json.loads(run("ask", "harbour bridge tolls", "--json", db=db).stdout)["answered"] is False
    in_guild = json.loads(run("ask", "harbour bridge tolls", "--json", "--guild", "42", db=db).stdout)
    assert in_guild["results"][0]["url"] == "https://news.example.org/2024/05/harbour-bridge-reopens"
    # (not the seed article: that one is already stored, and --title does not make it a new article)
    titled = run("ingest", str(FIXTURES / "bbc-tech-221.txt"), "--title", "Phones", "--guild", "7", db=db)
    assert titled.stdout.startswith('added #1000001 "Phones"')


def test_batch_is_jsonl_in_order(tmp_path, db):
    questions = tmp_path / "q.txt"
    questions.write_text("what did Deng Yuwen say\nbanana bread\n\nwhat did Kolokoltsev say about Interpol\n")
    out = run("ask", "--batch", str(questions), "--json", "--limit", "2", db=db)
    assert out.returncode == 0
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["question"] for r in rows] == ["what did Deng Yuwen say", "banana bread", "",
                                             "what did Kolokoltsev say about Interpol"]
    assert rows[0]["answered"] and not rows[1]["answered"] and "error" in rows[2]
    assert all(len(r["results"]) <= 2 for r in rows)


def test_list_remove_stats(db):
    assert "#1 Chinese and Russian police chiefs" in run("list", db=db).stdout
    assert run("stats", db=db).stdout.startswith("1 article, 24 paragraphs")
    assert run("remove", "1", "--guild", "5", db=db).returncode == 1
    out = run("remove", "1", db=db)
    assert out.returncode == 0 and out.stdout.startswith('removed #1 "Chinese')
    empty = run("ask", "interpol", db=db)
    assert empty.returncode == 1 and "no articles" in empty.stderr


@pytest.mark.parametrize("args,message", [
    (("ask", ""), "empty question"),
    (("ask", "x" * 5000), "question too long"),
    (("ingest", "http://"), "error: http://:"),
    (("ingest", "notaurl://example"), "error: notaurl://example:"),
    (("ask", "interpol", "--limit", "0"), "--limit must be between"),
    (("ask", "interpol", "--guild", "abc"), "guild id must be a number"),
    (("remove", "999"), "no article #999"),
])
def test_errors_are_one_line_without_traceback(db, args, message):
    out = run(*args, db=db)
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert message in text
    assert "Traceback" not in text


def test_empty_and_binary_files(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "bin.txt").write_bytes(bytes(range(256)) * 10)
    out = run("ingest", str(tmp_path / "empty.txt"), str(tmp_path / "bin.txt"), db=tmp_path / "a.db")
    assert out.returncode == 1
    assert out.stderr.splitlines() == [f"error: {tmp_path / 'empty.txt'}: empty file",
                                       f"error: {tmp_path / 'bin.txt'}: not a text file (binary content)"]


def test_samples_off_gives_empty_database_message(tmp_path):
    out = run("ask", "interpol", cwd=tmp_path, env_extra={"ARTICLEBOT_SAMPLES": "0"})
    assert out.returncode == 1
    assert out.stderr.strip() == "error: the database has no articles: add some with `articlebot ingest PATH_OR_URL`"


def test_punctuation_and_emoji_questions(db):
    for q in ("?!?!?!", "🙂 interpol 🙂", "what did \"Kolokoltsev\" say -- about: Interpol*?"):
        out = run("ask", q, "--json", db=db)
        assert out.returncode == 0, out.stderr
        json.loads(out.stdout)


def test_the_same_question_gets_the_same_answer_after_a_restart(tmp_path):
    # Python orders a set of strings differently in each process; two equally good sentence windows
    # used to swap on a rounding difference, moving "how much" answers up or down between restarts.
    # With these articles, seeds 4 and 8 gave another ranking than the rest before sums were made exact.
    names = ["bbc-business-001.txt", "bbc-business-002.txt", "bbc-business-031.txt", "bbc-business-055.txt",
             "bbc-business-057.txt", "bbc-business-058.txt", "bbc-business-072.txt", "bbc-business-135.txt",
             "bbc-business-262.txt", "bbc-business-278.txt", "bbc-business-309.txt", "bbc-business-409.txt",
             "bbc-entertainment-043.txt", "bbc-entertainment-093.txt", "bbc-politics-400.txt",
             "bbc-sport-005.txt", "bbc-sport-199-cp1252.txt", "bbc-sport-424.txt", "bbc-tech-221.txt"]
    db = tmp_path / "a.db"
    assert run("ingest", *(str(FIXTURES / n) for n in names), db=db).returncode == 0
    answers = set()
    for seed in range(10):
        out = run("ask", "how much did standard charterd pay for the south korean bank", "--json", db=db,
                  env_extra={"PYTHONHASHSEED": str(seed)})
        assert out.returncode == 0, out.stderr
        answers.add(out.stdout)
    assert len(answers) == 1


def test_a_folder_of_many_files_is_stored_as_one_by_one_in_order(tmp_path):
    """Sixteen files or more are read and analysed in worker processes (corpus.reading.bulk): the same articles,
    numbered in the order given, with the same words and speakers, and a bad file still one error line."""
    import shutil
    import sqlite3

    from corpus.reading import bulk

    folder = tmp_path / "news"
    folder.mkdir()
    names = sorted(p.name for p in FIXTURES.glob("bbc-*.txt"))
    assert len(names) >= bulk.MIN_FILES
    for name in names:
        shutil.copy(FIXTURES / name, folder / name)
    (folder / "bbc-zz-empty.txt").write_bytes(b"")
    many = run("ingest", str(folder), "--no-embed", db=tmp_path / "many.db")
    assert many.returncode == 1
    assert many.stderr.splitlines() == [f"error: {folder / 'bbc-zz-empty.txt'}: empty file"]
    for name in names:  # one at a time: read in this process
        assert run("ingest", str(folder / name), "--no-embed", db=tmp_path / "one.db").returncode == 0
    added = [line for line in many.stdout.splitlines() if line.startswith("added")]
    assert [line.rsplit("/", 1)[1] for line in added] == names[:len(added)]
    query = ("SELECT a.id, a.title, p.position, p.text, p.speakers, p.terms FROM paragraphs p "
             "JOIN articles a ON a.id = p.article_id ORDER BY p.id")
    rows = [sqlite3.connect(tmp_path / f).execute(query).fetchall() for f in ("many.db", "one.db")]
    assert rows[0] == rows[1] and len(rows[0]) > 100
