"""A pseudo-terminal standing for the user's, for the tests that drive rcontainer as a person at
a terminal would (exec, shell, dev shells, and the bwrap family's terminal isolation)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time


class Terminal:
    """A pseudo-terminal standing for the user's: rcontainer runs as the leader of a session
    whose controlling terminal it is, with it as stdin, stdout and stderr."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
        self.output = b""

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "rcontainer", *args],
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
            env={**os.environ, **(env or {})},
        )

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if select.select([self.master], [], [], left)[0]:
                with contextlib.suppress(OSError):
                    self.output += os.read(self.master, 65536)

    def wait(self, proc: subprocess.Popen, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            assert time.monotonic() < deadline, f"rcontainer did not end; output: {self.output!r}"
            self.pump(0.05)
        self.pump(0.2)
        return proc.returncode

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def pending_input(self) -> int:
        """Bytes waiting in the terminal's input queue: what the caller's shell would read next."""
        return struct.unpack("i", fcntl.ioctl(self.slave, termios.FIONREAD, b"\0" * 4))[0]
