"""The bubblewrap family through the real CLI: no daemon, the same lifecycle.

The image comes from the session's rootless Podman service (its root filesystem is unpacked
once into the cache); everything else runs with bubblewrap alone.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests import harness

COUNTER = 'echo "me $$$$ host $$(hostname) color $$COLOR"; i=0; while true; do i=$$((i+1)); echo "tick $$i"; sleep 0.2; done'


@pytest.fixture(autouse=True)
def no_leftovers(isolated_dirs):
    """No daemon reaps bwrap containers: kill what a test left running."""
    yield
    harness.stop_monitors(isolated_dirs["RCONTAINER_STATE_DIR"])  # or it would restart them
    harness.kill_bwrap_containers(isolated_dirs["RCONTAINER_STATE_DIR"])


@pytest.fixture
def profile(busybox_profile, scope: str):
    def write(name: str = "bw", **fields) -> Path:
        return busybox_profile(
            name, **{"runtime": "bwrap", "command": ["sh", "-c", COUNTER], "stop_timeout": 1, **fields}
        )

    return write


def inspect(rc, name: str = "bw") -> dict:
    return rc("inspect", "--json", name).json()


def log_lines(rc, name: str = "bw") -> list[str]:
    return rc("logs", name).ok().out.splitlines()


def ticks(rc, name: str = "bw") -> int:
    lines = [line for line in log_lines(rc, name) if line.startswith("tick ")]
    return int(lines[-1].split()[1]) if lines else 0


def gone(pid: int) -> bool:
    """Dead: no such process, or a zombie (this machine's PID 1 may not reap orphans)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] in ("Z", "X")
    except OSError:
        return True


def cache_snapshot(cache: Path) -> dict[str, tuple[int, int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(cache):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            out[p] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def test_up_runs_the_command_under_bubblewrap(rc, profile):
    rc("up", str(profile(env={"COLOR": "blue"}, network={"mode": "none", "hostname": "boxy"}))).ok()
    assert rc.ps("--all")["bw"]["state"] == "running"
    data = inspect(rc)
    pid = data["pid"]
    assert data["family"] == "bwrap" and pid
    # the init is PID 1 of its own namespace, and its parent is bwrap
    nspid = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("NSpid:"))
    assert nspid.split()[-1] == "1"
    ppid = int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    assert Path(f"/proc/{ppid}/comm").read_text().strip() == "bwrap"
    harness.wait_until(lambda: ticks(rc) >= 2, 10, "the counter")
    assert log_lines(rc)[0] == "me 1 host boxy color blue"
    assert data["pause_method"] == "signal"


def test_walk_through_pause_stop_start_rm_and_history(rc, profile):
    path = profile(command=["sh", "-c", "trap 'echo bye; exit 3' TERM; " + COUNTER])
    rc("up", str(path)).ok()
    harness.wait_until(lambda: ticks(rc) >= 3, 10, "the counter")
    pid = inspect(rc)["pid"]

    rc("pause", "bw").ok()
    assert rc.ps("--all")["bw"]["state"] == "paused"
    assert Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "T"
    frozen = ticks(rc)
    time.sleep(1.0)
    assert ticks(rc) == frozen, "the counter advanced while paused"
    rc("unpause", "bw").ok()
    harness.wait_until(lambda: ticks(rc) > frozen + 2, 10, "the counter to resume")

    rc("stop", "bw").ok()
    row = rc.ps("--all")["bw"]
    assert (row["state"], row["exit_code"]) == ("stopped", 3), "the stop signal reached the trap"
    assert "bye" in log_lines(rc)
    assert gone(pid)

    rc("start", "bw").ok()
    assert rc.ps("--all")["bw"]["state"] == "running"
    assert inspect(rc)["pid"] != pid
    rc("stop", "-t", "0", "bw").ok()
    rc("rm", "bw").ok()
    assert rc.ps("--all")["bw"]["state"] == "removed"
    walked = [(t["from"], t["to"]) for t in rc("history", "--json", "bw").json()]
    assert walked == [
        (None, "created"),
        ("created", "running"),
        ("running", "paused"),
        ("paused", "running"),
        ("running", "stopped"),
        ("stopped", "running"),
        ("running", "stopped"),
        ("stopped", "removed"),
    ]
    assert "tick 1" in log_lines(rc), "logs outlive the container"


def test_a_command_that_exits_is_stopped_with_its_exit_code(rc, profile):
    rc("up", str(profile(command=["sh", "-c", "echo done; exit 5"]))).ok()
    assert rc("wait", "bw").ok().out.strip() == "5"
    row = rc.ps("--all")["bw"]
    assert (row["state"], row["exit_code"]) == ("stopped", 5)
    assert log_lines(rc) == ["done"]


def test_exec_sees_the_containers_root_hostname_and_env(rc, profile):
    rc("up", str(profile(env={"WHO": "inside"}, network={"mode": "none", "hostname": "boxy"}))).ok()
    result = rc(
        "exec", "bw", "sh", "-c", "echo $WHO; hostname; head -1 /etc/passwd; cat /proc/1/cmdline"
    ).ok()
    lines = result.out.splitlines()
    assert lines[:3] == ["inside", "boxy", "root:x:0:0:root:/root:/bin/sh"]
    assert "tick" in lines[3], "exec shares the container's PID namespace"
    assert rc("exec", "bw", "sh", "-c", "exit 7").code == 7


def test_the_shared_rootfs_is_never_written(rc, profile, isolated_dirs):
    rc("up", str(profile())).ok()
    cache = isolated_dirs["RCONTAINER_CACHE_DIR"] / "rootfs"
    before = cache_snapshot(cache)
    assert before, "the image was unpacked into the cache"
    script = (
        "echo a > /newfile && echo b > /tmp/f && echo c > /etc/added && echo d >> /etc/passwd"
        " && mkdir -p /root/x && ! echo e > /bin/nope 2>/dev/null && cat /newfile /etc/added"
    )
    assert rc("exec", "bw", "sh", "-c", script).ok().out.split() == ["a", "c"]
    assert cache_snapshot(cache) == before
    # a second container of the same image shares the tree and does not see the first's writes
    rc("up", str(profile("bw2"))).ok()
    assert inspect(rc, "bw2")["runtime_details"]["rootfs"] == inspect(rc)["runtime_details"]["rootfs"]
    assert rc("exec", "bw2", "cat", "/newfile").code != 0
    assert "d" not in rc("exec", "bw2", "cat", "/etc/passwd").ok().out.split()


def test_a_killed_supervisor_leaves_the_container_stopped_not_running(rc, profile):
    rc("up", str(profile())).ok()
    data = inspect(rc)
    pid = data["pid"]
    sup = data["runtime_details"]["supervisor_pid"]
    os.kill(sup, signal.SIGKILL)
    harness.wait_until(lambda: gone(pid), 10, "the container to die with it")
    assert rc.ps("--all")["bw"]["state"] == "stopped"
    rc("start", "bw").ok()
    assert rc.ps("--all")["bw"]["state"] == "running"


def test_the_supervisor_leaves_the_clis_session_and_keeps_none_of_its_files(rc, profile):
    """The supervisor is a fork of the CLI (no second interpreter on the way to a running
    container): in a session of its own, with /dev/null and its log as stdio, and none of what
    the CLI had open (the container's lock, the Podman connection): a lock it kept would make
    every later command on the container wait."""
    rc("up", str(profile())).ok()
    sup = inspect(rc)["runtime_details"]["supervisor_pid"]
    assert os.getsid(sup) == sup
    fds = {int(fd): os.readlink(f"/proc/{sup}/fd/{fd}") for fd in os.listdir(f"/proc/{sup}/fd")}
    assert fds[0] == fds[1] == "/dev/null"
    assert fds[2].endswith("/supervisor.log")
    others = [target for fd, target in fds.items() if fd > 2]
    assert not [t for t in others if t.startswith("socket:") or t.endswith(".lock")], others
    # its own: the container's log, bwrap's stdout, stderr and status pipes, its selector
    assert all(t.endswith(".log") or t.startswith(("pipe:", "anon_inode:")) for t in others), others
    rc("stop", "bw").ok()  # the lock is free: no wait
    assert rc.ps("--all")["bw"]["state"] == "stopped"


def test_rm_removes_the_containers_folder_but_keeps_the_cache(rc, profile, isolated_dirs):
    rc("up", str(profile())).ok()
    folder = Path(inspect(rc)["runtime_details"]["dir"])
    rootfs = Path(inspect(rc)["runtime_details"]["rootfs"])
    assert folder.is_dir()
    rc("rm", "-f", "bw").ok()
    assert not folder.exists()
    assert rootfs.is_dir()
    from rcontainer.backends.bwrap import rootfs as rootfs_mod

    assert rootfs_mod.prune_rootfs([rootfs.name]) == 0
    assert rootfs.is_dir()
    assert rootfs_mod.prune_rootfs([]) > 0
    assert not rootfs.exists()


def test_a_bwrap_setup_error_fails_the_start_clearly(rc, profile, tmp_path):
    # a missing bind source is refused before bwrap runs (issue 18): the fix is a mkdir
    missing = tmp_path / "no-such-dir"
    result = rc("up", str(profile(volumes=[f"{missing}:/data"])))
    assert result.code == 2 and f"mkdir -p {missing}" in result.err, result.err
    # what only bwrap finds out: a file bound over a folder of the image
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder\n")
    result = rc("up", str(profile(volumes=[f"{a_file}:/home"])))
    assert result.code == 1, result.err
    assert "bwrap" in result.err
    assert "Traceback" not in result.err


def test_volumes_bind_and_tmpfs(rc, profile, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "in.txt").write_text("from host\n")
    rc("up", str(profile(volumes=[f"{shared}:/data", {"type": "tmpfs", "target": "/scratch"}]))).ok()
    out = rc(
        "exec", "bw", "sh", "-c", "cat /data/in.txt; echo back > /data/out.txt; grep -c scratch /proc/mounts"
    ).ok()
    assert out.out.split() == ["from", "host", "1"]
    assert (shared / "out.txt").read_text() == "back\n"


@pytest.mark.parametrize("command", ["validate", "up"])
def test_ports_are_refused_for_bwrap(rc, profile, command):
    path = profile(network={"mode": "none", "ports": ["18080:80"]})
    result = rc(command, str(path))
    assert result.code == 2, result.err
    assert "bwrap" in result.err and "ports" in result.err
    assert "bw" not in rc.ps("--all")


def test_read_only_root_still_has_a_writable_tmp(rc, profile):
    rc("up", str(profile(read_only=True))).ok()
    assert rc("exec", "bw", "sh", "-c", "echo x > /newfile").code != 0
    assert rc("exec", "bw", "sh", "-c", "echo x > /etc/added").code != 0
    rc("exec", "bw", "sh", "-c", "echo x > /tmp/f && cat /tmp/f").ok()


def test_kill_and_user_from_the_profile(rc, profile):
    rc("up", str(profile(user="nobody"))).ok()
    assert rc("exec", "bw", "id", "-u").ok().out.strip() == "65534"
    rc("kill", "bw").ok()
    row = rc.ps("--all")["bw"]
    assert (row["state"], row["exit_code"]) == ("stopped", 137)
