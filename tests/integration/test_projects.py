"""Projects on the real rootless Podman: a folder of profiles up as one project, names unique per
project, a bare name or PROJECT/NAME, and a container of another profile file never replaced
without --force."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from tests import harness

SLEEP = ["sleep", "1000"]


def write(folder: Path, name: str, image: str, **fields) -> Path:
    """A profile in ``folder`` (made if missing), busybox, never pulled, no network unless given."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    body = {"name": name, "image": image, "pull": "never", "stop_timeout": 1, "command": SLEEP}
    body.setdefault("network", {"mode": "none"})
    path.write_text(json.dumps({**body, **fields}))
    return path


@pytest.fixture
def two_projects(tmp_path: Path, busybox_image: str, scope: str) -> tuple[Path, Path]:
    """Folders ``alpha`` and ``beta``, each with profiles ``web`` and ``db``."""
    for project in ("alpha", "beta"):
        for name in ("web", "db"):
            write(tmp_path / project, name, busybox_image)
    return tmp_path / "alpha", tmp_path / "beta"


def rows(rc, *args: str) -> dict[str, dict]:
    """``ps --json`` rows by PROJECT/NAME."""
    return {f"{r['project']}/{r['name']}": r for r in rc("ps", "--json", *args).json()}


def test_two_projects_with_the_same_names_run_side_by_side_and_down_takes_one(rc, two_projects):
    alpha, beta = two_projects
    up = rc("up", "--json", str(alpha)).json()
    assert sorted(p["name"] for p in up) == ["db", "web"]
    assert {p["project"] for p in up} == {"alpha"}
    rc("up", str(beta)).ok()
    seen = rows(rc)
    assert {k: r["state"] for k, r in seen.items()} == {
        "alpha/db": "running",
        "alpha/web": "running",
        "beta/db": "running",
        "beta/web": "running",
    }
    assert len({r["id"] for r in seen.values()}) == 4, "four containers, not two recreated twice"

    down = rc("down", str(alpha))
    assert down.code == 0, down.err
    assert "alpha/web: down (removed)" in down.out
    after = rows(rc)
    assert set(after) == {"beta/db", "beta/web"}
    assert after["beta/web"]["id"] == seen["beta/web"]["id"], "the other project's container was untouched"
    assert rc("down", str(alpha)).code == 0, "down of a project that is down does nothing"


def test_ps_shows_projects_and_filters_by_one(rc, two_projects):
    alpha, beta = two_projects
    rc("up", str(alpha)).ok()
    rc("up", str(beta)).ok()
    table = rc("ps").ok().out.splitlines()
    assert table[0].split()[:3] == ["NAME", "PROJECT", "STATE"]
    assert any(line.split()[:3] == ["web", "beta", "running"] for line in table[1:])
    assert set(rows(rc, "--project", "beta")) == {"beta/db", "beta/web"}
    assert set(rows(rc, "-p", "alpha")) == {"alpha/db", "alpha/web"}


def test_names_resolve_by_project_folder_or_project_name(rc, two_projects, monkeypatch):
    alpha, beta = two_projects
    rc("up", str(alpha)).ok()
    rc("up", str(beta)).ok()
    ambiguous = rc("stop", "web")
    assert ambiguous.code == 2
    assert "alpha/web" in ambiguous.err and "beta/web" in ambiguous.err
    assert rc("stop", "alpha/web").ok().out.strip() == "web: stopped"
    assert rows(rc, "-a")["alpha/web"]["state"] == "stopped"
    assert rows(rc)["beta/web"]["state"] == "running"
    rc("stop", "web", "-p", "beta").ok()
    assert rows(rc, "-a")["beta/web"]["state"] == "stopped"
    monkeypatch.chdir(alpha)  # in a project's folder, a bare name is that project's
    rc("start", "web").ok()
    assert rows(rc)["alpha/web"]["state"] == "running"
    assert rows(rc, "-a")["beta/web"]["state"] == "stopped"
    assert rc("inspect", "--json", "web").json()["project"] == "alpha"
    assert rc("logs", "beta/web").code == 0


def test_project_commands_take_a_folder_or_a_project(rc, two_projects):
    alpha, _ = two_projects
    rc("up", str(alpha)).ok()
    stopped = rc("stop", "--json", str(alpha)).json()
    assert sorted((r["name"], r["state"]) for r in stopped) == [("db", "stopped"), ("web", "stopped")]
    assert rc("start", "-p", "alpha").code == 0
    assert {r["state"] for r in rows(rc, "-p", "alpha").values()} == {"running"}
    restarted = rc("restart", "-p", "alpha")
    assert restarted.code == 0, restarted.err
    assert "alpha/db: restarted (running)" in restarted.out


def test_project_logs_tag_each_line_with_its_container(rc, tmp_path, busybox_image, scope):
    folder = tmp_path / "talk"
    write(folder, "one", busybox_image, command=["sh", "-c", "echo hello from one; exec sleep 1000"])
    write(folder, "two", busybox_image, command=["sh", "-c", "echo hello from two; exec sleep 1000"])
    rc("up", str(folder)).ok()
    for _ in range(50):
        out = rc("logs", str(folder)).out
        if "two | hello from two" in out and "one | hello from one" in out:
            break
    assert "one | hello from one" in out and "two | hello from two" in out
    assert rc("logs", "-p", "talk", "--tail", "1").out.count("\n") == 2


def test_up_never_replaces_another_files_container_without_force(rc, tmp_path, busybox_image, scope):
    # two folders both called "app": one project name, one key app/web
    first = write(tmp_path / "x" / "app", "web", busybox_image)
    second = write(tmp_path / "y" / "app", "web", busybox_image, env={"WHO": "second"})
    rc("up", str(first)).ok()
    before = rows(rc)["app/web"]["id"]
    refused = rc("up", str(second))
    assert refused.code == 2
    assert str(first) in refused.err and "--force" in refused.err
    assert rows(rc)["app/web"]["id"] == before, "the first file's container is untouched"
    assert rc("up", "--force", str(second)).code == 0
    after = rows(rc)["app/web"]
    assert after["id"] != before and after["profile"] == str(second)
    # the same profile under another project is another container
    rc("up", "-p", "other", str(first)).ok()
    assert {"app/web", "other/web"} <= set(rows(rc))


def test_a_record_made_before_projects_is_found_and_kept(rc, tmp_path, busybox_image, scope):
    import os

    path = write(tmp_path / "old", "keep", busybox_image)
    rc("up", str(path)).ok()
    first = rows(rc)["old/keep"]["id"]
    # make it look as an older rcontainer left it: NAME.json at the top, no project
    state = Path(os.environ["RCONTAINER_STATE_DIR"]) / "containers" / scope
    record = state / "projects" / "old" / "keep.json"
    data = json.loads(record.read_text())
    del data["project"]
    (state / "keep.json").write_text(json.dumps(data))
    record.unlink()
    shutil.rmtree(state / "projects" / "old")
    assert rows(rc)["old/keep"]["state"] == "running"
    assert rc("up", "--json", str(path)).json()["action"] == "none", (
        "an unchanged profile keeps its container"
    )
    assert rows(rc)["old/keep"]["id"] == first
    rc("stop", "keep").ok()
    assert record.is_file() and not (state / "keep.json").exists(), "saved again, it moved to its project"


def serve(who: str) -> list[str]:
    """httpd on 8080 answering 'I am WHO'."""
    return [
        "sh",
        "-c",
        f"mkdir -p /tmp/www && echo 'I am {who}' > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www",
    ]


def network_exists(name: str) -> bool:
    return harness.podman("network", "exists", name, check=False).returncode == 0


def test_two_profiles_in_one_folder_reach_each_other_by_name_and_alias(rc, tmp_path, busybox_image, scope):
    folder = tmp_path / "shop"
    write(
        folder,
        "db",
        busybox_image,
        network=None,
        command=serve("db"),
        networks={"default": {"aliases": ["database"]}},
    )
    write(folder, "web", busybox_image, network=None)
    write(folder, "offline", busybox_image)  # network: none, in the project folder too
    rc("up", str(folder)).ok()
    assert harness.fetch(rc, "shop/web", "http://db:8080/") == "I am db"
    assert harness.fetch(rc, "shop/web", "http://database:8080/") == "I am db"
    assert rc("exec", "shop/offline", "timeout", "5", "wget", "-q", "-O-", "http://db:8080/").code != 0
    details = rc("inspect", "--json", "shop/web").json()["runtime_details"]
    assert details["networks"] == [f"rc-{scope}-shop"]
    assert rc("inspect", "--json", "shop/offline").json()["runtime_details"]["network"] == "none"


def test_each_project_has_its_network_and_down_removes_only_its_own(rc, tmp_path, busybox_image, scope):
    for project in ("alpha", "beta"):
        write(tmp_path / project, "db", busybox_image, network=None, command=serve(project))
        write(tmp_path / project, "web", busybox_image, network=None)
        rc("up", str(tmp_path / project)).ok()
    assert harness.fetch(rc, "alpha/web", "http://db:8080/") == "I am alpha"
    assert harness.fetch(rc, "beta/web", "http://db:8080/") == "I am beta"
    rc("down", str(tmp_path / "alpha")).ok()
    assert not network_exists(f"rc-{scope}-alpha"), "down removed the network nobody uses any more"
    assert network_exists(f"rc-{scope}-beta")
    assert harness.fetch(rc, "beta/web", "http://db:8080/") == "I am beta"


def test_a_single_profile_keeps_its_private_network(rc, tmp_path, busybox_image, scope):
    path = write(tmp_path / "solo", "lone", busybox_image, network=None)
    rc("up", str(path)).ok()
    assert rc("inspect", "--json", "lone").json()["runtime_details"]["networks"] == []
    assert not network_exists(f"rc-{scope}-solo")


def test_a_dependant_waits_until_its_dependency_is_healthy_without_systemd(
    rc, tmp_path, busybox_image, scope
):
    folder = tmp_path / "deps"
    slow_db = [
        "sh",
        "-c",
        "sleep 3; mkdir -p /tmp/www; echo ready > /tmp/www/index.html; exec httpd -f -p 8080 -h /tmp/www",
    ]
    check = {
        "test": "wget -q -O- http://127.0.0.1:8080/",
        "interval": "1s",
        "timeout": "2s",
        "retries": 3,
        "start_period": "10s",
    }
    write(folder, "db", busybox_image, network=None, command=slow_db, healthcheck=check)
    first_look = "wget -q -O- http://db:8080/; echo first look: $$?; exec sleep 1000"
    write(
        folder,
        "web",
        busybox_image,
        network=None,
        command=["sh", "-c", first_look],
        depends_on={"db": {"condition": "service_healthy"}},
    )
    started = time.monotonic()
    rc("up", str(folder)).ok()
    assert time.monotonic() - started >= 3, "up waited for db's healthcheck"
    assert rc("inspect", "--json", "deps/db").json()["health"] == "healthy"
    logs = harness.logs_with(rc, "deps/web", "first look")
    assert "ready" in logs and "first look: 0" in logs, "db answered web's very first request"

    rc("down", str(folder)).ok()
    history = {name: rc("history", "--json", f"deps/{name}").json() for name in ("web", "db")}
    web_removed = next(t["at"] for t in history["web"] if t["to"] == "removed")
    db_stopped = next(t["at"] for t in reversed(history["db"]) if t["to"] == "stopped")
    assert web_removed <= db_stopped, "down takes the dependant down first"


def test_a_dependency_that_never_becomes_healthy_is_named_and_its_dependant_not_started(
    rc, tmp_path, busybox_image, scope
):
    folder = tmp_path / "sick"
    check = {"test": "exit 1", "interval": "1s", "retries": 2}
    write(folder, "db", busybox_image, healthcheck=check)
    write(folder, "web", busybox_image, depends_on={"db": {"condition": "service_healthy"}})
    result = rc("up", "--wait-timeout", "20", str(folder))
    assert result.code == 1
    assert "sick/web: not started: its dependency sick/db is unhealthy" in result.err
    assert set(rows(rc)) == {"sick/db"}


def test_dependency_cycles_are_refused_at_validate_with_the_cycle_named(rc, tmp_path, busybox_image, scope):
    folder = tmp_path / "loop"
    write(folder, "a", busybox_image, depends_on=["b"])
    write(folder, "b", busybox_image, depends_on=["a"])
    for command in ("validate", "up"):
        result = rc(command, str(folder))
        assert result.code == 2, result.err
        assert "dependency cycle: a -> b -> a" in result.err
    assert rows(rc, "-a") == {}


def test_up_of_one_file_brings_its_dependencies_up_first_on_the_project_network(
    rc, tmp_path, busybox_image, scope
):
    folder = tmp_path / "pair"
    write(folder, "db", busybox_image, network=None, command=serve("pair"))
    web = write(folder, "web", busybox_image, network=None, depends_on=["db"])
    write(folder, "other", busybox_image)  # not a dependency: stays down
    result = rc("up", str(web))
    result.ok()
    assert "pair/db: create (a dependency of web)" in result.err
    assert set(rows(rc)) == {"pair/db", "pair/web"}
    assert harness.fetch(rc, "pair/web", "http://db:8080/") == "I am pair"
    again = rc("up", str(web))
    again.ok()
    assert "pair/db: up already (a dependency of web)" in again.err
