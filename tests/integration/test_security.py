"""Security guarantees that need the real runtime: each test reproduces an attack or a silent
failure found by a review (issue 14) and checks it is closed, on real rootless Podman and real
bubblewrap."""

from __future__ import annotations

import json
import os
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
