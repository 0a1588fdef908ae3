"""Finding and talking to the user's rootless Podman service.

The socket is found as Podman finds it: ``CONTAINER_HOST`` (``unix://PATH``), else
``$XDG_RUNTIME_DIR/podman/podman.sock``. When nothing answers there, rcontainer can start a
private ``podman system service`` for the user on ``$XDG_RUNTIME_DIR/rcontainer/podman.sock``
(and says so), unless told not to.

podman-py is imported inside these functions only: ``import podman`` costs about a quarter
of a second, which ``--help`` and completion must not pay.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rcontainer import paths
from rcontainer.errors import BadInput, NotFound, OperationFailed, PodmanUnavailable

if TYPE_CHECKING:
    from podman import PodmanClient

    from rcontainer.runtimes import RuntimeClass

# Seconds of idleness after which a private service started by rcontainer exits by itself.
PRIVATE_SERVICE_IDLE = int(os.environ.get("RCONTAINER_SERVICE_IDLE", "900"))
API_TIMEOUT = 120


@dataclass(frozen=True)
class Endpoint:
    url: str  # http+unix://... form podman-py wants
    socket: Path
    source: str  # "CONTAINER_HOST", "default", "private"


def _unix_url(path: Path) -> str:
    return f"unix://{path}"


def find_endpoint() -> Endpoint:
    """The socket Podman itself would use for this user."""
    host = os.environ.get("CONTAINER_HOST")
    if host:
        if not host.startswith("unix://"):
            raise BadInput(
                f"CONTAINER_HOST={host!r}: only local unix:// sockets are supported",
                hint="unset CONTAINER_HOST to use the default rootless socket",
            )
        path = Path(host[len("unix://") :])
        return Endpoint(_unix_url(path), path, "CONTAINER_HOST")
    path = paths.default_podman_socket()
    return Endpoint(_unix_url(path), path, "default")


def private_endpoint() -> Endpoint:
    path = paths.private_service_dir() / "podman.sock"
    return Endpoint(_unix_url(path), path, "private")


def _connection(socket: Path, timeout: float):
    import http.client
    import socket as sk

    class Conn(http.client.HTTPConnection):
        def connect(self) -> None:
            s = sk.socket(sk.AF_UNIX, sk.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect(str(socket))
            self.sock = s

    return Conn("localhost", timeout=timeout)


# The libpod API version rcontainer's own read-only requests name (Podman 4.0 and newer serve it).
LIBPOD = "/v4.0.0/libpod"


class Response:
    """Status and decoded body of one libpod request."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body

    def json(self) -> Any:
        import json

        return json.loads(self.body) if self.body else None

    def message(self) -> str:
        try:
            data = self.json()
            if isinstance(data, dict) and data.get("message"):
                return str(data["message"]).strip()
        except ValueError:
            pass
        return self.body.decode(errors="replace").strip()


def request(
    endpoint: Endpoint,
    method: str,
    path: str,
    params: dict[str, str] | None = None,
    body: Any = None,
    *,
    what: str | None = None,
    ok: tuple[int, ...] = (),
    timeout: float | None = API_TIMEOUT,
) -> Response:
    """One libpod request with the standard library alone.

    The lifecycle's hot path (inspect, list, create, start, stop, kill, remove) needs a handful
    of small requests; importing podman-py (and requests) for them costs more than the requests
    themselves (~0.2 s of a ~0.3 s ``up`` here). podman-py stays for pulls, builds, exec and
    process listing. Statuses below 300, and those in ``ok``, are returned; 404 raises
    NotFound, other errors OperationFailed with Podman's own message.
    """
    import json
    from urllib.parse import urlencode

    url = LIBPOD + path + (f"?{urlencode(params)}" if params else "")
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    try:
        conn = _connection(endpoint.socket, timeout)
        conn.request(method, url, body=data, headers=headers)
        raw = conn.getresponse()
        response = Response(raw.status, raw.read())
        conn.close()
    except OSError as exc:
        raise PodmanUnavailable(
            f"no Podman service answers on {endpoint.socket} ({exc.__class__.__name__})",
            hint="run the command again once the service is back",
        ) from None
    if response.status < 300 or response.status in ok:
        return response
    text = what or f"{method} {path}"
    if response.status == 404:
        raise NotFound(f"{text}: Podman said: {response.message()}")
    raise OperationFailed(f"{text}: Podman said: {response.message()}")


def get_json(endpoint: Endpoint, path: str, params: dict[str, str] | None = None) -> Any:
    """A read-only request's JSON, or None for 404."""
    response = request(endpoint, "GET", path, params, ok=(404,))
    return None if response.status == 404 else response.json()


def _answers(socket: Path, timeout: float = 2.0) -> bool:
    """True when an HTTP service answers ``/_ping`` on the socket (no podman-py import)."""
    if not socket.exists():
        return False
    try:
        conn = _connection(socket, timeout)
        conn.request("GET", "/_ping")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def how_to_start(endpoint: Endpoint) -> str:
    return (
        f"start one with: podman system service --time=0 {_unix_url(endpoint.socket)} &"
        "  (or: systemctl --user enable --now podman.socket)"
    )


def local_env() -> dict[str, str]:
    """Environment for the podman command acting on local storage (never as a remote client)."""
    env = dict(os.environ)
    env.pop("CONTAINER_HOST", None)
    return env


def start_private_service(endpoint: Endpoint, global_args: tuple[str, ...] = ()) -> int:
    """Start ``podman [global_args] system service`` on the endpoint, detached; return its PID."""
    podman = shutil.which("podman")
    if podman is None:
        raise PodmanUnavailable("podman is not installed", hint="apt-get install podman")
    from rcontainer.engine.store import ensure_dir

    ensure_dir(endpoint.socket.parent)
    if endpoint.socket.exists():
        endpoint.socket.unlink()  # a stale socket from a service that died
    stem = endpoint.socket.stem
    log = open(endpoint.socket.parent / f"{stem}.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            podman,
            *global_args,
            "system",
            "service",
            f"--time={PRIVATE_SERVICE_IDLE}",
            _unix_url(endpoint.socket),
        ],
        stdin=subprocess.DEVNULL,
        env=local_env(),
        stdout=log,
        stderr=log,
        start_new_session=True,  # outlives this command, as a service should
    )
    log.close()
    (endpoint.socket.parent / f"{stem}.pid").write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if _answers(endpoint.socket, timeout=1):
            return proc.pid
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    try:
        os.kill(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    raise PodmanUnavailable(
        f"a private Podman service did not start on {endpoint.socket} (see {endpoint.socket.parent / f'{stem}.log'})"
    )


def resolve_endpoint(*, autostart: bool, notices: list[str] | None = None) -> Endpoint:
    """The endpoint that answers: the user's socket, else the private one (started if allowed)."""
    endpoint = find_endpoint()
    if _answers(endpoint.socket):
        return endpoint
    if endpoint.source == "CONTAINER_HOST":
        raise PodmanUnavailable(f"no Podman service answers on {endpoint.socket} (CONTAINER_HOST)")
    private = private_endpoint()
    if _answers(private.socket):
        return private
    if not autostart:
        raise PodmanUnavailable(
            f"no Podman service answers on {endpoint.socket}", hint=how_to_start(endpoint)
        )
    pid = start_private_service(private)
    if notices is not None:
        notices.append(
            f"no Podman service answered on {endpoint.socket}; started a private one "
            f"(pid {pid}) on {private.socket}, exiting after {PRIVATE_SERVICE_IDLE}s idle"
        )
    return private


def runtime_service(rclass: RuntimeClass, *, notices: list[str] | None = None) -> Endpoint:
    """A service that stamps the containers it creates with the class's OCI runtime.

    Podman before 5.x ignores the runtime named in a create request (upstream issue 28429);
    ``podman --runtime NAME system service`` uses NAME for every container it creates, and
    start/stop/rm through any socket later keep it. One such service per class, started on
    first use, exiting by itself when idle.
    """
    path = paths.private_service_dir() / f"runtime-{rclass.name}.sock"
    endpoint = Endpoint(_unix_url(path), path, f"runtime class {rclass.name}")
    if _answers(path):
        return endpoint
    args: tuple[str, ...] = ("--runtime", rclass.handler or "")
    for flag in rclass.flags:
        args += ("--runtime-flag", flag.lstrip("-"))
    pid = start_private_service(endpoint, args)
    if notices is not None:
        notices.append(f"started a Podman service for runtime class {rclass.name} (pid {pid}) on {path}")
    return endpoint


def client(endpoint: Endpoint, *, timeout: float | None = API_TIMEOUT) -> PodmanClient:
    """A podman-py client on the endpoint. ``timeout=None`` for long streams (logs -f, events)."""
    from podman import PodmanClient

    # base_url given explicitly: PodmanClient() alone ignores CONTAINER_HOST and trips over a
    # containers.conf [engine] table without active_service (README, facts about hosts).
    kwargs: dict[str, Any] = {"base_url": endpoint.url}
    if timeout is not None:
        kwargs["timeout"] = timeout
    return PodmanClient(**kwargs)


def explain_api_error(exc: Exception, what: str) -> OperationFailed | PodmanUnavailable:
    """Turn a podman-py exception into the project's error, with Podman's own words."""
    cause = exc.__cause__ or exc.__context__
    text = str(exc)
    if cause is not None and any(
        k in type(cause).__name__ for k in ("ConnectionError", "ConnectionRefused", "FileNotFound")
    ):
        return PodmanUnavailable(
            f"{what}: the Podman service went away ({cause.__class__.__name__})",
            hint="run the command again once the service is back",
        )
    explanation = getattr(exc, "explanation", None)
    if explanation:
        text = str(explanation)
    return OperationFailed(f"{what}: Podman said: {text.strip()}")
