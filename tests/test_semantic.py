"""Searching by meaning beside the words: vectors filled after the text is stored, the nearest paragraphs
as candidates, and a clean fall-back to words alone (ARTICLEBOT_SEMANTIC=0, a missing model)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import FIXTURES, INTERPOL_OPENINGS
from test_cli import run

from corpus import Corpus
from corpus.reading.ingest import document_from_path

NEWS = ["bbc-sport-424.txt", "bbc-tech-221.txt", "bbc-business-001.txt", "bbc-business-434.txt",
        "bbc-politics-187.txt", "bbc-entertainment-111.txt"]


@pytest.fixture(autouse=True)
def _meaning_on(monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_SEMANTIC", "1")  # tests/conftest.py turns it off for the other tests


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """The sample and six BBC articles, every paragraph with its vector (the real model)."""
    corpus = Corpus.open(tmp_path_factory.mktemp("sem") / "sem.db")
    for name in NEWS:
        corpus.add(document_from_path(FIXTURES / name))
    pending = corpus.pending_vectors(every_file=True)
    assert corpus.embed([s for s, _ in pending]) == sum(n for _, n in pending) > 0
    yield corpus
    corpus.close()


def test_every_paragraph_gets_a_vector_and_stats_say_so(embedded):
    stats = embedded.stats()
    assert stats["vectors"] == stats["paragraphs"]
    assert stats["semantic"].startswith("on (multilingual-e5-small")
    assert embedded.pending_vectors(every_file=True) == []


def test_a_paraphrase_without_the_articles_words_is_found_by_meaning(embedded):
    # No word of the answer's paragraph: "Asian Development Bank ... factories escaped damage".
    question = "will the wave disaster hurt the region's economy much"
    reading = embedded.read(question)
    assert any(c.cosine is not None for c in reading.candidates)
    top = [p.text for p in embedded.ask(question, limit=3).results]
    assert any("factories escaped damage" in t for t in top)


def test_the_headline_question_still_gives_the_three_interpol_paragraphs(embedded):
    top = [p.text for p in embedded.ask("what did Kolokoltsev say about Interpol").results[:3]]
    assert all(any(t.startswith(o) for t in top) for o in INTERPOL_OPENINGS)


def test_a_paragraph_added_after_the_vectors_is_answered_by_its_words(embedded, tmp_path):
    late = tmp_path / "late.txt"
    late.write_text("Ferry strike ends\n\nThe ferry workers of Tobermory ended their strike on Friday.\n")
    added = embedded.add(document_from_path(late))
    answer = embedded.ask("tobermory ferry strike")
    assert answer.answered and answer.results[0].article_id == added.article_id
    assert embedded.stats()["vectors"] == embedded.stats()["paragraphs"] - 1


def test_a_text_held_by_many_guilds_is_encoded_once(tmp_path):
    with Corpus.open(tmp_path / "g.db", load_samples=False) as corpus:
        doc = document_from_path(FIXTURES / "bbc-tech-221.txt")
        for guild in (11, 22, 33):
            corpus.add(doc, guild_id=guild)
        corpus.embed([s for s, _ in corpus.pending_vectors(every_file=True)])
        assert corpus.semantic.embedder().encoded == len(doc.paragraphs)
        assert all(corpus.stats(g)["vectors"] == len(doc.paragraphs) for g in (11, 22, 33))


def test_a_text_held_by_many_guilds_is_held_in_memory_once(tmp_path):
    import gc

    from corpus.storage.vectors import pool_of

    with Corpus.open(tmp_path / "m.db", load_samples=False) as corpus:
        doc = document_from_path(FIXTURES / "bbc-business-002.txt")  # in no other test's corpus
        for guild in (11, 22, 33):
            corpus.add(doc, guild_id=guild)
        corpus.embed([s for s, _ in corpus.pending_vectors(every_file=True)])
        pool = pool_of(corpus.semantic.identity)
        before = pool.in_use()
        answers = [corpus.ask("what happened to the dollar", guild_id=g) for g in (11, 22, 33)]
        assert pool.in_use() - before == len(doc.paragraphs)  # three guilds' vectors, one copy in memory
        ranked = {tuple((p.paragraph, round(p.score, 6)) for p in a.results) for a in answers}
        assert len(ranked) == 1 and answers[0].results
        for guild in (11, 22, 33):
            corpus.purge_guild(guild)
        gc.collect()
        assert pool.in_use() == before  # given back once no guild holds the text


def test_vectors_of_another_model_are_made_again(embedded):
    store = embedded.shared
    with store._write() as conn:
        conn.execute("UPDATE meta SET value = 'some-other-model@1' WHERE key = 'embedding_model'")
    assert embedded.pending_vectors() == [(store, embedded.stats()["paragraphs"])]
    embedded.embed([store])
    assert embedded.stats()["vectors"] == embedded.stats()["paragraphs"]


def test_removing_an_article_removes_its_vectors(tmp_path):
    with Corpus.open(tmp_path / "r.db", load_samples=False) as corpus:
        added = corpus.add(document_from_path(FIXTURES / "bbc-tech-221.txt"), guild_id=5)
        corpus.embed([s for s, _ in corpus.pending_vectors(5)])
        assert corpus.remove(added.article_id, guild_id=5)
        con = sqlite3.connect(corpus.guild_path("5"))
        assert con.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 0
        con.close()


# -- through the command line, settings from .env --------------------------------------------------

def test_ingest_embeds_and_stats_count_the_vectors(tmp_path):
    db = tmp_path / "c.db"
    out = run("ingest", str(FIXTURES / "bbc-tech-221.txt"), db=db)
    assert out.returncode == 0 and "embedded" in out.stderr
    stats = json.loads(run("stats", "--json", db=db).stdout)
    assert stats["vectors"] == stats["paragraphs"]


def test_no_embed_leaves_the_vectors_to_articlebot_embed(tmp_path):
    db = tmp_path / "c.db"
    assert run("ingest", str(FIXTURES / "bbc-tech-221.txt"), "--no-embed", db=db).returncode == 0
    # only the bundled sample's paragraphs have theirs (shipped with it): the ingested article's wait
    assert json.loads(run("stats", "--json", db=db).stdout)["vectors"] == 24
    assert "vectors: 24 of" in run("stats", db=db).stdout
    out = run("embed", db=db)
    assert out.returncode == 0 and "embedded" in out.stderr
    stats = json.loads(run("stats", "--json", db=db).stdout)
    assert stats["vectors"] == stats["paragraphs"]


def test_semantic_off_through_dotenv_answers_from_words_alone(tmp_path, monkeypatch):
    monkeypatch.delenv("ARTICLEBOT_SEMANTIC")  # only .env says it
    (tmp_path / ".env").write_text("ARTICLEBOT_SEMANTIC=0\n")
    out = run("ingest", str(FIXTURES / "bbc-tech-221.txt"), cwd=tmp_path)
    assert out.returncode == 0 and "embedded" not in out.stderr
    stats = json.loads(run("stats", "--json", cwd=tmp_path).stdout)
    assert stats["vectors"] == 0 and stats["semantic"].startswith("off (ARTICLEBOT_SEMANTIC=0)")
    answer = json.loads(run("ask", "what did Kolokoltsev say about Interpol", "--json", cwd=tmp_path).stdout)
    assert answer["answered"]


def test_a_missing_model_through_dotenv_is_one_line_and_words_still_answer(tmp_path, monkeypatch):
    monkeypatch.delenv("ARTICLEBOT_SEMANTIC")
    (tmp_path / ".env").write_text(f"ARTICLEBOT_MODEL={tmp_path / 'no-such-model'}\n")
    out = run("ingest", str(FIXTURES / "bbc-tech-221.txt"), cwd=tmp_path)
    assert out.returncode == 0 and "Traceback" not in out.stderr
    stats = json.loads(run("stats", "--json", cwd=tmp_path).stdout)
    assert stats["semantic"].startswith("off: ARTICLEBOT_MODEL=") and "no such directory" in stats["semantic"]
    answer = json.loads(run("ask", "halo 2 traffic", "--json", cwd=tmp_path).stdout)
    assert answer["answered"]
    out = run("embed", cwd=tmp_path)
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "no such directory" in out.stderr


def test_a_question_the_model_fails_on_is_answered_from_its_words(embedded, monkeypatch):
    encoder = embedded.semantic.encoder()

    def broken(texts):
        raise RuntimeError("the model failed")

    monkeypatch.setattr(encoder, "encode_queries", broken)
    answer = embedded.ask("what did Kolokoltsev say about Interpol")
    assert answer.answered and answer.results[0].text.startswith(INTERPOL_OPENINGS)


@pytest.mark.parametrize("question", [
    "thanks, that was really helpful!",          # chat lines an ask channel receives
    "can you tell me a joke",
    "hey bot how's your day going",
    "is the bot down or is it just me",
    "what time does the meeting start today",
    "how much is spotify premium a month",       # about nothing the articles hold
    "what did boris johnson say about brexit",
])
def test_with_vectors_small_talk_and_unheld_questions_are_not_answered(embedded, question):
    assert embedded.ask(question).answered is False


@pytest.mark.parametrize("question, opening", [
    ("what did Kolokoltsev say about Interpol", "The Russian minister complained"),
    # not "will the wave disaster hurt the region's economy much": its best passage's cosine is 0.863 against
    # the 0.86 threshold, a tie that a CPU's int8 kernels decide (found by perturbing every vector by about
    # what AVX2 and AVX-512 VNNI differ by); its paraphrase is found by meaning in the test above
    ("how did the tsunami affect factories", "In its first overview of the disaster"),
])
def test_with_vectors_a_question_the_articles_answer_is_answered(embedded, question, opening):
    answer = embedded.ask(question, limit=3)
    assert answer.answered
    assert any(p.text.startswith(opening) for p in answer.results)
