"""Each profile field: parsed, normalised, defaulted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.unit.profile_helpers import IMAGE, load, one_problem


def test_minimal_profile_gets_every_default(tmp_path: Path) -> None:
    p = load(tmp_path, f"image: {IMAGE}\n", name="mini.yaml")
    assert p.name == "mini"
    assert p.path == (tmp_path / "mini.yaml").absolute()
    assert p.runtime == "default"
    assert p.data == {
        "name": "mini",
        "image": IMAGE,
        "build": None,
        "pull": "missing",
        "command": None,
        "entrypoint": None,
        "workdir": None,
        "user": None,
        "userns": "",
        "env": {},
        "network": {"mode": "private", "ports": [], "hostname": None, "dns": [], "add_hosts": {}},
        "volumes": [],
        "runtime": "default",
        "resources": {"memory": None, "cpus": None, "pids": None},
        "ulimits": {},
        "healthcheck": None,
        "restart": "no",
        "stop_signal": "SIGTERM",
        "stop_timeout": 10,
        "read_only": False,
        "cap_add": [],
        "cap_drop": [],
        "no_new_privileges": True,
        "allow_sensitive_mounts": False,
        "privileged": False,
        "labels": {},
        "annotations": {},
        "tty": False,
    }
    assert p.secret_env == frozenset()


def test_name_from_key_wins_over_file_name(tmp_path: Path) -> None:
    assert load(tmp_path, f"name: web-1.x_y\nimage: {IMAGE}\n").name == "web-1.x_y"


def test_build_short_and_long_forms(tmp_path: Path) -> None:
    (tmp_path / "ctx").mkdir()
    p = load(tmp_path, "build: ./ctx\n")
    assert p.data["build"] == {"context": str(tmp_path / "ctx"), "containerfile": "Containerfile", "args": {}}
    assert p.data["image"] is None
    p = load(tmp_path, "build: {context: ctx, containerfile: Dockerfile, args: {V: 1}}\n")
    assert p.data["build"] == {
        "context": str(tmp_path / "ctx"),
        "containerfile": "Dockerfile",
        "args": {"V": "1"},
    }


@pytest.mark.parametrize("policy", ["missing", "always", "never", "newer"])
def test_pull(tmp_path: Path, policy: str) -> None:
    assert load(tmp_path, f"image: {IMAGE}\npull: {policy}\n").data["pull"] == policy


def test_command_and_entrypoint_string_forms_are_split_like_a_shell(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        f"""\
        image: {IMAGE}
        command: sh -c 'echo "a b"; exit 0'
        entrypoint: ["/bin/sh", "-e"]
        """,
    )
    assert p.data["command"] == ["sh", "-c", 'echo "a b"; exit 0']
    assert p.data["entrypoint"] == ["/bin/sh", "-e"]


def test_workdir_user_tty_and_flags(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        f"""\
        image: {IMAGE}
        workdir: /src/../srv//app/
        user: 1000
        tty: yes
        read_only: "true"
        privileged: false
        no_new_privileges: off
        """,
    )
    assert p.data["workdir"] == "/srv/app"
    assert p.data["user"] == "1000"
    assert p.data["tty"] is True
    assert p.data["read_only"] is True
    assert p.data["privileged"] is False
    assert p.data["no_new_privileges"] is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("keep-id", "keep-id"),
        ("auto", "auto"),
        ("host", "host"),
        ('""', ""),
        ("{uidmap: ['0:1000:1'], gidmap: ['0:1000:1']}", {"uidmap": ["0:1000:1"], "gidmap": ["0:1000:1"]}),
    ],
)
def test_userns(tmp_path: Path, text: str, expected) -> None:
    assert load(tmp_path, f"image: {IMAGE}\nuserns: {text}\n").data["userns"] == expected


def test_env_scalars_become_strings(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        f"""\
        image: {IMAGE}
        env:
          S: text
          I: 42
          F: 1.5
          T: true
          N: false
          E:
          Q: "007"
        """,
    )
    assert p.data["env"] == {
        "S": "text",
        "I": "42",
        "F": "1.5",
        "T": "true",
        "N": "false",
        "E": "",
        "Q": "007",
    }


def test_env_list_form(tmp_path: Path) -> None:
    p = load(tmp_path, f"image: {IMAGE}\nenv: ['A=1', 'B=x=y', 'C=']\n")
    assert p.data["env"] == {"A": "1", "B": "x=y", "C": ""}


def test_network_modes_name_podmans_default_or_one_program_and_the_short_form(tmp_path: Path) -> None:
    for mode in ("private", "slirp4netns", "pasta", "none", "host"):
        assert load(tmp_path, f"image: {IMAGE}\nnetwork: {{mode: {mode}}}\n").data["network"]["mode"] == mode
    net = load(tmp_path, f"image: {IMAGE}\nnetwork: pasta\n").data["network"]
    assert net == {"mode": "pasta", "ports": [], "hostname": None, "dns": [], "add_hosts": {}}


def test_ports_short_and_long_forms(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        f"""\
        image: {IMAGE}
        network:
          ports:
            - 8080:80
            - "127.0.0.1:18080:8080"
            - "[::1]:5353:53/udp"
            - 22:22
            - {{host_port: 9000, container_port: "90", protocol: udp, host_ip: 0.0.0.0}}
          hostname: box.local
          dns: [1.1.1.1]
          add_hosts: {{db: 10.0.0.5}}
        """,
    )
    net = p.data["network"]
    assert net["ports"] == [
        {"host_ip": "", "host_port": 8080, "container_port": 80, "protocol": "tcp"},
        {"host_ip": "127.0.0.1", "host_port": 18080, "container_port": 8080, "protocol": "tcp"},
        {"host_ip": "::1", "host_port": 5353, "container_port": 53, "protocol": "udp"},
        {"host_ip": "", "host_port": 22, "container_port": 22, "protocol": "tcp"},  # not YAML 1.1 base 60
        {"host_ip": "0.0.0.0", "host_port": 9000, "container_port": 90, "protocol": "udp"},
    ]
    assert net["hostname"] == "box.local"
    assert net["dns"] == ["1.1.1.1"]
    assert net["add_hosts"] == {"db": "10.0.0.5"}


def test_volumes_all_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    p = load(
        tmp_path,
        f"""\
        image: {IMAGE}
        volumes:
          - ./data:/data:ro
          - ~/src:/src
          - link/../real/x:/x:rw,Z
          - cache:/cache
          - /abs:/abs/
          - {{type: bind, source: ./link, target: /l, read_only: true}}
          - {{type: volume, source: vol, target: /v}}
          - {{type: tmpfs, target: /tmp, size: 64m, mode: 1777}}
        """,
    )
    home = os.path.realpath(tmp_path / "home")
    real = os.path.realpath(tmp_path)

    def vol(kind, source, target, ro=False, selinux="", size=None, mode=None):
        return {
            "type": kind,
            "source": source,
            "target": target,
            "read_only": ro,
            "selinux": selinux,
            "size": size,
            "mode": mode,
        }

    assert p.data["volumes"] == [
        vol("bind", f"{real}/data", "/data", ro=True),
        vol("bind", f"{home}/src", "/src"),
        vol("bind", f"{real}/real/x", "/x", selinux="Z"),
        vol("volume", "cache", "/cache"),
        vol("bind", "/abs", "/abs"),
        vol("bind", f"{real}/real", "/l", ro=True),
        vol("volume", "vol", "/v"),
        vol("tmpfs", None, "/tmp", size=64 * 1024**2, mode=0o1777),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("512m", 512 * 1024**2), ("1g", 1024**3), ("1GiB", 1024**3), ("100k", 102400), (1048576, 1048576)],
)
def test_memory_sizes(tmp_path: Path, text, expected: int) -> None:
    p = load(tmp_path, f"image: {IMAGE}\nresources: {{memory: {text}, cpus: 1.5, pids: 100}}\n")
    assert p.data["resources"] == {"memory": expected, "cpus": 1.5, "pids": 100}


def test_ulimits(tmp_path: Path) -> None:
    p = load(
        tmp_path, f"image: {IMAGE}\nulimits: {{nofile: 1024, nproc: {{soft: 10, hard: 20}}, core: -1}}\n"
    )
    assert p.data["ulimits"] == {
        "nofile": {"soft": 1024, "hard": 1024},
        "nproc": {"soft": 10, "hard": 20},
        "core": {"soft": -1, "hard": -1},
    }


def test_healthcheck(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        f"""\
        image: {IMAGE}
        healthcheck:
          test: wget -q -O- http://127.0.0.1/
          interval: 1m30s
          timeout: 500ms
          retries: 5
          start_period: 2
        """,
    )
    assert p.data["healthcheck"] == {
        "test": ["CMD-SHELL", "wget -q -O- http://127.0.0.1/"],
        "interval": 90.0,
        "timeout": 0.5,
        "retries": 5,
        "start_period": 2.0,
    }
    p = load(tmp_path, f"image: {IMAGE}\nhealthcheck: {{test: [CMD, true]}}\n")
    assert p.data["healthcheck"] == {
        "test": ["CMD", "true"],
        "interval": 30.0,
        "timeout": 30.0,
        "retries": 3,
        "start_period": 0.0,
    }
    assert load(tmp_path, f"image: {IMAGE}\nhealthcheck: {{test: [NONE]}}\n").data["healthcheck"]["test"] == [
        "NONE"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no", "no"),
        ('"no"', "no"),
        ("always", "always"),
        ("on-failure", "on-failure"),
        ("on-failure:3", "on-failure:3"),
    ]
    + [("unless-stopped", "unless-stopped")],
)
def test_restart(tmp_path: Path, text: str, expected: str) -> None:
    assert load(tmp_path, f"image: {IMAGE}\nrestart: {text}\n").data["restart"] == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("TERM", "SIGTERM"), ("sigint", "SIGINT"), ("9", "SIGKILL"), ("SIGHUP", "SIGHUP")]
)
def test_stop_signal(tmp_path: Path, text: str, expected: str) -> None:
    assert load(tmp_path, f"image: {IMAGE}\nstop_signal: {text}\n").data["stop_signal"] == expected


def test_stop_timeout_and_capabilities(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        f"""\
        image: {IMAGE}
        stop_timeout: "3"
        cap_add: [cap_net_admin, SYS_PTRACE, NET_ADMIN]
        cap_drop: [all]
        """,
    )
    assert p.data["stop_timeout"] == 3
    assert p.data["cap_add"] == ["NET_ADMIN", "SYS_PTRACE"]
    assert p.data["cap_drop"] == ["ALL"]


def test_labels_and_annotations(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        f"""\
        image: {IMAGE}
        labels: {{com.example.a: 1, b: text}}
        annotations: ["io.x=y"]
        """,
    )
    assert p.data["labels"] == {"com.example.a": "1", "b": "text"}
    assert p.data["annotations"] == {"io.x": "y"}


def test_extension_keys_are_dropped_and_anchors_work(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        f"""\
        x-common: &common
          TZ: UTC
          X: $$literal
        image: {IMAGE}
        env:
          <<: *common
          X: own
        network:
          x-note: ignored
          mode: none
        """,
    )
    assert p.data["env"] == {"TZ": "UTC", "X": "own"}
    assert "x-common" not in p.data
    assert p.data["network"]["mode"] == "none"


def test_runtime_classes(tmp_path: Path) -> None:
    for name in ("default", "runc", "crun", "gvisor", "kata", "bwrap"):
        text = f"image: {IMAGE}\nruntime: {name}\nnetwork: none\n"
        assert load(tmp_path, text).runtime == name


def test_user_runtime_class_from_runtimes_yaml(tmp_path: Path) -> None:
    from rcontainer import paths

    paths.runtimes_file().parent.mkdir(parents=True, exist_ok=True)
    paths.runtimes_file().write_text("traced:\n  runtime: /usr/bin/runc\n")
    assert load(tmp_path, f"image: {IMAGE}\nruntime: traced\n").runtime == "traced"


def test_to_dict_is_a_copy_and_hash_is_stable(tmp_path: Path) -> None:
    p = load(tmp_path, f"image: {IMAGE}\nenv: {{A: '1'}}\n")
    d = p.to_dict()
    d["env"]["A"] = "changed"
    assert p.data["env"]["A"] == "1"
    h = p.config_hash()
    assert len(h) == 64 and h == load(tmp_path, f"image: {IMAGE}\nenv: {{A: '1'}}\n").config_hash()
    assert h != load(tmp_path, f"image: {IMAGE}\nenv: {{A: '2'}}\n").config_hash()


def test_timestamps_and_odd_scalars_stay_text(tmp_path: Path) -> None:
    p = load(tmp_path, f"image: {IMAGE}\nlabels: {{built: 2024-01-02, on: on}}\n")
    assert p.data["labels"] == {"built": "2024-01-02", "on": "true"}


def test_bad_value_after_valid_one_does_not_hide_it(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, f"image: {IMAGE}\nstop_timeout: -1\n")
    assert problem.path == "stop_timeout"


def test_shell_is_kept_when_named_and_absent_otherwise(tmp_path: Path) -> None:
    """A profile without ``shell:`` resolves (and hashes) as before the field existed."""
    named = load(tmp_path, f"image: {IMAGE}\nshell: zsh\n")
    assert named.data["shell"] == "zsh"
    plain = load(tmp_path, f"image: {IMAGE}\n")
    assert "shell" not in plain.data
    assert named.config_hash() != plain.config_hash()
    assert "'zsh'" in str(one_problem(tmp_path, f"image: {IMAGE}\nshell: zsh -l\n"))
