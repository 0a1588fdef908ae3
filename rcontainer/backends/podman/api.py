"""The one client of Podman's REST API, and the one place Podman's errors become rcontainer's.

Every request rcontainer makes to Podman goes through ``LibpodClient``: the lifecycle, images,
the runtime probe, ``doctor``, ``info``, ``kube export``'s digests and exec sessions (whose
start hands the connection over to the session's stream: ``upgraded``). It speaks HTTP over
the service's unix socket with the standard library (``wire``, not ``http.client``, whose
import alone costs a tenth of an exec): a command's few small requests cost less than
importing podman-py (and requests) would, ~0.2 s of a ~0.3 s ``up`` here (BENCHMARKS.md).

podman-py's helpers pack a build's context (``images.py``); ``podman_py`` gives a podman-py
client on the same endpoint to tests that drive Podman beside rcontainer. Podman's errors are
translated in this module only.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from rcontainer.backends.podman import wire
from rcontainer.errors import NotFound, OperationFailed, PodmanUnavailable, RcError
from rcontainer.values import Value

if TYPE_CHECKING:
    import socket

    from podman import PodmanClient

# The libpod API version rcontainer's requests name (Podman 4.0 and newer serve it).
LIBPOD = "/v4.0.0/libpod"
# Seconds a request may wait for each answer from the service; None waits as long as it takes.
API_TIMEOUT = 120
# RCONTAINER_TRACE=1: each request's method, path, status and milliseconds on stderr (read once:
# when off, a request pays one truth test). The benchmarks' breakdown per REST call reads it.
TRACE = os.environ.get("RCONTAINER_TRACE", "") not in ("", "0")


def trace(method: str, path: str, status: int | str, started: float, note: str = "") -> None:
    ms = (time.perf_counter() - started) * 1000
    sys.stderr.write(f"rcontainer: trace: {method} {path} {status} {ms:.1f} ms{note}\n")


class Endpoint(Value):
    """A Podman service's socket, and why rcontainer uses it (``source``: "CONTAINER_HOST",
    "default", "private", "runtime class NAME")."""

    __slots__ = ("socket", "source")

    def __init__(self, socket: Path, source: str) -> None:
        self.socket = socket
        self.source = source

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"


class Tar(Value):
    """A request body that is a tar archive (a build context): an open file and its size."""

    __slots__ = ("file", "size")

    def __init__(self, file: Any, size: int) -> None:
        self.file = file
        self.size = size


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
    """Requests to one Podman service. Cheap to make: nothing is opened until a request. A plain
    request's connection, once its answer is read, is kept for the next one (HTTP/1.1
    keep-alive: one connection per command, or one per thread when a project's containers come
    up side by side); streams and exec sessions get connections of their own."""

    def __init__(self, endpoint: Endpoint, *, timeout: float | None = API_TIMEOUT) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self._version: str | None = None  # from the Libpod-API-Version header of any answer
        self._info: dict[str, Any] | None = None
        self._idle: list[socket.socket] = []  # kept connections (list.pop/append: thread-safe)

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
        started = time.perf_counter() if TRACE else 0.0
        try:
            answer = self._open(method, path, params, body, what=what, ok=ok, timeout=self.timeout, keep=True)
        except RcError as exc:
            if TRACE:
                trace(method, path, "failed", started, f" ({type(exc).__name__})")
            raise
        try:
            response = Response(answer.status, answer.read())
        except OSError as exc:
            answer.close()
            raise unavailable(self.endpoint, exc) from None
        if answer.reusable():
            self._idle.append(answer.sock)
        else:
            answer.close()
        if TRACE:
            trace(method, path, answer.status, started)
        return response

    def close(self) -> None:
        """Close the kept connections (the process's end would, too)."""
        while self._idle:
            with contextlib.suppress(IndexError, OSError):
                self._idle.pop().close()

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """A read-only request's JSON, or None when Podman has no such thing (404)."""
        response = self.request("GET", path, params, ok=(404,))
        return None if response.status == 404 else response.json()

    def ping(self) -> bool:
        """True when a service answers ``/_ping`` on the socket (never raises)."""
        if not self.endpoint.socket.exists():
            return False
        try:
            answer = wire.exchange(self.endpoint.socket, "GET", "/_ping", timeout=self.timeout)
        except OSError:
            return False
        try:
            answer.read()
        except OSError:
            return False
        finally:
            answer.close()
        self._remember_version(answer)
        return answer.status == 200

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

    def _remember_version(self, answer: wire.Answer) -> None:
        said = answer.header("Libpod-API-Version")
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
        started = time.perf_counter() if TRACE else 0.0
        answer = self._open(
            method, path, params, body, what=what, timeout=None if wait else self.timeout, compat=compat
        )
        if TRACE:
            trace(method, path, answer.status, started, " (head of a stream)")
        try:
            for line in answer.lines():
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
            answer.close()

    def stream_bytes(
        self, method: str, path: str, params: dict[str, Any] | None = None, *, what: str | None = None
    ) -> Iterator[bytes]:
        """A streamed binary answer (an exported filesystem), in chunks as they arrive."""
        answer = self._open(method, path, params, None, what=what, timeout=self.timeout)
        try:
            yield from answer.chunks()
        except OSError as exc:
            raise unavailable(self.endpoint, exc) from None
        finally:
            answer.close()

    def upgraded(self, path: str, body: Any, *, what: str) -> tuple[socket.socket, bytes]:
        """Send a request that upgrades the connection (an exec session's start): the socket,
        now the session's stream with no timeout, and what of the stream came with the answer."""
        headers = {"Connection": "Upgrade", "Upgrade": "tcp"}
        started = time.perf_counter() if TRACE else 0.0
        answer = self._open("POST", path, None, body, what=what, timeout=self.timeout, headers=headers)
        if TRACE:
            trace("POST", path, answer.status, started, " (upgraded to the session's stream)")
        sock, early = answer.take_over()
        sock.settimeout(None)
        return sock, early

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
        headers: dict[str, str] | None = None,
        keep: bool = False,
    ) -> wire.Answer:
        """Send the request and read the answer's head; an error status is raised here.

        ``body`` is sent as JSON, except a ``Tar`` (a build context), sent as it is. ``keep``: on
        a kept connection when there is one (sent again on a new one if the service had closed
        it)."""
        url = ("" if compat else LIBPOD) + path + (f"?{urlencode(params, doseq=True)}" if params else "")
        sent = dict(headers or {})
        if isinstance(body, Tar):
            data: Any = body.file
            sent.update({"Content-Type": "application/x-tar", "Content-Length": str(body.size)})
        else:
            data = json.dumps(body).encode() if body is not None else None
            if data is not None:
                sent["Content-Type"] = "application/json"
        try:
            answer = self._exchange(method, url, data, sent, timeout, keep)
            self._remember_version(answer)
            if answer.status < 300 or answer.status in ok or answer.status == 101:
                return answer
            said = _message(answer.read())
        except OSError as exc:
            raise unavailable(self.endpoint, exc) from None
        if keep and answer.reusable():
            self._idle.append(answer.sock)
        else:
            answer.close()
        raise refusal(answer.status, what or f"{method} {path}", said)

    def _exchange(
        self, method: str, url: str, data: Any, sent: dict[str, str], timeout: float | None, keep: bool
    ) -> wire.Answer:
        while keep and self._idle:
            try:
                sock = self._idle.pop()
            except IndexError:  # another thread took the last one
                break
            try:
                return wire.exchange(
                    self.endpoint.socket, method, url, data, sent, timeout=timeout, sock=sock
                )
            except wire.Stale:
                continue  # the service had closed it: try the next, or a new connection
        return wire.exchange(self.endpoint.socket, method, url, data, sent, timeout=timeout)
