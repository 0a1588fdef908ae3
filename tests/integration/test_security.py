"""Security guarantees that need the real runtime: each test reproduces an attack or a silent
failure found by a review (issue 14) and checks it is closed, on real rootless Podman and real
bubblewrap."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests import harness

SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]


@pytest.fixture
def write(busybox_profile, scope: str):
    def write(name: str = "sec", runtime: str = "default", **fields) -> Path:
        return busybox_profile(name, **{"runtime": runtime, "command": SLEEPER, "stop_timeout": 1, **fields})

    return write


@pytest.mark.parametrize("runtime", ["default", "bwrap"])
def test_a_bind_source_swapped_for_a_symlink_to_home_is_refused_at_start(rc, write, tmp_path, runtime):
    work = tmp_path / "work"
    (work / "shared").mkdir(parents=True)
    path = write(runtime=runtime, volumes=[f"{work / 'shared'}:/data"])
    rc("up", str(path)).ok()
    rc("stop", "sec").ok()
    # something that can write into work/ swaps the folder for a symlink to the whole home
    (work / "shared").rmdir()
    (work / "shared").symlink_to(Path.home())
    result = rc("start", "sec")
    assert result.code == 2, result.err
    assert "now resolves to" in result.err and str(Path.home()) in result.err
    assert rc("inspect", "sec", "--json").json()["state"] == "stopped"


def test_resource_limits_that_cannot_be_enforced_are_said_on_every_up(rc, write):
    info = json.loads(harness.podman("info", "--format", "json").stdout)
    host = info["host"]
    unenforced = host.get("cgroupVersion") == "v1" or not {"memory", "pids", "cpu"} <= set(
        host.get("cgroupControllers") or []
    )
    path = write(resources={"pids": 50})
    for _ in range(2):
        result = rc("up", str(path)).ok()
        assert ("resources.pids not enforced" in result.err) == unenforced, result.err
    shown = rc("inspect", "sec", "--json").json()["resources"]
    assert shown["pids"] == 50 and shown["enforced"] is (not unenforced)
    if unenforced:
        required = write(name="req", resources={"pids": 50, "required": True})
        result = rc("up", str(required))
        assert result.code == 7, result.err
        assert "cannot be enforced here" in result.err


def test_a_second_state_folder_does_not_take_over_a_running_container(rc, write, tmp_path):
    path = write()
    rc("up", str(path)).ok()
    before = rc("inspect", "sec", "--json").json()["id"]
    other = {"RCONTAINER_STATE_DIR": str(tmp_path / "other-state")}
    result = rc("up", str(path), env=other)
    assert result.code == 1, result.err
    assert "belongs to the rcontainer state folder" in result.err
    assert os.environ["RCONTAINER_STATE_DIR"] in result.err
    after = rc("inspect", "sec", "--json").json()
    assert (after["id"], after["state"]) == (before, "running"), "the first folder's container is untouched"


def test_a_half_made_container_left_in_storage_does_not_block_the_name(rc, write, scope, busybox_image):
    """Killing the Podman service in the middle of ``up`` can leave a container that only
    containers/storage knows (written to storage, never to Podman's database): the API cannot
    see it, yet it holds the name. Made here exactly as such a kill leaves it."""
    info = json.loads(harness.podman("info", "--format", "json").stdout)["store"]
    image_id = harness.podman("image", "inspect", "--format", "{{.Id}}", busybox_image).stdout.strip()
    name = harness.container_name(scope, write())  # the name rcontainer gives sec's container
    harness.podman(
        "unshare",
        "containers-storage",
        "--storage-driver",
        info["graphDriverName"],
        "--graph",
        info["graphRoot"],
        "--run",
        info["runRoot"],
        "create-container",
        "--name",
        name,
        image_id,
    )
    assert name not in harness.podman("ps", "-a", "--format", "{{.Names}}").stdout, "invisible to Podman"
    result = rc("up", str(write())).ok()
    assert "half-made container" in result.err
    assert json.loads(rc("inspect", "sec", "--json").ok().out)["state"] == "running"


@pytest.mark.parametrize("runtime", ["default", "bwrap"])
def test_a_container_printing_without_end_cannot_fill_the_disk_with_its_log(rc, write, runtime):
    line = "0123456789abcdef" * 4
    path = write(runtime=runtime, command=["sh", "-c", f"while true; do echo {line}; done"])
    rc("up", str(path), env={"RCONTAINER_LOG_MAX_SIZE": "64k"}).ok()
    log = Path(json.loads(rc("inspect", "sec", "--json").ok().out)["log_path"])
    harness.wait_until(lambda: log.exists() and log.stat().st_size > 32 * 1024, 20, "the log to grow")
    sizes = []
    for _ in range(10):  # a few MB are printed meanwhile
        time.sleep(0.3)
        sizes.append(log.stat().st_size)
    # the cap, plus what one read of the container's output may add before the check
    assert max(sizes) <= 2 * 64 * 1024 + 8192, sizes
    # and the log still reads (Podman's conmon starts the file afresh at the cap, so a read can
    # fall on a moment when the new file is still empty: the next one has lines)
    harness.wait_until(lambda: rc("logs", "--tail", "1", "sec").ok().out.strip() == line, 10, "a log line")
