"""Finding the user's rootless Podman service, and starting one when none answers.

The socket is found as Podman finds it: ``CONTAINER_HOST`` (``unix://PATH``), else
``$XDG_RUNTIME_DIR/podman/podman.sock``. When nothing answers there, rcontainer can start a
private ``podman system service`` for the user on ``$XDG_RUNTIME_DIR/rcontainer/podman.sock``
(and says so), unless told not to. Runtime classes get a service of their own each where
the Podman in use ignores the runtime named in a create request (before 6.0, ``compat.py``).

Starting one is rare: ``shutil``, ``signal`` and ``subprocess`` are imported by the functions
that start and stop services, not by every command that only finds the socket.

A service started here writes its output to ``NAME.log`` and its PID to ``NAME.pid`` beside
its socket ``NAME.sock``.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rcontainer import paths
from rcontainer.backends.podman.api import Endpoint, LibpodClient
from rcontainer.errors import BadInput, PodmanUnavailable
from rcontainer.files import ensure_dir

if TYPE_CHECKING:
    from rcontainer.runtimes import RuntimeClass

# Seconds of idleness after which a private service started by rcontainer exits by itself.
PRIVATE_SERVICE_IDLE = int(os.environ.get("RCONTAINER_SERVICE_IDLE", "900"))


def find_endpoint() -> Endpoint:
    """The socket Podman itself would use for this user."""
    host = os.environ.get("CONTAINER_HOST")
    if host:
        if not host.startswith("unix://"):
            raise BadInput(
                f"CONTAINER_HOST={host!r}: only local unix:// sockets are supported",
                hint="unset CONTAINER_HOST to use the default rootless socket",
            )
        return Endpoint(Path(host[len("unix://") :]), "CONTAINER_HOST")
    return Endpoint(paths.default_podman_socket(), "default")


def private_endpoint() -> Endpoint:
    return Endpoint(paths.private_service_dir() / "podman.sock", "private")


def runtime_endpoint(rclass: RuntimeClass) -> Endpoint:
    """Where the service of a runtime class listens (started or not)."""
    return Endpoint(
        paths.private_service_dir() / f"runtime-{rclass.name}.sock", f"runtime class {rclass.name}"
    )


def answers(socket: Path, timeout: float = 2.0) -> bool:
    """True when a Podman service answers on the socket."""
    return LibpodClient(Endpoint(socket, "probe"), timeout=timeout).ping()


def answering_endpoint() -> Endpoint | None:
    """The user's socket, else rcontainer's private one, whichever answers; never starts one.
    None when neither answers (only the ``CONTAINER_HOST`` socket counts when it is set)."""
    endpoint = find_endpoint()
    if answers(endpoint.socket):
        return endpoint
    if endpoint.source == "CONTAINER_HOST":
        return None
    private = private_endpoint()
    return private if answers(private.socket) else None


def resolve_endpoint(*, autostart: bool, notices: list[str] | None = None) -> Endpoint:
    """The endpoint that answers: the user's socket, else the private one (started if allowed)."""
    found = answering_endpoint()
    if found is not None:
        return found
    endpoint = find_endpoint()
    if endpoint.source == "CONTAINER_HOST":
        raise PodmanUnavailable(f"no Podman service answers on {endpoint.socket} (CONTAINER_HOST)")
    if not autostart:
        raise PodmanUnavailable(
            f"no Podman service answers on {endpoint.socket}", hint=how_to_start(endpoint)
        )
    private = private_endpoint()
    pid = start_private_service(private)
    if notices is not None:
        notices.append(
            f"no Podman service answered on {endpoint.socket}; started a private one "
            f"(pid {pid}) on {private.socket}, exiting after {PRIVATE_SERVICE_IDLE}s idle"
        )
    return private


def runtime_service(rclass: RuntimeClass, *, notices: list[str] | None = None) -> Endpoint:
    """A service that stamps the containers it creates with the class's OCI runtime.

    Podman before 6.0 ignores the runtime named in a create request (upstream issue 28429);
    ``podman --runtime NAME system service`` uses NAME for every container it creates, and
    start/stop/rm through any socket later keep it. One such service per class, started on
    first use, exiting by itself when idle.
    """
    endpoint = runtime_endpoint(rclass)
    if answers(endpoint.socket):
        return endpoint
    args: tuple[str, ...] = ("--runtime", rclass.handler or "")
    for flag in rclass.flags:
        args += ("--runtime-flag", flag.lstrip("-"))
    pid = start_private_service(endpoint, args)
    if notices is not None:
        notices.append(
            f"started a Podman service for runtime class {rclass.name} (pid {pid}) on {endpoint.socket}"
        )
    return endpoint


def how_to_start(endpoint: Endpoint) -> str:
    return (
        f"start one with: podman system service --time=0 {endpoint.url} &"
        "  (or: systemctl --user enable --now podman.socket)"
    )


def local_env() -> dict[str, str]:
    """Environment for every podman command rcontainer runs: local storage (never as a remote
    client), and without Podman 5's "cgroups v1 is deprecated" warning, which would otherwise
    reach the user's terminal from each command (``rcontainer doctor`` says it once, with the
    fix)."""
    env = dict(os.environ)
    env.pop("CONTAINER_HOST", None)
    env["PODMAN_IGNORE_CGROUPSV1_WARNING"] = "1"
    return env


def _beside(endpoint: Endpoint, suffix: str) -> Path:
    return endpoint.socket.parent / f"{endpoint.socket.stem}{suffix}"


def start_private_service(endpoint: Endpoint, global_args: tuple[str, ...] = ()) -> int:
    """Start ``podman [global_args] system service`` on the endpoint, detached; return its PID."""
    import shutil
    import signal
    import subprocess

    podman = shutil.which("podman")
    if podman is None:
        raise PodmanUnavailable("podman is not installed", hint="apt-get install podman")
    ensure_dir(endpoint.socket.parent)
    if endpoint.socket.exists():
        endpoint.socket.unlink()  # a stale socket from a service that died
    log_path = _beside(endpoint, ".log")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [podman, *global_args, "system", "service", f"--time={PRIVATE_SERVICE_IDLE}", endpoint.url],
            stdin=subprocess.DEVNULL,
            env=local_env(),
            stdout=log,
            stderr=log,
            start_new_session=True,  # outlives this command, as a service should
            # not this command's folder: conmon inherits the service's, and once that folder is
            # removed (a checkout copied anew) every start fails ("Failed to get working directory")
            cwd="/",
        )
    _beside(endpoint, ".pid").write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if answers(endpoint.socket, timeout=1):
            return proc.pid
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    raise PodmanUnavailable(f"a private Podman service did not start on {endpoint.socket} (see {log_path})")


def stop_private_service(endpoint: Endpoint) -> None:
    """Stop a service ``start_private_service`` started (found by its PID file)."""
    import signal

    pid_file = _beside(endpoint, ".pid")
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(OSError):
        pid_file.unlink()


def service_log_tail(endpoint: Endpoint) -> str:
    """The last line a service started here wrote (why it refused to start), or ''."""
    try:
        text = _beside(endpoint, ".log").read_text(errors="replace")
    except OSError:
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
