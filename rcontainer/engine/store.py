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
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rcontainer import paths
from rcontainer.container import Record
from rcontainer.errors import Busy, OperationFailed

DEFAULT_SCOPE = "default"
_SCOPE_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


def scope() -> str:
    """The scope this rcontainer works in (``RCONTAINER_SCOPE``): containers of other scopes
    are invisible to it. Tests use a scope each; users normally never set it."""
    value = os.environ.get("RCONTAINER_SCOPE", DEFAULT_SCOPE)
    if not _SCOPE_RE.match(value):
        from rcontainer.errors import BadInput

        raise BadInput(f"RCONTAINER_SCOPE={value!r}: expected lowercase letters, digits, '.', '_' or '-'")
    return value


def scope_dir(kind: str) -> Path:
    base = paths.containers_dir() if kind == "containers" else paths.logs_dir()
    s = scope()
    return base if s == DEFAULT_SCOPE else base / s


def record_path(name: str) -> Path:
    return scope_dir("containers") / f"{name}.json"


def log_path(name: str) -> Path:
    return scope_dir("logs") / f"{name}.log"


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
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise OperationFailed(f"cannot read {path}: {exc}") from None


@contextlib.contextmanager
def lock(name: str, *, timeout: float = 30.0) -> Iterator[None]:
    """Hold the container's lock: one rcontainer at a time changes one container.

    Waits up to ``timeout`` seconds, then raises Busy. flock locks vanish with their process,
    so a CLI killed with SIGKILL never leaves a stale lock behind.
    """
    path = scope_dir("containers") / f".{name}.lock"
    ensure_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
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


def names() -> list[str]:
    """Container names with a record, for completion (no JSON parsing: cheap)."""
    folder = scope_dir("containers")
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
