"""A container's own cgroup v2, where the host lets the user make one: it gives pause a freezer.

Only on a delegated unified (v2) hierarchy may an unprivileged user create a child cgroup; on
cgroup v1 or hybrid hosts (such as the machines this project is tested on) there is none, the
supervisor records no cgroup, and pause falls back to stopping every process with SIGSTOP.
The supervisor imports this module under ``python -S``: the standard library only.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path


def make(cid: str) -> Path | None:
    """A cgroup v2 child of the calling process's own, named after the container; None where
    the user may not create one."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    if len(lines) != 1 or not lines[0].startswith("0::"):
        return None  # v1 or hybrid: no freezer we may use
    own = Path("/sys/fs/cgroup") / lines[0][3:].lstrip("/")
    if not os.access(own, os.W_OK):
        return None
    path = own / f"rcontainer-{cid[:12]}"
    try:
        path.mkdir(exist_ok=True)
    except OSError:
        return None
    return path


def freeze(cgroup: Path, frozen: bool) -> bool:
    """Freeze (or thaw) every process of ``cgroup``; False when its freezer cannot be used.
    Freezing waits up to 2 s for the kernel to report the cgroup frozen."""
    try:
        (cgroup / "cgroup.freeze").write_text("1" if frozen else "0")
    except OSError:
        return False
    deadline = time.monotonic() + 2.0
    while frozen and time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if "frozen 1" in (cgroup / "cgroup.events").read_text():
                break
        time.sleep(0.01)
    return True
