"""Attacks on the bubblewrap family, each reproduced through the real CLI and real bubblewrap.

Issue 14: an exec'd process had every capability of the container's user namespace (item 1)
and shared the caller's terminal (item 2); secret values were written into the container's
spec file (item 6); logs and state folders were readable by other users (item 12). Each test
here failed on the code before its fix.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import stat
import struct
import termios
from pathlib import Path

import pytest

from tests import harness
from tests.integration import test_bwrap as bw
from tests.integration.test_bwrap import cache_snapshot, gone, inspect
from tests.terminal import Terminal

# the bwrap tests' fixtures: their profile, and no container left running after a test
profile = bw.profile
no_leftovers = bw.no_leftovers

STATUS_KEYS = (
    "CapInh",
    "CapPrm",
    "CapEff",
    "CapBnd",
    "CapAmb",
    "NoNewPrivs",
    "Seccomp",
    "Uid",
    "Gid",
    "Groups",
)
STATUS_GREP = "grep -E '^(" + "|".join(STATUS_KEYS) + "):'"

# the host's Python, bound read-only into the container: busybox has no way to call ioctl()
HOST_PYTHON = [
    "/usr:/hostusr:ro",
    "/usr/lib:/lib:ro",
    "/usr/lib64:/lib64:ro",
]
TIOCSTI_SCRIPT = """
import fcntl, termios
try:  # a session leader without a terminal may claim one that is no session's: not the caller's
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    print("TIOCSCTTY accepted", flush=True)
except OSError:
    print("TIOCSCTTY refused", flush=True)
refused = 0
for c in b"echo INJECTED\\n":
    try:
        fcntl.ioctl(0, termios.TIOCSTI, bytes([c]))
    except OSError as exc:
        refused = exc.errno
print("TIOCSTI", "refused" if refused else "accepted", flush=True)
"""


def status_of(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        out[key] = " ".join(value.split())
    return out


# -- item 1: exec runs with exactly the container's privileges ---------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"cap_drop": ["ALL"]},
        {"user": "nobody"},
        {"cap_drop": ["CHOWN"], "cap_add": ["NET_RAW"]},
        {"privileged": True},
    ],
    ids=["default", "cap_drop_all", "user_nobody", "cap_add_and_drop", "privileged"],
)
def test_exec_has_exactly_the_privileges_of_the_containers_main_process(rc, profile, fields):
    rc("up", "--allow-privileged", str(profile(**fields))).ok()
    out = (
        rc(
            "exec",
            "bw",
            "sh",
            "-c",
            f"{STATUS_GREP} /proc/self/status; echo ---; {STATUS_GREP} /proc/1/status",
        )
    ).ok()
    mine, main = (status_of(part) for part in out.out.split("---\n"))
    assert set(mine) == set(STATUS_KEYS)
    assert mine == main
    assert mine["NoNewPrivs"] == "1"
    if fields.get("cap_drop") == ["ALL"] or fields.get("user"):
        for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            assert int(mine[key], 16) == 0, key
    # the host's view agrees: the exec'd process is no more privileged than the init
    init = inspect(rc)["pid"]
    host_main = status_of(Path(f"/proc/{init}/status").read_text())
    assert int(host_main["CapEff"], 16) == int(mine["CapEff"], 16)


def test_exec_cannot_remount_or_write_what_the_container_cannot(rc, profile, tmp_path, isolated_dirs):
    """The attack: setns into the user namespace gave CAP_SYS_ADMIN, so exec could remount a
    ':ro' bind (and the read-only root, and the image cache's folders) read-write."""
    host = tmp_path / "ro-src"
    host.mkdir()
    (host / "keep.txt").write_text("host\n")
    rc("up", str(profile(read_only=True, volumes=[f"{host}:/data:ro"]))).ok()
    cache = isolated_dirs["RCONTAINER_CACHE_DIR"] / "rootfs"
    before = cache_snapshot(cache)
    attempts = {
        "remount the ro bind": "mount -o remount,rw /data",
        "remount the ro bind (bind)": "mount -o remount,bind,rw /data",
        "remount the root": "mount -o remount,rw /",
        "remount the root (bind)": "mount -o remount,bind,rw /",
        "remount the image cache": "mount -o remount,bind,rw /bin",
        "write into the ro bind": "echo evil > /data/evil",
        "write through read_only": "echo evil > /evil",
        "write into the image cache": "echo evil > /bin/evil",
        "replace a file of the image cache": "echo evil > /bin/true",
    }
    for what, command in attempts.items():
        # one exec per attempt: a remount that worked must not help the next write
        result = rc("exec", "bw", "sh", "-c", command)
        assert result.code != 0, f"exec could {what}"
    for what, command in attempts.items():
        result = rc("exec", "bw", "sh", "-c", f"{command}; echo evil > /data/evil2 && echo WROTE")
        assert "WROTE" not in result.out, f"after trying to {what}"
    assert sorted(p.name for p in host.iterdir()) == ["keep.txt"]
    assert cache_snapshot(cache) == before
    # and the main process itself is held to the same
    assert "ro" in rc("exec", "bw", "sh", "-c", "grep ' /data ' /proc/mounts").ok().out.split()[3].split(",")


# -- item 2: no exec'd process shares the caller's terminal ------------------------------------


@pytest.fixture
def terminal():
    t = Terminal()
    yield t
    t.close()


def stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat from field 3 on (field N is [N - 3])."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def find_in_container(init: int, cmdline: bytes, timeout: float = 10) -> int:
    """The host pid of the container's process running ``cmdline``."""
    target = os.readlink(f"/proc/{init}/ns/pid")
    found: list[int] = []

    def look() -> bool:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            with contextlib.suppress(OSError):
                if (
                    os.readlink(f"/proc/{entry}/ns/pid") == target
                    and Path(f"/proc/{entry}/cmdline").read_bytes() == cmdline
                ):
                    found.append(int(entry))
                    return True
        return False

    harness.wait_until(look, timeout, f"{cmdline!r} in the container")
    return found[0]


def same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


@pytest.mark.parametrize("tty", ["-t", "-T"])
def test_exec_never_gets_the_callers_terminal_as_its_controlling_terminal(rc, profile, terminal, tty):
    """Why this closes TIOCSTI: the kernel lets a process push input into a terminal only when
    it is the process's controlling terminal (or with CAP_SYS_ADMIN in the host's namespace).
    Looked at from the host, the exec'd process is in another session than rcontainer (so it
    cannot have the caller's terminal as controlling terminal), and its controlling terminal is
    either none (-T) or a pseudo-terminal that is not the caller's (-t)."""
    rc("up", str(profile())).ok()
    init = inspect(rc)["pid"]
    cli = terminal.run("exec", tty, "bw", "sleep", "30")
    try:
        pid = find_in_container(init, b"sleep\x0030\x00")
        caller = os.fstat(terminal.slave)
        fields = stat_fields(pid)
        session, tty_nr = int(fields[3]), int(fields[4])
        assert session != os.getsid(cli.pid), "the exec'd process is in the caller's session"
        if tty == "-T":
            assert tty_nr == 0, "a non-interactive exec has no controlling terminal"
        else:
            assert tty_nr != 0, "an interactive exec has a terminal"
            for fd in (0, 1, 2):
                assert not same_file(os.stat(f"/proc/{pid}/fd/{fd}"), caller), (
                    f"fd {fd} is the caller's terminal"
                )
            own = os.stat(f"/proc/{pid}/fd/0")
            assert stat.S_ISCHR(own.st_mode) and own.st_dev != caller.st_dev, "not the container's devpts"
        # SIGTERM to exec ends the command inside, and exec reports it
        cli.send_signal(signal.SIGTERM)
        assert terminal.wait(cli) == 128 + signal.SIGTERM
        harness.wait_until(lambda: gone(pid), 10, "the command to end")
    finally:
        if cli.poll() is None:
            cli.kill()


@pytest.mark.parametrize("tty", ["-t", "-T"])
def test_ctrl_c_at_the_callers_terminal_ends_the_command_inside(rc, profile, terminal, tty):
    """The command is in a session of its own, out of the terminal's reach: exec passes the
    interrupt on (-T), or the container's terminal makes it from the Ctrl-C byte (-t)."""
    rc("up", str(profile())).ok()
    cli = terminal.run("exec", tty, "bw", "sleep", "30")
    try:
        pid = find_in_container(inspect(rc)["pid"], b"sleep\x0030\x00")
        terminal.pump(0.3)
        terminal.type("\x03")
        assert terminal.wait(cli) == 128 + signal.SIGINT
        harness.wait_until(lambda: gone(pid), 10, "the command to end")
    finally:
        if cli.poll() is None:
            cli.kill()


@pytest.mark.parametrize("tty", ["-t", "-T"])
def test_tiocsti_from_exec_cannot_push_input_into_the_callers_terminal(rc, profile, terminal, tty):
    """The attack itself: a program run by exec calls TIOCSTI on its standard input; before
    the fix its text landed in the caller's terminal, for the caller's shell to run."""
    rc("up", str(profile(volumes=HOST_PYTHON))).ok()
    cli = terminal.run("exec", tty, "bw", "/hostusr/bin/python3", "-I", "-S", "-c", TIOCSTI_SCRIPT)
    terminal.wait(cli)
    assert b"TIOCSTI" in terminal.output, terminal.output
    if tty == "-T":
        assert b"TIOCSCTTY refused" in terminal.output  # the caller's session holds it
        assert b"TIOCSTI refused" in terminal.output  # not its controlling terminal: EPERM
    # with -t it may push input into its own terminal: nothing of it reaches the caller's
    assert terminal.pending_input() == 0, "input was pushed into the caller's terminal"


def test_an_interactive_shell_runs_on_its_own_terminal_and_restores_the_callers(rc, profile, terminal):
    rc("up", str(profile())).ok()
    before = termios.tcgetattr(terminal.slave)
    cli = terminal.run("shell", "bw", env={"TERM": "xterm-rc-test"})
    terminal.pump(1.0)
    terminal.type("echo term=$TERM; stty size; tty; exit 3\r")
    assert terminal.wait(cli) == 3
    text = terminal.output.decode(errors="replace")
    assert "term=xterm-rc-test" in text
    assert "33 101" in text, "the caller's window size reached the container's terminal"
    assert "/dev/pts/" in text, "the container's own devpts"
    assert termios.tcgetattr(terminal.slave) == before, "the caller's terminal was not restored"


def test_a_resized_window_reaches_the_exec_terminal(rc, profile, terminal):
    rc("up", str(profile())).ok()
    cli = terminal.run("exec", "-t", "bw", "sh")
    terminal.pump(1.0)
    fcntl.ioctl(terminal.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    os.killpg(cli.pid, signal.SIGWINCH)  # what the terminal does on a resize
    terminal.pump(0.5)
    terminal.type("stty size; exit\r")
    assert terminal.wait(cli) == 0
    assert "40 120" in terminal.output.decode(errors="replace")


# -- item 6: secret values never reach a file ------------------------------------------------


def all_files(*roots: Path):
    for root in roots:
        for dirpath, _dirnames, filenames in os.walk(root):
            for name in filenames:
                yield Path(dirpath, name)


def test_secrets_never_reach_state_cache_or_logs_and_still_reach_the_container(
    rc, profile, tmp_path, isolated_dirs
):
    inline, from_file = "rc-secret-inline-7f3a9c61", "rc-secret-file-91b2e4d0"
    token = tmp_path / "token.txt"
    token.write_text(from_file + "\n")
    env = {"INLINE": {"value": inline, "secret": True}, "FROMFILE": {"file": str(token)}, "PLAIN": "visible"}
    path = profile(env=env)
    show = (
        "echo $INLINE $FROMFILE $PLAIN; tr '\\0' '\\n' < /proc/1/environ | grep -c -e ^INLINE= -e ^FROMFILE="
    )

    def seen() -> list[str]:
        return rc("exec", "bw", "sh", "-c", show).ok().out.split()

    rc("up", str(path)).ok()
    assert seen() == [inline, from_file, "visible", "2"]
    rc("stop", "bw").ok()
    rc("start", "bw").ok()  # a new process: the values come from the profile again
    assert seen() == [inline, from_file, "visible", "2"]
    rc("restart", "bw").ok()
    assert seen() == [inline, from_file, "visible", "2"]
    rc("up", str(path)).ok()  # nothing changed: kept running
    data = inspect(rc)
    listings = [
        json.dumps(data),
        rc("ps", "-a", "--json").ok().out,
        rc("history", "--json", "bw").ok().out,
        rc("logs", "bw").ok().out,
    ]
    supervisor = data["runtime_details"]["supervisor_pid"]
    listings.append(Path(f"/proc/{supervisor}/cmdline").read_text(errors="replace"))
    roots = [isolated_dirs["RCONTAINER_STATE_DIR"], isolated_dirs["RCONTAINER_CACHE_DIR"]]
    files = list(all_files(*roots))
    assert any(p.name == "spec.json" for p in files) and any(p.suffix == ".log" for p in files)
    for secret in (inline, from_file):
        for text in listings:
            assert secret not in text
        for p in files:
            assert secret.encode() not in p.read_bytes(), f"{secret} is in {p}"
    # a rotated secret file takes effect at the next start
    token.write_text("rc-secret-rotated\n")
    rc("restart", "bw").ok()
    assert seen()[1] == "rc-secret-rotated"


def test_a_start_that_cannot_read_the_secrets_says_so_without_the_values(rc, profile, tmp_path):
    token = tmp_path / "token.txt"
    token.write_text("rc-secret-gone-5d2e\n")
    rc("up", str(profile(env={"TOKEN": {"file": str(token)}}))).ok()
    rc("stop", "bw").ok()
    token.unlink()
    result = rc("start", "bw")
    assert result.code != 0
    assert "secret" in result.err and "profile" in result.err
    assert "rc-secret-gone" not in result.out + result.err
    assert "Traceback" not in result.err


# -- item 12: what the bwrap family writes is the user's alone --------------------------------


def test_every_folder_and_file_of_a_bwrap_container_is_the_users_alone(rc, profile, isolated_dirs):
    old = os.umask(0o022)
    try:
        rc("up", str(profile())).ok()
        rc("restart", "bw").ok()  # the log and supervisor.log are reopened
    finally:
        os.umask(old)
    cdir = Path(inspect(rc)["runtime_details"]["dir"])
    state = isolated_dirs["RCONTAINER_STATE_DIR"]
    cache = isolated_dirs["RCONTAINER_CACHE_DIR"]
    checked = []

    def mode(p: Path) -> int:
        checked.append(p)
        return stat.S_IMODE(p.lstat().st_mode)

    # every folder from the state folder down to the container's, and the container's files
    folder = cdir
    while folder != state.parent:
        assert mode(folder) == 0o700, folder
        folder = folder.parent
    for p in cdir.iterdir():
        if p.name == "root":  # the container's /, inside the 0700 folder: the image's modes
            continue
        assert mode(p) == (0o700 if p.is_dir() else 0o600), p
    for p in all_files(state / "logs"):
        assert mode(p) == 0o600, p
    for dirpath, _dirs, _files in os.walk(state / "logs"):
        assert mode(Path(dirpath)) == 0o700, dirpath
    # the image cache: its folder and what rcontainer writes beside the trees
    rootfs = cache / "rootfs"
    assert mode(cache) == 0o700 and mode(rootfs) == 0o700
    for p in rootfs.iterdir():
        assert mode(p) == (0o700 if p.is_dir() else 0o600), p
    assert {p.name for p in cdir.iterdir()} >= {"spec.json", "runtime.json", "supervisor.log", "root"}
    assert len(checked) > 8
    # the container still runs as before: bwrap needs no more than the user's own access
    assert rc("exec", "bw", "ls", "/bin/sh").ok().out.strip() == "/bin/sh"
