"""Dev shells' profile fields (home:, host:), what they become for the runtimes, and a shell's
entry; the integration tests (tests/integration/test_devshell.py) run them for real."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rcontainer import paths
from rcontainer.backends.base import ExecOptions
from rcontainer.backends.podman.spec import spec_from_profile
from rcontainer.container import Record
from rcontainer.engine import devshell
from rcontainer.profile import devshell as quick
from rcontainer.profile import load_profile
from tests.unit.profile_helpers import IMAGE, load, one_problem, problems

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    (folder / "src").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("RCONTAINER_DATA_DIR", str(tmp_path / "data"))
    return folder


def test_profiles_without_home_or_host_resolve_and_hash_as_before() -> None:
    for path in sorted((REPO / "profiles").glob("*.yaml")):
        data = load_profile(path, environ={}).data
        if not path.stem.startswith("devshell-"):
            assert "home" not in data and "host" not in data, path.name


@pytest.mark.parametrize("policy", ["shared", "isolated", "overlay"])
def test_a_home_policy_brings_the_default_host_integration(tmp_path, home, policy) -> None:
    data = load(tmp_path, f"image: {IMAGE}\nhome: {policy}\n").data
    assert data["home"] == policy and data["host"] == ["user", "cwd", "timezone", "locale"]
    assert load(tmp_path, f"image: {IMAGE}\nhome: {policy}\nhost: []\n").data["host"] == []


def test_a_home_folder_is_resolved_and_a_typo_is_not_taken_for_one(tmp_path, home) -> None:
    assert load(tmp_path, f"image: {IMAGE}\nhome: ~/boxes/a\n").data["home"] == str(home / "boxes" / "a")
    assert load(tmp_path, f"image: {IMAGE}\nhome: ./h\n").data["home"] == str(tmp_path / "h")
    problem = one_problem(tmp_path, f"image: {IMAGE}\nhome: isolate\n")
    assert problem.path == "home" and "'shared', 'isolated', 'overlay' or a folder path" in problem.message


def test_the_whole_home_as_a_home_folder_is_the_shared_policy_said_plainly(tmp_path, home) -> None:
    problem = one_problem(tmp_path, f"image: {IMAGE}\nhome: '~'\n")
    assert "say home: shared" in problem.message
    assert (
        "the whole host filesystem; name a folder of its own"
        in one_problem(tmp_path, f"image: {IMAGE}\nhome: /\n").message
    )
    assert load(tmp_path, f"image: {IMAGE}\nhome: ~/.\nallow_sensitive_mounts: true\n").data["home"] == str(
        home
    )


def test_home_shared_passes_the_guard_for_the_home_only(tmp_path, home) -> None:
    assert load(tmp_path, f"image: {IMAGE}\nhome: shared\n").data["home"] == "shared"
    found = problems(tmp_path, f"image: {IMAGE}\nhome: shared\nvolumes: ['~:/h']\n")
    assert [p.path for p in found] == ["volumes[0]"]


def test_host_user_is_your_uid_so_another_userns_or_user_is_refused(tmp_path, home) -> None:
    assert "userns 'auto'" in one_problem(tmp_path, f"image: {IMAGE}\nhome: shared\nuserns: auto\n").message
    assert one_problem(tmp_path, f"image: {IMAGE}\nhome: shared\nuser: '0'\n").path == "user"
    assert load(tmp_path, f"image: {IMAGE}\nhome: shared\nhost: [cwd]\nuser: '0'\n").data["user"] == "0"
    assert one_problem(tmp_path, f"image: {IMAGE}\nhost: [x11]\n").path == "host[0]"


def test_the_bwrap_family_refuses_an_overlay_home_with_the_reason_and_the_alternative(tmp_path, home) -> None:
    problem = one_problem(tmp_path, f"image: {IMAGE}\nhome: overlay\nruntime: bwrap\nnetwork: none\n")
    assert problem.path == "home"
    assert "has no overlay options; use home: isolated" in problem.message
    assert load(tmp_path, f"image: {IMAGE}\nhome: isolated\nruntime: bwrap\nnetwork: none\n")


def test_the_runtime_gets_the_home_at_your_homes_path_and_runs_as_you(tmp_path, home) -> None:
    data = load(tmp_path, f"image: {IMAGE}\nhome: isolated\n").data
    out, info = devshell.runtime_data(data, "proj/dev", [])
    kept = paths.dev_home_dir("proj/dev") / "home"
    assert {"type": "bind", "source": str(kept), "target": str(home), "read_only": False} in out["volumes"]
    assert kept.is_dir() and (paths.dev_home_dir("proj/dev") / devshell.SEED).exists()
    assert out["userns"] == "keep-id" and out["user"] == f"{os.getuid()}:{os.getgid()}"
    assert out["env"]["HOME"] == str(home) and out["timezone"] == "local"
    assert info["home"] == {"policy": "isolated", "path": str(home), "home": str(kept)}
    assert "home" not in data.get("env", {}) and "userns" in data  # the profile's data is untouched


def test_an_overlay_home_becomes_podmans_overlay_volume_with_its_own_layer(tmp_path, home) -> None:
    data = load(tmp_path, f"image: {IMAGE}\nhome: overlay\n").data
    out, info = devshell.runtime_data(data, "proj/dev", [])
    spec = spec_from_profile(out, "img", name="n", labels={}, log_path="/l", handler=None)
    assert spec["overlay_volumes"] == [
        {
            "source": str(home),
            "destination": str(home),
            "options": [f"upperdir={info['home']['upper']}", f"workdir={info['home']['work']}"],
        }
    ]
    assert not any(m["Destination"] == str(home) for m in spec.get("mounts", []))
    assert spec["passwd_entry"].split(":")[2:4] == [str(os.getuid()), str(os.getgid())]
    assert spec["timezone"] == "local" and spec["userns"] == {"nsmode": "keep-id"}


def test_sockets_are_bound_only_when_asked_and_a_missing_one_is_said(tmp_path, home, monkeypatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    notices: list[str] = []
    data = load(tmp_path, f"image: {IMAGE}\nhome: shared\nhost: [ssh-agent]\n").data
    out, info = devshell.runtime_data(data, "p/d", notices)
    assert notices == [
        "p/d: host: ssh-agent asked for, but SSH_AUTH_SOCK is not set or names no socket; nothing bound"
    ]
    assert [v["target"] for v in out["volumes"]] == [str(home)] and "userns" not in out or out["userns"] == ""


def _rec(info: dict, key: str = "p/d") -> Record:
    project, _, name = key.partition("/")
    return Record(name=name, project=project, dev_shell=info)


def test_a_shell_starts_in_your_folder_inside_the_home_else_in_the_home(tmp_path, home, monkeypatch) -> None:
    info = {"home": {"policy": "shared", "path": str(home)}, "host": {"cwd": "x", "locale": "x"}}
    monkeypatch.setenv("LANG", "C.UTF-8")
    argv, how = devshell.entry(_rec(info), ["-c", "pwd"], None, ExecOptions(), cwd=str(home / "src"))
    assert argv[:4] == ["sh", "-c", devshell.ENTER, "sh"]
    assert argv[4:] == [str(home / "src"), "", "", "", "-c", "pwd"]
    assert how.env == {"LANG": "C.UTF-8"}
    argv, _ = devshell.entry(_rec(info), [], None, ExecOptions(), cwd="/etc")
    assert argv[4] == str(home)
    argv, how = devshell.entry(
        _rec(info), [], "zsh", ExecOptions(workdir="/w", env={"LANG": "C"}), cwd="/etc"
    )
    assert argv[4:] == ["", "", "", "zsh"] and how.env == {"LANG": "C"} and how.workdir == "/w"


def test_an_isolated_home_is_seeded_once(tmp_path, home) -> None:
    data = load(tmp_path, f"image: {IMAGE}\nhome: isolated\n").data
    _, info = devshell.runtime_data(data, "p/d", [])
    first, _ = devshell.entry(_rec(info), [], None, ExecOptions(), cwd="/")
    again, _ = devshell.entry(_rec(info), [], None, ExecOptions(), cwd="/")
    assert first[5] == "seed" and again[5] == ""
    devshell.forget_home("p/d")
    assert not paths.dev_home_dir("p/d").exists()


def test_shell_image_writes_a_valid_profile_named_after_the_image(tmp_path, home) -> None:
    assert quick.name_for("127.0.0.1:5000/tools/Fedora-Toolbox:40") == "fedora-toolbox"
    assert quick.name_for("busybox@sha256:abc") == "busybox"
    profile, made = quick.ensure(IMAGE, None, "isolated", "bwrap")
    assert made and profile.path == paths.profiles_dir() / "busybox.yaml"
    data = load_profile(profile.path, environ={}).data
    assert data["home"] == "isolated" and data["runtime"] == "bwrap" and data["network"]["mode"] == "host"
    again, made = quick.ensure(IMAGE, None, "shared", "default")  # the same box next time
    assert not made and again.path == profile.path and again.data["home"] == "isolated"
    with pytest.raises(Exception, match="is for image"):
        quick.ensure("localhost/other:1", "busybox", "isolated", "default")
    with pytest.raises(Exception, match="expected lowercase"):
        quick.ensure(IMAGE, "Bad Name", "isolated", "default")


def test_exports_say_a_dev_shells_home_and_host_are_dropped(tmp_path, home) -> None:
    from rcontainer.convert.kube import export
    from rcontainer.convert.quadlet import quadlet_text

    profile = load(tmp_path, f"image: {IMAGE}\nhome: isolated\n")
    assert {(x.field, x.what.split(";")[0]) for x in export([profile]).losses} >= {
        ("home", "a dev shell's, made by rcontainer at create"),
        ("host", "a dev shell's, made by rcontainer at create"),
    }
    assert {x.field for x in quadlet_text(profile).losses} >= {"home", "host"}


def test_display_and_audio_bind_the_sockets_their_variables_and_places_name(
    tmp_path, home, monkeypatch
) -> None:
    import socket

    runtime = tmp_path / "run"
    (runtime / "pulse").mkdir(parents=True)
    held = []
    for path in (runtime / "wayland-1", runtime / "pulse" / "native"):
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(path))
        held.append(s)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-1")
    monkeypatch.delenv("DISPLAY", raising=False)
    data = load(tmp_path, f"image: {IMAGE}\nhome: shared\nhost: [display, audio]\n").data
    try:
        out, info = devshell.runtime_data(data, "p/d", [])
    finally:
        for s in held:
            s.close()
    binds = {v["target"]: v["source"] for v in out["volumes"]}
    assert binds["/run/rcontainer-host/wayland"] == str(runtime / "wayland-1")
    assert binds["/run/rcontainer-host/pulse"] == str(runtime / "pulse" / "native")
    assert out["env"]["WAYLAND_DISPLAY"] == "/run/rcontainer-host/wayland"
    assert out["env"]["PULSE_SERVER"] == "unix:/run/rcontainer-host/pulse"
    assert "userns" not in out or out["userns"] == ""  # host: without user leaves the user alone
    assert set(info["host"]) == {"display", "audio"}


def test_a_home_is_never_mounted_at_the_root(tmp_path, home, monkeypatch) -> None:
    data = load(tmp_path, f"image: {IMAGE}\nhome: isolated\n").data
    monkeypatch.setenv("HOME", "/")
    with pytest.raises(Exception, match="would be mounted at '/'"):
        devshell.runtime_data(data, "p/d", [])


@pytest.mark.parametrize("bad", ["/home/a:b", "/home/a\nroot::0:0::/:/bin/sh", "/home/$USER"])
def test_a_home_path_that_would_add_to_etc_passwd_is_refused(tmp_path, home, monkeypatch, bad) -> None:
    data = load(tmp_path, f"image: {IMAGE}\nhost: [user]\n").data
    monkeypatch.setenv("HOME", bad)
    with pytest.raises(Exception, match="cannot be written in /etc/passwd"):
        devshell.runtime_data(data, "p/d", [])
