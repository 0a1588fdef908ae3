"""Processes as /proc shows them: the backend and the supervisor share these.

A pid alone does not name a process: it is reused after the process ends, and its numbering
restarts at every boot. The bubblewrap family records a pid together with the process's start
time and the boot id, and counts a process as alive only when all three still match.

The supervisor imports this module under ``python -S``: the standard library only (and
``rcontainer.errors``, itself standard-library only), nothing slower than what it already loads.
"""

from __future__ import annotations

import contextlib
import os
import signal as signals
import time
from typing import NamedTuple

from rcontainer.errors import BadInput


class ProcStat(NamedTuple):
    pid: int
    comm: str
    state: str
    ppid: int
    starttime: int  # clock ticks after boot (field 22)


def parse_stat(text: str) -> ProcStat:
    """Parse /proc/PID/stat. The command name (field 2) is in parentheses and may itself hold
    spaces and parentheses: split at the last ')'."""
    head, _, tail = text.rpartition(")")
    pid_text, _, comm = head.partition(" (")
    fields = tail.split()
    # tail starts at field 3 (state): field N is fields[N - 3]
    return ProcStat(int(pid_text), comm, fields[0], int(fields[1]), int(fields[19]))


def read_stat(pid: int) -> ProcStat | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return parse_stat(fh.read())
    except (OSError, ValueError, IndexError):
        return None


def boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            return fh.read().strip()
    except OSError:  # pragma: no cover - always there on Linux
        return ""


def alive(pid: int | None, starttime: int | None, boot: str | None = None) -> bool:
    """The process that was ``pid`` is still running (not a zombie, not a reused pid); with
    ``boot``, only if the machine has not rebooted since."""
    if not pid or starttime is None:
        return False
    if boot is not None and boot != boot_id():
        return False
    st = read_stat(pid)
    return st is not None and st.starttime == starttime and st.state not in ("Z", "X", "x")


def signal_number(name: str | int) -> int:
    """``SIGTERM``, ``term``, ``15`` or 15 -> 15; BadInput for a name the host does not know."""
    if isinstance(name, int) or str(name).isdigit():
        return int(name)
    text = str(name).upper()
    try:
        return int(getattr(signals, text if text.startswith("SIG") else f"SIG{text}"))
    except AttributeError:
        raise BadInput(f"unknown signal {name!r}") from None


def send(pid: int, sig: int) -> None:
    """Signal ``pid``; a process that has already gone is not an error."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def namespace_pids(init_pid: int) -> list[int]:
    """Every process in the PID namespace whose init is ``init_pid`` (init first)."""
    try:
        target = os.readlink(f"/proc/{init_pid}/ns/pid")
    except OSError:
        return []
    out = [init_pid]
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == init_pid:
            continue
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{entry}/ns/pid") == target:
                out.append(int(entry))
    return out


def stop_namespace(init_pid: int) -> None:
    """SIGSTOP every process in the PID namespace of ``init_pid``, repeating until no new one
    appears: one may fork while the others are being stopped."""
    done: set[int] = set()
    for _ in range(20):
        pids = [p for p in namespace_pids(init_pid) if p not in done]
        if not pids:
            break
        for p in pids:
            send(p, signals.SIGSTOP)
        done.update(pids)


def wait_gone(pid: int | None, starttime: int | None, timeout: float) -> bool:
    """Wait until the process ``pid`` started at ``starttime`` has ended; False on timeout.

    The kernel says when: a pidfd becomes readable as the process ends (``rm -f`` returns
    within a millisecond of the container's end, not at the next tick of a 10 ms poll). Where
    there is no pidfd (Linux before 5.3), /proc is polled."""
    if not alive(pid, starttime):
        return True
    try:
        fd = os.pidfd_open(pid)
    except (OSError, AttributeError):
        return _poll_gone(pid, starttime, time.monotonic() + timeout)
    try:
        if not alive(pid, starttime):  # the pid was reused between the two looks: ours is gone
            return True
        import select

        poller = select.poll()
        poller.register(fd, select.POLLIN)
        poller.poll(max(0, int(timeout * 1000)))
        return not alive(pid, starttime)
    finally:
        os.close(fd)


def _poll_gone(pid: int | None, starttime: int | None, deadline: float) -> bool:
    delay = 0.001
    while alive(pid, starttime):
        if time.monotonic() > deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.01)
    return True
