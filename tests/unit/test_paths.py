"""rcontainer.paths computes the XDG base directories itself (platformdirs' import cost ~5 ms of
every command): it must give the paths platformdirs gives on Linux."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from rcontainer import paths

KINDS = {
    "config": "XDG_CONFIG_HOME",
    "state": "XDG_STATE_HOME",
    "cache": "XDG_CACHE_HOME",
    "data": "XDG_DATA_HOME",
}
CASES = [
    {},
    {var: f"/x/{kind}" for kind, var in KINDS.items()},
    {var: "" for var in KINDS.values()},
    {var: f"rel/{kind}" for kind, var in KINDS.items()},
]


@pytest.mark.parametrize("env", CASES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_xdg_paths_are_platformdirs_paths(monkeypatch, tmp_path, env, kind):
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in KINDS.values():
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv(f"RCONTAINER_{kind.upper()}_DIR", raising=False)
    ours = getattr(paths, f"{kind}_dir")()
    assert ours == getattr(platformdirs, f"user_{kind}_path")("rcontainer")


def test_every_path_is_found_with_no_override(monkeypatch, tmp_path):
    """What a user's first command meets: no RCONTAINER_*_DIR, no XDG variable (a path that
    named an XDG kind this module does not know crashed ``info`` and dev shell homes)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in [*KINDS.values(), "XDG_RUNTIME_DIR", "RCONTAINER_RUNTIME_DIR"]:
        monkeypatch.delenv(name, raising=False)
    for kind in [*KINDS, "runtime"]:
        monkeypatch.delenv(f"RCONTAINER_{kind.upper()}_DIR", raising=False)
    found = paths.all_paths()
    assert set(found) >= {"config", "profiles", "state", "logs", "cache", "data"}
    assert all(isinstance(p, Path) and p.is_absolute() for p in found.values())
    assert paths.data_dir() == tmp_path / ".local" / "share" / "rcontainer"
    assert paths.dev_home_dir("p/web").is_relative_to(paths.data_dir())


def test_rcontainer_variables_override_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", "/somewhere/else")
    monkeypatch.setenv("RCONTAINER_STATE_DIR", str(tmp_path / "state"))
    assert paths.state_dir() == tmp_path / "state"
