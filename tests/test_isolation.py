"""Guild isolation as a property of where the data lives: one database file per guild beside the shared
one. Whatever articles random guilds add, no word that only one guild's articles hold ever reaches
another guild's (or the shared scope's) answers, corrections, suggestions or article lists."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import string

from conftest import FIXTURES, INTERPOL_OPENINGS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus import Corpus, Document
from corpus.storage.schema import SCHEMA_VERSION
from corpus.storage.scopes import guild_dir

# Made-up words (consonant-vowel syllables) so that no word of one guild is also an English word another
# guild's text or the sample article could hold.
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
made_up_word = st.lists(st.sampled_from(_SYLLABLES), min_size=3, max_size=4).map("".join)
GUILDS = [111, 222, 333]


@st.composite
def guild_articles(draw):
    """Articles for random guilds (or the shared scope), each from a small vocabulary of its own."""
    articles = []
    for n in range(draw(st.integers(2, 6))):
        scope = draw(st.sampled_from(GUILDS + [None]))
        words = draw(st.lists(made_up_word, min_size=4, max_size=8, unique=True))
        sentences = [f"The {words[i % len(words)]} report named {words[(i + 1) % len(words)]} and "
                     f"{words[(i + 2) % len(words)]} on Monday." for i in range(draw(st.integers(1, 4)))]
        title = f"{words[0].title()} {words[1]} story {n}"
        written = {w.lower() for w in " ".join([title] + sentences).replace(".", "").split()}
        articles.append((scope, title, sentences, sorted(written & set(words))))
    return articles


def private_words(articles, scope) -> set[str]:
    """Words only this scope's articles hold (none of the shared articles or any other scope's)."""
    mine = {w for s, _, _, ws in articles if s == scope for w in ws}
    elsewhere = {w for s, _, _, ws in articles if s != scope for w in ws}
    return mine - elsewhere


def typo(word: str) -> str:
    """One slip: the last two letters swapped, the kind of typo the search corrects."""
    return word[:-2] + word[-1] + word[-2]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(articles=guild_articles(), probe_index=st.integers(0, 100))
def test_no_guild_ever_sees_another_guilds_words(tmp_path_factory, articles, probe_index):
    db = tmp_path_factory.mktemp("iso") / "iso.db"
    with Corpus.open(db) as corpus:
        for scope, title, sentences, _ in articles:
            corpus.add(Document(title=title, paragraphs=sentences), guild_id=scope)
        for owner in GUILDS:
            secret = sorted(private_words(articles, owner))
            if not secret:
                continue
            word = secret[probe_index % len(secret)]
            for asker in [g for g in GUILDS if g != owner] + [None]:
                seen = set(re.findall(r"[a-z]+", _everything_shown(corpus, asker, word)))
                leaked = [w for w in secret if w in seen]
                assert not leaked, f"guild {asker} saw guild {owner}'s words {leaked}"
            # ...while the owner itself finds its word.
            own = corpus.ask(word, guild_id=owner)
            assert any(word in f"{p.title} {p.text}".lower() for p in own.results)


def _everything_shown(corpus: Corpus, asker, word: str) -> str:
    """All a guild can get out of the engine when it probes for a word: answers (as typed and misspelt),
    corrections, title suggestions, article lists and stats."""
    shown = []
    for question in (word, typo(word), f"what did {typo(word)} say about it", word[:-1]):
        shown_answer = corpus.ask(question, guild_id=asker, limit=50).to_dict()
        shown_answer.pop("question")  # the asker's own words, echoed
        shown.append(json.dumps(shown_answer))
    shown += [a.title for a in corpus.suggest_titles(typo(word), guild_id=asker, limit=25)]
    shown += [json.dumps(a.to_dict()) for a in corpus.articles(asker)]
    shown.append(json.dumps(corpus.stats(asker)))
    return " ".join(shown).lower()


def test_word_weights_come_from_the_visible_scopes_only(tmp_path):
    """Another guild's text changes neither a guild's rankings nor its scores."""
    question = "harbour ferries strike"
    alone = tmp_path / "alone.db"
    crowded = tmp_path / "crowded.db"
    mine = [Document(title="Harbour strike", paragraphs=["Harbour ferries stopped as the strike began.",
                                                         "The strike ended when ferries were paid."])]
    for path in (alone, crowded):
        with Corpus.open(path) as corpus:
            for doc in mine:
                corpus.add(doc, guild_id=111)
            if path == crowded:  # another guild writes "harbour" everywhere: idf would move if it were global
                for n in range(30):
                    corpus.add(Document(title=f"Harbour news {n}", paragraphs=[f"Harbour item {n} of the day."]),
                               guild_id=222)
    with Corpus.open(alone) as a, Corpus.open(crowded) as b:
        assert a.ask(question, guild_id=111).to_dict() == b.ask(question, guild_id=111).to_dict()


def test_a_guild_file_is_deleted_when_the_bot_leaves(tmp_path):
    with Corpus.open(tmp_path / "a.db") as corpus:
        corpus.add(Document(title="Mine", paragraphs=["Lighthouse keepers went on strike."]), guild_id=111)
        corpus.add(Document(title="Theirs", paragraphs=["Volcano ash closed the airport."]), guild_id=222)
        assert corpus.guild_path("111").exists()
        assert corpus.purge_guild(111) == 1
        assert not corpus.guild_path("111").exists()
        assert corpus.guild_ids() == ["222"]
        assert corpus.ask("volcano", guild_id=222).results[0].text == "Volcano ash closed the airport."
        assert corpus.ask("lighthouse", guild_id=111).results == []


def test_a_database_made_before_partitioning_migrates_without_loss(tmp_path):
    """tests/fixtures/schema-v2-three-scopes.db was made by the one-file engine (schema 2): the sample and a
    BBC article shared, two articles in guild 111 (one of them the Quixotica text), two in guild 222."""
    db = tmp_path / "old.db"
    shutil.copy(FIXTURES / "schema-v2-three-scopes.db", db)
    with Corpus.open(db) as corpus:
        assert corpus.schema_version() == SCHEMA_VERSION
        assert corpus.guild_ids() == ["111", "222"]
        shared = {a.title for a in corpus.articles()}
        assert shared == {"Ad sales boost Time Warner profit",
                          "Chinese and Russian police chiefs meet as Beijing casts wider law enforcement net"}
        g111 = corpus.articles(111)
        assert [a.title for a in g111[:2]] == ["Project Quixotica merger plans", "Roddick into San Jose final"]
        assert [a.id for a in g111[:2]] == [1000002, 1000001]
        assert {a.title for a in corpus.articles(222)} - shared == {"Halo 2 heralds traffic explosion",
                                                                    "Roddick into San Jose final"}
        top = [p.text for p in corpus.ask("what did Kolokoltsev say about Interpol", guild_id=111).results[:3]]
        assert all(any(t.startswith(o) for t in top) for o in INTERPOL_OPENINGS)
        # The speakers stored by the old engine came along.
        quixotica = corpus.ask("what did hank scorpio say about the deal", guild_id=111).results[0]
        assert quixotica.speakers == ["Hank Scorpio"]
        # ...and the old file no longer holds a guild's words.
        assert corpus.ask("what is project quixotca", guild_id=222).corrections == {}
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM articles WHERE scope != 'shared'").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM words WHERE word = 'quixotica'").fetchone()[0] == 0
    con.close()
    assert sorted(p.name for p in guild_dir(db).iterdir() if p.suffix == ".db") == ["111.db", "222.db"]


SECRET = ("Project Quixotica merger plans\n\nAcme Corp will buy Globex for $4bn under the secret Project Quixotica, "
          "chief executive Hank Scorpio told staff on Monday.\n\nThe deal, codenamed Quixotica, is due to close in "
          "March, Scorpio said.\n")


def test_through_the_cli_another_guild_cannot_probe_a_codename(tmp_path):
    from test_cli import run

    db = tmp_path / "g.db"
    (tmp_path / "secret.txt").write_text(SECRET)
    assert run("ingest", str(tmp_path / "secret.txt"), "--guild", "111", db=db).returncode == 0
    secret_words = ("quixotica", "scorpio", "globex", "acme")
    for args in (("did hank scorpoi buy globx", "--guild", "222"), ("what is project quixotca",),
                 ("what is project quixotca", "--guild", "222")):
        out = run("ask", *args, "--json", db=db)
        shown = json.loads(out.stdout)
        assert shown["corrections"] == {}
        shown.pop("question")
        assert not any(w in json.dumps(shown).lower() for w in secret_words), args
    mine = json.loads(run("ask", "did hank scorpoi buy globx", "--guild", "111", "--json", db=db).stdout)
    assert mine["corrections"] == {"scorpoi": "scorpio", "globx": "globex"}
    assert mine["answered"] and "Globex" in mine["results"][0]["text"]
