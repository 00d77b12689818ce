"""Bundled sample articles: loaded into every new database so a fresh install can answer at once, by its
words and by meaning. Each sample ships with its paragraphs' vectors (`<name>.vectors.json`, made by the
packaged sentence model), so a new database searches by meaning from its first question without
embedding anything; they are used only when the model in use is that same model.

    python -m corpus.samples     # make the vectors files again (after the packaged model changes)
"""

from __future__ import annotations

import base64
import json
from importlib import resources

from ..reading.ingest import document_from_text

SAMPLE_FILES = ["scmp-china-russia-police-chiefs.txt"]


def sample_documents():
    for name in SAMPLE_FILES:
        yield document_from_text(_read(name))


def load_samples(corpus) -> list:
    results = []
    for name in SAMPLE_FILES:
        results.append(corpus.add(document_from_text(_read(name)), added_by="articlebot samples"))
        _adopt_shipped_vectors(corpus, name)
    return results


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _vectors_file(name: str) -> str:
    return name.rsplit(".", 1)[0] + ".vectors.json"


def _adopt_shipped_vectors(corpus, name: str) -> None:
    """Store the sample's shipped vectors in the new file, when searching by meaning uses the model that
    made them; otherwise the paragraphs wait for their vectors like any others."""
    from .. import settings
    from ..sentence_model import e5_package
    from ..storage import vectors

    if not settings.semantic() or (settings.model() or "").strip() not in ("", "default"):
        return
    try:
        shipped = json.loads(_read(_vectors_file(name)))
    except (OSError, ValueError):
        return  # an install without them embeds the sample like any article
    if shipped.get("model") != e5_package.identity():
        return
    by_hash = {row["text_hash"]: (row["scale"], base64.b64decode(row["vec"])) for row in shipped["vectors"]}
    vectors.adopt(corpus.shared, shipped["model"], by_hash)


def write_vectors_files() -> list[str]:
    """Encode each sample's paragraphs with the packaged model and write its vectors file beside it."""
    import numpy as np

    from ..sentence_model import e5_package
    from ..sentence_model.encoder import load_encoder
    from ..storage import vectors

    encoder = load_encoder("default")
    written = []
    for name in SAMPLE_FILES:
        paragraphs = document_from_text(_read(name)).paragraphs
        q, scales = vectors.quantize(np.asarray(encoder.encode_passages(paragraphs), dtype=np.float32))
        rows = [{"text_hash": vectors.text_hash(text), "scale": float(scale),
                 "vec": base64.b64encode(row.tobytes()).decode("ascii")}
                for text, row, scale in zip(paragraphs, q, scales)]
        target = resources.files(__package__).joinpath(_vectors_file(name))
        with resources.as_file(target) as path:
            path.write_text(json.dumps({"model": e5_package.identity(), "vectors": rows}, indent=0) + "\n",
                            encoding="utf-8")
            written.append(str(path))
    return written
