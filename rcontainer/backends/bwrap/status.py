"""``runtime.json``: what a container's supervisor reports, and the reading of it.

The supervisor writes it (``RuntimeFile``); the backend only reads it (``read``). Its fields:
``start_id`` (which start wrote it), ``boot_id``, ``supervisor_pid``/``supervisor_start``,
``started_at``, ``bwrap_pid``/``bwrap_start``, ``cgroup`` (None without a freezer),
``init_pid``/``init_start`` (the container's init, bwrap's ``child-pid``), ``exec_seen`` (the
command has replaced bwrap in the init process), and at the end ``exit_code``,
``finished_at`` and, when bwrap itself failed, ``setup_error``.
The supervisor imports this module under ``python -S``: the standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

from rcontainer.backends.bwrap.procs import alive

NAME = "runtime.json"


def read(cdir: Path) -> dict[str, Any]:
    """The container folder's last report; empty before the first (or when unreadable)."""
    with contextlib.suppress(OSError, ValueError):
        return json.loads((cdir / NAME).read_text())
    return {}


def live_init(rt: dict[str, Any]) -> int | None:
    """The pid of the container's init while it runs (on this boot)."""
    if alive(rt.get("init_pid"), rt.get("init_start"), rt.get("boot_id")):
        return int(rt["init_pid"])
    return None


def await_exit_code(cdir: Path, timeout: float) -> dict[str, Any]:
    """The report once it holds the exit code, which the supervisor writes right after the
    container ends; as it is after ``timeout``, or once the supervisor is gone."""
    deadline = time.monotonic() + timeout
    delay = 0.001  # it is usually there within a millisecond or two: look again soon, then less often
    while True:
        rt = read(cdir)
        if rt.get("exit_code") is not None or time.monotonic() > deadline:
            return rt
        if not alive(rt.get("supervisor_pid"), rt.get("supervisor_start"), rt.get("boot_id")):
            return read(cdir)
        time.sleep(delay)
        delay = min(delay * 2, 0.01)


class RuntimeFile:
    """runtime.json, replaced atomically on every change (a reader sees a whole document)."""

    def __init__(self, cdir: Path, data: dict[str, Any]) -> None:
        self.path = cdir / NAME
        self.data = data

    def update(self, *, durable: bool = False, **fields: Any) -> None:
        self.data.update(fields)
        # Not files.write_json_atomic: that recreates a missing folder, and after ``rm`` the
        # container's folder must stay gone. fsync only for the exit record: the progress
        # writes are on the start path, where milliseconds count.
        try:
            import tempfile  # not on the readers' path (ps, exec)

            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".runtime.", suffix=".tmp")
        except OSError:
            return
        with os.fdopen(fd, "w") as fh:
            json.dump(self.data, fh)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, self.path)
