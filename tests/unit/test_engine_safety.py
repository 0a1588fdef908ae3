"""Engine-side guards: bind sources re-checked at start, lock files never followed, looking on a
full disk. Backends are rcontainer's in-memory fake (the real families have integration tests)."""

from __future__ import annotations

import os

import pytest

from rcontainer import paths
from rcontainer.container import Record, State
from rcontainer.engine import store
from rcontainer.engine.core import Engine
from rcontainer.errors import BadInput, OperationFailed
from tests.unit.fake_backend import FakeBackends


def stopped_with_bind(tmp_path, source) -> tuple[Engine, FakeBackends]:
    backends = FakeBackends()
    backends.fake.states["c"] = State.STOPPED
    vol = {"type": "bind", "source": str(source), "target": "/data", "read_only": False}
    store.save(
        Record(name="c", family="fake", state=State.STOPPED, backend={"id": "c"}, profile={"volumes": [vol]})
    )
    return Engine(backends=backends), backends  # type: ignore[arg-type]


def test_start_refuses_a_bind_source_swapped_for_a_symlink_to_home(tmp_path):
    work = tmp_path / "work"
    (work / "shared").mkdir(parents=True)
    home = tmp_path / "home"
    home.mkdir()
    engine, backends = stopped_with_bind(tmp_path, work / "shared")
    # another container, which can write into work/, swaps the folder for a symlink to the home
    (work / "shared").rmdir()
    (work / "shared").symlink_to(home)
    with pytest.raises(BadInput) as err:
        engine.start("c")
    assert "now resolves to" in err.value.message and str(home) in err.value.message
    assert "start c" not in backends.fake.calls, "the runtime was never asked to mount it"
    with pytest.raises(BadInput):
        engine.restart("c")


def test_start_mounts_an_unchanged_bind_source(tmp_path):
    (tmp_path / "data").mkdir()
    engine, backends = stopped_with_bind(tmp_path, (tmp_path / "data").resolve())
    assert engine.start("c").state == State.RUNNING


def test_a_symlink_planted_at_the_lock_path_is_not_followed(tmp_path):
    victim = tmp_path / "victim"
    lock = paths.scope_dir("containers") / ".c.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.symlink_to(victim)
    with pytest.raises(OperationFailed) as err:
        with store.lock("c"):
            pass
    assert "symbolic link" in err.value.message
    assert not victim.exists(), "nothing was created where the symlink points"


def test_ps_shows_what_the_runtime_reports_when_the_record_cannot_be_written(tmp_path, monkeypatch):
    backends = FakeBackends()
    backends.fake.states["c"] = State.STOPPED  # exited while nobody looked
    store.save(Record(name="c", family="fake", state=State.RUNNING, backend={"id": "c"}))
    engine = Engine(backends=backends)  # type: ignore[arg-type]

    def full(*_a, **_k):
        raise OperationFailed(
            "cannot write the record: No space left on device; the previous record is intact"
        )

    monkeypatch.setattr(store, "save", full)

    def no_journal(*_a, **_k):
        raise OSError(28, os.strerror(28))

    monkeypatch.setattr("rcontainer.engine.events.append", no_journal)
    rows = engine.ps(all=True)
    assert [r["state"] for r in rows] == ["stopped"]
    assert any("No space left" in n for n in engine.notices)


def write_profile(tmp_path, **fields) -> str:
    import json

    doc = {"name": "lim", "image": "localhost/x:latest", "pull": "never", **fields}
    path = tmp_path / "lim.yaml"
    path.write_text(json.dumps(doc))
    return str(path)


def test_up_says_on_every_run_that_limits_are_not_enforced_and_drops_them(tmp_path):
    backends = FakeBackends()
    backends.fake.unenforced = "rootless containers get no cgroup on this cgroup v1 host"
    ref = write_profile(tmp_path, resources={"pids": 50, "memory": "64m"})
    for _ in range(2):
        engine = Engine(backends=backends)  # type: ignore[arg-type]
        engine.up(ref)
        assert any(
            "resources.memory, resources.pids not enforced: rootless containers get no cgroup" in n
            for n in engine.notices
        ), engine.notices
    assert backends.fake.created_with["resources"] == {}, "limits Podman cannot apply are not passed on"
    shown = engine.inspect("lim")["resources"]
    assert shown["pids"] == 50 and shown["enforced"] is False and "no cgroup" in shown["note"]


def test_up_refuses_limits_the_profile_requires_where_they_cannot_be_enforced(tmp_path):
    from rcontainer.errors import ExitStatus, RuntimeUnavailable

    backends = FakeBackends()
    backends.fake.unenforced = "no cgroup here"
    ref = write_profile(tmp_path, resources={"pids": 50, "required": True})
    with pytest.raises(RuntimeUnavailable) as err:
        Engine(backends=backends).up(ref)  # type: ignore[arg-type]
    assert err.value.status == ExitStatus.RUNTIME_UNAVAILABLE
    assert not [c for c in backends.fake.calls if c.startswith("create")]


def test_enforced_limits_are_passed_on_without_a_notice(tmp_path):
    backends = FakeBackends()
    ref = write_profile(tmp_path, resources={"pids": 50})
    engine = Engine(backends=backends)  # type: ignore[arg-type]
    engine.up(ref)
    assert engine.notices == []
    assert backends.fake.created_with["resources"]["pids"] == 50
    assert engine.inspect("lim")["resources"]["enforced"] is True


def test_a_secret_enters_the_config_hash_only_through_a_per_user_key(tmp_path, monkeypatch):
    import hashlib
    import json

    from rcontainer import paths
    from rcontainer.profile import load_profile

    path = tmp_path / "s.yaml"
    doc = {
        "name": "s",
        "image": "localhost/x:latest",
        "env": {"TOKEN": {"value": "${TOKEN}", "secret": True}},
    }
    path.write_text(json.dumps(doc))
    monkeypatch.setenv("TOKEN", "hunter2")
    profile = load_profile(path)
    assert profile.data["env"]["TOKEN"] == "hunter2"
    # the hash anyone who lists the containers could check a guessed value against (the old code)
    plain = hashlib.sha256(
        json.dumps(profile.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    first = profile.config_hash()
    assert first != plain
    assert paths.secret_key_file().stat().st_mode & 0o777 == 0o600
    assert load_profile(path).config_hash() == first, "stable for the same user"
    monkeypatch.setenv("TOKEN", "hunter3")
    assert load_profile(path).config_hash() != first, "a changed secret still changes the hash"
    monkeypatch.setenv("RCONTAINER_STATE_DIR", str(tmp_path / "another-user"))
    monkeypatch.setenv("TOKEN", "hunter2")
    assert load_profile(path).config_hash() != first, "another user's key gives another hash"
