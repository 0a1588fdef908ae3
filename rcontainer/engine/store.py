"""Per-container records in the XDG state dir: written atomically, guarded by a file lock.

A record is what rcontainer knows about one container that Podman (or bubblewrap) does not
keep for it: the profile it came from, the resolved profile and its hash, the runtime class,
the pause method, where the logs go, and every lifecycle transition with its time. Podman
stays the source of truth for what is running; records are reconciled with it on every
command (``rcontainer.engine.core``).

Records, locks and log files are kept by key (``PROJECT/NAME``): ``projects/PROJECT/NAME.json``
in the scope's folder. A record made before projects lies at ``NAME.json``; it is found under
the key of its profile's folder (``container.folder_project``) and moves to its project's folder
the first time it is saved.
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
from typing import TYPE_CHECKING

from rcontainer import paths
from rcontainer.container import Record, split_key
from rcontainer.errors import Busy, NotFound, OperationFailed
from rcontainer.files import ensure_dir, read_json, write_json_atomic
from rcontainer.paths import scope_dir

if TYPE_CHECKING:
    from rcontainer.profile import Profile


def owner() -> str:
    """The state folder whose records manage a container (a label on it): another state folder
    never takes the container over."""
    return str(paths.state_dir())


def _split(key: str) -> tuple[str, str]:
    """(project, name) of a key as parts of file names; one with a NUL (no profile gives one)
    names no container."""
    if "\0" in key:
        raise NotFound(f"no container named {key!r}")
    return split_key(key)


def _folder(kind: str, project: str) -> Path:
    """Where a project's records (or logs) live in this scope; a key without a project, directly
    in the scope's folder. The fixed depth keeps them apart from other scopes' folders."""
    base = scope_dir(kind)
    return base / "projects" / project if project else base


def record_path(key: str) -> Path:
    project, name = _split(key)
    return _folder("containers", project) / f"{name}.json"


def _old_record_path(key: str) -> Path:
    """Where a record of ``key`` made before projects lies."""
    return scope_dir("containers") / f"{_split(key)[1]}.json"


def project_file(kind: str, project: str, name: str) -> Path:
    """A file of the project's own in this scope's ``kind`` folder (containers or logs), such as
    the monitor's lock; ``name`` starts with ``_``, which no container's name does."""
    assert name.startswith("_")
    return _folder(kind, project) / name


def log_path(key: str) -> Path:
    project, name = _split(key)
    return _folder("logs", project) / f"{name}.log"


@contextlib.contextmanager
def lock(key: str, *, timeout: float = 30.0) -> Iterator[None]:
    """Hold the container's lock: one rcontainer at a time changes one container.

    Waits up to ``timeout`` seconds, then raises Busy. flock locks vanish with their process,
    so a CLI killed with SIGKILL never leaves a stale lock behind.
    """
    project, name = _split(key)
    path = _folder("containers", project) / f".{name}.lock"
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
                        f"container {key!r} is busy: another rcontainer command is changing it",
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


def load(key: str) -> Record | None:
    data = read_json(record_path(key))
    if data is not None:
        return Record.from_dict(data)
    if not split_key(key)[0]:
        return None
    old = read_json(_old_record_path(key))
    rec = None if old is None else Record.from_dict(old)
    return rec if rec is not None and rec.key == key else None


def save(record: Record) -> None:
    write_json_atomic(record_path(record.key), record.to_dict())
    old = _old_record_path(record.key)
    if record.project and old.is_file():  # made before projects: it now lives in its project's folder
        data = read_json(old)
        if data is not None and Record.from_dict(data).key == record.key:
            old.unlink(missing_ok=True)


def forget(record: Record) -> None:
    """Delete the record (wherever it lies: a record of old may not have moved yet)."""
    record_path(record.key).unlink(missing_ok=True)
    old = _old_record_path(record.key)
    data = read_json(old) if record.project and old.is_file() else None
    if data is not None and Record.from_dict(data).key == record.key:
        old.unlink(missing_ok=True)


def _record_files(folder: Path, name: str = "*") -> list[Path]:
    """Record files of this scope: in projects' folders first, then records of old."""
    if not folder.is_dir():
        return []
    found = sorted(folder.glob(f"projects/*/{name}.json")) + sorted(folder.glob(f"{name}.json"))
    return [p for p in found if not p.name.startswith(".")]


def _read_records(files: list[Path]) -> list[Record]:
    out: dict[str, Record] = {}
    for path in files:
        data = read_json(path)
        if data is not None:
            rec = Record.from_dict(data)
            out.setdefault(rec.key, rec)  # a record of old not yet removed after its move
    return list(out.values())


def all_records(*, every_scope: bool = False) -> list[Record]:
    """This scope's records (or, for cache pruning, every scope's)."""
    if every_scope:
        folder = paths.containers_dir()
        files = sorted(p for p in folder.glob("**/*.json") if not p.name.startswith("."))
        return [Record.from_dict(d) for p in files if (d := read_json(p)) is not None]
    return _read_records(_record_files(scope_dir("containers")))


def named(name: str) -> list[Record]:
    """The records of every project with a container called ``name``."""
    return _read_records(_record_files(scope_dir("containers"), name))


def names(states: frozenset[str] | None = None, *, keys: bool = False) -> list[str]:
    """Container names with a record, for completion, sorted: each name, and ``PROJECT/NAME``
    for a name in several projects (for every one with ``keys``); ``states``: only those whose
    record says they are in one of them (the record as last reconciled: no runtime is asked)."""
    folder = scope_dir("containers")
    if not folder.is_dir():
        return []
    files = [p for p in _record_files(folder) if states is None or _state_of(p) in states]
    bare = [p.stem for p in files]
    keyed = {f"{p.parent.name}/{p.stem}" for p in files if p.parent != folder}
    if not keys:
        keyed = {k for k in keyed if bare.count(k.partition("/")[2]) > 1}
    return sorted(set(bare) | keyed)


def _state_of(path: Path) -> str | None:
    import json

    try:
        return json.loads(path.read_text()).get("state")
    except (OSError, ValueError, AttributeError):
        return None


def warned(profile: Profile, notices: list[str]) -> Profile:
    """``profile``, its warnings (an unset variable, ...) added to ``notices``, each once."""
    for text in profile.warnings:
        if f"warning: {text}" not in notices:
            notices.append(f"warning: {text}")
    return profile
