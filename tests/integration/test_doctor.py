"""``rcontainer doctor`` on the real host, as the user the test harness prepared, and each
failing check a user could run into, with its fix."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rcontainer import doctor
from tests.integration import test_runtimes

# Doctor probes runtime classes, which starts per-runtime Podman services: the test's own.
own_runtime_services = test_runtimes.own_runtime_services
pytestmark = pytest.mark.usefixtures("own_runtime_services")

HYBRID = doctor.cgroup_mode(Path("/proc/self/mountinfo").read_text()) == "hybrid"


def checks_of(result) -> dict[str, dict]:
    return {c["name"]: c for c in json.loads(result.out)}


def named_profile(name: str, text: str) -> Path:
    """A profile in the user's profiles folder, where doctor looks for the classes in use."""
    folder = Path(os.environ["RCONTAINER_CONFIG_DIR"]) / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def test_doctor_passes_for_the_prepared_user_and_explains_the_host(rc, podman_env, busybox_image):
    result = rc("doctor", "--json")
    assert result.code == 0, (result.out, result.err)
    checks = checks_of(result)
    for name in ("subuid", "subgid", "newuidmap", "newgidmap", "userns", "tun", "socket", "podman"):
        assert checks[name]["ok"], checks[name]
    assert checks["subuid"]["detail"].startswith("65536 ids from ")
    assert checks["socket"]["detail"] == f"{podman_env.socket} answers (CONTAINER_HOST)"
    assert checks["podman"]["detail"].startswith("Podman 4.") or checks["podman"]["detail"].startswith(
        "Podman 5."
    )
    assert checks["storage"]["detail"].startswith("storage driver")
    # the prepared hosts resolve project names: dnsname (Podman 4, CNI), aardvark-dns (Podman 5)
    assert checks["dns"]["ok"], checks["dns"]
    dns_program = "dnsname" if checks["podman"]["detail"].startswith("Podman 4.") else "aardvark-dns"
    assert checks["dns"]["detail"].startswith(dns_program), checks["dns"]
    assert checks["runtime runc"]["ok"]
    assert checks["runtime bwrap"]["ok"]
    assert not checks["runtime gvisor"]["ok"] and "runsc not found" in checks["runtime gvisor"]["detail"]
    assert checks["runtime gvisor"]["severity"] == "warning"  # no profile of the user needs it
    if HYBRID:
        assert "pause by signal" in checks["cgroups"]["detail"]
        assert "no resource limits" in checks["cgroups"]["detail"]
        assert not checks["runtime crun"]["ok"]
        assert "hybrid" in checks["runtime crun"]["detail"]
        assert "runtime: runc" in checks["runtime crun"]["fix"]
    for c in checks.values():
        assert set(c) == {"name", "ok", "severity", "detail", "fix"}
        if not c["ok"] and c["severity"] != "info":
            assert c["fix"], c


def test_doctor_text_has_one_line_per_check_and_the_fix_below_failures(rc, podman_env, busybox_image):
    result = rc("doctor")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert any(line.startswith("ok    subuid: 65536 ids from ") for line in lines)
    assert any(line.startswith("ok    tun: /dev/net/tun is usable") for line in lines)
    if HYBRID:
        crun = next(i for i, line in enumerate(lines) if line.startswith("WARN  runtime crun: unusable"))
        assert lines[crun + 1].startswith("      fix: ")


def test_a_missing_socket_fails_with_how_to_start_one(rc, podman_env, tmp_path):
    missing = tmp_path / "nothing-here.sock"
    result = rc("doctor", env={"CONTAINER_HOST": f"unix://{missing}"})
    assert result.code == 8, (result.out, result.err)
    lines = result.out.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith("FAIL  socket: "))
    assert str(missing) in lines[i]
    assert lines[i + 1].startswith("      fix: start one with: podman system service")
    assert "check failed: socket" in result.err
    assert "Traceback" not in result.err


def test_no_socket_in_the_runtime_dir_fails_when_autostart_is_off(rc, podman_env, monkeypatch):
    monkeypatch.delenv("CONTAINER_HOST")  # RCONTAINER_RUNTIME_DIR is the fixture's empty folder
    result = rc("doctor", "--json", env={"RCONTAINER_NO_AUTOSTART": "1"})
    assert result.code == 8, result.err
    socket = checks_of(result)["socket"]
    assert socket["ok"] is False and socket["severity"] == "error"
    assert str(Path(os.environ["RCONTAINER_RUNTIME_DIR"]) / "podman" / "podman.sock") in socket["detail"]
    assert "podman system service" in socket["fix"]


def test_a_world_writable_state_dir_fails_with_the_chmod_to_run(rc, podman_env, busybox_image, isolated_dirs):
    state = isolated_dirs["RCONTAINER_STATE_DIR"]
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(0o777)
    result = rc("doctor", "--json")
    assert result.code == 8, result.err
    check = checks_of(result)["state dir"]
    assert check["ok"] is False and check["severity"] == "error"
    assert "others can write" in check["detail"]
    assert check["fix"] == f"chmod 0700 {state}"
    state.chmod(0o700)
    assert rc("doctor", "--json").code == 0


def test_a_runtime_a_profile_needs_but_the_host_lacks_is_an_error(rc, podman_env, busybox_image):
    named_profile("sandboxed", f"name: sandboxed\nimage: {busybox_image}\nruntime: gvisor\nnetwork: none\n")
    result = rc("doctor", "--json")
    assert result.code == 8, result.err
    check = checks_of(result)["runtime gvisor"]
    assert check["severity"] == "error" and "used by profile sandboxed" in check["detail"]
    assert "runsc" in check["detail"]


def test_a_profile_publishing_a_privileged_port_is_warned_about(rc, podman_env, busybox_image):
    start = int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text())
    named_profile(
        "web80",
        f"name: web80\nimage: {busybox_image}\nnetwork:\n  mode: private\n  ports: ['{start - 1}:80']\n",
    )
    result = rc("doctor", "--json")
    assert result.code == 0, result.err  # it warns; the port may be meant for another host
    check = checks_of(result)["ports"]
    assert check["ok"] is False and check["severity"] == "warning"
    assert f"{start - 1} (web80)" in check["detail"]
    assert "ip_unprivileged_port_start" in check["fix"]
