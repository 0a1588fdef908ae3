"""Pure logic of the bubblewrap family: argv from a profile, /proc parsing, users, commands."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rcontainer.backends.bwrap import argv as bwrap
from rcontainer.backends.bwrap import procs
from rcontainer.errors import BadInput

BASE = {
    "network": {"mode": "none", "ports": [], "hostname": None, "dns": [], "add_hosts": {}},
    "volumes": [],
    "read_only": False,
    "privileged": False,
    "cap_add": [],
    "cap_drop": [],
    "env": {},
}


def args(**profile) -> list[str]:
    return bwrap.bwrap_args(
        profile={**BASE, **profile},
        root_dir="/c/root",
        rootfs_dir="/cache/img",
        image_dirs=["bin", "usr"],
        hostname="box",
        uid=0,
        gid=0,
        env={"PATH": "/bin", "A": "1"},
        workdir="/",
        command=["sh", "-c", "true"],
        extra=("--unshare-cgroup",),
    )


def pairs(argv: list[str], option: str, n: int = 2) -> list[tuple[str, ...]]:
    return [tuple(argv[i + 1 : i + 1 + n]) for i, a in enumerate(argv) if a == option]


def test_argv_isolates_binds_the_root_and_ends_with_the_command():
    argv = args()
    for opt in ("--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net"):
        assert opt in argv
    assert "--die-with-parent" in argv and "--as-pid-1" in argv and "--clearenv" in argv
    assert pairs(argv, "--bind") == [("/c/root", "/")]
    assert pairs(argv, "--ro-bind") == [("/cache/img/bin", "/bin"), ("/cache/img/usr", "/usr")]
    assert argv.index("--bind") < argv.index("--ro-bind"), "the root first, image folders over it"
    assert pairs(argv, "--setenv") == [("PATH", "/bin"), ("A", "1")]
    assert pairs(argv, "--hostname", 1) == [("box",)]
    assert argv[-4:] == ["--", "sh", "-c", "true"]
    assert argv[argv.index("--") - 1] == "--unshare-cgroup", "the class's extra options come last"
    assert "--remount-ro" not in argv


def test_host_network_shares_the_namespace_and_read_only_remounts_root():
    argv = args(network={**BASE["network"], "mode": "host"}, read_only=True)
    assert "--unshare-net" not in argv
    assert pairs(argv, "--remount-ro", 1) == [("/",)]


def test_volumes_become_binds_and_tmpfs_mounts():
    argv = args(
        volumes=[
            {"type": "bind", "source": "/h/data", "target": "/data", "read_only": False},
            {"type": "bind", "source": "/h/conf", "target": "/conf", "read_only": True},
            {
                "type": "tmpfs",
                "source": None,
                "target": "/scratch",
                "size": 1048576,
                "mode": 0o1777,
                "read_only": True,
            },
        ]
    )
    assert ("/h/data", "/data") in pairs(argv, "--bind")
    assert ("/h/conf", "/conf") in pairs(argv, "--ro-bind")
    i = argv.index("/scratch")
    assert argv[i - 5 : i] == ["--size", "1048576", "--perms", "1777", "--tmpfs"]
    assert ("/scratch",) in pairs(argv, "--remount-ro", 1)
    with pytest.raises(BadInput):
        args(volumes=[{"type": "volume", "source": "named", "target": "/v"}])


def test_capabilities_default_drop_add_privileged():
    caps = pairs(args(), "--cap-add", 1)
    assert ("CAP_CHOWN",) in caps and ("CAP_NET_ADMIN",) not in caps
    caps = pairs(args(cap_drop=["CHOWN"], cap_add=["NET_ADMIN"]), "--cap-add", 1)
    assert ("CAP_CHOWN",) not in caps and ("CAP_NET_ADMIN",) in caps
    assert pairs(args(cap_drop=["ALL"]), "--cap-add", 1) == []
    assert pairs(args(privileged=True), "--cap-add", 1) == [("ALL",)]
    assert bwrap.capability_args({"cap_add": ["NET_RAW"]}, uid=1000) == ["--cap-add", "CAP_NET_RAW"]


def test_command_combines_entrypoint_and_cmd_as_docker_does():
    image = {"Entrypoint": ["/init"], "Cmd": ["serve"]}
    assert bwrap.container_command({}, image) == ["/init", "serve"]
    assert bwrap.container_command({"command": ["run"]}, image) == ["/init", "run"]
    assert bwrap.container_command({"entrypoint": ["/other"]}, image) == ["/other"]
    with pytest.raises(BadInput):
        bwrap.container_command({}, {})


def test_env_layers_image_then_profile():
    env = bwrap.container_env(
        {"env": {"B": "p"}}, {"Env": ["PATH=/bin", "B=i", "C=i"]}, hostname="h", home="/root"
    )
    assert env["PATH"] == "/bin" and env["B"] == "p" and env["C"] == "i" and env["HOSTNAME"] == "h"
    assert bwrap.container_env({}, {}, hostname="h", home="/")["PATH"] == bwrap.DEFAULT_PATH


def test_resolve_user_from_the_images_passwd(tmp_path: Path):
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n")
    (tmp_path / "group").write_text("root:x:0:\nstaff:x:50:\n")
    assert bwrap.resolve_user(tmp_path, None) == (0, 0, "/root")
    assert bwrap.resolve_user(tmp_path, "app") == (1000, 1001, "/home/app")
    assert bwrap.resolve_user(tmp_path, "app:staff") == (1000, 50, "/home/app")
    assert bwrap.resolve_user(tmp_path, "4242:7") == (4242, 7, "/")
    with pytest.raises(BadInput):
        bwrap.resolve_user(tmp_path, "ghost")
    with pytest.raises(BadInput):
        bwrap.resolve_user(tmp_path, "app:ghosts")


def test_parse_stat_handles_odd_command_names():
    fields = " ".join(str(n) for n in range(3, 53))
    text = f"4242 (we ird) (name)) S 17 {fields.split(' ', 2)[2]}"
    st = procs.parse_stat(text)
    assert (st.pid, st.comm, st.state, st.ppid) == (4242, "we ird) (name)", "S", 17)
    assert st.starttime == 22


def test_alive_needs_the_same_start_time_and_boot():
    me = procs.read_stat(os.getpid())
    assert me is not None and me.comm
    assert procs.alive(os.getpid(), me.starttime)
    assert procs.alive(os.getpid(), me.starttime, procs.boot_id())
    assert not procs.alive(os.getpid(), me.starttime + 1), "a reused pid is not our process"
    assert not procs.alive(os.getpid(), me.starttime, "another-boot")
    assert not procs.alive(None, 1)


def test_signal_numbers():
    assert procs.signal_number("SIGTERM") == 15
    assert procs.signal_number("TERM") == 15
    assert procs.signal_number("9") == 9
    with pytest.raises(BadInput):
        procs.signal_number("SIGNOPE")
