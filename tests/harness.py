"""The integration test bed: a real rootless Podman service and a real registry on loopback.

Everything started here is stopped again by PID. Nothing here fakes Podman: the tests drive
the service that ``podman system service`` runs for the unprivileged user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUSYBOX_IMAGE = "localhost/rcontainer/busybox:latest"


def podman_env() -> dict[str, str]:
    """Environment for the podman CLI used by the harness: local storage, never remote."""
    env = dict(os.environ)
    env.pop("CONTAINER_HOST", None)
    return env


def podman(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", *args], env=podman_env(), check=check, capture_output=True, text=True, timeout=timeout
    )


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def stop_pid(proc: subprocess.Popen, timeout: float = 10) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)


def socket_answers(path: Path) -> bool:
    from rcontainer.backends.podman.service import answers

    return answers(path, timeout=1)


@dataclass
class PodmanService:
    socket: Path
    proc: subprocess.Popen

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"


def runtime_dir() -> Path:
    return Path(os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}")


@contextlib.contextmanager
def podman_service() -> Iterator[PodmanService]:
    """A rootless ``podman system service`` of our own on a fresh socket, stopped at the end."""
    base = runtime_dir() / f"rcontainer-test-{os.getpid()}"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(mode=0o700, parents=True)
    sock = base / "podman.sock"
    log = open(base / "service.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{sock}"],
        env=podman_env(),
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        wait_until(lambda: socket_answers(sock) or proc.poll() is not None, 60, "podman system service")
        if proc.poll() is not None:
            raise RuntimeError(f"podman system service exited: {(base / 'service.log').read_text()[-2000:]}")
        yield PodmanService(sock, proc)
    finally:
        stop_pid(proc)
        log.close()
        shutil.rmtree(base, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Registry:
    host: str  # 127.0.0.1:PORT
    proc: subprocess.Popen

    def ref(self, name: str) -> str:
        return f"{self.host}/{name}"


@contextlib.contextmanager
def registry(workdir: Path) -> Iterator[Registry]:
    """Debian's docker-registry (the CNCF distribution registry) on 127.0.0.1, storage in workdir."""
    port = free_port()
    storage = workdir / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    config = workdir / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    log = open(workdir / "registry.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        ["docker-registry", "serve", str(config)], stdout=log, stderr=log, start_new_session=True
    )

    def up() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1) as r:
                return r.status == 200
        except OSError:
            return proc.poll() is not None

    try:
        wait_until(up, 30, "docker-registry")
        if proc.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {(workdir / 'registry.log').read_text()[-2000:]}")
        yield Registry(f"127.0.0.1:{port}", proc)
    finally:
        stop_pid(proc)
        log.close()


def ensure_busybox_image() -> str:
    subprocess.run(
        [str(REPO / "scripts" / "make-busybox-image.sh"), BUSYBOX_IMAGE],
        env=podman_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return BUSYBOX_IMAGE


def push(local: str, remote: str) -> None:
    podman("tag", local, remote)
    podman("push", "--tls-verify=false", "--quiet", remote)
    # untag the pushed name: a test that pulls it must really go to the registry
    podman("rmi", remote)


def remove_scoped_containers(prefix: str) -> None:
    """Remove leftovers of earlier runs (also runs killed halfway): containers whose
    io.rcontainer.scope label starts with prefix. Never touches anything else."""
    out = podman(
        "ps",
        "-a",
        "--filter",
        "label=io.rcontainer.scope",
        "--format",
        '{{.ID}} {{index .Labels "io.rcontainer.scope"}}',
        check=False,
    ).stdout
    ids = [
        line.split()[0]
        for line in out.splitlines()
        if len(line.split()) == 2 and line.split()[1].startswith(prefix)
    ]
    if ids:
        podman("rm", "-f", "-t", "0", *ids, check=False)


def container_name(scope: str, profile: Path) -> str:
    """The Podman name rcontainer gives the container of ``profile`` (named after its file) in
    ``scope``: ``rc-SCOPE-PROJECT.NAME``, its project its folder's."""
    from rcontainer.container import folder_project

    project = folder_project(str(profile))
    return f"rc-{scope}-{project}.{profile.stem}" if project else f"rc-{scope}-{profile.stem}"


def remove_scoped_networks(prefix: str) -> None:
    """Remove networks rcontainer made for projects of scopes starting with prefix (left by
    a test that ended before its down). Never touches anything else."""
    _remove_scoped("network", prefix, "name", "labels")


def remove_scoped_volumes(prefix: str) -> None:
    """Remove named volumes rcontainer made for scopes starting with prefix (left by a test that
    ended before removing them). Never touches anything else."""
    _remove_scoped("volume", prefix, "Name", "Labels")


def _remove_scoped(kind: str, prefix: str, name_key: str, labels_key: str) -> None:
    """``podman KIND rm -f`` of every KIND labelled with a scope starting with ``prefix``; the
    listing's keys differ by kind (networks: ``name``/``labels``, volumes: ``Name``/``Labels``)."""
    import json

    out = podman(kind, "ls", "--filter", "label=io.rcontainer.scope", "--format", "json", check=False)
    try:
        found = json.loads(out.stdout or "[]") or []
    except ValueError:
        return
    names = [
        item[name_key]
        for item in found
        if str((item.get(labels_key) or {}).get("io.rcontainer.scope", "")).startswith(prefix)
        and item.get(name_key)
    ]
    if names:
        podman(kind, "rm", "-f", *names, check=False)


def kill_bwrap_containers(state_root: Path) -> int:
    """SIGKILL every live bubblewrap container whose folder is under ``state_root`` (no daemon
    reaps them when a test bed's state folder is thrown away); how many."""
    from rcontainer.backends.bwrap import procs, status

    killed = 0
    for runtime in state_root.glob(f"**/.bwrap/*/{status.NAME}"):
        pid = status.live_init(status.read(runtime.parent))
        if pid is not None:
            procs.send(pid, signal.SIGKILL)
            killed += 1
    return killed


def stop_monitors(state_root: Path) -> int:
    """SIGTERM every rcontainer monitor whose lock is under ``state_root`` (a test's containers
    are about to be removed behind its back: it must not restart them); how many, each waited
    for by PID (up to 5 s)."""
    pids = []
    for lock in state_root.glob("**/_monitor.lock"):
        text = lock.read_text().strip()
        pid = int(text) if text.isdigit() else 0
        try:
            if pid and b"rcontainer.engine.monitor" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGTERM)
                pids.append(pid)
        except OSError:
            continue
    for pid in pids:
        wait_until(lambda pid=pid: process_gone(pid), 5, f"monitor {pid} to exit")
    return len(pids)


def process_gone(pid: int) -> bool:
    """No such process, or a zombie (PID 1 on these machines may not reap orphans)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] in ("Z", "X")
    except OSError:
        return True


def fetch(rc, container: str, url: str, tries: int = 50) -> str:
    """``wget URL`` run in ``container`` (through the ``rc`` fixture) until it answers (httpd may
    still be starting). Not ``wget -T``: bookworm's static busybox crashes (SIGSEGV) resolving a
    name with it."""
    got = None
    for _ in range(tries):
        got = rc("exec", container, "timeout", "5", "wget", "-q", "-O-", url)
        if got.code == 0:
            return got.out.strip()
        time.sleep(0.2)
    raise AssertionError(f"{container} never reached {url}: {got.err if got else ''}")


def logs_with(rc, name: str, text: str, tries: int = 50) -> str:
    """``rcontainer logs NAME`` once it holds ``text`` (or as it is after ``tries`` looks)."""
    logs = ""
    for _ in range(tries):
        logs = rc("logs", name).out
        if text in logs:
            break
        time.sleep(0.1)
    return logs
