"""The caller's side of an exec, the same on both families: its terminal and its signals.

An interactive exec puts the caller's terminal in raw mode, so that every key (Ctrl-C among
them) reaches the container's own terminal, which makes the signal there; the terminal is
restored however the exec ends, and its size is passed on at start and at each SIGWINCH.
Signals sent to ``rcontainer exec`` itself (``FORWARDED``: an interrupt from the terminal of a
non-interactive exec, ``kill``, a hangup) are passed on to the exec'd process's group: the
process runs in a session of its own in the container, where the caller's terminal cannot
reach it, so rcontainer does what the terminal would have done.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import termios
import tty
from collections.abc import Callable, Iterator

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def window_size(fd: int) -> bytes | None:
    """The window size of the terminal ``fd`` (struct winsize), or None when it is none."""
    try:
        return fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8)
    except OSError:
        return None


def caller_size() -> bytes | None:
    """The size of the caller's terminal, from whichever standard stream is one."""
    for fd in (0, 1, 2):
        size = window_size(fd)
        if size is not None:
            return size
    return None


@contextlib.contextmanager
def raw_terminal(fd: int, on_resize: Callable[[bytes], None]) -> Iterator[None]:
    """The terminal ``fd`` in raw mode meanwhile (nothing to do when it is not a terminal),
    restored on every way out; ``on_resize`` gets the caller's window size now and after each
    SIGWINCH (its errors are its own: a resize that fails must not end the session)."""
    saved = None
    with contextlib.suppress(termios.error):
        saved = termios.tcgetattr(fd)

    def resize(_signum: int, _frame: object) -> None:
        size = caller_size()
        if size is not None:
            on_resize(size)

    previous = signal.signal(signal.SIGWINCH, resize)
    try:
        if saved is not None:
            tty.setraw(fd, termios.TCSANOW)
        resize(signal.SIGWINCH, None)  # the size may have changed since the session was made
        yield
    finally:
        if saved is not None:
            with contextlib.suppress(termios.error):
                termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        signal.signal(signal.SIGWINCH, previous)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write all of ``data``, waiting when ``fd`` is non-blocking and full (a terminal or pipe
    another program set non-blocking shares that flag with us)."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            select.select([], [fd], [])
