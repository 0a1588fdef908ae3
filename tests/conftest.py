"""Fixtures shared by unit and integration tests.

Every test runs with its own XDG config, state and cache dirs (rcontainer never touches the
real user's files from a test). Integration tests also get the session's real rootless
Podman service (``CONTAINER_HOST`` points at it) and the loopback registry.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import harness

SCOPE_PREFIX = "pytest-"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Path]:
    """Fresh rcontainer config/state/cache dirs for every test."""
    base = tmp_path_factory.mktemp("xdg")
    dirs = {
        "RCONTAINER_CONFIG_DIR": base / "config",
        "RCONTAINER_STATE_DIR": base / "state",
        "RCONTAINER_CACHE_DIR": base / "cache",
        "RCONTAINER_DATA_DIR": base / "data",
    }
    for key, value in dirs.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.setenv("NO_COLOR", "1")
    if os.geteuid() == 0:  # a developer running unit tests as root; CI runs them unprivileged
        monkeypatch.setenv("RCONTAINER_ALLOW_ROOT", "1")
    monkeypatch.delenv("RCONTAINER_DEBUG", raising=False)
    return dirs


@pytest.fixture(scope="session")
def podman_service() -> Iterator[harness.PodmanService]:
    harness.remove_scoped_containers(SCOPE_PREFIX)
    harness.remove_scoped_networks(SCOPE_PREFIX)
    harness.remove_scoped_volumes(SCOPE_PREFIX)
    with harness.podman_service() as service:
        yield service
    harness.remove_scoped_containers(SCOPE_PREFIX)
    harness.remove_scoped_networks(SCOPE_PREFIX)
    harness.remove_scoped_volumes(SCOPE_PREFIX)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.Registry]:
    with harness.registry(tmp_path_factory.mktemp("registry")) as reg:
        yield reg


@pytest.fixture(scope="session")
def busybox_image(podman_service) -> str:
    return harness.ensure_busybox_image()


@pytest.fixture(scope="session")
def registry_image(registry: harness.Registry, busybox_image: str) -> str:
    """The busybox image, pushed to the loopback registry and untagged locally."""
    ref = registry.ref("rcontainer/busybox:latest")
    harness.push(busybox_image, ref)
    return ref


@pytest.fixture
def podman_env(
    podman_service: harness.PodmanService, monkeypatch: pytest.MonkeyPatch
) -> harness.PodmanService:
    """The session's Podman service as this test's CONTAINER_HOST, and a scope of its own."""
    monkeypatch.setenv("CONTAINER_HOST", podman_service.url)
    monkeypatch.setenv("RCONTAINER_NO_AUTOSTART", "1")
    return podman_service


@pytest.fixture
def scope(podman_env: harness.PodmanService, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A scope label value of this test's own; its containers are removed at the end."""
    value = f"{SCOPE_PREFIX}{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("RCONTAINER_SCOPE", value)
    yield value
    harness.stop_monitors(Path(os.environ["RCONTAINER_STATE_DIR"]))  # before it restarts what goes
    harness.remove_scoped_containers(value)
    harness.remove_scoped_networks(value)
    harness.remove_scoped_volumes(value)
    # bubblewrap containers have no daemon to reap them: end this test's ones by PID
    harness.kill_bwrap_containers(Path(os.environ["RCONTAINER_STATE_DIR"]))


@dataclass
class RcResult:
    """What one run of the CLI did: its exit status and output."""

    code: int
    out: str
    err: str

    def ok(self) -> RcResult:
        """This result, after checking that the command succeeded."""
        assert self.code == 0, f"exit {self.code}: {self.err}"
        return self

    def json(self) -> Any:
        """The command's ``--json`` output, after checking that it succeeded."""
        return json.loads(self.ok().out)


class Rc:
    """The real ``rcontainer`` CLI, run in a subprocess with the test's environment."""

    def __call__(
        self, *args: str, input: str | None = None, timeout: float = 120, env: dict | None = None
    ) -> RcResult:
        proc = subprocess.run(
            [sys.executable, "-m", "rcontainer", *args],
            capture_output=True,
            text=True,
            input=input,
            timeout=timeout,
            env={**os.environ, **(env or {})},
        )
        return RcResult(proc.returncode, proc.stdout, proc.stderr)

    def ps(self, *args: str) -> dict[str, dict]:
        """``rcontainer ps --json ARGS`` (it must succeed), its rows by container name."""
        return {row["name"]: row for row in self("ps", "--json", *args).json()}


@pytest.fixture
def rc() -> Rc:
    """Run the real ``rcontainer`` CLI in a subprocess with this test's environment."""
    return Rc()


@pytest.fixture
def run_main(capsys: pytest.CaptureFixture[str]) -> Callable[..., RcResult]:
    """Run ``rcontainer.cli.main`` in this process, as the program would: status and output."""
    from rcontainer.cli import main

    def run(*argv: str) -> RcResult:
        with pytest.raises(SystemExit) as exc:
            main(list(argv))
        out, err = capsys.readouterr()
        return RcResult(exc.value.code if isinstance(exc.value.code, int) else 0, out, err)

    return run


@pytest.fixture
def write_profile(tmp_path: Path) -> Callable[..., Path]:
    """Write a profile into this test's folder: ``write_profile(name, **fields)`` gives its path.

    The fields are written as JSON (JSON is YAML), ``name`` first.
    """

    def write(name: str, **fields: Any) -> Path:
        path = tmp_path / f"{name}.yaml"
        path.write_text(json.dumps({"name": name, **fields}))
        return path

    return write


@pytest.fixture
def busybox_profile(write_profile: Callable[..., Path], busybox_image: str) -> Callable[..., Path]:
    """Write a profile of the session's busybox image, never pulled, without network; the
    fields given override or add to those."""

    def write(name: str, **fields: Any) -> Path:
        return write_profile(
            name, **{"image": busybox_image, "pull": "never", "network": {"mode": "none"}, **fields}
        )

    return write
