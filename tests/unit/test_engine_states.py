"""The engine's state machine, every operation from every state, against an in-memory backend.

The expected table is written out here on purpose, not derived from ``LEGAL``: a change to the
rules must change this test too."""

from __future__ import annotations

import pytest

from rcontainer.backends.base import ExecOptions
from rcontainer.container import Record, State
from rcontainer.engine import store
from rcontainer.engine.core import Engine
from rcontainer.errors import IllegalTransition
from tests.unit.fake_backend import FakeBackends

C, R, P, S, X = State.CREATED, State.RUNNING, State.PAUSED, State.STOPPED, State.REMOVED
ILLEGAL = "illegal"

# operation -> {state it starts from: state it ends in, or ILLEGAL}
# ``start`` of a running and ``stop`` of a stopped container succeed and change nothing (issue
# 18): Podman exits 0 for both, and a script that makes sure a container runs (or is stopped)
# must not fail because it already does. Every other refusal stays exit 4.
EXPECTED: dict[str, dict[State, State | str]] = {
    "start": {C: R, R: R, P: ILLEGAL, S: R, X: ILLEGAL},
    "stop": {C: ILLEGAL, R: S, P: ILLEGAL, S: S, X: ILLEGAL},
    "pause": {C: ILLEGAL, R: P, P: ILLEGAL, S: ILLEGAL, X: ILLEGAL},
    "unpause": {C: ILLEGAL, R: ILLEGAL, P: R, S: ILLEGAL, X: ILLEGAL},
    "restart": {C: R, R: R, P: ILLEGAL, S: R, X: ILLEGAL},
    "kill": {C: ILLEGAL, R: S, P: S, S: ILLEGAL, X: ILLEGAL},
    "rm": {C: X, R: ILLEGAL, P: ILLEGAL, S: X, X: ILLEGAL},
    "rm -f": {C: X, R: X, P: X, S: X, X: ILLEGAL},
    "down": {C: X, R: X, P: X, S: X, X: X},
    "exec": {C: ILLEGAL, R: R, P: ILLEGAL, S: ILLEGAL, X: ILLEGAL},
    # a dev shell starts a created or stopped container first
    "shell": {C: R, R: R, P: ILLEGAL, S: R, X: ILLEGAL},
}

CALLS = {
    "start": lambda e: e.start("c"),
    "stop": lambda e: e.stop("c"),
    "pause": lambda e: e.pause("c"),
    "unpause": lambda e: e.unpause("c"),
    "restart": lambda e: e.restart("c"),
    "kill": lambda e: e.kill("c"),
    "rm": lambda e: e.rm("c"),
    "rm -f": lambda e: e.rm("c", force=True),
    "down": lambda e: e.down("c"),
    "exec": lambda e: e.exec("c", ["true"]),
    "shell": lambda e: e.exec("c", [], ExecOptions(), dev_shell=True),
}


def engine_with(state: State) -> tuple[Engine, FakeBackends]:
    backends = FakeBackends()
    rec = Record(name="c", family="fake", state=state, backend={"id": "c"}, profile={"stop_timeout": 1})
    if state != X:
        backends.fake.states["c"] = state
    store.save(rec)
    return Engine(backends=backends), backends  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("op", "start"), [(op, s) for op in EXPECTED for s in (C, R, P, S, X)], ids=lambda v: str(v)
)
def test_every_operation_from_every_state(op, start):
    engine, backends = engine_with(start)
    expected = EXPECTED[op][start]
    if expected == ILLEGAL:
        with pytest.raises(IllegalTransition) as err:
            CALLS[op](engine)
        assert f"it is {start}" in err.value.message, "the refusal names the current state"
        assert store.load("c").state == start, "a refused operation changes nothing"
        assert backends.fake.calls == [], "a refused operation never reaches the backend"
        return
    CALLS[op](engine)
    rec = store.load("c")
    assert rec.state == expected
    # the runtime agrees with the record
    assert backends.fake.states.get("c", X) == expected
    # every recorded transition is one the history can explain: from the previous entry's target
    for before, after in zip(rec.transitions, rec.transitions[1:], strict=False):
        assert after["from"] == before["to"]


@pytest.mark.parametrize(("op", "state"), [("start", R), ("stop", S)])
def test_start_of_a_running_and_stop_of_a_stopped_container_do_nothing_and_say_so(op, state):
    engine, backends = engine_with(state)
    CALLS[op](engine)
    assert backends.fake.calls == [], "the runtime is not asked"
    assert store.load("c").transitions == []
    assert engine.unchanged == {"c"}


def test_down_of_a_paused_container_is_unpause_stop_remove_in_the_history():
    engine, backends = engine_with(P)
    engine.down("c")
    # the stop and the removal are one call of the backend (Podman: one request), with the
    # profile's stop timeout; the history still says both steps
    assert backends.fake.calls == ["unpause c", "remove (stop -t 1) c"]
    assert [t["to"] for t in store.load("c").transitions] == ["running", "stopped", "removed"]


def test_down_of_a_stopped_container_only_removes_it():
    engine, backends = engine_with(S)
    engine.down("c", timeout=0)
    assert backends.fake.calls == ["remove c"]
    assert [t["to"] for t in store.load("c").transitions] == ["removed"]


def test_a_transition_made_outside_is_recorded_as_observed():
    engine, backends = engine_with(R)
    backends.fake.states["c"] = S  # the process exited by itself
    assert engine.inspect("c")["state"] == "stopped"
    last = store.load("c").transitions[-1]
    assert (last["from"], last["to"], last["by"]) == ("running", "stopped", "observed")


def test_exec_passes_the_exit_code_through():
    engine, _ = engine_with(R)
    assert engine.exec("c", ["false"]) == 7


def test_a_shell_on_a_stopped_container_starts_it_and_says_so_before_the_shell_runs():
    engine, backends = engine_with(S)
    heard: list[str] = []

    def started(text: str) -> None:
        heard.append(text)
        assert backends.fake.calls == ["start c"], "said before the shell opens"

    assert engine.exec("c", ["-c", "exit 3"], ExecOptions(tty=True), dev_shell=True, started=started) == 7
    assert heard == ["c was stopped; started it"]
    assert backends.fake.calls == ["start c", "exec c"]
    argv, how = backends.fake.exec_with
    assert argv[:2] == ["sh", "-c"] and argv[-3:] == ["sh", "-c", "exit 3"], "bash if present, else sh"
    assert how.tty


def test_a_running_container_gets_its_shell_without_a_start_and_the_profiles_shell_wins():
    engine, backends = engine_with(R)
    rec = store.load("c")
    rec.profile["shell"] = "/bin/zsh"
    store.save(rec)
    engine.exec("c", ["-l"], ExecOptions(), dev_shell=True, started=lambda text: pytest.fail(text))
    assert backends.fake.exec_with[0] == ["/bin/zsh", "-l"]
    engine.exec("c", [], ExecOptions(), dev_shell=True, program="/bin/ash")
    assert backends.fake.exec_with[0] == ["/bin/ash"]
