"""Runtime classes on the real host: a user-defined class really drives its runtime, and
``rcontainer runtimes`` says which classes run here and why the others do not."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rcontainer import doctor
from tests import harness

RUNC_SUBCOMMANDS = {"create", "start", "kill", "delete", "state", "pause", "resume", "exec"}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie of ours counts as gone
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            return False
    return True


@pytest.fixture
def own_runtime_services(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """rcontainer's per-runtime Podman services for this test alone: started under a runtime dir
    of the test's own (a short path: unix socket paths stop at 107 bytes), stopped by PID."""
    base = Path(tempfile.mkdtemp(prefix="rc-rt-", dir="/tmp"))
    monkeypatch.setenv("RCONTAINER_RUNTIME_DIR", str(base))
    monkeypatch.setenv("RCONTAINER_SERVICE_IDLE", "120")  # a safety net should a PID be missed
    yield base
    pids = []
    for pid_file in (base / "rcontainer").glob("*.pid"):
        with contextlib.suppress(OSError, ValueError):
            pids.append(int(pid_file.read_text().strip()))
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for pid in pids:
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    shutil.rmtree(base, ignore_errors=True)


def runc_path() -> str:
    found = shutil.which("runc", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    assert found, "runc is not installed"
    return found


def write_traced_runtime(tmp_path: Path) -> tuple[Path, Path]:
    """A runtime that is runc, recording every call it gets."""
    log = tmp_path / "runc-calls.log"
    wrapper = tmp_path / "runc-traced"
    wrapper.write_text(f'#!/bin/bash\necho "$@" >> {log}\nexec {runc_path()} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, log


def declare_classes(text: str) -> None:
    config = Path(os.environ["RCONTAINER_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "runtimes.yaml").write_text(text)


def runc_calls(log: Path, cid: str) -> list[str]:
    """The runc subcommands called for one container, in order."""
    calls = []
    for line in log.read_text().splitlines():
        words = line.split()
        if cid in words:
            calls += [w for w in words if w in RUNC_SUBCOMMANDS][:1]
    return calls


def test_a_user_defined_class_runs_every_step_through_its_runtime(
    rc, scope, busybox_image, tmp_path, own_runtime_services
):
    wrapper, log = write_traced_runtime(tmp_path)
    declare_classes(f"traced:\n  runtime: {wrapper}\n  description: runc, traced\n")
    profile = tmp_path / "traced.yaml"
    profile.write_text(
        f"name: traced\nimage: {busybox_image}\nruntime: traced\n"
        "command: [sleep, '1000']\nnetwork: none\nstop_timeout: 1\n"
    )

    up = rc("up", str(profile))
    assert up.code == 0, up.err
    container = harness.container_name(scope, profile)
    attrs = json.loads(harness.podman("inspect", container).stdout)[0]
    cid = attrs["Id"]
    assert attrs["OCIRuntime"] == str(wrapper)
    assert attrs["State"]["Running"]

    stop = rc("stop", "traced")
    assert stop.code == 0, stop.err
    rm = rc("rm", "traced")
    assert rm.code == 0, rm.err
    assert harness.podman("container", "exists", container, check=False).returncode == 1

    calls = runc_calls(log, cid)
    for step in ("create", "start", "kill", "delete"):
        assert step in calls, f"runc {step} was not called through the class's runtime: {calls}"
    assert calls.index("create") < calls.index("start") < calls.index("kill") < calls.index("delete")


def test_runtimes_says_which_classes_run_here_and_why_not(
    rc, podman_env, busybox_image, own_runtime_services
):
    first_started = time.monotonic()
    first = rc("runtimes", "--json")
    first_took = time.monotonic() - first_started
    assert first.code == 0, first.err
    by_name = {r["name"]: r for r in json.loads(first.out)}
    assert set(by_name) >= {"default", "runc", "crun", "gvisor", "kata", "bwrap"}

    assert by_name["default"]["usable"] is True, by_name["default"]
    assert by_name["runc"]["usable"] is True, by_name["runc"]
    assert by_name["bwrap"]["usable"] is True, by_name["bwrap"]
    assert by_name["gvisor"]["usable"] is False
    assert by_name["gvisor"]["reason"] == "runsc not found on PATH"
    assert by_name["kata"]["usable"] is False
    assert "kata-runtime not found" in by_name["kata"]["reason"]
    crun = by_name["crun"]
    if doctor.cgroup_mode(Path("/proc/self/mountinfo").read_text()) == "hybrid":
        # crun is installed, yet refuses every container on this host: only running one tells.
        assert crun["usable"] is False
        assert "hybrid" in crun["reason"], crun
        assert crun["handler_path"].endswith("/crun")

    second_started = time.monotonic()
    second = rc("runtimes", "--json")
    second_took = time.monotonic() - second_started
    assert second.code == 0, second.err
    cached = {r["name"]: r for r in json.loads(second.out)}
    for name, r in by_name.items():
        assert (cached[name]["usable"], cached[name]["reason"]) == (r["usable"], r["reason"])
    assert all(cached[n]["cached"] for n in ("default", "runc", "crun", "bwrap"))
    assert second_took < first_took and second_took < 3, (first_took, second_took)

    refreshed = rc("runtimes", "--json", "--refresh")
    assert refreshed.code == 0, refreshed.err
    again = {r["name"]: r for r in json.loads(refreshed.out)}
    assert not any(r["cached"] for r in again.values())
    assert again["runc"]["usable"] is True and again["crun"]["usable"] == crun["usable"]


def test_a_changed_runtime_binary_is_probed_again(
    rc, podman_env, busybox_image, tmp_path, own_runtime_services
):
    wrapper, log = write_traced_runtime(tmp_path)
    declare_classes(f"traced:\n  runtime: {wrapper}\n")
    one = {r["name"]: r for r in json.loads(rc("runtimes", "--json").out)}
    assert one["traced"]["usable"] is True and not one["traced"]["cached"]
    assert "create" in log.read_text()
    two = {r["name"]: r for r in json.loads(rc("runtimes", "--json").out)}
    assert two["traced"]["cached"]
    wrapper.write_text("#!/bin/bash\necho 'this runtime is broken' >&2\nexit 1\n")
    three = {r["name"]: r for r in json.loads(rc("runtimes", "--json").out)}
    assert not three["traced"]["cached"]
    assert three["traced"]["usable"] is False
    assert three["traced"]["reason"].startswith("Podman said:")


def test_runtimes_text_names_each_class_and_why_not(rc, podman_env, busybox_image, own_runtime_services):
    result = rc("runtimes")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["CLASS", "FAMILY", "HANDLER", "USABLE", "DESCRIPTION", "/", "WHY", "NOT"]
    gvisor = next(line for line in lines if line.startswith("gvisor "))
    assert " no " in gvisor and "runsc not found on PATH" in gvisor
    runc = next(line for line in lines if line.startswith("runc "))
    assert " yes " in runc


def test_without_a_local_image_runtimes_cannot_probe_but_does_not_fail(
    rc, podman_env, busybox_image, own_runtime_services
):
    result = rc("runtimes", "--json", env={"RCONTAINER_PROBE_IMAGE": "localhost/rcontainer/not-here:latest"})
    assert result.code == 0, result.err
    by_name = {r["name"]: r for r in json.loads(result.out)}
    assert by_name["runc"]["usable"] is None
    assert by_name["runc"]["reason"].startswith("cannot probe: no local image (pull one")
    assert by_name["gvisor"]["usable"] is False  # known without probing
    # an unanswered probe is not cached: the next call tries again
    again = {r["name"]: r for r in json.loads(rc("runtimes", "--json").out)}
    assert again["runc"]["usable"] is True


def test_up_with_a_class_whose_binary_is_missing_exits_7_naming_it(
    rc, scope, busybox_image, tmp_path, own_runtime_services
):
    profile = tmp_path / "sandboxed.yaml"
    profile.write_text(
        f"name: sandboxed\nimage: {busybox_image}\nruntime: gvisor\ncommand: ['true']\nnetwork: none\n"
    )
    result = rc("up", str(profile))
    assert result.code == 7, (result.code, result.err)
    assert "runsc" in result.err
    assert "gvisor" in result.err
    assert "Traceback" not in result.err
    sandboxed = harness.container_name(scope, profile)
    assert harness.podman("container", "exists", sandboxed, check=False).returncode == 1


def test_up_with_a_class_a_probe_found_unusable_exits_7_before_starting_anything(
    rc, scope, busybox_image, tmp_path, own_runtime_services
):
    broken = tmp_path / "runc-broken"
    broken.write_text("#!/bin/bash\necho 'this runtime is broken' >&2\nexit 1\n")
    broken.chmod(0o755)
    declare_classes(f"broken:\n  runtime: {broken}\n")
    probed = {r["name"]: r for r in json.loads(rc("runtimes", "--json").out)}
    assert probed["broken"]["usable"] is False
    services = sorted((own_runtime_services / "rcontainer").glob("*.pid"))
    profile = tmp_path / "b.yaml"
    profile.write_text(
        f"name: b\nimage: {busybox_image}\nruntime: broken\ncommand: ['true']\nnetwork: none\n"
    )
    result = rc("up", str(profile))
    assert result.code == 7, (result.code, result.err)
    assert "runtime class 'broken' cannot run here: Podman said:" in result.err
    assert "runtimes --refresh" in result.err
    assert sorted((own_runtime_services / "rcontainer").glob("*.pid")) == services, "no service started"
    assert (
        harness.podman("container", "exists", harness.container_name(scope, profile), check=False).returncode
        == 1
    )
    assert "b" not in rc.ps("--all"), "no record made"
