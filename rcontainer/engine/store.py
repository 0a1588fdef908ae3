"""Per-container records in the XDG state dir: written atomically, guarded by a file lock.

A record is what rcontainer knows about one container that Podman (or bubblewrap) does not
keep for it: the profile it came from, the resolved profile and its hash, the runtime class,
the pause method, where the logs go, and every lifecycle transition with its time. Podman
stays the source of truth for what is running; records are reconciled with it on every
command (``rcontainer.engine.core``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from rcontainer import paths
from rcontainer.container import Record
from rcontainer.errors import Busy, NotFound, OperationFailed
from rcontainer.files import ensure_dir, read_json, write_json_atomic
from rcontainer.paths import scope_dir


def record_path(name: str) -> Path:
    return scope_dir("containers") / f"{_named(name)}.json"


def log_path(name: str) -> Path:
    return scope_dir("logs") / f"{_named(name)}.log"


def _named(name: str) -> str:
    """A name as part of a file name; one with a NUL (no profile gives one) names no container."""
    if "\0" in name:
        raise NotFound(f"no container named {name!r}")
    return name


@contextlib.contextmanager
def lock(name: str, *, timeout: float = 30.0) -> Iterator[None]:
    """Hold the container's lock: one rcontainer at a time changes one container.

    Waits up to ``timeout`` seconds, then raises Busy. flock locks vanish with their process,
    so a CLI killed with SIGKILL never leaves a stale lock behind.
    """
    path = scope_dir("containers") / f".{_named(name)}.lock"
    ensure_dir(path.parent)
    fd = _open_lock_file(path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise Busy(
                        f"container {name!r} is busy: another rcontainer command is changing it",
                        hint="try again when it has finished",
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def _open_lock_file(path: Path) -> int:
    """Open (or make) the lock file without following a symlink planted in its place: with
    O_CREAT a symlink would make rcontainer create or open a file wherever it points."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OperationFailed(
                f"refusing the lock file {path}: it is a symbolic link, not a file rcontainer made",
                hint=f"remove it (rm {path}) if you did not put it there on purpose",
            ) from None
        raise OperationFailed(f"cannot open the lock file {path}: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
        os.close(fd)
        raise OperationFailed(
            f"refusing the lock file {path}: it is not a regular file of yours",
            hint=f"remove it (rm {path}) if you did not put it there on purpose",
        )
    return fd


def load(name: str) -> Record | None:
    data = read_json(record_path(name))
    return None if data is None else Record.from_dict(data)


def save(record: Record) -> None:
    write_json_atomic(record_path(record.name), record.to_dict())


def all_records(*, every_scope: bool = False) -> list[Record]:
    """This scope's records (or, for cache pruning, every scope's)."""
    folder = paths.containers_dir() if every_scope else scope_dir("containers")
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("**/*.json" if every_scope else "*.json")):
        if path.name.startswith("."):
            continue
        data = read_json(path)
        if data is not None:
            out.append(Record.from_dict(data))
    return out


def names(states: frozenset[str] | None = None) -> list[str]:
    """Container names with a record, for completion, sorted; ``states``: only those whose record
    says they are in one of them (the record as last reconciled: no runtime is asked)."""
    folder = scope_dir("containers")
    if not folder.is_dir():
        return []
    paths = sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))
    if states is None:
        return [p.stem for p in paths]
    import json

    out = []
    for path in paths:
        try:
            state = json.loads(path.read_text()).get("state")
        except (OSError, ValueError, AttributeError):
            continue
        if state in states:
            out.append(path.stem)
    return out
