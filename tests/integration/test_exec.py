"""exec and shell as a user at a terminal meets them, on both runtime families (issue 15).

Every test runs the real CLI against the real rootless Podman service and real bubblewrap:
standard input reaches the command, output streams as it is written and in bounded memory,
signals to exec end the command inside, exit codes pass through, the options mean what
``podman exec``'s do, an interactive session on a real pseudo-terminal works and leaves the
caller's terminal as it found it, and ``shell`` starts a stopped container.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import termios
import time
import uuid
from pathlib import Path

import pytest

from tests import harness
from tests.terminal import Terminal

SLEEPER = ["sleep", "100000"]


@pytest.fixture(params=["podman", "bwrap"])
def family(request) -> str:
    return request.param


@pytest.fixture
def container(rc, busybox_profile, scope: str, family: str, isolated_dirs) -> str:
    """A running container of this family, named ``box``."""
    runtime = "bwrap" if family == "bwrap" else "default"
    path = busybox_profile("box", command=SLEEPER, stop_timeout=1, runtime=runtime)
    rc("up", str(path)).ok()
    yield "box"
    harness.kill_bwrap_containers(isolated_dirs["RCONTAINER_STATE_DIR"])


@pytest.fixture
def terminal():
    t = Terminal()
    yield t
    t.close()


def cli(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rcontainer", *args], **kw)


def marker() -> str:
    """A number no other process on the machine sleeps for: finds this test's command."""
    return str(100000 + uuid.uuid4().int % 800000)


def running(seconds: str) -> list[int]:
    """The pids of every ``sleep SECONDS`` on the machine, whichever namespace it is in."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/cmdline").read_bytes() == f"sleep\0{seconds}\0".encode():
                    if Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[0] not in "ZX":
                        found.append(int(entry))
            except OSError:
                continue
    return found


# -- streams -----------------------------------------------------------------------------------


def test_piped_stdin_reaches_the_command_and_its_end_ends_it(rc, container):
    """Its end closes the command's stdin (cat ends); Ctrl-P Ctrl-Q in it is data, not Podman's
    detach keys."""
    text = "".join(f"line {i}\n" for i in range(2000)) + "ctrl-p ctrl-q: \x10\x11 kept\n"
    result = rc("exec", container, "sh", "-c", "cat; echo end", input=text, timeout=60).ok()
    assert result.out == text + "end\n"
    assert rc("exec", container, "wc", "-l", input=text).ok().out.strip() == "2001"


def test_without_input_the_command_reads_an_empty_stdin(rc, container):
    assert rc("exec", container, "cat", input="").ok().out == ""


def test_output_streams_as_it_is_written_to_the_right_descriptors(container):
    proc = cli(
        "exec",
        container,
        "sh",
        "-c",
        "echo first; echo oops >&2; sleep 3; echo second",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    first = proc.stdout.readline()
    got_first = time.monotonic()
    rest, err = proc.communicate(timeout=60)
    ended = time.monotonic()
    assert first == b"first\n" and rest == b"second\n"
    assert err == b"oops\n"
    assert ended - got_first > 2.5, "the first line arrived only when the command ended"
    assert proc.returncode == 0


def _max_rss_kib(args: list[str]) -> tuple[int, int, float]:
    """Run the CLI with its output counted and dropped: (bytes out, its max RSS in KiB, seconds)."""
    start = time.monotonic()
    proc = cli(*args, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    total = 0
    while chunk := proc.stdout.read1(1 << 16):
        total += len(chunk)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0
    return total, usage.ru_maxrss, time.monotonic() - start


def test_fifty_megabytes_pass_in_seconds_in_flat_memory(container):
    _, small, _ = _max_rss_kib(["exec", container, "true"])
    size = 50 * 1024 * 1024
    total, big, seconds = _max_rss_kib(["exec", container, "head", "-c", str(size), "/dev/zero"])
    assert total == size
    assert seconds < 15, f"50 MB took {seconds:.1f} s"
    assert big < small + 16 * 1024, f"memory grew with the output: {small} KiB for true, {big} KiB for 50 MB"


# -- exit codes and signals --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (["true"], 0),
        (["sh", "-c", "exit 3"], 3),
        (["no-such-command"], 127),
        (["sh", "-c", "kill -9 $$"], 137),
    ],
)
def test_exit_codes_pass_through(rc, container, command, code):
    assert rc("exec", container, *command).code == code


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_exec_ends_the_command_inside_and_nothing_keeps_running(container, sig):
    seconds = marker()
    proc = cli("exec", container, "sh", "-c", f"sleep {seconds}; echo after", stdin=subprocess.DEVNULL)
    try:
        harness.wait_until(lambda: running(seconds), 30, "the command to start")
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 128 + sig
        harness.wait_until(lambda: not running(seconds), 10, "the command to end")
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("tty", ["-t", "-T"])
def test_ctrl_c_at_the_terminal_ends_the_command_inside(container, terminal, tty):
    """-T: exec passes the interrupt on; -t: the Ctrl-C byte reaches the container's terminal."""
    seconds = marker()
    proc = terminal.run("exec", tty, container, "sleep", seconds)
    try:
        harness.wait_until(lambda: running(seconds), 30, "the command to start")
        terminal.pump(0.3)
        terminal.type("\x03")
        assert terminal.wait(proc) == 128 + signal.SIGINT
        harness.wait_until(lambda: not running(seconds), 10, "the command to end")
    finally:
        if proc.poll() is None:
            proc.kill()


# -- options -------------------------------------------------------------------------------------


def test_workdir_env_and_env_file_as_podman_exec_reads_them(rc, container, tmp_path):
    env_file = tmp_path / "vars"
    env_file.write_text("# settings\nA=from-file\n\n  B=two words\nCALLER\n")
    result = rc(
        "exec",
        "-w",
        "/tmp",
        "--env-file",
        str(env_file),
        "-e",
        "A=from-option",
        "-e",
        "C=3",
        container,
        "sh",
        "-c",
        'pwd; echo "$A|$B|$C|$CALLER"',
        env={"CALLER": "passed"},
    ).ok()
    assert result.out.splitlines() == ["/tmp", "from-option|two words|3|passed"]
    missing = rc("exec", "-w", "/no/such/dir", container, "pwd")
    assert missing.code == 127, missing.err


def test_user_runs_the_command_as_that_user(rc, container, family):
    assert rc("exec", "-u", "0", container, "id", "-u").ok().out.strip() == "0"
    other = rc("exec", "-u", "nobody", container, "id", "-un")
    if family == "podman":
        assert other.ok().out.strip() == "nobody"
    else:  # bubblewrap maps one user: another is refused, saying why
        assert other.code == 7 and "maps only its own user" in other.err


# -- terminals -----------------------------------------------------------------------------------


def test_an_interactive_shell_on_a_pseudo_terminal_runs_a_command_and_exits_with_its_code(
    container, terminal
):
    before = termios.tcgetattr(terminal.slave)
    proc = terminal.run("exec", container, "sh", env={"TERM": "xterm-rc-test"})
    terminal.pump(1.0)
    terminal.type("echo term=$TERM; stty size; tty; exit 5\r")
    assert terminal.wait(proc) == 5
    text = terminal.output.decode(errors="replace")
    assert "term=xterm-rc-test" in text
    assert "33 101" in text, "the caller's window size reached the container's terminal"
    assert "/dev/pts/" in text
    assert termios.tcgetattr(terminal.slave) == before, "the caller's terminal was not restored"


def test_a_resized_window_reaches_the_session(container, terminal):
    import fcntl
    import struct

    proc = terminal.run("exec", "-t", container, "sh")
    terminal.pump(1.0)
    fcntl.ioctl(terminal.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    os.killpg(proc.pid, signal.SIGWINCH)  # what the terminal does on a resize
    terminal.pump(0.5)
    terminal.type("stty size; exit\r")
    assert terminal.wait(proc) == 0
    assert "40 120" in terminal.output.decode(errors="replace")


# -- shell ---------------------------------------------------------------------------------------


def test_shell_starts_a_stopped_container_and_passes_the_exit_code(rc, container):
    rc("stop", container).ok()
    result = rc("shell", container, "-c", "echo inside; exit 4")
    assert result.code == 4, result.err
    assert result.out == "inside\n"
    assert f"{container} was stopped; started it" in result.err
    assert rc.ps()[container]["state"] == "running"
    again = rc("shell", container, "-c", "echo $0")
    assert again.ok().out.strip() in ("bash", "sh") and "started" not in again.err


# -- speed -----------------------------------------------------------------------------------------


def test_exec_imports_neither_podman_py_nor_http_client(container):
    """The hot path of a dev workstation: ``import podman`` (with requests) costs more than the
    exec itself, and http.client with ssl and email a tenth of it."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "rcontainer", "exec", container, "true"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    modules = {line.rpartition("|")[2].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "rcontainer.engine.core" in modules, "the import list was read"
    for heavy in ("podman", "requests", "http.client", "ssl", "yaml", "tarfile"):
        assert heavy not in modules, f"exec imported {heavy}"
