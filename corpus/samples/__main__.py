"""python -m corpus.samples: write the bundled samples' vectors files again with the packaged model."""

from . import write_vectors_files

for path in write_vectors_files():
    print(f"wrote {path}")
