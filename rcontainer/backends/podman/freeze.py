"""Pausing without a cgroup freezer: every process of the container stopped with SIGSTOP.

Rootless containers on cgroup v1 get no cgroup, so Podman refuses to pause them; rcontainer
stops (and continues) each process instead, from the container's user namespace.
"""

from __future__ import annotations

import shutil
import subprocess
import time

from rcontainer.backends.podman import service
from rcontainer.backends.podman.api import LibpodClient
from rcontainer.container import Record
from rcontainer.errors import OperationFailed


def _host_pids(api: LibpodClient, rec: Record) -> set[int]:
    """The host PIDs of the container's processes. Podman's ``top`` fails when a process exits
    while it reads /proc ("no such process": 1-2 calls in 300 with a busy container, on 4.3
    and 5.4 alike); another look a moment later sees the settled set."""
    for attempt in range(5):
        try:
            top = api.request(
                "GET",
                f"/containers/{rec.backend['id']}/top",
                {"ps_args": "hpid"},
                what=f"list processes of {rec.name}",
            ).json()
            break
        except OperationFailed as exc:
            if "no such process" not in str(exc).lower() or attempt == 4:
                raise
            time.sleep(0.02)
    pids = set()
    for row in (top or {}).get("Processes") or []:
        value = row[0].strip() if row else ""
        if value.isdigit():
            pids.add(int(value))
    return pids


def signal_all(api: LibpodClient, rec: Record, sig: str) -> None:
    """Stop (or continue) every process of the container: the pause method where Podman has
    no cgroup freezer for rootless containers (cgroup v1).

    Podman's API cannot signal processes one by one, and processes running as other users
    inside the container can only be signalled from its user namespace, so this runs
    ``podman unshare kill`` (an argument list, never a shell line). A process forked while
    the others are being stopped is caught by repeating until the set is stable.
    """
    podman = shutil.which("podman")
    if podman is None:
        raise OperationFailed("pausing needs the podman command on PATH (signal method)")
    done: set[int] = set()
    for _ in range(10):
        pids = _host_pids(api, rec) - (done if sig == "STOP" else set())
        if not pids:
            break
        proc = subprocess.run(
            [podman, "unshare", "kill", f"-{sig}", *map(str, sorted(pids))],
            capture_output=True,
            text=True,
            env=service.local_env(),
        )
        if proc.returncode != 0 and "No such process" not in proc.stderr:
            raise OperationFailed(
                f"{'pause' if sig == 'STOP' else 'unpause'} {rec.name}: "
                f"kill -{sig} failed: {proc.stderr.strip()}"
            )
        done |= pids
        if sig == "CONT":
            break
