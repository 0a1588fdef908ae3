"""The monitor's decisions (what it owes a container, when, whether to restart it) and its loop,
against rcontainer's in-memory backend: pure logic only. The real monitor process, on real
Podman and bubblewrap, is tested in tests/integration/test_monitor.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rcontainer.backends.base import Capabilities
from rcontainer.container import Record, State
from rcontainer.engine import store, watch
from rcontainer.engine.core import Engine
from rcontainer.engine.monitor import Monitor
from tests.unit.fake_backend import FakeBackends

PODMAN_LIKE = Capabilities(pause_method="signal", orphans=True, healthchecks=True, restarts=True)
BWRAP_LIKE = Capabilities(pause_method="signal", orphans=False, healthchecks=False, restarts=False)
HC = {"test": "true", "interval": 5.0}


def rec(
    state: State = State.RUNNING, transitions: list[dict] | None = None, exit_code=None, **profile
) -> Record:
    return Record(
        name="c",
        project="p",
        state=state,
        profile=profile,
        transitions=transitions or [],
        exit_code=exit_code,
    )


def tr(to: str, by: str, frm: str | None = None, at: str = "2026-12-01T00:00:00.000+00:00") -> dict:
    return {"at": at, "from": frm, "to": to, "by": by}


def test_what_the_monitor_owes_a_container_depends_on_the_family():
    assert watch.duty(rec(healthcheck=HC), PODMAN_LIKE) == watch.Duty("p/c", 5.0, "no", None, "no")
    # Podman restarts containers itself: a restart policy alone owes the monitor nothing
    assert watch.duty(rec(restart="always"), PODMAN_LIKE) is None
    assert watch.duty(rec(restart="on-failure:3"), BWRAP_LIKE) == watch.Duty(
        "p/c", None, "on-failure", 3, "on-failure"
    )
    assert watch.duty(rec(healthcheck=HC), BWRAP_LIKE) is None, "a family without healthchecks"
    assert watch.duty(rec(), PODMAN_LIKE) is None
    under_unit = rec(healthcheck=HC, restart="always")
    under_unit.driver = "systemd"
    assert watch.duty(under_unit, BWRAP_LIKE) is None and watch.duty(under_unit, PODMAN_LIKE) is None


@pytest.mark.parametrize(
    ("policy", "code", "made", "most", "restart"),
    [
        ("always", 0, 10, None, True),
        ("unless-stopped", 1, 0, None, True),
        ("on-failure", 1, 0, None, True),
        ("on-failure", 0, 0, None, False),
        ("on-failure", 2, 2, 3, True),
        ("on-failure", 2, 3, 3, False),
        ("no", 1, 0, None, False),
    ],
)
def test_should_restart_follows_the_policy(policy, code, made, most, restart):
    assert watch.should_restart(policy, code, made, most) is restart


def test_a_users_stop_is_never_undone_and_an_exit_is_restarted():
    d = watch.duty(rec(restart="always"), BWRAP_LIKE)
    started = tr("running", "rcontainer", "created")
    exited = rec(
        State.STOPPED, [started, tr("stopped", "observed", "running")], exit_code=0, restart="always"
    )
    stopped = rec(
        State.STOPPED, [started, tr("stopped", "rcontainer", "running")], exit_code=0, restart="always"
    )
    assert watch.live(d, exited) and not watch.user_stopped(exited)
    assert not watch.live(d, stopped) and watch.user_stopped(stopped)
    assert not watch.live(d, rec(State.REMOVED, [started, tr("removed", "rcontainer", "running")]))


def test_on_failure_counts_the_monitors_restarts_since_the_last_start_by_hand():
    history = [tr("running", "rcontainer", "created")]
    for _ in range(2):
        history += [tr("stopped", "observed", "running"), tr("running", "monitor", "stopped")]
    history.append(tr("stopped", "observed", "running"))
    failed = rec(State.STOPPED, history, exit_code=1, restart="on-failure:2")
    assert watch.restarts_made(failed) == 2
    assert not watch.live(watch.duty(failed, BWRAP_LIKE), failed), "two restarts made: given up"
    history.append(tr("running", "rcontainer", "stopped"))  # started again by hand: counts afresh
    assert watch.restarts_made(rec(State.RUNNING, history)) == 0


def test_a_container_the_runtime_restarts_is_watched_only_while_the_restart_is_due():
    exited_at = datetime(2026, 12, 1, tzinfo=UTC)
    history = [
        tr("running", "rcontainer", "created"),
        tr("stopped", "observed", "running", at=exited_at.isoformat()),
    ]
    exited = rec(State.STOPPED, history, exit_code=1, restart="always", healthcheck=HC)
    d = watch.duty(exited, PODMAN_LIKE)
    assert watch.live(d, exited, exited_at + timedelta(seconds=2))
    assert not watch.live(d, exited, exited_at + timedelta(seconds=watch.SETTLE + 1))
    clean = rec(State.STOPPED, history, exit_code=0, restart="on-failure", healthcheck=HC)
    assert not watch.live(watch.duty(clean, PODMAN_LIKE), clean, exited_at), "on-failure after exit 0"


def test_the_schedule_gives_the_earliest_and_a_new_time_replaces_the_old():
    s = watch.Schedule()
    s.put("a", 10.0)
    s.put("b", 5.0)
    s.put("a", 3.0)
    assert s.next() == 3.0
    assert s.due(4.0) == ["a"]
    assert s.next() == 5.0 and s.due(4.0) == []
    s.drop("b")
    assert s.next() is None and s.keys() == set()


def test_restart_delays_grow_and_are_capped():
    assert [watch.restart_delay(n) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]


def write_profile(folder: Path, name: str, **fields) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    image = "localhost/rcontainer/busybox:latest"
    path.write_text(json.dumps({"name": name, "image": image, "pull": "never", **fields}))
    return path


def engine_over_fake(caps: Capabilities) -> tuple[Engine, FakeBackends]:
    backends = FakeBackends()
    backends.fake.capabilities = caps  # type: ignore[misc]
    return Engine(backends=backends), backends  # type: ignore[arg-type]


def test_the_loop_restarts_an_exited_container_after_its_delay_and_leaves_a_stopped_one(tmp_path):
    eng, backends = engine_over_fake(BWRAP_LIKE)
    eng.up(str(write_profile(tmp_path / "p", "c", restart="always")))
    assert not eng.monitored, "an engine over other backends starts no monitor process"
    mon = Monitor(eng, "p", clock=lambda: 0.0)
    assert mon.sync(0.0) and mon.step(0.0) == watch.EXIT_LOOK
    backends.fake.states["p/c"] = State.STOPPED  # it exits by itself
    backends.fake.exit_codes["p/c"] = 3
    assert mon.step(1.0) == 1.0 + watch.restart_delay(0)
    assert backends.fake.calls.count("start c") == 1, "not yet: after its delay"
    mon.step(1.5)
    assert backends.fake.calls.count("start c") == 2
    last = store.load("p/c").transitions[-1]
    assert (last["to"], last["by"]) == ("running", "monitor")
    assert last["note"] == "restart: always; it exited with code 3"
    eng.stop("p/c")
    assert not mon.sync(2.0), "stopped by the user: nothing left to watch"


def test_the_loop_runs_healthchecks_on_their_interval(tmp_path):
    eng, backends = engine_over_fake(PODMAN_LIKE)
    eng.up(str(write_profile(tmp_path / "p", "c", healthcheck={"test": "true", "interval": "5s"})))
    clock = iter([100.0])
    mon = Monitor(eng, "p", clock=lambda: next(clock))
    mon.sync(0.0)
    assert mon.step(0.0) == watch.FIRST_CHECK, "the first check comes soon"
    assert "healthcheck c" not in backends.fake.calls
    assert mon.step(1.0) == 105.0, "then one interval after the check"
    assert backends.fake.calls.count("healthcheck c") == 1
    assert mon.step(50.0) == 105.0, "nothing due: nothing done"
    assert backends.fake.calls.count("healthcheck c") == 1


def test_a_kill_counts_as_a_users_stop(tmp_path):
    eng, backends = engine_over_fake(BWRAP_LIKE)
    eng.up(str(write_profile(tmp_path / "p", "c", restart="always")))
    eng.kill("p/c")
    last = store.load("p/c").transitions[-1]
    assert (last["to"], last["by"], last["note"]) == ("stopped", "rcontainer", "killed with SIGKILL")
    assert not Monitor(eng, "p").sync(0.0), "not restarted, as Podman does not restart what it killed"
