"""An interactive exec's own terminal: a pseudo-terminal in the container, relayed to the caller's.

A process that holds the caller's terminal as its controlling terminal can push input into it
with the TIOCSTI ioctl (hosts where ``dev.tty.legacy_tiocsti`` is 1 allow it), and the caller's
shell then runs that input once ``exec`` returns. So no exec'd process ever gets the caller's
terminal as its controlling terminal: an interactive one (``-t``) gets a pseudo-terminal of
its own, opened from the container's ``/dev/ptmx`` by the joined child with the container's
privileges (as ``podman exec -t`` gives one from the container's devpts), and rcontainer copies
bytes between it and the caller's terminal, which it puts in raw mode (restored on every exit
path) and whose size it passes on at each SIGWINCH. A non-interactive one runs in a session
of its own, with no controlling terminal at all (``nsjoin``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import select
import stat
import struct
import termios
import time

from rcontainer.backends.attach import raw_terminal, write_all

TIOCGPTN = 0x80045430  # _IOR('T', 0x30, unsigned int): only a pseudo-terminal master answers
TIOCSPTLCK = 0x40045431  # _IOW('T', 0x31, int): unlock the slave
TIOCGPTPEER = 0x5441  # _IO('T', 0x41): open the slave from the master, no path lookup
PTMX = (5, 2)  # the device number of /dev/ptmx and of every devpts's ptmx
CHUNK = 65536
DRAIN = 2.0  # seconds of output still relayed after the command has ended


def open_pair(size: bytes | None) -> tuple[int, int]:
    """(master, slave) of a new pseudo-terminal from ``/dev/ptmx`` as this process sees it:
    called inside the container's mount namespace with its privileges. The container may
    have replaced its /dev/ptmx with anything: the master must prove to be one (its device
    number and TIOCGPTN), and the slave is opened from the master itself (TIOCGPTPEER)."""
    master = os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        st = os.fstat(master)
        if not stat.S_ISCHR(st.st_mode) or (os.major(st.st_rdev), os.minor(st.st_rdev)) != PTMX:
            raise OSError(errno.ENOTTY, "/dev/ptmx in the container is not a pseudo-terminal multiplexer")
        fcntl.ioctl(master, TIOCGPTN, b"\0" * 4)
        fcntl.ioctl(master, TIOCSPTLCK, struct.pack("i", 0))
        slave = fcntl.ioctl(master, TIOCGPTPEER, os.O_RDWR | os.O_NOCTTY)
    except BaseException:
        os.close(master)
        raise
    if size is not None:
        with contextlib.suppress(OSError):
            fcntl.ioctl(slave, termios.TIOCSWINSZ, size)
    return master, slave


def make_controlling(slave: int) -> None:
    """In the command's process, already a session leader: the slave becomes its controlling
    terminal and its standard streams."""
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    if slave > 2:
        os.close(slave)


def relay(master: int, pidfd: int, stdin: int = 0, stdout: int = 1) -> None:
    """Copy the caller's input to ``master`` and its output back until the process behind
    ``pidfd`` has ended and its output is drained. The caller's terminal is in raw mode
    meanwhile (keys such as Ctrl-C reach the container's terminal, which makes the signal
    there), its size follows the caller's, and it is restored however this ends."""

    def resize(size: bytes) -> None:
        with contextlib.suppress(OSError):
            fcntl.ioctl(master, termios.TIOCSWINSZ, size)

    with raw_terminal(stdin, resize):
        _pump(master, pidfd, stdin, stdout)


def _pump(master: int, pidfd: int, stdin: int, stdout: int) -> None:
    os.set_blocking(master, False)
    pending = b""  # the caller's input not yet taken by the terminal
    stdin_open = True
    ended = False  # the command has ended: drain its output, then stop
    drain_until = 0.0
    output_open = True
    while True:
        readers = [master]
        if stdin_open and not ended and len(pending) < CHUNK:
            readers.append(stdin)
        if not ended:
            readers.append(pidfd)
        writers = [master] if pending and not ended else []
        # once the command has ended, whatever it wrote arrives within moments; a process it
        # left in the background keeping the terminal open must not keep exec waiting
        ready, writable, _ = select.select(readers, writers, [], 0.1 if ended else None)
        if ended and (not ready or time.monotonic() > drain_until):
            return
        if writable:
            try:
                pending = pending[os.write(master, pending) :]
            except BlockingIOError:
                pass
            except OSError:
                pending = b""
        if stdin in ready:
            data = os.read(stdin, CHUNK)
            if data:
                pending += data
            else:  # piped input has ended: the terminal's end-of-file character says so
                stdin_open = False
                pending += b"\x04"
        if pidfd in ready:
            ended = True
            drain_until = time.monotonic() + DRAIN
        if master in ready:
            try:
                data = os.read(master, CHUNK)
            except BlockingIOError:
                continue
            except OSError as exc:
                if exc.errno == errno.EIO:  # every holder of the slave has closed it
                    return
                raise
            if not data:
                return
            if output_open:
                try:
                    write_all(stdout, data)
                except BrokenPipeError:
                    output_open = False
