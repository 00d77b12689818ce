"""Bundled sample articles: loaded into every new database so a fresh install can answer at once."""

from __future__ import annotations

from importlib import resources

from ..reading.ingest import document_from_text

SAMPLE_FILES = ["scmp-china-russia-police-chiefs.txt"]


def sample_documents():
    for name in SAMPLE_FILES:
        text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
        yield document_from_text(text)


def load_samples(corpus) -> list:
    return [corpus.add(doc, added_by="articlebot samples") for doc in sample_documents()]
