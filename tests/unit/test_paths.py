"""rcontainer.paths computes the XDG base directories itself (platformdirs' import cost ~5 ms of
every command): it must give the paths platformdirs gives on Linux."""

from __future__ import annotations

import platformdirs
import pytest

from rcontainer import paths

CASES = [
    {},
    {"XDG_CONFIG_HOME": "/x/config", "XDG_STATE_HOME": "/x/state", "XDG_CACHE_HOME": "/x/cache"},
    {"XDG_CONFIG_HOME": "", "XDG_STATE_HOME": "", "XDG_CACHE_HOME": ""},
    {"XDG_CONFIG_HOME": "relative", "XDG_STATE_HOME": "rel/state", "XDG_CACHE_HOME": "c"},
]


@pytest.mark.parametrize("env", CASES)
@pytest.mark.parametrize("kind", ["config", "state", "cache"])
def test_xdg_paths_are_platformdirs_paths(monkeypatch, tmp_path, env, kind):
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv(f"RCONTAINER_{kind.upper()}_DIR", raising=False)
    ours = {"config": paths.config_dir, "state": paths.state_dir, "cache": paths.cache_dir}[kind]()
    assert ours == getattr(platformdirs, f"user_{kind}_path")("rcontainer")


def test_rcontainer_variables_override_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", "/somewhere/else")
    monkeypatch.setenv("RCONTAINER_STATE_DIR", str(tmp_path / "state"))
    assert paths.state_dir() == tmp_path / "state"
