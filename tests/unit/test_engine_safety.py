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
