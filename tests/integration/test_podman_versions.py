"""What differs between the Podman versions rcontainer runs on, checked against the real one.

These tests run in every suite (the host's Podman 4.3 and the Podman 5 bed): each decides its
expectation from the version of the Podman it runs against, never from rcontainer's own
answer.
"""

from __future__ import annotations

import json
from pathlib import Path

from rcontainer.backends.podman import compat
from tests import harness
from tests.integration import test_runtimes

# doctor probes runtime classes, which starts per-runtime Podman services: the test's own
own_runtime_services = test_runtimes.own_runtime_services


def podman_info() -> dict:
    return json.loads(harness.podman("info", "--format", "json").stdout)


def podman_version() -> tuple[int, int, int]:
    version = compat.parse_version(podman_info()["version"]["Version"])
    assert version is not None
    return version


def expected_default_network() -> str:
    """Podman's default rootless network: slirp4netns before 5.0, pasta from 5.0."""
    return "pasta" if podman_version() >= (5, 0, 0) else "slirp4netns"


def write(tmp_path: Path, name: str, **doc) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(json.dumps({"name": name, **doc}))
    return path


def test_a_profile_with_the_default_network_runs_with_podmans_default_rootless_network(
    rc, scope, tmp_path, busybox_image
):
    expected = expected_default_network()
    if podman_version() < (5, 0, 0):
        assert expected == "slirp4netns"  # the 4.3 host suite: what rcontainer has always given
    path = write(tmp_path, "net", image=busybox_image, pull="never", command=["sleep", "60"])
    result = rc("up", str(path))
    assert result.code == 0, result.err
    container = harness.container_name(scope, path)
    mode = harness.podman("inspect", "--format", "{{.HostConfig.NetworkMode}}", container).stdout.strip()
    assert mode == expected
    data = json.loads(rc("inspect", "--json", "net").out)
    assert data["runtime_details"]["network"] == expected
    lines = {
        k.strip(): v.strip()
        for k, _, v in (line.partition(":") for line in rc("inspect", "net").out.splitlines())
    }
    assert lines["network"] == expected
    # podman commands rcontainer runs itself (pausing by signal runs `podman unshare kill` on
    # cgroup v1) must not bring Podman 5's cgroup v1 warning to the user's terminal
    for verb in ("pause", "unpause", "down"):
        result = rc(verb, "net")
        assert result.code == 0, result.err
        assert "cgroup" not in result.err.lower(), result.err


def test_info_and_doctor_name_the_rootless_network(rc, podman_env, own_runtime_services):
    expected = expected_default_network()
    info = json.loads(rc("info", "--json").out)
    assert info["rootless_network"]["default"] == expected
    assert expected in info["rootless_network"]["available"]
    lines = {
        k.strip(): v.strip() for k, _, v in (line.partition(":") for line in rc("info").out.splitlines())
    }
    assert lines["rootless network"].startswith(f"{expected} (default for network: private")
    doctor = {c["name"]: c for c in json.loads(rc("doctor", "--json").out)}
    network = doctor["rootless network"]
    assert network["ok"], network
    assert network["detail"].startswith(f"{expected} (Podman's default: what network: private gets)")


def test_a_network_program_this_podman_lacks_is_refused_with_exit_7(rc, scope, tmp_path, busybox_image):
    version = podman_version()
    missing = compat.rootless_networks(podman_info(), version).missing
    if version < (4, 4, 0):
        assert "pasta" in missing  # Podman 4.3 has no pasta at all
    if not missing:
        # Podman 5.x with both programs installed (the bed): nothing to refuse here; what it
        # offers must then be both, which test_a_named_network_this_podman_has_is_used runs.
        # The refusal itself runs on 4.3 (no pasta) in the host suite.
        assert set(compat.rootless_networks(podman_info(), version).available) >= {"pasta", "slirp4netns"}
        return
    mode = sorted(missing)[0]
    path = write(tmp_path, "named", image=busybox_image, pull="never", command=["sleep", "60"], network=mode)
    result = rc("up", str(path))
    assert result.code == 7, (result.out, result.err)
    assert f"network mode {mode!r} is not available with Podman {compat.version_text(version)}" in result.err
    assert "Traceback" not in result.err
    assert json.loads(rc("ps", "--all", "--json").out) == []  # refused before anything was made
    # a running container whose profile changes to that mode is kept, not removed and lost
    write(tmp_path, "named", image=busybox_image, pull="never", command=["sleep", "60"])
    assert rc("up", str(path)).code == 0
    write(tmp_path, "named", image=busybox_image, pull="never", command=["sleep", "60"], network=mode)
    assert rc("up", str(path)).code == 7
    (row,) = json.loads(rc("ps", "--all", "--json").out)
    assert row["state"] == "running"


def test_a_named_network_this_podman_has_is_used(rc, scope, tmp_path, busybox_image):
    available = compat.rootless_networks(podman_info(), podman_version()).available
    for mode in available:
        path = write(
            tmp_path, f"n-{mode}", image=busybox_image, pull="never", command=["sleep", "60"], network=mode
        )
        result = rc("up", str(path))
        assert result.code == 0, result.err
        inspected = harness.podman(
            "inspect", "--format", "{{.HostConfig.NetworkMode}}", harness.container_name(scope, path)
        )
        assert inspected.stdout.strip() == mode


def test_doctor_warns_ahead_of_podman_6_without_failing(
    rc, podman_env, busybox_image, isolated_dirs, own_runtime_services
):
    folder = isolated_dirs["RCONTAINER_CONFIG_DIR"] / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "old.yaml").write_text(f"name: old\nimage: {busybox_image}\nnetwork: slirp4netns\n")
    result = rc("doctor", "--json")
    checks = {c["name"]: c for c in json.loads(result.out)}
    slirp = checks["podman6 slirp4netns"]
    assert not slirp["ok"] and "profile old" in slirp["detail"] and "network: private" in slirp["fix"]
    info = podman_info()
    if info["host"].get("slirp4netns", {}).get("executable"):
        assert result.code == 0, result.out  # it still runs here: a warning, not a failure
        assert slirp["severity"] == "warning"
    if info["host"]["cgroupVersion"] == "v1":
        cgroups = checks["podman6 cgroups"]
        assert not cgroups["ok"] and "Podman 6 removed cgroup v1" in cgroups["detail"]
    if info["host"].get("networkBackend") == "cni":
        assert not checks["podman6 network backend"]["ok"]
    database = info["host"].get("databaseBackend") or "boltdb"  # 4.3 has only BoltDB
    assert checks["podman6 database"]["ok"] == (database != "boltdb")
