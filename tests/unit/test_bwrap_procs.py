"""Waiting for a bubblewrap container's process to end (``procs.wait_gone``): the kernel says
when (a pidfd), without a poll's delay; the /proc poll where there is no pidfd; and a timeout."""

from __future__ import annotations

import subprocess
import time

import pytest

from rcontainer.backends.bwrap import procs


@pytest.fixture(params=["pidfd", "poll"])
def way(request, monkeypatch) -> str:
    """Each test runs with a pidfd, and as on a kernel without one (the /proc poll)."""
    if request.param == "poll":
        monkeypatch.delattr(procs.os, "pidfd_open")
    return request.param


def started(seconds: str) -> tuple[subprocess.Popen, int]:
    child = subprocess.Popen(["sleep", seconds])
    st = procs.read_stat(child.pid)
    assert st is not None
    return child, st.starttime


def test_the_end_of_a_process_is_seen_at_once(way):
    child, start = started("0.2")
    try:
        began = time.monotonic()
        assert procs.wait_gone(child.pid, start, 10.0)  # a zombie (not reaped yet) has ended
        waited = time.monotonic() - began
        assert 0.1 < waited < 1.0
    finally:
        child.wait()


def test_a_process_that_outlives_the_timeout_is_reported(way):
    child, start = started("30")
    try:
        began = time.monotonic()
        assert not procs.wait_gone(child.pid, start, 0.1)
        assert time.monotonic() - began < 2.0
    finally:
        child.kill()
        child.wait()


def test_a_reused_pid_is_not_waited_for():
    child, start = started("30")
    try:
        assert procs.wait_gone(child.pid, start + 1, 5.0)  # another start time: not that process
        assert procs.wait_gone(None, None, 5.0)
    finally:
        child.kill()
        child.wait()
