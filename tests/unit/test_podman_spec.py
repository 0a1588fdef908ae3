"""The Podman family's create request: what Podman receives for a profile.

Profiles go through the real loader, so each test checks the document the engine would post
to ``/libpod/containers/create`` for that YAML.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rcontainer.backends.podman.spec import spec_from_profile
from tests.unit.profile_helpers import IMAGE, load

OURS = {"io.rcontainer.managed": "true", "io.rcontainer.name": "p"}


def spec(folder: Path, body: str, *, handler: str | None = None) -> dict[str, Any]:
    profile = load(folder, f"name: p\nimage: {IMAGE}\n{body}")
    out = spec_from_profile(
        profile.data, "sha256:abc", name="rc-p", labels=OURS, log_path="/logs/p.log", handler=handler
    )
    json.dumps(out)  # what is posted: plain JSON
    return out


def test_a_minimal_profile_names_the_image_logs_to_its_file_and_drops_no_new_privileges(tmp_path):
    s = spec(tmp_path, "")
    assert s["name"] == "rc-p" and s["image"] == "sha256:abc"
    assert s["log_configuration"] == {"driver": "k8s-file", "path": "/logs/p.log", "size": 20 * 1024 * 1024}
    assert s["no_new_privileges"] is True and s["privileged"] is False
    assert s["read_only_filesystem"] is False
    assert s["terminal"] is False and s["stdin"] is False
    assert s["netns"] == {"nsmode": "private"} and s["portmappings"] == []
    for absent in ("mounts", "volumes", "userns", "idmappings", "resource_limits", "r_limits", "oci_runtime"):
        assert absent not in s, absent
    for absent in ("healthconfig", "restart_policy", "hostname", "command", "entrypoint", "work_dir", "user"):
        assert absent not in s, absent


def test_ports_are_published_on_a_private_network(tmp_path):
    s = spec(tmp_path, "network:\n  mode: private\n  ports: ['127.0.0.1:18080:8080', '9000:90/udp']\n")
    assert s["portmappings"] == [
        {"host_ip": "127.0.0.1", "host_port": 18080, "container_port": 8080, "protocol": "tcp"},
        {"host_ip": "", "host_port": 9000, "container_port": 90, "protocol": "udp"},
    ]


@pytest.mark.parametrize("mode", ["private", "slirp4netns", "pasta"])
def test_private_leaves_the_program_to_podman_and_explicit_modes_name_it(tmp_path, mode):
    # Podman turns "private" into its default rootless network (slirp4netns on 4.x, pasta on 5.x)
    s = spec(tmp_path, f"network:\n  mode: {mode}\n  ports: ['8080:80']\n")
    assert s["netns"] == {"nsmode": mode}
    assert [p["host_port"] for p in s["portmappings"]] == [8080]


@pytest.mark.parametrize("mode", ["none", "host"])
def test_ports_are_dropped_without_a_network_of_the_containers_own(tmp_path, mode):
    s = spec(tmp_path, f"network:\n  mode: {mode}\n  ports: ['8080:80']\n")
    assert s["netns"] == {"nsmode": mode}
    assert "portmappings" not in s


def test_host_name_dns_and_extra_hosts_reach_the_container(tmp_path):
    s = spec(
        tmp_path,
        "network:\n  hostname: boxy\n  dns: [10.0.0.53]\n  add_hosts: {db: 10.0.0.5}\n",
    )
    assert s["hostname"] == "boxy"
    assert s["dns_server"] == ["10.0.0.53"]
    assert s["hostadd"] == ["db:10.0.0.5"]


def test_bind_mounts_are_recursive_and_read_only_or_writable_as_asked(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "conf").mkdir()
    s = spec(tmp_path, "volumes:\n  - ./data:/data\n  - ./conf:/etc/app:ro,Z\n")
    assert s["mounts"] == [
        {
            "Type": "bind",
            "Source": str(tmp_path / "data"),
            "Destination": "/data",
            "Options": ["rw", "rbind"],
        },
        {
            "Type": "bind",
            "Source": str(tmp_path / "conf"),
            "Destination": "/etc/app",
            "Options": ["ro", "Z", "rbind"],
        },
    ]
    assert "volumes" not in s


def test_tmpfs_mounts_carry_their_size_and_mode(tmp_path):
    s = spec(
        tmp_path,
        "volumes:\n  - {type: tmpfs, target: /tmp, size: 64m, mode: 1777}\n  - {type: tmpfs, target: /run}\n",
    )
    assert s["mounts"] == [
        {
            "Type": "tmpfs",
            "Source": "tmpfs",
            "Destination": "/tmp",
            "Options": ["rw", "size=67108864", "mode=1777"],
        },
        {"Type": "tmpfs", "Source": "tmpfs", "Destination": "/run", "Options": ["rw"]},
    ]


def test_named_volumes_are_volumes_not_mounts(tmp_path):
    s = spec(
        tmp_path, "volumes:\n  - cache:/cache\n  - {type: volume, source: db, target: /db, read_only: true}\n"
    )
    assert s["volumes"] == [
        {"Name": "cache", "Dest": "/cache", "Options": ["rw"]},
        {"Name": "db", "Dest": "/db", "Options": ["ro"]},
    ]
    assert "mounts" not in s


@pytest.mark.parametrize("mode", ["keep-id", "auto", "host"])
def test_a_userns_mode_is_passed_by_name(tmp_path, mode):
    s = spec(tmp_path, f"userns: {mode}\n")
    assert s["userns"] == {"nsmode": mode}
    assert "idmappings" not in s


def test_userns_id_maps_become_podman_idmappings(tmp_path):
    s = spec(tmp_path, "userns:\n  uidmap: ['0:1:1000', '1000:0:1']\n  gidmap: ['0:1:65536']\n")
    assert s["idmappings"] == {
        "UIDMap": [
            {"container_id": 0, "host_id": 1, "size": 1000},
            {"container_id": 1000, "host_id": 0, "size": 1},
        ],
        "GIDMap": [{"container_id": 0, "host_id": 1, "size": 65536}],
    }
    assert "userns" not in s


def test_env_and_labels_merge_with_rcontainers_labels_winning(tmp_path):
    s = spec(
        tmp_path,
        "env: {A: '1', B: two}\n"
        "labels: {com.example.role: web, io.rcontainer.name: spoofed}\n"
        "annotations: {org.example.note: hi}\n",
    )
    assert s["env"] == {"A": "1", "B": "two"}
    assert s["labels"] == {"com.example.role": "web", **OURS}
    assert s["annotations"] == {"org.example.note": "hi"}


def test_secret_env_values_are_sent_as_plain_values(tmp_path):
    s = spec(tmp_path, "env:\n  TOKEN: {value: s3cret, secret: true}\n")
    assert s["env"] == {"TOKEN": "s3cret"}


@pytest.mark.parametrize(
    ("given", "number"), [("", 15), ("stop_signal: SIGUSR1\n", 10), ("stop_signal: 2\n", 2)]
)
def test_the_stop_signal_is_sent_as_a_number_with_the_timeout(tmp_path, given, number):
    s = spec(tmp_path, given + "stop_timeout: 3\n")
    assert s["stop_signal"] == number and s["stop_timeout"] == 3


def test_a_runtime_handler_names_the_oci_runtime(tmp_path):
    assert spec(tmp_path, "", handler="runc")["oci_runtime"] == "runc"
    assert "oci_runtime" not in spec(tmp_path, "", handler=None)


def test_resources_become_cgroup_limits_and_ulimits_rlimits(tmp_path):
    s = spec(
        tmp_path,
        "resources: {memory: 64m, cpus: 1.5, pids: 64}\nulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 100}\n",
    )
    assert s["resource_limits"] == {
        "memory": {"limit": 64 * 1024 * 1024},
        "cpu": {"quota": 150_000, "period": 100_000},
        "pids": {"limit": 64},
    }
    assert s["r_limits"] == [
        {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 2048},
        {"type": "RLIMIT_NPROC", "soft": 100, "hard": 100},
    ]


def test_the_healthcheck_is_in_nanoseconds_and_restart_tries_are_split_off(tmp_path):
    s = spec(
        tmp_path,
        "healthcheck:\n  test: [CMD, true]\n  interval: 10s\n  timeout: 2s\n  retries: 5\n  start_period: 1s\n"
        "restart: on-failure:3\n",
    )
    assert s["healthconfig"] == {
        "Test": ["CMD", "true"],
        "Interval": 10_000_000_000,
        "Timeout": 2_000_000_000,
        "Retries": 5,
        "StartPeriod": 1_000_000_000,
    }
    assert (s["restart_policy"], s["restart_tries"]) == ("on-failure", 3)
    always = spec(tmp_path, "restart: always\n")
    assert always["restart_policy"] == "always" and "restart_tries" not in always


def test_security_and_process_fields_are_passed_through(tmp_path):
    s = spec(
        tmp_path,
        "command: [sleep, '60']\nentrypoint: [/bin/sh, -c]\nworkdir: /srv\nuser: '1000:1000'\ntty: true\n"
        "read_only: true\ncap_add: [NET_ADMIN]\ncap_drop: [ALL]\nno_new_privileges: false\n",
    )
    assert s["command"] == ["sleep", "60"] and s["entrypoint"] == ["/bin/sh", "-c"]
    assert s["work_dir"] == "/srv" and s["user"] == "1000:1000"
    assert s["terminal"] is True and s["stdin"] is True
    assert s["read_only_filesystem"] is True and s["no_new_privileges"] is False
    assert s["cap_add"] == ["NET_ADMIN"] and s["cap_drop"] == ["ALL"]


def test_the_log_size_cap_is_configurable_and_bad_values_are_refused(tmp_path, monkeypatch):
    from rcontainer.errors import BadInput

    monkeypatch.setenv("RCONTAINER_LOG_MAX_SIZE", "64k")
    assert spec(tmp_path, "")["log_configuration"]["size"] == 64 * 1024
    monkeypatch.setenv("RCONTAINER_LOG_MAX_SIZE", "lots")
    with pytest.raises(BadInput):
        spec(tmp_path, "")


def test_networks_join_bridge_networks_with_the_name_and_aliases(tmp_path):
    from rcontainer.engine.networks import for_podman

    profile = load(
        tmp_path, f"name: db\nimage: {IMAGE}\nnetworks: {{default: {{aliases: [database]}}, shared: null}}\n"
    )
    data = for_podman(profile.data, "shop", "db")
    s = spec_from_profile(data, "sha256:abc", name="rc-shop.db", labels=OURS, log_path="/l", handler=None)
    assert s["netns"] == {"nsmode": "bridge"}
    assert s["networks"] == {"rc-shop": {"aliases": ["db", "database"]}, "shared": {"aliases": ["db"]}}
    plain = spec(tmp_path, "networks: []\n")
    assert plain["netns"] == {"nsmode": "private"} and "networks" not in plain
