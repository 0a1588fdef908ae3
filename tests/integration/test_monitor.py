"""Healthchecks and restarts without systemd: rcontainer's monitor, on the real rootless Podman and
real bubblewrap. No systemd user manager runs on these machines, so Podman's own healthcheck
timers never exist here: a healthcheck that passes is the monitor's doing."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests import harness

SLEEP = ["sleep", "1000"]


def write(folder: Path, name: str, image: str, **fields) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    body = {"name": name, "image": image, "pull": "never", "stop_timeout": 1, "command": SLEEP}
    body["network"] = {"mode": "none"}
    path.write_text(json.dumps({**body, **fields}))
    return path


def row(rc, name: str) -> dict:
    rows = {r["name"]: r for r in rc("ps", "-a", "--json").json()}
    return rows[name]


def until(what: str, probe, timeout: float = 20.0, interval: float = 0.3):
    """Call ``probe`` until it returns something true; that value (fails after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        time.sleep(interval)


def monitors(state_dir: str) -> list[int]:
    """Live monitor processes whose lock lies under this test's state folder."""
    found = []
    for lock in Path(state_dir).glob("**/_monitor.lock"):
        text = lock.read_text().strip()
        if text.isdigit() and not harness.process_gone(int(text)):
            found.append(int(text))
    return found


def every_monitor_process() -> list[int]:
    """Every process on the machine running the monitor module with this test's state folder."""
    mine = os.environ["RCONTAINER_STATE_DIR"].encode()
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or harness.process_gone(int(proc.name)):
            continue
        try:
            if (
                b"rcontainer.engine.monitor" in (proc / "cmdline").read_bytes()
                and mine in (proc / "environ").read_bytes()
            ):
                out.append(int(proc.name))
        except OSError:
            continue
    return out


HEALTHY = {"test": "echo all good; true", "interval": "1s", "retries": 2}


def test_health_becomes_healthy_with_no_systemd_and_no_one_waiting(rc, tmp_path, busybox_image, scope):
    # nothing depends on it: up does not wait for its health, the monitor runs its checks
    path = write(tmp_path / "solo", "web", busybox_image, healthcheck=HEALTHY)
    started = time.monotonic()
    rc("up", str(path)).ok()
    assert time.monotonic() - started < 10
    assert row(rc, "web")["health"] == "starting", "up returned before any check passed"
    seen = until("healthy", lambda: (r := row(rc, "web"))["health"] == "healthy" and r)
    assert seen["health_output"] == "all good"
    assert "running (healthy)" in rc("ps").ok().out
    info = rc("inspect", "--json", "web").json()
    assert info["health"] == "healthy" and info["health_output"] == "all good"
    driver = info["driven_by"]
    assert driver["by"] == "monitor" and driver["does"] == "healthcheck every 1s"
    pid = driver["pid"]
    assert pid in every_monitor_process()
    # detached: a session of its own, no terminal, its output in its log file
    assert os.getsid(pid) == pid
    assert os.readlink(f"/proc/{pid}/fd/0") == "/dev/null"
    assert os.readlink(f"/proc/{pid}/fd/1") == driver["log"]
    assert "monitor of project 'solo' started" in Path(driver["log"]).read_text()
    text = rc("inspect", "web").ok().out
    lines = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}
    assert lines["last check said"] == "all good"
    assert lines["driven by"].startswith(f"rcontainer's monitor (pid {pid}; healthcheck every 1s;")


def test_a_failing_check_becomes_unhealthy_with_its_output(rc, tmp_path, busybox_image, scope):
    check = {"test": "echo database is down; false", "interval": "1s", "retries": 2}
    rc("up", str(write(tmp_path / "sick", "db", busybox_image, healthcheck=check))).ok()
    seen = until("unhealthy", lambda: (r := row(rc, "db"))["health"] == "unhealthy" and r)
    assert seen["health_output"] == "database is down"
    assert seen["state"] == "running"


def test_one_monitor_per_project_and_it_exits_when_the_project_is_down(
    rc, tmp_path, busybox_image, scope, isolated_dirs
):
    folder = tmp_path / "shop"
    write(folder, "db", busybox_image, healthcheck=HEALTHY)
    write(folder, "web", busybox_image, healthcheck=HEALTHY)
    rc("up", str(folder)).ok()
    state = str(isolated_dirs["RCONTAINER_STATE_DIR"])
    pids = until("a monitor", lambda: monitors(state))
    assert len(pids) == 1
    rc("up", str(folder)).ok()  # a second up finds it running
    rc("restart", "-p", "shop").ok()
    time.sleep(1)
    assert every_monitor_process() == pids, "still one monitor, the same"
    until("both healthy", lambda: {r["health"] for r in rc("ps", "--json").json()} == {"healthy"})
    rc("down", str(folder)).ok()
    until("the monitor gone", lambda: harness.process_gone(pids[0]), timeout=10)
    assert every_monitor_process() == []


def test_a_project_without_healthchecks_gets_no_monitor(rc, tmp_path, busybox_image, scope):
    # Podman restarts containers itself: restart alone needs no monitor there
    rc("up", str(write(tmp_path / "plain", "app", busybox_image, restart="always"))).ok()
    info = rc("inspect", "--json", "app").json()
    assert info["driven_by"] == {"by": "runtime", "how": "the podman runtime restarts it itself"}
    time.sleep(0.5)
    assert every_monitor_process() == []


def test_podman_restarts_an_always_container_that_exits_but_not_after_stop(
    rc, tmp_path, busybox_image, scope
):
    path = write(
        tmp_path / "loop",
        "job",
        busybox_image,
        command=["sh", "-c", "sleep 3; exit 3"],
        restart="always",
        healthcheck=HEALTHY,
    )
    rc("up", str(path)).ok()
    first = row(rc, "job")["started_at"]
    until("restarted", lambda: (r := row(rc, "job"))["state"] == "running" and r["started_at"] != first)
    info = rc("inspect", "--json", "job").json()
    assert info["driven_by"]["does"] == "healthcheck every 1s, restart: always (by podman itself)"
    assert rc("stop", "job").ok().out.strip() == "job: stopped"  # while it runs (3 s each time)
    time.sleep(4)
    assert row(rc, "job")["state"] == "stopped", "a user's stop is not undone"
    until("the monitor gone", lambda: every_monitor_process() == [], timeout=10)


def bwrap_profile(tmp_path: Path, image: str, name: str, **fields) -> Path:
    return write(tmp_path / "bw", name, image, runtime="bwrap", **fields)


def test_the_monitor_restarts_a_bwrap_container_that_exits(rc, tmp_path, busybox_image, scope):
    path = bwrap_profile(
        tmp_path, busybox_image, "worker", command=["sh", "-c", "sleep 1; exit 3"], restart="always"
    )
    rc("up", str(path)).ok()
    info = rc("inspect", "--json", "worker").json()
    assert info["driven_by"]["by"] == "monitor" and info["driven_by"]["does"] == "restart: always"

    def restarts() -> list[dict]:
        return [t for t in rc("history", "--json", "worker").json() if t["by"] == "monitor"]

    done = until("two restarts by the monitor", lambda: len(r := restarts()) >= 2 and r, timeout=30)
    assert done[0]["to"] == "running" and "exited with code 3" in done[0]["note"]
    rc("down", str(path)).ok()
    until("the monitor gone", lambda: every_monitor_process() == [], timeout=10)


def test_on_failure_stops_restarting_after_its_retries(rc, tmp_path, busybox_image, scope):
    path = bwrap_profile(
        tmp_path, busybox_image, "flaky", command=["sh", "-c", "exit 5"], restart="on-failure:2"
    )
    rc("up", str(path)).ok()
    until(
        "given up",
        lambda: every_monitor_process() == [] and row(rc, "flaky")["state"] == "stopped",
        timeout=30,
    )
    history = rc("history", "--json", "flaky").json()
    assert len([t for t in history if t["by"] == "monitor"]) == 2
    assert row(rc, "flaky")["exit_code"] == 5


def test_a_stopped_bwrap_container_is_not_restarted(rc, tmp_path, busybox_image, scope):
    path = bwrap_profile(tmp_path, busybox_image, "svc", restart="always")
    rc("up", str(path)).ok()
    pid = until("a monitor", lambda: rc("inspect", "--json", "svc").json()["driven_by"]["pid"])
    rc("stop", "svc").ok()
    until("the monitor gone", lambda: harness.process_gone(pid), timeout=10)
    time.sleep(2)
    assert row(rc, "svc")["state"] == "stopped"
    assert [t["by"] for t in rc("history", "--json", "svc").json()][-1] == "rcontainer"
    rc("start", "svc").ok()  # started again by hand: watched again
    assert until("a new monitor", lambda: rc("inspect", "--json", "svc").json()["driven_by"]["pid"]) != pid
