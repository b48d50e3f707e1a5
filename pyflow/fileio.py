"""Atomic writes: a file either has its complete new content or is not there (tmp file + os.replace); a set of
generated files is built in a staging directory and moved into place only when all of it was written."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np


def write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def staged_dir(final: Path):
    """Yields an empty staging directory next to ``final``. When the block completes, every top-level entry of it
    replaces the entry of the same name in ``final`` (files by os.replace, directories renamed over a moved-away
    old copy); entries of ``final`` it does not name stay. When the block raises, the staging directory is removed
    and ``final`` is untouched: a failed generation leaves nothing half-written behind."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.stage-", dir=final.parent))
    try:
        yield stage
        final.mkdir(exist_ok=True)
        for entry in sorted(stage.iterdir()):
            target = final / entry.name
            if entry.is_dir() and target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{entry.name}.old-", dir=final))
                os.replace(target, old / entry.name)
                os.replace(entry, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(entry, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, value) -> None:
    write_text(path, json.dumps(value, indent=1, sort_keys=False) + "\n")


def npy_bytes(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tensor_sha256(array: np.ndarray) -> str:
    """The hash of a tensor's raw values (C order, native little-endian bytes): what the manifests record."""
    return sha256(np.ascontiguousarray(array).tobytes())
