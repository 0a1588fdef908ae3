"""The hot paths (issue 19) import what they run, and no more: no podman-py, no platformdirs,
no click for an ``exec``, no yaml unless a profile is read (then with libyaml's C loader), no engine operation they do
not run; and every one stays under 40 MB of peak memory. Measured in the real CLI against the
real Podman service and real bubblewrap."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Runs the CLI as ``rcontainer ARGS`` does, then says which modules it loaded and its peak RSS.
REPORT = """
import atexit, json, sys
def report():
    mods = sorted(m for m in sys.modules if m.split(".")[0] in ("podman", "requests", "yaml", "_yaml",
        "platformdirs", "click", "dataclasses", "shutil", "subprocess", "tempfile", "threading", "platform",
        "uuid", "difflib") or m.startswith(("rcontainer.engine.", "rcontainer.cli.", "rcontainer.backends.")))
    # VmHWM, not getrusage's ru_maxrss: that one starts at the RSS of the process that forked
    # this one (pytest's, tens of MB) and keeps it across exec
    rss = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
    sys.stderr.write("REPORT=" + json.dumps({"modules": mods, "rss_kb": rss}) + "\\n")
atexit.register(report)
from rcontainer.cli import main
main(sys.argv[1:])
"""

HEAVY = ("podman", "requests", "platformdirs")
# standard modules a command pays for only when it runs what needs them: shutil (with bz2 and
# lzma: copying or deleting trees), subprocess (starting a program), tempfile (random, shutil)
SPAWNING = ("shutil", "subprocess", "tempfile")
# the Podman backend's modules of the operations ps, stop, rm and exec do not run
PODMAN_OTHERS = tuple(
    f"rcontainer.backends.podman.{m}"
    for m in ("images", "volumes", "networks", "spec", "compat", "freeze", "orphans")
)
# the engine's operations, by the commands that run them
BUILDING = ("rcontainer.engine.create", "rcontainer.engine.plan", "rcontainer.engine.up")
PROJECTS = ("rcontainer.engine.project", "rcontainer.engine.depends")


def loaded(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", REPORT, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    line = next(line for line in proc.stderr.splitlines() if line.startswith("REPORT="))
    return json.loads(line.removeprefix("REPORT="))


def top(modules: list[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


@pytest.fixture
def running(rc, busybox_profile, scope):
    podman_class = busybox_profile("hp", command=["sleep", "1000"], stop_timeout=0)
    bwrap_class = busybox_profile("hb", runtime="bwrap", command=["sleep", "1000"], stop_timeout=0)
    rc("up", str(podman_class)).ok()
    rc("up", str(bwrap_class)).ok()
    return podman_class, bwrap_class


def test_ps_loads_neither_podman_py_nor_yaml_nor_the_operations_it_does_not_run(running):
    seen = loaded("ps", "--all")  # not even click: the fast path (rcontainer.cli.fast) reads it
    # nor dataclasses: the classes every command loads are plain (rcontainer.values)
    assert not top(seen["modules"]) & {*HEAVY, "yaml", "_yaml", "click", "dataclasses"}, seen["modules"]
    assert not set(seen["modules"]) & {
        *BUILDING,
        *PROJECTS,
        "rcontainer.cli.containers",
        "rcontainer.cli.exec",
    }
    # one list call: no other operation's module, no monitor, nothing that spawns or copies
    unused = {*SPAWNING, *PODMAN_OTHERS, "rcontainer.engine.monitor_ctl"}
    assert not set(seen["modules"]) & unused, seen["modules"]
    assert seen["rss_kb"] < 40 * 1024


@pytest.mark.parametrize("name", ["hp", "hb"])
def test_exec_loads_only_what_an_exec_needs(running, name):
    seen = loaded("exec", name, "true")
    # not even click: the fast path (rcontainer.cli.fast) reads exec's common forms
    assert not top(seen["modules"]) & {*HEAVY, "yaml", "_yaml", "click", "dataclasses"}, seen["modules"]
    assert not set(seen["modules"]) & {*BUILDING, *PROJECTS, "rcontainer.engine.queries"}
    if name == "hb":  # a bubblewrap container: not even the Podman backend
        assert "rcontainer.backends.podman.backend" not in seen["modules"]
    # joining a running container: no create/start/remove modules, no threads, no uuid (click's)
    assert not set(seen["modules"]) & {
        *SPAWNING,
        *PODMAN_OTHERS,
        "threading",
        "platform",
        "uuid",
        "rcontainer.engine.devshell",
        "rcontainer.backends.bwrap.launch",
        "rcontainer.backends.bwrap.rootfs",
    }, seen["modules"]
    assert seen["rss_kb"] < 40 * 1024
    seen = loaded("shell", name, "-c", "true")  # entering a running box: no click either
    assert not top(seen["modules"]) & {*HEAVY, "yaml", "_yaml", "click"}, seen["modules"]
    assert seen["rss_kb"] < 40 * 1024


def test_up_reads_the_profile_with_libyaml_once_and_down_reads_none(running, busybox_profile):
    podman_class, _ = running
    seen = loaded("up", str(podman_class))  # up to date: nothing to do, and parsed before
    assert not top(seen["modules"]) & {*HEAVY, "click", "yaml", "_yaml", "dataclasses"}, seen["modules"]
    assert not set(seen["modules"]) & set(PROJECTS)
    # up to date: nothing created, so none of create's helpers; no program run, no suggestion made
    assert not set(seen["modules"]) & {
        *SPAWNING,
        "difflib",
        "rcontainer.engine.cleanup",
        "rcontainer.engine.devshell",
        "rcontainer.engine.volumes",
    }, seen["modules"]
    assert seen["rss_kb"] < 40 * 1024
    fresh = busybox_profile("hf", command=["sleep", "1000"], stop_timeout=0, labels={"new": "text"})
    seen = loaded("up", "--dry-run", str(fresh))  # a text never parsed: PyYAML's C loader
    assert "yaml._yaml" in seen["modules"] or "_yaml" in seen["modules"]
    seen = loaded("down", "hp")  # (it asks whether "hp" names a project: rcontainer.engine.project)
    assert not top(seen["modules"]) & {*HEAVY, "yaml", "_yaml", "click", "dataclasses"}, seen["modules"]
    assert not set(seen["modules"]) & set(BUILDING)
    # one DELETE: no other operation's module, no project scheduler, nothing spawned or copied
    unused = {*SPAWNING, *PODMAN_OTHERS, "rcontainer.engine.depends"}
    assert not set(seen["modules"]) & unused, seen["modules"]
    assert seen["rss_kb"] < 40 * 1024
    seen = loaded("rm", "-f", "hb")  # a bubblewrap container: not even the Podman backend
    assert not top(seen["modules"]) & {*HEAVY, "yaml", "_yaml", "click", "dataclasses"}, seen["modules"]
    assert "rcontainer.backends.podman.backend" not in seen["modules"]
    assert seen["rss_kb"] < 40 * 1024
