"""The lifecycle on real runtimes: every state, every legal and illegal transition.

Each test runs the real CLI in a subprocess, as a user would, against the session's rootless
Podman service; the same tests run for the bubblewrap family (``runtime`` parameter).
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import pytest

from tests import harness

COUNTER = 'i=0; while true; do i=$$((i+1)); echo "tick $$i"; sleep 0.2; done'


@pytest.fixture(params=["default", "bwrap"])
def runtime(request) -> str:
    return request.param


@pytest.fixture
def profile(busybox_profile, scope: str, runtime: str):
    """Write a profile for this test; returns a function taking overrides."""

    def write(name: str = "app", **fields) -> Path:
        return busybox_profile(
            name, **{"command": ["sh", "-c", COUNTER], "stop_timeout": 1, "runtime": runtime, **fields}
        )

    return write


def state_of(rc, name: str) -> str:
    return rc.ps("--all")[name]["state"]


def ticks(rc, name: str) -> int:
    out = rc("logs", name).out.split()
    return int(out[-1]) if out else 0


def test_up_creates_and_starts_then_is_idempotent(rc, profile):
    path = profile()
    first = rc("up", "--json", str(path)).json()
    assert first["action"] == "create" and first["done"]
    assert state_of(rc, "app") == "running"
    container_id = rc.ps("--all")["app"]["id"]
    second = rc("up", "--json", str(path)).json()
    assert second["action"] == "none"
    assert rc.ps("--all")["app"]["id"] == container_id, "an unchanged profile must keep the same container"


def test_up_recreates_when_the_profile_changes_and_names_the_fields(rc, profile):
    rc("up", str(profile(env={"COLOR": "red"}))).ok()
    old_id = rc.ps("--all")["app"]["id"]
    changed = profile(env={"COLOR": "blue"})
    plan = rc("up", "--dry-run", str(changed)).ok()
    assert "would recreate" in plan.out and "env.COLOR" in plan.out
    assert rc.ps("--all")["app"]["id"] == old_id, "--dry-run must change nothing"
    result = rc("up", str(changed)).ok()
    assert "recreated" in result.out and "env.COLOR" in result.out
    assert rc.ps("--all")["app"]["id"] != old_id
    assert state_of(rc, "app") == "running"
    forced = rc("up", "--json", "--force-recreate", str(changed)).json()
    assert forced["action"] == "recreate"
    notes = [t.get("note") for t in rc("history", "--json", "app").json() if t["to"] == "removed"]
    assert notes == ["recreated: env.COLOR", "recreated: --force-recreate"]


def test_walk_through_every_state(rc, profile):
    path = profile()
    rc("create", str(path)).ok()
    assert state_of(rc, "app") == "created"
    rc("start", "app").ok()
    assert state_of(rc, "app") == "running"
    rc("pause", "app").ok()
    assert state_of(rc, "app") == "paused"
    rc("unpause", "app").ok()
    assert state_of(rc, "app") == "running"
    assert rc("stop", "app").ok().out == "app: stopped\n"
    assert state_of(rc, "app") == "stopped"
    rc("start", "app").ok()
    assert state_of(rc, "app") == "running"
    rc("restart", "app").ok()
    assert state_of(rc, "app") == "running"
    rc("stop", "-t", "0", "app").ok()
    rc("rm", "app").ok()
    assert state_of(rc, "app") == "removed"
    assert "app" not in rc.ps(), "ps without --all hides removed containers"
    history = rc("history", "--json", "app").json()
    walked = [(t["from"], t["to"]) for t in history]
    assert walked == [
        (None, "created"),
        ("created", "running"),
        ("running", "paused"),
        ("paused", "running"),
        ("running", "stopped"),
        ("stopped", "running"),
        ("running", "stopped"),
        ("stopped", "running"),
        ("running", "stopped"),
        ("stopped", "removed"),
    ]
    assert all(t["by"] == "rcontainer" and t["at"] for t in history)


@pytest.mark.parametrize(
    ("setup", "op", "state"),
    [
        (["create"], ["pause"], "created"),
        (["up"], ["unpause"], "running"),
        (["up", "stop"], ["pause"], "stopped"),
        (["up", "pause"], ["stop"], "paused"),
        (["up", "pause"], ["pause"], "paused"),
        (["up"], ["rm"], "running"),
        (["up", "down"], ["start"], "removed"),
        (["up", "down"], ["pause"], "removed"),
    ],
)
def test_illegal_transitions_are_refused_naming_the_state(rc, profile, setup, op, state):
    path = profile()
    for step in setup:
        (rc(step, str(path)) if step in ("up", "create") else rc(step, "app")).ok()
    before = state_of(rc, "app")
    result = rc(*op, "app")
    assert result.code == 4, result.err
    assert f"it is {state}" in result.err
    assert "Traceback" not in result.err and "Podman said" not in result.err
    assert state_of(rc, "app") == before


@pytest.mark.parametrize(
    ("setup", "op", "said"), [(["up"], "start", "running"), (["up", "stop"], "stop", "stopped")]
)
def test_start_of_a_running_and_stop_of_a_stopped_container_succeed_saying_so(rc, profile, setup, op, said):
    # as Podman's do (exit 0): a script that makes sure a container runs must not fail because it does
    path = profile()
    for step in setup:
        (rc(step, str(path)) if step == "up" else rc(step, "app")).ok()
    before = rc("history", "--json", "app").json()
    result = rc(op, "app").ok()
    assert result.out == f"app: already {said}\n"
    assert rc("history", "--json", "app").json() == before, "nothing happened"


def test_pause_freezes_every_process_and_unpause_resumes(rc, profile):
    # two processes: the counter, and a child shell that writes its own ticks
    path = profile(
        command=["sh", "-c", "(while true; do echo child >/dev/null; sleep 0.1; done) & " + COUNTER]
    )
    rc("up", str(path)).ok()
    harness.wait_until(lambda: ticks(rc, "app") >= 3, 20, "the counter to tick")
    rc("pause", "app").ok()
    frozen = ticks(rc, "app")
    time.sleep(1.5)
    assert ticks(rc, "app") == frozen, "the counter advanced while paused"
    method = rc("inspect", "--json", "app").json()["pause_method"]
    assert method in ("freezer", "signal")
    assert rc("unpause", "app").ok().out == "app: unpaused (running)\n"
    harness.wait_until(lambda: ticks(rc, "app") > frozen + 2, 20, "the counter to resume")
    assert rc.ps()["app"]["uptime_seconds"] >= 1.5, "uptime counts from the start, not the unpause"


def test_inspect_says_how_pause_works_on_this_host(rc, profile, podman_env, runtime):
    rc("up", str(profile())).ok()
    rc("pause", "app").ok()
    data = rc("inspect", "--json", "app").json()
    cgroup = harness.podman("info", "--format", "{{.Host.CgroupsVersion}}").stdout.strip()
    # rootless Podman cannot pause on cgroup v1, and bwrap needs a delegated v2 cgroup:
    # rcontainer falls back to stopping every process
    if cgroup == "v1":
        assert data["pause_method"] == "signal"
    else:
        assert data["pause_method"] in (("freezer", "signal") if runtime == "bwrap" else ("freezer",))
    assert "pause method:" in rc("inspect", "app").ok().out
    rc("unpause", "app").ok()


def test_logs_outlive_the_container(rc, profile):
    rc("up", str(profile())).ok()
    harness.wait_until(lambda: ticks(rc, "app") >= 3, 20, "output")
    rc("down", "app").ok()
    assert state_of(rc, "app") == "removed"
    lines = rc("logs", "app").ok().out.splitlines()
    assert lines[:3] == ["tick 1", "tick 2", "tick 3"]
    assert rc("logs", "--tail", "1", "app").ok().out.splitlines() == lines[-1:]
    assert rc("logs", "--since", "1h", "app").ok().out.splitlines() == lines
    assert rc("logs", "--since", "2999-01-01T00:00:00", "app").ok().out == ""


def test_logs_follow_ends_when_the_container_stops(rc, profile):
    rc("up", str(profile(command=["sh", "-c", "for i in 1 2 3; do echo line $$i; sleep 0.3; done"]))).ok()
    result = rc("logs", "-f", "app", timeout=60).ok()
    assert result.out.splitlines() == ["line 1", "line 2", "line 3"]


def test_transitions_made_outside_rcontainer_are_noticed(rc, profile, runtime):
    rc("up", str(profile())).ok()
    rec = rc("inspect", "--json", "app").json()
    if runtime == "bwrap":
        os.kill(rec["pid"], signal.SIGKILL)  # no daemon: kill the container's init from outside
    else:
        harness.podman("stop", "-t", "0", rec["id"])
    assert state_of(rc, "app") == "stopped"
    last = rc("history", "--json", "app").json()[-1]
    assert (last["from"], last["to"], last["by"]) == ("running", "stopped", "observed")


def test_kill_sends_a_signal_and_wait_reports_the_exit_code(rc, profile):
    path = profile(command=["sh", "-c", "trap 'exit 3' USR1; while true; do sleep 0.1; done"])
    rc("up", str(path)).ok()
    waited = rc("wait", "--timeout", "0.5", "app")
    assert (waited.code, waited.err) == (1, "rcontainer: error: app: still running after 0.5s\n")
    assert rc("inspect", "--json", "app").json()["exit_code"] is None, "no exit code while running"
    rc("kill", "-s", "USR1", "app").ok()
    assert rc("wait", "app").ok().out.strip() == "3"
    assert state_of(rc, "app") == "stopped"
    assert rc.ps("--all")["app"]["exit_code"] == 3


def test_exec_runs_in_the_running_container(rc, profile):
    rc("up", str(profile(env={"WHO": "inside"}))).ok()
    result = rc("exec", "app", "sh", "-c", "echo $WHO; cat /etc/passwd | head -1").ok()
    assert result.out.splitlines() == ["inside", "root:x:0:0:root:/root:/bin/sh"]
    failing = rc("exec", "app", "sh", "-c", "exit 7")
    assert failing.code == 7


def test_ps_lists_state_runtime_profile_and_uptime(rc, profile, runtime):
    path = profile()
    rc("up", str(path)).ok()
    row = rc.ps("--all")["app"]
    assert row["state"] == "running"
    assert row["runtime"] == runtime
    assert row["profile"] == str(path)
    assert row["uptime_seconds"] is not None and row["uptime_seconds"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", row["started_at"]), row["started_at"]
    rc("create", str(profile("never")))
    assert rc.ps()["never"]["started_at"] is None
    text = rc("ps").ok().out
    assert text.splitlines()[0].split()[:4] == ["NAME", "PROJECT", "STATE", "RUNTIME"]
    assert "app" in text


def test_unknown_container_is_a_clear_error(rc, scope):
    result = rc("stop", "nosuch")
    assert result.code == 3
    assert "no container named 'nosuch'" in result.err


def test_events_show_transitions_live_including_outside_ones(rc, profile, runtime):
    import subprocess
    import sys

    events = subprocess.Popen(
        [sys.executable, "-m", "rcontainer", "events", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1)  # let it start following the journal
        rc("up", str(profile())).ok()
        rc("stop", "app").ok()
        rc("start", "app").ok()
        rec = rc("inspect", "--json", "app").json()
        if runtime == "bwrap":
            os.kill(rec["pid"], signal.SIGKILL)
        else:
            harness.podman("stop", "-t", "0", rec["id"])
        seen: list[tuple] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(seen) < 5:
            line = events.stdout.readline()
            if line:
                e = json.loads(line)
                seen.append((e["name"], e["from"], e["to"], e["by"]))
    finally:
        events.terminate()
        events.wait(10)
    assert seen == [
        ("app", None, "created", "rcontainer"),
        ("app", "created", "running", "rcontainer"),
        ("app", "running", "stopped", "rcontainer"),
        ("app", "stopped", "running", "rcontainer"),
        ("app", "running", "stopped", "observed"),
    ]
