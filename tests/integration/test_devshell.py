"""Dev shells (issue 20): a home policy, host integration, one command from nothing to a prompt.

Every test runs the real CLI against the real rootless Podman service and real bubblewrap, with
``$HOME`` pointed at a folder of the test's own (the host home a dev shell sees and writes).
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import socket
from pathlib import Path

import pytest

from tests import harness
from tests.terminal import Terminal

SLEEPER = ["sleep", "100000"]


@pytest.fixture(params=["podman", "bwrap"])
def family(request) -> str:
    return request.param


@pytest.fixture
def home(tmp_path: Path, scope: str):
    """The host home the dev shells of this test see: a folder of its own, with a file in it.

    Set after ``scope`` and put back before its teardown: that removes the test's containers
    with the ``podman`` command, which finds the user's storage through the real ``$HOME``."""
    folder = tmp_path / "home"
    (folder / "src").mkdir(parents=True)
    (folder / "hosts-file").write_text("from the host\n")
    real = os.environ["HOME"]
    os.environ["HOME"] = str(folder)
    yield folder
    os.environ["HOME"] = real


@pytest.fixture
def devshell(busybox_profile, scope: str, family: str, home: Path, isolated_dirs):
    """Write a dev shell profile of this family: ``devshell(home=..., **fields)``."""

    def write(name: str = "dev", **fields) -> Path:
        runtime = "bwrap" if family == "bwrap" else "default"
        return busybox_profile(name, command=SLEEPER, stop_timeout=1, runtime=runtime, **fields)

    yield write
    harness.kill_bwrap_containers(isolated_dirs["RCONTAINER_STATE_DIR"])


def test_an_isolated_home_survives_down_and_up_and_never_reaches_the_host_home(
    rc, devshell, home, isolated_dirs
):
    path = devshell(home="isolated")
    first = rc("shell", str(path), "-c", 'echo kept > "$HOME/note"; echo "$HOME"; ls -a "$HOME"')
    first.ok()
    assert first.out.splitlines()[0] == str(home)
    assert "hosts-file" not in first.out  # the host's home is not what it sees
    assert "created and started" in first.err
    assert not (home / "note").exists()
    info = rc("inspect", "--json", "dev").json()["dev_shell"]
    assert info["home"]["policy"] == "isolated" and info["home"]["path"] == str(home)
    kept = Path(info["home"]["home"])
    assert kept.is_relative_to(isolated_dirs["RCONTAINER_DATA_DIR"]) and (kept / "note").is_file()
    rc("down", "dev").ok()
    rc("up", str(path)).ok()
    assert rc("shell", "dev", "-c", 'cat "$HOME/note"').ok().out == "kept\n"
    assert not (home / "note").exists()
    # a changed profile is recreated around the same home, and up says so
    changed = devshell(home="isolated", env={"CHANGED": "1"})
    up = rc("up", str(changed)).ok()
    assert "recreated; its home folder is kept" in up.err
    assert rc("shell", "dev", "-c", 'cat "$HOME/note"; echo $CHANGED').ok().out == "kept\n1\n"
    # forgotten only with the container
    rc("down", "dev").ok()
    assert kept.is_dir()
    rc("rm", "--purge", "dev").ok()
    assert not kept.exists()


def test_a_shared_home_is_the_host_home_and_writes_belong_to_the_user(rc, devshell, home):
    path = devshell(home="shared")
    rc("shell", str(path), "-c", 'cat "$HOME/hosts-file"; echo written > "$HOME/from-box"').ok()
    made = home / "from-box"
    assert made.read_text() == "written\n"
    assert made.stat().st_uid == os.getuid() and made.stat().st_gid == os.getgid()


def test_the_prompt_has_the_users_name_uid_folder_time_zone_and_locale(rc, devshell, home, monkeypatch):
    path = devshell(home="shared")
    rc("up", str(path)).ok()
    monkeypatch.chdir(home / "src")
    script = 'id -u; id -g; id -un; pwd; echo "$HOME"; echo "$TZ"; echo "$LANG"; md5sum < /etc/localtime'
    out = rc("shell", "dev", "-c", script, env={"TZ": "UTC0", "LANG": "C.UTF-8"}).ok().out.splitlines()
    me = pwd.getpwuid(os.getuid()).pw_name
    zone = hashlib.md5(Path("/etc/localtime").read_bytes()).hexdigest()
    assert out[:7] == [
        str(os.getuid()),
        str(os.getgid()),
        me,
        str(home / "src"),
        str(home),
        "UTC0",
        "C.UTF-8",
    ]
    assert out[7].split()[0] == zone
    # outside the home: the shell starts in the home
    monkeypatch.chdir("/")
    assert rc("shell", "dev", "-c", "pwd").ok().out == f"{home}\n"
    host = rc("inspect", "--json", "dev").json()["dev_shell"]["host"]
    assert set(host) == {"user", "cwd", "timezone", "locale"} and host["user"]["uid"] == os.getuid()


def test_host_sockets_are_bound_only_when_asked(rc, devshell, home, tmp_path):
    agent = socket.socket(socket.AF_UNIX)
    agent.bind(str(tmp_path / "agent.sock"))
    agent.listen(1)
    env = {"SSH_AUTH_SOCK": str(tmp_path / "agent.sock")}
    try:
        rc("up", str(devshell("asked", home="shared", host=["user", "ssh-agent"])), env=env).ok()
        rc("up", str(devshell("plain", home="shared")), env=env).ok()
        script = 'test -S "$SSH_AUTH_SOCK" && echo "$SSH_AUTH_SOCK"'
        assert rc("shell", "asked", "-c", script).ok().out == "/run/rcontainer-host/ssh-agent.sock\n"
        assert rc("shell", "plain", "-c", 'echo "[$SSH_AUTH_SOCK]"').ok().out == "[]\n"
    finally:
        agent.close()


def test_a_terminal_shell_enters_runs_a_command_and_exits_with_its_code(devshell, home):
    path = devshell(home="isolated")
    t = Terminal()
    try:
        proc = t.run("shell", str(path))
        t.pump(3)
        t.type("echo user=$(id -un) at=$(pwd); exit 7\r")
        assert t.wait(proc, timeout=60) == 7
    finally:
        t.close()
    me = pwd.getpwuid(os.getuid()).pw_name
    assert f"user={me} at={home}".encode() in t.output


def test_shell_image_creates_enters_and_reuses_a_box(rc, scope, family, home, busybox_image, isolated_dirs):
    runtime = "bwrap" if family == "bwrap" else "default"
    args = ("shell", "--image", busybox_image, "--name", "quick", "--runtime", runtime)
    try:
        first = rc(*args, "-c", "id -un; exit 3")
        assert first.code == 3, first.err
        assert first.out == pwd.getpwuid(os.getuid()).pw_name + "\n"
        profile = isolated_dirs["RCONTAINER_CONFIG_DIR"] / "profiles" / "quick.yaml"
        assert "wrote the dev shell profile" in first.err and profile.is_file()
        box = rc("inspect", "--json", "quick").json()
        second = rc(*args, "-c", "echo again")
        assert second.ok().out == "again\n" and second.err == ""
        assert rc("shell", "quick", "-c", "true").ok().err == ""
        assert rc("inspect", "--json", "quick").json()["id"] == box["id"]
        other = rc("shell", "--image", "localhost/other:1", "--name", "quick", "-c", "true")
        assert other.code == 2 and "is for image" in other.err
    finally:
        harness.kill_bwrap_containers(isolated_dirs["RCONTAINER_STATE_DIR"])


def test_an_overlay_home_shows_host_files_and_keeps_writes_from_the_host(rc, devshell, home, family):
    path = devshell(home="overlay")
    if family == "bwrap":
        refused = rc("validate", str(path))
        assert refused.code == 2
        assert "has no overlay options; use home: isolated" in refused.err
        return
    out = rc(
        "shell",
        str(path),
        "-c",
        'cat "$HOME/hosts-file"; echo mine > "$HOME/hosts-file"; echo new > "$HOME/n"',
    )
    out.ok()
    assert out.out == "from the host\n"
    assert (home / "hosts-file").read_text() == "from the host\n" and not (home / "n").exists()
    rc("down", "dev").ok()
    rc("up", str(path)).ok()
    assert rc("shell", "dev", "-c", 'cat "$HOME/hosts-file" "$HOME/n"').ok().out == "mine\nnew\n"
    info = rc("inspect", "--json", "dev").json()["dev_shell"]["home"]
    assert json.dumps(info) and Path(info["upper"], "n").read_text() == "new\n"
