"""Starting, waking and describing a project's monitor (``rcontainer.engine.monitor``): what the
commands do, without importing the monitor's loop.

One monitor per project and scope: it holds ``_monitor.lock`` in the project's records folder
(an flock, gone with its process) with its pid written in it, so a second ``up`` does not start
another; ``ensure`` starts one in a session of its own, its standard streams on
``_monitor.log`` in the project's logs folder (never the caller's terminal), and does not wait
for it; ``poke`` wakes the running one (SIGHUP) after a command changed a container.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rcontainer.backends import capabilities
from rcontainer.container import Record
from rcontainer.engine import store, watch
from rcontainer.errors import RcError
from rcontainer.files import ensure_dir

if TYPE_CHECKING:
    from rcontainer.engine.core import Engine

MODULE = "rcontainer.engine.monitor"
LOCK = "_monitor.lock"
LOG = "_monitor.log"


def lock_path(project: str) -> Path:
    return store.project_file("containers", project, LOCK)


def log_path(project: str) -> Path:
    return store.project_file("logs", project, LOG)


def _open_lock(project: str) -> int:
    path = lock_path(project)
    ensure_dir(path.parent)
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)


def _try_lock(fd: int, timeout: float = 0.0) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def running_pid(project: str) -> int | None:
    """The pid of the project's monitor when one runs (it holds the lock), else None."""
    try:
        fd = _open_lock(project)
    except OSError:
        return None
    try:
        if _try_lock(fd):  # free: no monitor (released at once, so a starting one gets it)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        return int(text) if text.isdigit() else None
    finally:
        os.close(fd)


def _is_monitor(pid: int) -> bool:
    try:
        return MODULE.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def poke(project: str) -> None:
    """Wake the project's monitor, if one runs, to look at its containers now."""
    pid = running_pid(project)
    if pid and _is_monitor(pid):
        import signal  # here: only a running monitor is signalled

        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGHUP)


def needs(rec: Record) -> bool:
    """Whether the container is the monitor's to watch now."""
    return watch.live(watch.duty(rec, capabilities(rec.family)), rec)


# the monitors this process started, by project: ``up FOLDER`` brings containers up in threads,
# and each would otherwise start one before the first took its lock
_started: dict[str, int] = {}
_starting = threading.Lock()


def ensure(project: str, *, autostart: bool) -> int | None:
    """Make sure the project's monitor runs: start one (its pid returned) or wake the one that
    runs. The start costs a fork and exec: the monitor is not waited for."""
    with _starting:
        pid = _started.get(project)
        if pid is not None and _is_monitor(pid):
            return None  # starting still: it reads the records once it holds its lock
        if running_pid(project) is not None:
            poke(project)
            return None
        _started[project] = pid = _spawn(project, autostart=autostart)
        return pid


def _spawn(project: str, *, autostart: bool) -> int:
    import subprocess

    log = log_path(project)
    ensure_dir(log.parent)
    argv = [sys.executable, "-m", MODULE, "--project", project]
    if not autostart:
        argv.append("--no-autostart")
    package_root = str(Path(__file__).resolve().parents[2])  # importable from "/" as from here
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    )
    out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # not the caller's terminal, nor its signals
            close_fds=True,
            cwd="/",
            env=env,
        )
    finally:
        os.close(out)
    proc.returncode = 0  # not ours to wait for: it outlives this command
    return proc.pid


def after_change(engine: Engine, rec: Record) -> None:
    """After a command changed a container: start the monitor when the container needs one, or
    wake the running monitor so that it sees the change (a user's stop) at once."""
    if engine.driver == "systemd" or not engine.monitored:
        return
    try:
        if needs(rec):
            ensure(rec.project, autostart=engine.autostart)
        else:
            poke(rec.project)
    except (OSError, RcError) as exc:  # the container changed as asked; say what did not
        why = exc.message if isinstance(exc, RcError) else exc.strerror or str(exc)
        engine.notices.append(f"{rec.key}: could not start its monitor (healthchecks, restarts): {why}")


def describe(rec: Record) -> dict[str, Any] | None:
    """Who drives the container's healthchecks and restarts, for ``inspect``; None when nothing
    needs driving."""
    if rec.driver == "systemd":
        return {"by": "systemd", "how": "its unit's rcontainer run-unit"}
    d = watch.duty(rec, capabilities(rec.family))
    if d is None:
        if watch.policy_of(rec.profile)[0] != "no":
            return {"by": "runtime", "how": f"the {rec.family} runtime restarts it itself"}
        return None
    pid = running_pid(rec.project)
    what = [f"healthcheck every {d.interval:g}s"] if d.interval is not None else []
    if d.restarts != "no":
        what.append(f"restart: {d.policy}")
    elif d.policy != "no":
        what.append(f"restart: {d.policy} (by {rec.family} itself)")
    return {"by": "monitor", "pid": pid, "does": ", ".join(what), "log": str(log_path(rec.project))}
