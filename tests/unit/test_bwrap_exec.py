"""The pieces of a bwrap exec and start that keep the container's limits: privileges, terminal,
secrets. The integration tests (tests/integration/test_bwrap_security.py) run the attacks."""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from rcontainer.backends.base import ExecOptions
from rcontainer.backends.bwrap import nsjoin, privileges, secret_env, supervisor, terminal
from rcontainer.container import Record

STATUS = """\
Name:\tsh
Uid:\t0\t0\t0\t0
CapInh:\t0000000000000021
CapPrm:\t0000000000000021
CapEff:\t0000000000000021
CapBnd:\t00000000a80425fb
CapAmb:\t0000000000000001
NoNewPrivs:\t1
Seccomp:\t0
"""


def test_privileges_are_read_from_proc_status():
    p = privileges.parse_status(STATUS, 40)
    assert (p.inheritable, p.permitted, p.effective, p.ambient) == (0x21, 0x21, 0x21, 0x1)
    assert p.bounding == 0xA80425FB
    assert p.no_new_privs and p.seccomp == 0 and p.last_cap == 40


def test_own_privileges_match_proc():
    p = privileges.of_process(os.getpid())
    text = Path("/proc/self/status").read_text()
    assert f"CapEff:\t{p.effective:016x}" in text


def test_exec_into_a_container_under_seccomp_is_refused(monkeypatch: pytest.MonkeyPatch):
    """A filter cannot be copied from another process: exec must not run without it."""
    from rcontainer.errors import OperationFailed

    filtered = privileges.parse_status(STATUS.replace("Seccomp:\t0", "Seccomp:\t2"), 40)
    assert filtered.seccomp == 2
    monkeypatch.setattr(privileges, "parse_status", lambda text, last: filtered)
    with pytest.raises(OperationFailed, match="seccomp"):
        privileges.of_process(os.getpid())


def _status_after(target: privileges.Privileges) -> str:
    """/proc/self/status of a child that entered a new user namespace (every capability in
    it, as exec gets by joining one) and then took on ``target``."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - in the child
        try:
            os.close(r)
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
                os.write(w, b"unshare failed")
                os._exit(1)
            privileges.take_on(target)
            os.write(w, Path("/proc/self/status").read_bytes())
        finally:
            os._exit(0)
    os.close(w)
    out = b""
    while chunk := os.read(r, 65536):
        out += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return out.decode()


def test_taking_on_privileges_leaves_exactly_those():
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    target = privileges.Privileges(
        inheritable=0x21, permitted=0x21, effective=0x21, bounding=0x21, ambient=0x21,
        no_new_privs=True, seccomp=0, last_cap=last,
    )  # fmt: skip
    text = _status_after(target)
    if "unshare failed" in text:
        # a host limit: this host refuses unprivileged user namespaces to this user; the same
        # privileges are checked on real containers by test_bwrap_security.py's
        # test_exec_has_exactly_the_privileges_of_the_containers_main_process, which runs here
        pytest.skip("host limit: no unprivileged user namespaces for this user (see test_bwrap_security.py)")
    got = privileges.parse_status(text, last)
    assert (got.inheritable, got.permitted, got.effective, got.bounding, got.ambient) == (0x21,) * 5
    assert got.no_new_privs
    nothing = privileges.Privileges(0, 0, 0, 0, 0, True, 0, last)
    got = privileges.parse_status(_status_after(nothing), last)
    assert (got.inheritable, got.permitted, got.effective, got.bounding, got.ambient) == (0,) * 5


def test_secret_keys_are_the_ones_the_record_masks():
    profile = {"env": {"A": "clear", "B": "s3cret", "C": "******"}}
    masked = {"env": {"A": "clear", "B": "******", "C": "******"}}
    # C's value is the mask itself: nothing to hide, it may be written as it is
    assert secret_env.keys(masked, profile) == ["B"]
    assert secret_env.keys({}, {"env": {}}) == []


def test_secret_values_come_from_the_processs_initial_environment():
    proc = subprocess.Popen(["sleep", "10"], env={"TOKEN": "a=b", "OTHER": "x", "EMPTY": ""})
    try:
        deadline = time.monotonic() + 10
        # exec'd, and its new environment in place: the kernel names the process before it
        # lays out the new stack, so for a moment /proc/PID/environ is still empty
        while b"TOKEN=" not in Path(f"/proc/{proc.pid}/environ").read_bytes():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert secret_env.from_process(proc.pid, ["TOKEN", "EMPTY", "MISSING"]) == {
            "TOKEN": "a=b",
            "EMPTY": "",
        }
    finally:
        proc.kill()
        proc.wait()


def test_the_mask_is_the_profiles():
    from rcontainer.profile import MASK

    assert secret_env.MASK == MASK


def test_a_profile_that_no_longer_loads_fails_the_start_clearly(tmp_path: Path):
    from rcontainer.engine.core import Engine
    from rcontainer.errors import OperationFailed

    source = Engine()._secret_values
    rec = Record(name="web", profile_path=str(tmp_path / "gone.yaml"))
    with pytest.raises(OperationFailed, match="secret values are read from its profile") as err:
        secret_env.from_profile(source, rec, ["TOKEN"], "start")
    assert "gone.yaml" in err.value.message
    with pytest.raises(OperationFailed, match="cannot read profiles"):
        secret_env.from_profile(None, rec, ["TOKEN"], "start")


def test_start_reads_the_secrets_the_profile_gives_now(tmp_path: Path):
    from rcontainer.engine.core import Engine
    from rcontainer.errors import OperationFailed

    token = tmp_path / "token"
    token.write_text("v1\n")
    path = tmp_path / "web.yaml"
    path.write_text(
        f"image: busybox\nruntime: bwrap\nnetwork: {{mode: none}}\nenv:\n  TOKEN: {{file: {token}}}\n  PLAIN: x\n"
    )
    rec = Record(name="web", profile_path=str(path))
    source = Engine()._secret_values
    assert secret_env.from_profile(source, rec, ["TOKEN"], "start") == {"TOKEN": "v1"}
    token.write_text("v2\n")
    assert secret_env.from_profile(source, rec, ["TOKEN"], "start") == {"TOKEN": "v2"}
    with pytest.raises(OperationFailed, match="no longer sets the secret GONE"):
        secret_env.from_profile(source, rec, ["TOKEN", "GONE"], "start")


def test_bwraps_options_are_handed_over_in_memory_never_on_disk():
    fd = supervisor._options_file(["--setenv", "TOKEN", "s3cret", "--chdir", "/"])
    try:
        assert os.readlink(f"/proc/self/fd/{fd}").startswith("/memfd:")
        assert os.lseek(fd, 0, os.SEEK_CUR) == 0
        assert os.read(fd, 4096) == b"--setenv\0TOKEN\0s3cret\0--chdir\0/\0"
    finally:
        os.close(fd)


def test_the_log_is_made_and_kept_0600(tmp_path: Path):
    path = tmp_path / "c.log"
    path.write_text("old\n")
    path.chmod(0o644)  # as an older rcontainer made it
    os.close(supervisor.open_log(str(path)))
    assert path.stat().st_mode & 0o777 == 0o600
    new = tmp_path / "new.log"
    os.close(supervisor.open_log(str(new)))
    assert new.stat().st_mode & 0o777 == 0o600


def test_a_terminal_pair_from_ptmx_talks_and_has_the_callers_size():
    size = struct.pack("HHHH", 24, 91, 0, 0)
    master, slave = terminal.open_pair(size)
    try:
        assert os.isatty(slave)
        assert fcntl.ioctl(slave, termios.TIOCGWINSZ, b"\0" * 8) == size
        os.write(slave, b"out\n")
        assert b"out" in os.read(master, 100)
    finally:
        os.close(master)
        os.close(slave)


def test_the_relay_copies_input_and_output_until_the_command_ends():
    master, slave = os.openpty()
    child = subprocess.Popen(
        ["sh", "-c", "read x; echo got:$x; exit 4"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    os.write(in_w, b"hello\n")
    os.close(in_w)  # piped input: its end becomes the terminal's end-of-file character
    pidfd = os.pidfd_open(child.pid)
    try:
        terminal.relay(master, pidfd, stdin=in_r, stdout=out_w)
    finally:
        os.close(pidfd)
        os.close(master)
        os.close(out_w)
    out = b""
    while chunk := os.read(out_r, 4096):
        out += chunk
    assert b"got:hello" in out
    assert child.wait() == 4


def test_a_signal_before_the_target_exists_is_passed_on_when_it_does():
    sent: list[tuple[int, int]] = []
    forward = nsjoin._Forwarder()
    original = nsjoin.send
    nsjoin.send = lambda pid, sig: sent.append((pid, sig))  # type: ignore[assignment]
    try:
        forward(signal.SIGINT, None)
        assert sent == []
        forward.to(42)
        forward(signal.SIGTERM, None)
    finally:
        nsjoin.send = original  # type: ignore[assignment]
    assert sent == [(42, signal.SIGINT), (42, signal.SIGTERM)]


def test_exec_passes_the_callers_term_on_a_terminal(monkeypatch: pytest.MonkeyPatch):
    seen: dict = {}
    monkeypatch.setattr(nsjoin, "join_and_run", lambda pid, argv, env, workdir, **kw: seen.update(env) or 0)
    monkeypatch.setenv("TERM", "xterm-kitty")
    spec = {"args": ["--setenv", "TERM", "dumb", "--setenv", "A", "1", "--chdir", "/w", "--", "sh"]}
    nsjoin.run_in(1, spec, ["sh"], ExecOptions(tty=True), secrets={"S": "v"})
    assert (seen["TERM"], seen["A"], seen["S"]) == ("xterm-kitty", "1", "v")
    nsjoin.run_in(1, spec, ["sh"], ExecOptions(tty=True, env={"TERM": "vt100"}), secrets={})
    assert seen["TERM"] == "vt100"
    nsjoin.run_in(1, spec, ["sh"], ExecOptions(tty=False), secrets={})
    assert seen["TERM"] == "dumb"
