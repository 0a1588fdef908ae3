"""The user's private files: folders made 0700, JSON written atomically, read with a clear error.

Records, caches and the runtime probe all write through here, so a full disk or a read-only
folder leaves the previous file intact and gives one kind of message.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
from pathlib import Path
from typing import Any

from rcontainer.errors import OperationFailed


def ensure_dir(path: Path) -> None:
    """Create a folder and its missing parents, each 0700: state and logs are the user's alone
    (``mkdir(parents=True, mode=...)`` would give the parents the umask's mode)."""
    missing = []
    while not path.exists():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass


def write_json_atomic(path: Path, data: Any) -> None:
    """Write a temporary file in the same folder, fsync it, rename it over the old one.

    A reader sees the old record or the new one, never half of one; on a full disk or a
    read-only folder the old record stays as it was.
    """
    ensure_dir(path.parent)
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    try:
        fd, tmp = _temp_beside(path)
    except OSError as exc:
        raise OperationFailed(f"cannot write {path}: {exc.strerror}; the previous record is intact") from None
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        dfd = os.open(path.parent, os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OperationFailed(
            f"cannot write {path}: {exc.strerror or exc}; the previous record is intact"
        ) from None


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new empty file ``.NAME.RANDOM.tmp`` beside ``path``, opened for writing: what
    ``tempfile.mkstemp`` makes (O_EXCL, 0600, a fresh name), without importing tempfile (with
    shutil, random, bz2 and lzma, ~3.5 ms of every command that writes a record)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        tmp = os.path.join(path.parent, f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary name", str(path.parent))


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise OperationFailed(f"cannot read {path}: {exc}") from None


def private_random_key(path: Path, size: int = 32) -> bytes:
    """A random key kept in ``path`` (0600), made on first use; concurrent first uses agree
    (O_EXCL: one creates it, the others read what it wrote)."""
    ensure_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        for _ in range(50):  # the creator may not have written it yet
            data = path.read_bytes()
            if len(data) == size:
                return data
            time.sleep(0.01)
        raise OperationFailed(f"{path} is not a key rcontainer made ({len(data)} bytes)") from None
    except OSError as exc:
        raise OperationFailed(f"cannot create {path}: {exc.strerror}") from None
    key = os.urandom(size)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key
