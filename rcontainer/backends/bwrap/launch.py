"""Starting a container: its supervisor, detached, and the wait for the supervisor's first report.

``start`` returns once bwrap has exec'd the container's command (or the command has already
ended), so a caller that runs ``exec`` or ``ps`` next finds the container running; a bwrap
failure before that (a missing mount source, say) is raised with bwrap's own message. The
container's secret environment values go to the supervisor through its standard input, never
through a file or its command line (``secret_env``).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
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
    start_id = secrets.token_hex(8)
    # the supervisor must find this package whatever its cwd (/): an editable install or
    # a source checkout alike
    pkg_parent = str(Path(rcontainer.__file__).resolve().parent.parent)  # the folder holding the package
    env = {
        "PATH": os.environ.get("PATH", DEFAULT_PATH),
        "PYTHONPATH": os.pathsep.join(p for p in (pkg_parent, os.environ.get("PYTHONPATH")) if p),
        "LANG": "C.UTF-8",
    }
    errfd = os.open(
        cdir / "supervisor.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
    )
    os.fchmod(errfd, 0o600)  # an older rcontainer made it 0644: the user's alone, as state files are
    with os.fdopen(errfd, "ab") as errlog:
        supervisor = subprocess.Popen(
            # -S: no site-packages needed (the supervisor uses the standard library and this
            # package, found through PYTHONPATH); it saves part of every start
            [sys.executable, "-S", "-m", "rcontainer.backends.bwrap.supervisor", str(cdir), start_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errlog,
            cwd="/",
            env=env,
            start_new_session=True,  # the CLI may exit (or get ^C) while the container runs
        )
    assert supervisor.stdin is not None
    with contextlib.suppress(BrokenPipeError):  # it died first: its log says why (below)
        supervisor.stdin.write(json.dumps(secret_values or {}).encode())
    with contextlib.suppress(BrokenPipeError):
        supervisor.stdin.close()
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        rt = status.read(cdir)
        if rt.get("start_id") == start_id:
            if rt.get("setup_error"):
                raise OperationFailed(f"start {name}: {rt['setup_error']}")
            if rt.get("exec_seen") or rt.get("exit_code") is not None:
                return
        if supervisor.poll() is not None and rt.get("start_id") != start_id:
            text = (cdir / "supervisor.log").read_text(errors="replace").strip().splitlines()[-5:]
            raise OperationFailed(
                f"start {name}: the bubblewrap supervisor exited with status "
                f"{supervisor.returncode}: {' '.join(text) or 'no message'}"
            )
        if time.monotonic() > deadline:
            if alive(rt.get("init_pid"), rt.get("init_start")):
                return  # slow machine: bwrap has not exec'd yet but runs
            raise OperationFailed(f"start {name}: bubblewrap did not start within {START_TIMEOUT:.0f}s")
        time.sleep(0.002)
