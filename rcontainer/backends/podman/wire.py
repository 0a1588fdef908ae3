"""HTTP/1.1 on the Podman service's unix socket: as much of it as the libpod API uses.

``http.client`` would do, but importing it (with ``ssl`` and the ``email`` package it pulls
in) costs about 11 ms on every command here, a tenth of an ``exec``. Podman's answers are
plain: a status line and headers, then a body of ``Content-Length`` bytes, or in chunks (the
streams: pulls, events, exports), or none (204, 304), or, when the request upgraded the
connection (an exec session's start), the session's own stream on the socket itself.
A connection whose answer was read to its end can carry the next request (HTTP/1.1
keep-alive): ``LibpodClient`` keeps such connections for the rest of the command.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 16
MAX_HEAD = 1 << 16  # status line and headers; Podman's are a few hundred bytes


class ProtocolError(ConnectionError):
    """An answer that is not HTTP as Podman speaks it (a connection cut short counts)."""


class _Reader:
    """Buffered reads from the socket that leave what they have not used in ``buf``."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()

    def _fill(self) -> bool:
        data = self.sock.recv(CHUNK)
        self.buf += data
        return bool(data)

    def line(self) -> bytes:
        while (end := self.buf.find(b"\n")) < 0:
            if len(self.buf) > MAX_HEAD or not self._fill():
                raise ProtocolError("the service cut the answer short")
        out = bytes(self.buf[: end + 1])
        del self.buf[: end + 1]
        return out

    def some(self, limit: int) -> bytes:
        """Up to ``limit`` bytes: what is buffered, else one read (b"" at the end)."""
        if not self.buf:
            self._fill()
        out = bytes(self.buf[:limit])
        del self.buf[: len(out)]
        return out

    def exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise ProtocolError("the service cut the answer short")
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out


class Answer:
    """The status and headers of an answer, and its body to read (once)."""

    def __init__(self, sock: socket.socket, reader: _Reader, status: int, headers: dict[str, str]) -> None:
        self.sock = sock
        self._reader = reader
        self.status = status
        self.headers = headers  # names in lower case

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def chunks(self) -> Iterator[bytes]:
        """The body in pieces as they arrive, whatever its framing."""
        r = self._reader
        if self.status in (101, 204, 304) or 100 <= self.status < 200:
            return
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            while size := int(r.line().split(b";")[0].strip() or b"0", 16):
                left = size
                while left:
                    piece = r.some(min(left, CHUNK))
                    if not piece:
                        raise ProtocolError("the service cut a chunk short")
                    left -= len(piece)
                    yield piece
                r.exactly(2)  # the CRLF after each chunk
            while r.line().strip():  # trailers, up to the blank line
                pass
            return
        length = self.headers.get("content-length")
        left = int(length) if length is not None else -1
        while left:
            piece = r.some(CHUNK if left < 0 else min(left, CHUNK))
            if not piece:
                if left > 0:
                    raise ProtocolError("the service cut the answer short")
                return
            left -= len(piece) if left > 0 else 0
            yield piece

    def read(self) -> bytes:
        return b"".join(self.chunks())

    def reusable(self) -> bool:
        """Whether the connection can carry another request once this answer was read to its end:
        the body's end was framed (a length or chunks, not the connection's close), nothing is
        left over, and the service did not say it closes."""
        h = self.headers
        framed = "content-length" in h or "chunked" in h.get("transfer-encoding", "").lower()
        no_body = self.status in (204, 304)
        return (framed or no_body) and not self._reader.buf and h.get("connection", "").lower() != "close"

    def lines(self) -> Iterator[bytes]:
        """The body line by line (each with its newline; the last may have none)."""
        rest = b""
        for piece in self.chunks():
            rest += piece
            *whole, rest = rest.split(b"\n")
            for line in whole:
                yield line + b"\n"
        if rest:
            yield rest

    def take_over(self) -> tuple[socket.socket, bytes]:
        """An upgraded connection: the socket, and what of its stream came with the headers."""
        return self.sock, bytes(self._reader.buf)

    def close(self) -> None:
        self.sock.close()


class Stale(ConnectionError):
    """A kept connection the service had closed before it read the request: safe to send again."""


def exchange(
    path: Path,
    method: str,
    target: str,
    body: bytes | BinaryIO | None = None,
    headers: dict[str, str] | None = None,
    *,
    timeout: float | None,
    sock: socket.socket | None = None,
) -> Answer:
    """Send one request on ``sock`` (a kept connection) or a new connection to the socket at
    ``path``; the answer's head read. ``body`` is bytes, or an open file sent as it is read (its
    ``Content-Length`` among the ``headers``). OSError (TimeoutError, ConnectionError, ...) when
    the service does not answer; ``Stale`` when a kept connection was closed before any answer."""
    kept = sock is not None
    if sock is None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        if not kept:
            sock.connect(str(path))
        fields = {"Host": "d", **(headers or {})}
        if isinstance(body, bytes | bytearray) or (body is None and method in ("POST", "PUT")):
            fields["Content-Length"] = str(len(body or b""))
        head = [f"{method} {target} HTTP/1.1", *(f"{k}: {v}" for k, v in fields.items())]
        first = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        reader = _Reader(sock)
        try:
            if body is None or isinstance(body, bytes | bytearray):
                sock.sendall(first + (body or b""))
            else:
                sock.sendall(first)
                while piece := body.read(CHUNK):
                    sock.sendall(piece)
            first_line = reader.line()
        except (ProtocolError, ConnectionResetError, BrokenPipeError) as exc:
            # only a request on a kept connection that got no byte back may be sent again
            if kept and not reader.buf and (body is None or isinstance(body, bytes | bytearray)):
                raise Stale(str(exc)) from exc
            raise
        status_line = first_line.decode("latin-1").split(None, 2)
        if len(status_line) < 2 or not status_line[0].startswith("HTTP/") or not status_line[1].isdigit():
            raise ProtocolError(f"not an HTTP answer: {' '.join(status_line)[:80]!r}")
        answer_fields: dict[str, str] = {}
        while line := reader.line().strip():
            name, _, value = line.decode("latin-1").partition(":")
            answer_fields[name.strip().lower()] = value.strip()
        return Answer(sock, reader, int(status_line[1]), answer_fields)
    except BaseException:
        sock.close()
        raise
