"""``rcontainer info`` against the real rootless Podman service, and the socket-missing path."""

from __future__ import annotations

import json
import os

from tests import harness


def test_info_reports_the_rootless_service(rc, podman_env, isolated_dirs):
    result = rc("info", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["rootless"] is True
    assert data["podman"]["version"].split(".")[0] in {"4", "5"}
    assert data["podman"]["socket"] == str(podman_env.socket)
    assert data["podman"]["socket_source"] == "CONTAINER_HOST"
    assert data["cgroup"]["version"] in {"v1", "v2"}
    assert data["storage"]["driver"]
    assert data["oci_runtime"]["default"]
    assert data["oci_runtime"]["default"] in data["oci_runtimes"]
    assert data["rcontainer"]["state"] == str(isolated_dirs["RCONTAINER_STATE_DIR"])


def test_info_text_names_what_a_user_looks_for(rc, podman_env):
    result = rc("info")
    assert result.code == 0, result.err
    for label in (
        "podman version:",
        "rootless:",
        "cgroup version:",
        "storage driver:",
        "state dir:",
        "logs dir:",
    ):
        assert label in result.out


def test_info_finds_the_default_socket_like_podman(rc, podman_env, tmp_path, monkeypatch):
    # No CONTAINER_HOST: rcontainer looks in $XDG_RUNTIME_DIR/podman/podman.sock, as Podman does.
    runtime = tmp_path / "run"
    (runtime / "podman").mkdir(parents=True)
    (runtime / "podman" / "podman.sock").symlink_to(podman_env.socket)
    monkeypatch.delenv("CONTAINER_HOST")
    result = rc("info", "--json", env={"RCONTAINER_RUNTIME_DIR": str(runtime)})
    assert result.code == 0, result.err
    assert json.loads(result.out)["podman"]["socket_source"] == "default"


def test_info_without_a_socket_says_how_to_start_one(rc, tmp_path, monkeypatch):
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    result = rc("info", env={"RCONTAINER_RUNTIME_DIR": str(tmp_path)})
    assert result.code == 6
    assert "no Podman service answers on" in result.err
    assert "podman system service" in result.err
    assert "Traceback" not in result.err
    assert result.out == ""


def test_the_test_bed_runs_as_an_unprivileged_user():
    assert os.geteuid() != 0, "integration tests must run rootless (scripts/test.sh drops to a user)"
    out = harness.podman("info", "--format", "{{.Host.Security.Rootless}}").stdout.strip()
    assert out == "true"


def test_info_with_no_override_names_the_xdg_folders(rc, podman_env, tmp_path, monkeypatch):
    """A user's first command: no RCONTAINER_*_DIR, only the XDG variables (the data folder
    once crashed with a KeyError when no RCONTAINER_DATA_DIR was set)."""
    for kind in ("CONFIG", "STATE", "CACHE", "DATA"):
        monkeypatch.delenv(f"RCONTAINER_{kind}_DIR", raising=False)
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(tmp_path / kind.lower()))
    result = rc("info", "--json")
    assert result.code == 0, result.err
    folders = json.loads(result.out)["rcontainer"]
    for kind in ("config", "state", "cache", "data"):
        assert folders[kind] == str(tmp_path / kind / "rcontainer")
