"""The bundled sample: a new database holds it with every paragraph's vector, so the first question is
searched by meaning too, without embedding anything (issue 18)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from test_cli import run

from corpus import Corpus
from corpus.samples import SAMPLE_FILES, sample_documents
from corpus.sentence_model import e5_package

ROOT = Path(__file__).resolve().parent.parent


def _shipped(name: str) -> dict:
    vectors_file = name.rsplit(".", 1)[0] + ".vectors.json"
    return json.loads(resources.files("corpus.samples").joinpath(vectors_file).read_text(encoding="utf-8"))


def test_a_new_database_has_every_sample_paragraph_with_its_vector_without_loading_the_model(tmp_path):
    script = ("import json, sqlite3, sys; from corpus import Corpus; Corpus.open(sys.argv[1]).close(); "
              "db = sqlite3.connect(sys.argv[1]); count = lambda t: db.execute(f'SELECT count(*) FROM {t}').fetchone()[0]; "
              "print(json.dumps([count('embeddings'), count('paragraphs'), 'onnxruntime' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "new.db")], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "ARTICLEBOT_SEMANTIC": "1",
                              "ARTICLEBOT_CACHE_DIR": str(tmp_path / "cache")}, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    vectors, paragraphs, model_loaded = json.loads(out.stdout)
    assert vectors == paragraphs == 24
    assert model_loaded is False


def test_stats_of_a_new_default_database_counts_the_sample_vectors(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_SEMANTIC", "1")
    out = run("stats")  # the first command creates ./articlebot.db with the sample
    assert out.returncode == 0, out.stderr
    assert "vectors: 24 of 24 paragraphs" in out.stdout


def test_the_shipped_vectors_are_the_packaged_models(monkeypatch):
    """Made by the model a fresh install runs (else `python -m corpus.samples` writes them again): the same
    identity, and each vector what the model makes of that paragraph now, within int8 rounding and the CPU's
    kernels (measured: cosine >= 0.999 on the machine that wrote them)."""
    from corpus.sentence_model.encoder import load_encoder
    from corpus.storage.vectors import text_hash

    encoder = load_encoder("default")
    for name, doc in zip(SAMPLE_FILES, sample_documents()):
        shipped = _shipped(name)
        assert shipped["model"] == e5_package.identity() == f"{encoder.name}@{encoder.version}"
        rows = {row["text_hash"]: row for row in shipped["vectors"]}
        assert set(rows) == {text_hash(p) for p in doc.paragraphs}
        now = encoder.encode_passages(doc.paragraphs)
        for paragraph, vector in zip(doc.paragraphs, now):
            row = rows[text_hash(paragraph)]
            stored = np.frombuffer(base64.b64decode(row["vec"]), dtype=np.int8).astype(np.float32) * row["scale"]
            assert float(stored @ vector) / float(np.linalg.norm(stored)) >= 0.98


@pytest.mark.parametrize("setting, value", [("ARTICLEBOT_SEMANTIC", "0"), ("ARTICLEBOT_MODEL", "/nowhere/model")])
def test_the_shipped_vectors_are_not_used_for_another_model_or_words_alone(tmp_path, monkeypatch, setting, value):
    monkeypatch.setenv("ARTICLEBOT_SEMANTIC", "1")
    monkeypatch.setenv(setting, value)
    with Corpus.open(tmp_path / "other.db") as corpus:
        with corpus.shared.connection() as conn:
            has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'embeddings'").fetchone()
            held = conn.execute("SELECT count(*) FROM embeddings").fetchone()[0] if has_table else 0
    assert held == 0


def test_a_paraphrase_about_the_sample_is_answered_by_meaning_on_a_new_database(tmp_path, monkeypatch):
    """The demo searches by meaning from its first question: the vectors are there, so the question's own
    vector finds the paragraph (the paraphrase shares no content word with it but the name)."""
    monkeypatch.setenv("ARTICLEBOT_SEMANTIC", "1")
    with Corpus.open(tmp_path / "demo.db") as corpus:
        reading = corpus.read("which honour was Kolokoltsev given")
        assert any(c.cosine is not None for c in reading.candidates)
        top = [p.text for p in corpus.ask("which honour was Kolokoltsev given", limit=3).results]
    assert any("Great Wall of China medal" in t for t in top)
