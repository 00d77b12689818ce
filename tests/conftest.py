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


@pytest.fixture(scope="session", autouse=True)
def model_cache_dir(tmp_path_factory):
    """One cache for the built sentence model, shared by the whole run: built once, never in ~/.cache.
    Session-wide, so that module fixtures (set up before any function's environment) see it too."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARTICLEBOT_CACHE_DIR", str(cache))
        patch.setenv("XDG_CACHE_HOME", str(cache))  # the default, for tests that unset the setting
        yield cache


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path, model_cache_dir):
    """No test reads the developer's ARTICLEBOT_* settings or writes ./articlebot.db or the user's cache."""
    for key in list(os.environ):
        if key.startswith("ARTICLEBOT_") or key.startswith("DISCORD_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ARTICLEBOT_CACHE_DIR", str(model_cache_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(model_cache_dir))  # the default, for tests that unset the setting
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
