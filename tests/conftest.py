import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SEED_RAW = FIXTURES / "scmp-china-russia-police-chiefs.raw.txt"
INTERPOL_OPENINGS = (
    "The Russian minister complained",
    "He said the international police organisation",
    "He thanked China",
)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's ARTICLEBOT_* settings or writes ./articlebot.db."""
    for key in list(os.environ):
        if key.startswith("ARTICLEBOT_") or key.startswith("DISCORD_"):
            monkeypatch.delenv(key, raising=False)
    # Words only unless a test asks for meaning (tests/test_semantic.py, tests/test_encoder.py,
    # tests/e2e/test_e2e_vectors.py): the sentence model costs seconds to load in every command a test runs.
    monkeypatch.setenv("ARTICLEBOT_SEMANTIC", "0")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "test.db"


@pytest.fixture
def corpus(db_path):
    from corpus import Corpus

    c = Corpus.open(db_path)
    yield c
    c.close()


@pytest.fixture
def empty_corpus(db_path):
    from corpus import Corpus

    c = Corpus.open(db_path, load_samples=False)
    yield c
    c.close()
