"""The same article in a guild's file and the shared one: its passages are shown once (the guild's copy),
and the operator's shared add says which guilds held it already; a guild's add learns nothing of another
guild's files."""

import subprocess
import sys

from conftest import FIXTURES

from corpus import Corpus
from corpus.reading.ingest import document_from_text

ARTICLE = FIXTURES / "bbc-business-001.txt"  # "Ad sales boost Time Warner profit"
QUESTION = "how many subscribers has aol lost"


def test_a_guild_s_article_later_shared_is_one_passage_the_guild_s_copy(empty_corpus):
    doc = document_from_text(ARTICLE.read_text(encoding="utf-8"))
    assert empty_corpus.add(doc, guild_id=111).article_id == 1000001
    assert empty_corpus.add(doc).status == "added"  # the operator shares it with every guild
    mine = empty_corpus.ask(QUESTION, guild_id=111, limit=10)
    texts = [p.text for p in mine.results]
    assert "464,000 subscribers" in texts[0]
    assert len(texts) == len(set(texts)) == mine.total
    assert all(p.article_id > 1000000 for p in mine.results)  # the guild's own copy
    other = empty_corpus.ask(QUESTION, guild_id=222, limit=10)  # another guild sees the shared copy
    assert [p.text for p in other.results] == texts and all(p.article_id == 1 for p in other.results)


def run(*args, db):
    return subprocess.run([sys.executable, "-m", "corpus", "--db", str(db), *args], capture_output=True,
                          text=True, timeout=120)


def test_a_shared_add_says_which_guilds_hold_the_article_and_a_guild_s_add_does_not(tmp_path):
    db = tmp_path / "a.db"
    Corpus.open(db, load_samples=False).close()
    assert run("ingest", "--guild", "111", "--no-embed", str(ARTICLE), db=db).stdout.startswith("added #1000001")
    theirs = run("ingest", "--guild", "222", "--no-embed", str(ARTICLE), db=db)
    assert theirs.stdout.startswith("added #1000001") and "111" not in theirs.stdout + theirs.stderr
    shared = run("ingest", "--no-embed", str(ARTICLE), db=db)
    assert shared.returncode == 0
    assert shared.stdout.startswith('added #1 "Ad sales boost Time Warner profit"')
    assert "guild 111 holds it too (#1000001), guild 222 holds it too (#1000001)" in shared.stdout
    again = run("ingest", "--guild", "333", "--no-embed", str(ARTICLE), db=db)
    assert again.stdout.startswith("duplicate of #1 ")
