"""Several containers at once, forgetting removed ones, and the output of earlier runs."""

from __future__ import annotations

import json

from tests import harness

COUNT = 'for i in 1 2 3; do echo "run $$RUN line $$i"; done; sleep 1000'


def test_lifecycle_commands_take_several_names_and_go_on_past_a_failure(rc, scope, busybox_profile):
    for name in ("a", "b"):
        rc("up", str(busybox_profile(name, command=["sleep", "1000"], stop_timeout=1))).ok()
    assert rc("pause", "a", "b").ok().out == "a: paused\nb: paused\n"
    assert rc("unpause", "a", "b").ok().out == "a: unpaused (running)\nb: unpaused (running)\n"
    result = rc("stop", "a", "nosuch", "b")
    assert result.code == 3, "the first failure's status"
    assert result.out == "a: stopped\nb: stopped\n", "the others are done anyway"
    assert "rcontainer: error: no container named 'nosuch'" in result.err
    assert [r["state"] for r in rc("start", "--json", "a", "b").json()] == ["running", "running"]
    rc("kill", "a", "b").ok()
    rc("start", "a", "b").ok()
    rc("down", "a", "b").ok()
    rows = rc.ps("--all")
    assert (rows["a"]["state"], rows["b"]["state"]) == ("removed", "removed")
    rc("rm", "--purge", "a", "b").ok()
    assert rc.ps("--all") == {}


def test_rm_purge_and_prune_forget_removed_containers(rc, scope, busybox_profile):
    for name in ("keep", "gone", "old"):
        rc(
            "up", str(busybox_profile(name, command=["sh", "-c", "echo hello; sleep 1000"], stop_timeout=1))
        ).ok()
    harness.wait_until(lambda: rc("logs", "old").out == "hello\n", 20, "output")
    rc("rm", "-f", "--purge", "gone").ok()
    assert "gone" not in rc.ps("--all")
    assert rc("logs", "gone").code == 3, "its logs are gone too"
    rc("down", "old").ok()
    assert rc("history", "old").code == 0, "a removed container keeps its record until pruned"
    pruned = rc("prune", "--keep-logs", "--json").json()
    assert pruned == {"forgotten": ["old"]}
    assert set(rc.ps("--all")) == {"keep"}
    assert rc("rm", "--purge", "keep").code == 4, "a running container is removed first (or with -f)"
    assert rc("prune").ok().out == "forgot 0 removed containers\n"


def test_logs_previous_shows_the_output_from_before_a_recreate(rc, scope, busybox_profile):
    path = busybox_profile("app", command=["sh", "-c", COUNT], env={"RUN": "1"}, stop_timeout=1)
    rc("up", str(path)).ok()
    harness.wait_until(lambda: len(rc("logs", "app").out.splitlines()) == 3, 20, "run 1")
    assert rc("logs", "--previous", "app").code == 3, "no recreate yet"
    path = busybox_profile("app", command=["sh", "-c", COUNT], env={"RUN": "2"}, stop_timeout=1)
    rc("up", str(path)).ok()
    harness.wait_until(lambda: len(rc("logs", "app").out.splitlines()) == 3, 20, "run 2")
    assert rc("logs", "app").out.splitlines()[0] == "run 2 line 1"
    assert rc("logs", "--previous", "app").ok().out.splitlines() == [f"run 1 line {i}" for i in (1, 2, 3)]
    assert json.loads(rc("ps", "--json").out)[0]["state"] == "running"


def test_logs_all_shows_every_kept_run_in_order_each_headed_by_its_start(rc, scope, busybox_profile):
    for run in (1, 2, 3):
        path = busybox_profile("app", command=["sh", "-c", COUNT], env={"RUN": str(run)}, stop_timeout=1)
        rc("up", str(path)).ok()
        harness.wait_until(
            lambda run=run: (
                rc("logs", "app").out.startswith(f"run {run} line 1\n")
                and len(rc("logs", "app").out.splitlines()) == 3
            ),
            20,
            f"run {run}",
        )
    history = rc("history", "--json", "app").json()
    starts = [t["at"] for t in history if t["to"] == "running"]
    out = rc("logs", "--all", "app").ok().out.splitlines()
    assert out == [
        f"==> run 1 of 3: started {starts[0]} <==",
        *(f"run 1 line {i}" for i in (1, 2, 3)),
        f"==> run 2 of 3: started {starts[1]} <==",
        *(f"run 2 line {i}" for i in (1, 2, 3)),
        f"==> run 3 of 3 (latest): started {starts[2]} <==",
        *(f"run 3 line {i}" for i in (1, 2, 3)),
    ]
    tail = rc("logs", "--all", "--tail", "1", "app").ok().out.splitlines()
    assert [line for line in tail if not line.startswith("==>")] == [
        "run 1 line 3",
        "run 2 line 3",
        "run 3 line 3",
    ]
    assert rc("logs", "--all", "--previous", "app").code == 2
