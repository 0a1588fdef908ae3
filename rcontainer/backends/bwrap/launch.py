"""Starting a container: its supervisor, detached, and the wait for the supervisor's first report.

The supervisor is a fork of the CLI process (``_fork``): it has every module it needs already,
so no second interpreter starts on the way to a running container (that start, ``python -S``
and the supervisor's imports, cost 40-100 ms of a ~250 ms ``up`` here: BENCHMARKS.md). The child
leaves the CLI's session, gets /dev/null and the supervisor's log as its stdio and closes every
other descriptor it inherited (the container's lock, the Podman connection, ...) before it does
anything. A CLI that runs threads (a project's containers coming up side by side) cannot fork
safely (a lock another thread holds stays held in the child for ever): it starts
``python -S -m rcontainer.backends.bwrap.supervisor`` instead (``_spawn``), as it always did.

``start`` returns once bwrap has exec'd the container's command (or the command has already
ended), so a caller that runs ``exec`` or ``ps`` next finds the container running; a bwrap
failure before that (a missing mount source, say) is raised with bwrap's own message. The
container's secret environment values go to the supervisor through its standard input, never
through a file or its command line (``secret_env``).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import rcontainer
from rcontainer.backends.bwrap import status
from rcontainer.backends.bwrap.argv import DEFAULT_PATH
from rcontainer.backends.bwrap.procs import alive
from rcontainer.errors import OperationFailed

START_TIMEOUT = 10.0


def start(cdir: Path, name: str, secret_values: dict[str, str] | None = None) -> None:
    """Run the supervisor of the container folder ``cdir`` (container ``name`` in messages),
    handing it the values of the container's secret variables."""
    with contextlib.suppress(FileNotFoundError):
        (cdir / status.NAME).unlink()
    start_id = os.urandom(8).hex()
    errfd = os.open(
        cdir / "supervisor.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
    )
    os.fchmod(errfd, 0o600)  # an older rcontainer made it 0644: the user's alone, as state files are
    try:
        if threading.active_count() == 1:
            exited = _fork(cdir, start_id, secret_values or {}, errfd)
        else:
            exited = _spawn(cdir, start_id, secret_values or {}, errfd)
    finally:
        os.close(errfd)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        rt = status.read(cdir)
        if rt.get("start_id") == start_id:
            if rt.get("setup_error"):
                raise OperationFailed(f"start {name}: {rt['setup_error']}")
            if rt.get("exec_seen") or rt.get("exit_code") is not None:
                return
        returncode = exited()
        if returncode is not None and rt.get("start_id") != start_id:
            text = (cdir / "supervisor.log").read_text(errors="replace").strip().splitlines()[-5:]
            raise OperationFailed(
                f"start {name}: the bubblewrap supervisor exited with status "
                f"{returncode}: {' '.join(text) or 'no message'}"
            )
        if time.monotonic() > deadline:
            if alive(rt.get("init_pid"), rt.get("init_start")):
                return  # slow machine: bwrap has not exec'd yet but runs
            raise OperationFailed(f"start {name}: bubblewrap did not start within {START_TIMEOUT:.0f}s")
        time.sleep(0.002)


def _fork(cdir: Path, start_id: str, secret_values: dict[str, str], errfd: int) -> Callable[[], int | None]:
    """The supervisor as a fork of this process; a function that tells whether it exited."""
    from rcontainer.backends.bwrap import supervisor  # before the fork: the child imports nothing

    for stream in (sys.stdout, sys.stderr):  # nothing of ours buffered gets written twice
        with contextlib.suppress(Exception):
            stream.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the CLI's code
        code = 1
        try:
            # The CLI's objects stay in this process's memory; one holding a descriptor (a socket,
            # a file) that the collector finalized later would close whatever then has that
            # number. So every object there is now, garbage or not, is exempted from collection
            # for good (nothing of it is ever finalized here). Not collected first: a collection
            # touches every object, so copies the pages of the heap it shares with the CLI (~3 ms
            # on the way to a running container).
            gc.freeze()
            os.setsid()  # the CLI may exit (or get ^C) while the container runs
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, 0)
            os.dup2(null, 1)
            os.dup2(errfd, 2)
            os.closerange(3, _max_fd())  # the container's lock, the Podman connection, the CLI's files
            os.chdir("/")
            with contextlib.suppress(OSError):  # what ps -o comm and top call it (not "rcontainer")
                Path("/proc/self/comm").write_text("rc-supervisor")
            code = supervisor.run(cdir, start_id, secret_values)
        except BaseException:  # noqa: BLE001 - anything goes to the supervisor's log, then out
            with contextlib.suppress(Exception):
                os.write(2, traceback.format_exc().encode(errors="replace"))
        finally:
            os._exit(code)
    status: list[int] = []

    def exited() -> int | None:
        if not status:
            done, wstatus = os.waitpid(pid, os.WNOHANG)
            if done:
                status.append(os.waitstatus_to_exitcode(wstatus))
        return status[0] if status else None

    return exited


def _max_fd() -> int:
    try:
        return max(int(fd) for fd in os.listdir("/proc/self/fd")) + 1
    except (OSError, ValueError):
        return os.sysconf("SC_OPEN_MAX")


def _spawn(cdir: Path, start_id: str, secret_values: dict[str, str], errfd: int) -> Callable[[], int | None]:
    """The supervisor as a new interpreter (``python -S``), its secrets on its standard input."""
    # the supervisor must find this package whatever its cwd (/): an editable install or
    # a source checkout alike
    pkg_parent = str(Path(rcontainer.__file__).resolve().parent.parent)  # the folder holding the package
    env = {
        "PATH": os.environ.get("PATH", DEFAULT_PATH),
        "PYTHONPATH": os.pathsep.join(p for p in (pkg_parent, os.environ.get("PYTHONPATH")) if p),
        "LANG": "C.UTF-8",
    }
    supervisor = subprocess.Popen(
        # -S: no site-packages needed (the supervisor uses the standard library and this
        # package, found through PYTHONPATH); it saves part of every start
        [sys.executable, "-S", "-m", "rcontainer.backends.bwrap.supervisor", str(cdir), start_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=errfd,
        cwd="/",
        env=env,
        start_new_session=True,  # the CLI may exit (or get ^C) while the container runs
    )
    assert supervisor.stdin is not None
    with contextlib.suppress(BrokenPipeError):  # it died first: its log says why
        supervisor.stdin.write(json.dumps(secret_values).encode())
    with contextlib.suppress(BrokenPipeError):
        supervisor.stdin.close()
    return supervisor.poll
