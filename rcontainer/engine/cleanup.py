"""Forgetting removed containers, and the logs of earlier runs kept across recreates.

A removed container's record (its history), its logs and a dev shell's own home folder stay
until the user says otherwise: ``rm --purge NAME`` forgets one, ``prune`` every removed one
(``--keep-logs`` keeps the logs).
A recreate keeps the previous container's log beside the new one (``logs --previous``), up to
``PREVIOUS_LOGS`` runs back; older ones are deleted.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from rcontainer import logs
from rcontainer.container import Record, State
from rcontainer.engine import devshell, store
from rcontainer.errors import IllegalTransition, OperationFailed
from rcontainer.values import Value

# how many earlier runs' logs a container keeps across recreates
PREVIOUS_LOGS = 3


def previous_log(log: Path, n: int = 1) -> Path:
    """The log of the run ``n`` recreates back (``NAME.log.previous``, ``NAME.log.previous.2``...)."""
    return log.with_name(log.name + ".previous" + (f".{n}" if n > 1 else ""))


def keep_previous_log(log: Path) -> None:
    """Before a new container writes ``log``: the current log becomes the previous run's (its
    size-capped older part, ``LOG.old``, first), older runs move one back, the oldest goes."""
    if not log.exists() and not logs.rotated(log).exists():
        return
    with contextlib.suppress(FileNotFoundError):
        previous_log(log, PREVIOUS_LOGS).unlink()
    for n in range(PREVIOUS_LOGS - 1, 0, -1):
        with contextlib.suppress(FileNotFoundError):
            previous_log(log, n).replace(previous_log(log, n + 1))
    older = logs.rotated(log)  # what a size cap rotated out of this run's log
    if older.exists():
        import shutil  # here: only a rotated log is copied (~2 ms with bz2 and lzma)

        with older.open("ab") as out, contextlib.suppress(FileNotFoundError), log.open("rb") as current:
            shutil.copyfileobj(current, out)
        older.replace(previous_log(log))
        log.unlink(missing_ok=True)
    else:
        log.replace(previous_log(log))


def logs_of(rec: Record) -> list[Path]:
    """Every log file of the container: the current one, its rotated part, earlier runs'."""
    if not rec.log_path:
        return []
    log = Path(rec.log_path)
    return [log, logs.rotated(log)] + [previous_log(log, n) for n in range(1, PREVIOUS_LOGS + 1)]


class Run(Value):
    """One kept run of a container: its log, and when its container was created and first
    started (from the record's transitions; None when the record no longer knows)."""

    __slots__ = ("log", "created_at", "started_at")

    def __init__(self, log: Path, created_at: str | None, started_at: str | None) -> None:
        self.log = log
        self.created_at = created_at
        self.started_at = started_at


def runs(rec: Record) -> list[Run]:
    """Every run whose log is kept, oldest first, the current one last (``logs --all``).

    Each create of the container (``up`` of a changed profile, ``up`` after ``rm``) began a
    run and moved the logs one back, so the run ``n`` recreates back is the ``n``-th create
    from the end of the record's transitions; it started at the first start after that create.
    """
    log = Path(rec.log_path)
    creates = [
        i
        for i, t in enumerate(rec.transitions)
        if t["to"] == State.CREATED and t.get("from") in (None, State.REMOVED)
    ]
    out = []
    for back in range(PREVIOUS_LOGS, -1, -1):
        path = previous_log(log, back) if back else log
        if back and not path.exists():
            continue
        created = started = None
        if back < len(creates):
            first = creates[-1 - back]
            end = creates[-back] if back else len(rec.transitions)
            created = rec.transitions[first]["at"]
            started = next((t["at"] for t in rec.transitions[first:end] if t["to"] == State.RUNNING), None)
        out.append(Run(path, created, started))
    return out


def purge(rec: Record, *, keep_logs: bool = False) -> None:
    """Forget a removed container: its record and, unless ``keep_logs``, its logs. (Its lock
    file stays: deleting a lock another command may be waiting on would let two hold it.)"""
    if rec.state != State.REMOVED:
        raise IllegalTransition(f"cannot purge {rec.name}: it is {rec.state}", hint="remove it first")
    try:
        with store.lock(rec.key):
            fresh = store.load(rec.key)
            if fresh is None or fresh.state != State.REMOVED:
                return  # made again meanwhile (or purged): nothing of the removed one to forget
            if not keep_logs:
                for path in logs_of(fresh):
                    path.unlink(missing_ok=True)
            devshell.forget_home(fresh.key)  # a dev shell's own home goes with it
            store.forget(fresh)
    except OSError as exc:
        raise OperationFailed(f"cannot forget {rec.name}: {exc.strerror or exc}") from None


def prune(*, keep_logs: bool = False) -> list[str]:
    """Forget every removed container of this scope; the names forgotten."""
    done = []
    for rec in store.all_records():
        if rec.state == State.REMOVED:
            purge(rec, keep_logs=keep_logs)
            done.append(rec.name)
    return done
