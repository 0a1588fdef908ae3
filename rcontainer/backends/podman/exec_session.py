"""``exec`` on the Podman family: an exec session made, attached and ended through the REST API.

``POST /containers/ID/exec`` makes the session (its command, user, folder and environment, which
streams are attached, whether it has a terminal); ``POST /exec/ID/start``, sent with the
connection upgraded, starts it, and Podman then hijacks that connection: the caller's standard
input goes one way (half-closed at its end, which closes the process's stdin, so ``cat`` ends),
the process's output comes back the other, raw with a terminal, else in frames that say which
stream each piece belongs to (``Demux``). Output is written out as it arrives, in bounded
memory; ``GET /exec/ID/json`` gives the exit code once the stream has ended. Detach keys are
turned off: a Ctrl-P Ctrl-Q in piped input or typed in a shell is data, not a request to leave.
The standard library only: this is the path behind every dev shell, and podman-py's import
alone would cost more than the exec.

An interactive session (a terminal) goes through the same API rather than handing over to
``podman exec -it``: the podman command is a second client that finds containers in the local
storage of whoever runs it, not through the service rcontainer talks to (``CONTAINER_HOST``, a
runtime class's own service); it would add its own start-up (~45 ms here, opening its storage)
to every shell; and signals, exit codes and options would then follow two paths. The caller's
terminal is put in raw mode and restored on every way out (``attach.raw_terminal``), and its
size goes to ``POST /exec/ID/resize`` at start and at each SIGWINCH.

Signals ``rcontainer exec`` gets (``attach.FORWARDED``) end up with the process's group, as a
terminal would send them: runc makes the exec'd process the leader of a session and group of
its own. Its host PID comes from the session's inspect (``Pid``), asked only when a signal
arrives, so a plain exec pays nothing for it. The signal is sent with ``kill(2)`` when the
process runs as the user's own uid (the container's root, rootless); a process of another
user inside the container runs under a sub-uid, and then ``podman unshare kill`` sends it
from the user namespace where those uids are the user's. Podman's own kill endpoint is no use
here: it signals the container's main process, not an exec session's.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import socket
import struct
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rcontainer.backends import attach
from rcontainer.backends.podman import service
from rcontainer.backends.podman.api import LibpodClient

if TYPE_CHECKING:
    from rcontainer.backends.base import ExecOptions

CHUNK = 65536
# Frames of a hijacked stream without a terminal: stream (1 stdout, 2 stderr), 3 zero bytes, length.
FRAME_HEADER = struct.Struct(">BxxxL")
STDOUT, STDERR = 1, 2
# The most of a frame held before passing its payload on in pieces (conmon's are 8 KiB).
WHOLE_FRAME = 65536
# What Podman 4 writes into the stream itself when the process could not be started and its
# attach socket closed under it: noise after the runtime's real message, which says why.
ATTACH_NOISE = re.compile(rb"Error: read unixpacket @->\S*/attach: read: connection reset by peer\n?")
EXIT_WAIT = 5.0  # seconds to wait for Podman to record the exit code once the stream has ended


class Demux:
    """The frames of a hijacked stream without a terminal: each an 8-byte header (stream,
    three zero bytes, big-endian length) and its payload. ``feed`` takes bytes as they come
    and yields ``(stream, payload, whole)``: a payload of up to ``WHOLE_FRAME`` bytes comes
    whole, a longer one in pieces as it arrives, so memory stays bounded whatever the
    process writes."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._stream = 0
        self._left = 0  # bytes of a long frame's payload still to come

    def feed(self, data: bytes) -> Iterator[tuple[int, bytes, bool]]:
        self._buf += data
        while True:
            if self._left:
                if not self._buf:
                    return
                piece = bytes(self._buf[: self._left])
                del self._buf[: len(piece)]
                self._left -= len(piece)
                yield self._stream, piece, False
                continue
            if len(self._buf) < FRAME_HEADER.size:
                return
            stream, length = FRAME_HEADER.unpack_from(self._buf)
            if length > WHOLE_FRAME:
                del self._buf[: FRAME_HEADER.size]
                self._stream, self._left = stream, length
                continue
            if len(self._buf) < FRAME_HEADER.size + length:
                return
            payload = bytes(self._buf[FRAME_HEADER.size : FRAME_HEADER.size + length])
            del self._buf[: FRAME_HEADER.size + length]
            if payload:
                yield stream, payload, True


class ExecSession:
    """One ``exec``: made, started with the caller's streams attached, its exit code read."""

    def __init__(self, api: LibpodClient, container: str, name: str) -> None:
        self.api = api
        self.container = container
        self.what = f"exec in {name}"
        self.id: str | None = None
        self.started = False
        self.pending: list[int] = []  # signals that came before the process did
        self._output_open = True

    def run(self, argv: list[str], how: ExecOptions) -> int:
        """Run ``argv`` as ``how`` says; its exit code."""
        stdin = how.stdin or how.tty
        previous = {sig: signal.signal(sig, self._on_signal) for sig in attach.FORWARDED}
        try:
            self.id = self.api.request(
                "POST", f"/containers/{self.container}/exec", body=_config(argv, how), what=self.what
            ).json()["Id"]
            start = {"Detach": False, "Tty": how.tty}
            sock, early = self.api.upgraded(f"/exec/{self.id}/start", start, what=self.what)
            self.started = True
            for sig in self.pending:
                self.forward(sig)
            try:
                if how.tty:
                    with attach.raw_terminal(0, self._resize):
                        self._pump(sock, early, stdin=stdin, tty=True)
                else:
                    self._pump(sock, early, stdin=stdin, tty=False)
            except BaseException:
                self.forward(signal.SIGKILL)  # rcontainer fails: nothing keeps running inside
                raise
            finally:
                sock.close()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return self._exit_code()

    # -- the stream ------------------------------------------------------------------------
    def _pump(self, sock: socket.socket, early: bytes, *, stdin: bool, tty: bool) -> None:
        """Copy stdin to the session and its output back until the session closes the stream."""
        demux = None if tty else Demux()
        self._output(early, demux)
        sock.setblocking(False)
        pending = b""  # input not yet taken by the session
        reading = stdin and _open(0)
        half_closed = not stdin
        while True:
            readers: list[Any] = [sock]
            if reading and not pending:
                readers.append(0)
            ready, writable, _ = select.select(readers, [sock] if pending else [], [])
            if writable:
                try:
                    pending = pending[sock.send(pending) :]
                except BlockingIOError:
                    pass
                except OSError:  # the session no longer reads: its process has ended
                    pending, reading = b"", False
            if 0 in ready:
                try:
                    data = os.read(0, CHUNK)
                except OSError:  # a terminal hung up
                    data = b""
                if data:
                    pending = data
                else:
                    reading = False
                    # on a terminal, the end of piped input is its end-of-file character
                    pending = b"\x04" if tty else b""
            if not reading and not pending and not half_closed:
                half_closed = True
                if not tty:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_WR)  # the process's stdin ends: cat ends
            if sock in ready:
                try:
                    data = sock.recv(CHUNK)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    return
                self._output(data, demux)

    def _output(self, data: bytes, demux: Demux | None) -> None:
        if demux is None:
            self._write(1, data)
            return
        for stream, payload, whole in demux.feed(data):
            if stream == STDERR and whole and ATTACH_NOISE.fullmatch(payload):
                continue
            self._write(2 if stream == STDERR else 1, payload)

    def _write(self, fd: int, data: bytes) -> None:
        """Write out; once the reader of our output has gone, the process gets SIGPIPE, as it
        would writing to that pipe itself, and the rest of its output is dropped."""
        if not self._output_open:
            return
        try:
            attach.write_all(fd, data)
        except BrokenPipeError:
            self._output_open = False
            self.forward(signal.SIGPIPE)

    # -- signals and the terminal ------------------------------------------------------------
    def _on_signal(self, sig: int, _frame: object) -> None:
        if self.started:
            self.forward(sig)
        else:
            self.pending.append(sig)

    def forward(self, sig: int) -> None:
        """Signal the process's group, if it still runs (never raises: a signal handler)."""
        if self.id is None:
            return
        with contextlib.suppress(Exception):
            info = self.api.get_json(f"/exec/{self.id}/json") or {}
            pid = int(info.get("Pid") or 0)
            if not info.get("Running") or pid <= 1:
                return
            try:
                os.kill(-pid, sig)
            except ProcessLookupError:
                pass
            except PermissionError:  # another user of the container: a sub-uid
                import shutil  # here: the rare case; every exec would pay ~3 ms for them
                import subprocess

                podman = shutil.which("podman") or "podman"
                subprocess.run(
                    [podman, "unshare", "kill", f"-{int(sig)}", "--", f"-{pid}"],
                    env=service.local_env(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=30,
                )

    def _resize(self, size: bytes) -> None:
        rows, cols = int.from_bytes(size[0:2], "little"), int.from_bytes(size[2:4], "little")
        with contextlib.suppress(Exception):  # a resize that fails must not end the session
            self.api.request("POST", f"/exec/{self.id}/resize", {"h": rows, "w": cols}, what=self.what)

    def _exit_code(self) -> int:
        """The session's exit code, once Podman has recorded it (just after the stream ends)."""
        deadline = time.monotonic() + EXIT_WAIT
        while True:
            info = self.api.get_json(f"/exec/{self.id}/json") or {}
            if not info.get("Running") or time.monotonic() > deadline:
                return int(info.get("ExitCode") or 0)
            time.sleep(0.02)


def _open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _config(argv: list[str], how: ExecOptions) -> dict[str, Any]:
    """The exec session's configuration: what ``podman exec`` asks for with the same options.
    With a terminal, the caller's ``$TERM`` is passed on (``-e TERM=...`` wins)."""
    env = dict(how.env)
    if how.tty:
        env = {"TERM": os.environ.get("TERM") or "xterm", **env}
    config: dict[str, Any] = {
        "Cmd": argv,
        "AttachStdin": how.stdin or how.tty,
        "AttachStdout": True,
        "AttachStderr": True,
        "Tty": how.tty,
        "DetachKeys": "",
    }
    if env:
        config["Env"] = [f"{k}={v}" for k, v in env.items()]
    if how.user:
        config["User"] = how.user
    if how.workdir:
        config["WorkingDir"] = how.workdir
    return config
