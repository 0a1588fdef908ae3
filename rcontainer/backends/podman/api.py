"""The one client of Podman's REST API, and the one place Podman's errors become rcontainer's.

Every request rcontainer makes to Podman goes through ``LibpodClient``: the lifecycle, images,
the runtime probe, ``doctor``, ``info`` and ``kube export``'s digests. It speaks HTTP over the
service's unix socket with the standard library: a command's few small requests cost less than
importing podman-py (and requests) would, ~0.2 s of a ~0.3 s ``up`` here (BENCHMARKS.md).

podman-py's helpers pack a build's context (``images.py``); ``podman_py`` gives a podman-py
client on the same endpoint to tests that drive Podman beside rcontainer. Podman's errors are
translated in this module only.
"""

from __future__ import annotations

import contextlib
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from rcontainer.errors import NotFound, OperationFailed, PodmanUnavailable, RcError

if TYPE_CHECKING:
    from http.client import HTTPConnection, HTTPResponse

    from podman import PodmanClient

# The libpod API version rcontainer's requests name (Podman 4.0 and newer serve it).
LIBPOD = "/v4.0.0/libpod"
# Seconds a request may wait for each answer from the service; None waits as long as it takes.
API_TIMEOUT = 120
# Frames of a hijacked exec or attach stream: stream (1 stdout, 2 stderr), 3 zero bytes, length.
FRAME_HEADER = struct.Struct(">BxxxL")
STDOUT, STDERR = 1, 2


@dataclass(frozen=True)
class Endpoint:
    """A Podman service's socket, and why rcontainer uses it."""

    socket: Path
    source: str  # "CONTAINER_HOST", "default", "private", "runtime class NAME"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"


@dataclass(frozen=True)
class Tar:
    """A request body that is a tar archive (a build context): an open file and its size."""

    file: Any
    size: int


def quoted(name: str) -> str:
    """A container or image name as one path segment (image references contain ``/``)."""
    return quote(name, safe="")


class Response:
    """Status and body of one libpod request."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def message(self) -> str:
        return _message(self.body)


class PodmanRefused(OperationFailed):
    """Podman answered a request with an error; ``said`` is its own message."""

    def __init__(self, what: str, said: str) -> None:
        super().__init__(f"{what}: Podman said: {said}")
        self.said = said


class PodmanNotFound(NotFound):
    """Podman has no such container, image or exec session (HTTP 404)."""

    def __init__(self, what: str, said: str) -> None:
        super().__init__(f"{what}: Podman said: {said}")
        self.said = said


def _message(body: bytes) -> str:
    """Podman's own words from an error body (``{"message": ...}``), else the body as text."""
    with contextlib.suppress(ValueError):
        data = json.loads(body)
        if isinstance(data, dict) and data.get("message"):
            return str(data["message"]).strip()
    return body.decode(errors="replace").strip()


def refusal(status: int, what: str, said: str) -> RcError:
    """The error for an HTTP error status from Podman: 404 is NotFound, anything else failed."""
    return PodmanNotFound(what, said) if status == 404 else PodmanRefused(what, said)


def unavailable(endpoint: Endpoint, exc: BaseException) -> PodmanUnavailable:
    """The error for a service that did not answer (a missing socket, a refused connection, a
    connection cut, or no answer within the client's timeout)."""
    if isinstance(exc, TimeoutError):
        text = f"the Podman service on {endpoint.socket} did not answer in time"
    else:
        text = f"no Podman service answers on {endpoint.socket} ({exc.__class__.__name__})"
    return PodmanUnavailable(text, hint="run the command again once the service is back")


class LibpodClient:
    """Requests to one Podman service. Cheap to make: nothing is opened until a request, and
    each request opens its own connection to the local socket, closed once it is answered."""

    def __init__(self, endpoint: Endpoint, *, timeout: float | None = API_TIMEOUT) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self._version: str | None = None  # from the Libpod-API-Version header of any answer
        self._info: dict[str, Any] | None = None

    # -- plain requests ------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        *,
        what: str | None = None,
        ok: tuple[int, ...] = (),
    ) -> Response:
        """One request under ``/libpod``; ``body`` is sent as JSON, list values in ``params``
        repeat the parameter. Statuses below 300, and those in ``ok``, are returned; 404 raises
        NotFound, another error status OperationFailed, both with Podman's own message; a
        service that does not answer raises PodmanUnavailable."""
        conn, raw = self._open(method, path, params, body, what=what, ok=ok, timeout=self.timeout)
        try:
            return Response(raw.status, raw.read())
        except OSError as exc:
            raise unavailable(self.endpoint, exc) from None
        finally:
            conn.close()

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """A read-only request's JSON, or None when Podman has no such thing (404)."""
        response = self.request("GET", path, params, ok=(404,))
        return None if response.status == 404 else response.json()

    def ping(self) -> bool:
        """True when a service answers ``/_ping`` on the socket (never raises)."""
        if not self.endpoint.socket.exists():
            return False
        try:
            conn = self._connection(self.timeout)
            try:
                conn.request("GET", "/_ping")
                raw = conn.getresponse()
                self._remember_version(raw)
                return raw.status == 200
            finally:
                conn.close()
        except OSError:
            return False

    # -- what the service says of itself (cached: one client serves one command) ----------------
    def version(self) -> str | None:
        """The Podman version serving the socket (``4.3.1``), None if it did not say.

        Every libpod answer carries it in its ``Libpod-API-Version`` header: an answer this
        client already had gives it for free, else ``/_ping`` asks (``/version`` would cost
        ~0.3 s: it runs conmon and the OCI runtime to ask theirs)."""
        if self._version is None:
            self.ping()
        return self._version

    def info(self) -> dict[str, Any]:
        """``GET /info``, asked once per client (it costs ~0.3 s: Podman runs conmon, the OCI
        runtime and the network programs to ask their versions)."""
        if self._info is None:
            self._info = self.request("GET", "/info", what="podman info").json() or {}
            if self._version is None:
                self._version = (self._info.get("version") or {}).get("Version") or None
        return self._info

    def _remember_version(self, raw: HTTPResponse) -> None:
        said = raw.getheader("Libpod-API-Version")
        if said:
            self._version = said

    # -- streams -------------------------------------------------------------------------------
    def stream_lines(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        *,
        what: str | None = None,
        compat: bool = False,
        wait: bool = False,
    ) -> Iterator[Any]:
        """Each JSON document of a streamed answer (pulls, builds, events: one per line). A
        line that is not JSON is skipped. Errors Podman reports inside the stream (HTTP 200
        with an ``error`` key) are the caller's to read. ``compat``: Podman's Docker-compatible
        API instead of libpod's; ``wait``: no timeout between lines (a build step may compile
        quietly for longer than any timeout)."""
        conn, raw = self._open(
            method, path, params, body, what=what, timeout=None if wait else self.timeout, compat=compat
        )
        try:
            for line in raw:
                line = line.strip()
                if not line:
                    continue
                try:
                    yield json.loads(line)
                except ValueError:
                    continue
        except OSError as exc:
            raise unavailable(self.endpoint, exc) from None
        finally:
            conn.close()

    def stream_bytes(
        self, method: str, path: str, params: dict[str, Any] | None = None, *, what: str | None = None
    ) -> Iterator[bytes]:
        """A streamed binary answer (an exported filesystem), in chunks as they arrive."""
        conn, raw = self._open(method, path, params, None, what=what, timeout=self.timeout)
        try:
            while chunk := raw.read1(1 << 16):
                yield chunk
        except OSError as exc:
            raise unavailable(self.endpoint, exc) from None
        finally:
            conn.close()

    def exec_frames(self, exec_id: str, *, what: str) -> Iterator[tuple[int, bytes]]:
        """Start an exec session without a terminal and yield ``(STDOUT or STDERR, bytes)`` as
        its process writes, until it ends.

        Podman hijacks the connection: after the headers come raw frames, each an 8-byte header
        (stream, three zero bytes, big-endian length) and its payload. No timeout: a quiet
        process may run for as long as it likes. stdin is not attached: carrying the caller's
        stdin and a terminal over the hijacked connection is for later (``exec -it`` runs the
        podman command meanwhile).
        """
        body = {"Detach": False, "Tty": False}
        conn, raw = self._open("POST", f"/exec/{exec_id}/start", None, body, what=what, timeout=None)
        # A 101 answer (an upgraded connection) has no HTTP body for http.client to read:
        # the frames then follow the headers on the socket itself.
        reader = raw.fp if raw.status == 101 else raw
        try:
            while header := _read_exactly(reader, FRAME_HEADER.size):
                stream, length = FRAME_HEADER.unpack(header)
                if length:
                    yield stream, _read_exactly(reader, length)
        except OSError as exc:
            raise unavailable(self.endpoint, exc) from None
        finally:
            conn.close()

    # -- podman-py -------------------------------------------------------------------------------
    def podman_py(self) -> PodmanClient:
        """A podman-py client on the same service (imported here: ``import podman`` costs about
        a quarter of a second, which the lifecycle, ``--help`` and completion must not pay)."""
        from podman import PodmanClient

        # base_url given explicitly: PodmanClient() alone ignores CONTAINER_HOST and trips over a
        # containers.conf [engine] table without active_service (README, facts about hosts).
        kwargs: dict[str, Any] = {"base_url": self.endpoint.url}
        if self.timeout is not None:
            kwargs["timeout"] = self.timeout
        return PodmanClient(**kwargs)

    # -- the connection ------------------------------------------------------------------------
    def _connection(self, timeout: float | None) -> HTTPConnection:
        # http.client (and the ssl module it loads, ~15 ms) only when a request is made: the
        # bubblewrap family builds this backend for its images and often never asks Podman.
        import http.client
        import socket

        path = str(self.endpoint.socket)

        class UnixConnection(http.client.HTTPConnection):
            def connect(self) -> None:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(timeout)
                try:
                    sock.connect(path)
                except OSError:
                    sock.close()
                    raise
                self.sock = sock

        return UnixConnection("localhost", timeout=timeout)

    def _open(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        body: Any,
        *,
        what: str | None,
        ok: tuple[int, ...] = (),
        timeout: float | None,
        compat: bool = False,
    ) -> tuple[HTTPConnection, HTTPResponse]:
        """Send the request and read the answer's status; an error status is raised here.

        ``body`` is sent as JSON, except a ``Tar`` (a build context), sent as it is."""
        url = ("" if compat else LIBPOD) + path + (f"?{urlencode(params, doseq=True)}" if params else "")
        if isinstance(body, Tar):
            data: Any = body.file
            headers = {"Content-Type": "application/x-tar", "Content-Length": str(body.size)}
        else:
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if data is not None else {}
        conn = self._connection(timeout)
        try:
            conn.request(method, url, body=data, headers=headers)
            raw = conn.getresponse()
            self._remember_version(raw)
            if raw.status < 300 or raw.status in ok or raw.status == 101:
                return conn, raw
            said = _message(raw.read())
        except OSError as exc:
            conn.close()
            raise unavailable(self.endpoint, exc) from None
        conn.close()
        raise refusal(raw.status, what or f"{method} {path}", said)


def _read_exactly(reader: Any, n: int) -> bytes:
    """``n`` bytes, or fewer only at the end of the stream."""
    data = b""
    while len(data) < n:
        chunk = reader.read(n - len(data))
        if not chunk:
            break
        data += chunk
    return data
