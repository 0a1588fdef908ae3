"""Quadlet .container files: the keys a profile maps to, and the loss report."""

from __future__ import annotations

import json

from rcontainer.convert.quadlet import quadlet_text
from tests.unit.profile_helpers import IMAGE, load
from tests.unit.test_systemd_unit import sections

FULL = f"""
name: full
image: {IMAGE}
command: ["sh", "-c", "echo $$HOME 100%"]
user: "1000:1000"
userns: keep-id
env:
  TZ: UTC
  GREETING: hello world
  TOKEN:
    value: s3cret
    secret: true
network:
  mode: private
  ports: ["127.0.0.1:8080:80", "5353:53/udp"]
  hostname: box
volumes:
  - /srv/data:/data:ro
  - type: tmpfs
    target: /tmp
    size: 64m
healthcheck:
  test: ["CMD", "wget", "-q", "http://127.0.0.1/"]
  interval: 10s
  timeout: 2s
  retries: 3
  start_period: 1s
restart: on-failure:2
stop_timeout: 4
read_only: true
cap_drop: [ALL]
cap_add: [NET_BIND_SERVICE]
labels:
  app: demo
resources:
  memory: 64m
"""


def test_quadlet_maps_profile_fields_to_container_keys(tmp_path):
    result = quadlet_text(load(tmp_path, FULL))
    assert result.filename == "full.container"
    c = sections(result.text)["Container"]
    assert c["Image"] == [IMAGE]
    assert c["Exec"] == ['sh -c "echo $$HOME 100%%"']
    assert c["User"] == ["1000"] and c["Group"] == ["1000"]
    assert c["UserNS"] == ["keep-id"]
    assert c["Environment"] == ["TZ=UTC", '"GREETING=hello world"']
    assert "Network" not in c  # network: private is Podman's default rootless network
    assert c["PublishPort"] == ["127.0.0.1:8080:80/tcp", "5353:53/udp"]
    assert c["Volume"] == ["/srv/data:/data:ro"]
    assert c["Tmpfs"] == [f"/tmp:size={64 * 1024 * 1024}"]
    assert json.loads(c["HealthCmd"][0]) == ["CMD", "wget", "-q", "http://127.0.0.1/"]
    assert c["HealthInterval"] == ["10s"] and c["HealthRetries"] == ["3"]
    assert c["ReadOnly"] == ["true"]
    assert c["DropCapability"] == ["ALL"] and c["AddCapability"] == ["NET_BIND_SERVICE"]
    assert c["Label"] == ["app=demo"]
    # only what has no key of its own goes through PodmanArgs
    args = c["PodmanArgs"][0].split()
    assert "--hostname=box" in args and f"--memory={64 * 1024 * 1024}" in args and "--stop-timeout=4" in args
    service = sections(result.text)["Service"]
    assert service["Restart"] == ["on-failure"] and service["TimeoutStopSec"] == ["14"]
    assert sections(result.text)["Unit"]["StartLimitBurst"] == ["3"]


def losses(result) -> list[str]:
    """The loss report as the command prints it (the file is about one profile)."""
    assert all(loss.source == result.filename.removesuffix(".container") for loss in result.losses)
    return [f"{loss.field}: {loss.what}" for loss in result.losses]


def test_loss_report_names_what_quadlet_cannot_say(tmp_path):
    result = quadlet_text(load(tmp_path, FULL))
    assert any(loss.startswith("env.TOKEN:") for loss in losses(result))
    assert "s3cret" not in result.text
    assert any(loss.startswith("records and logs") for loss in losses(result))


def test_runtime_classes_quadlet_cannot_select_are_reported(tmp_path):
    runc = quadlet_text(load(tmp_path, f"name: r\nimage: {IMAGE}\nruntime: runc\n"))
    bwrap = quadlet_text(load(tmp_path / "b", f"name: b\nimage: {IMAGE}\nruntime: bwrap\nnetwork: none\n"))
    default = quadlet_text(load(tmp_path / "c", f"name: c\nimage: {IMAGE}\n"))
    assert any(loss.startswith("runtime: class runc") for loss in losses(runc))
    assert any("bubblewrap" in loss for loss in losses(bwrap))
    assert not any(loss.startswith("runtime") for loss in losses(default))


def test_shell_healthcheck_and_no_network(tmp_path):
    result = quadlet_text(
        load(tmp_path, f"name: s\nimage: {IMAGE}\nnetwork: none\nhealthcheck:\n  test: test -e /tmp/ok\n")
    )
    c = sections(result.text)["Container"]
    assert c["HealthCmd"] == ["test -e /tmp/ok"]
    assert c["Network"] == ["none"]


def test_every_row_of_the_table_names_a_profile_field(tmp_path):
    from rcontainer.convert.quadlet import ROWS

    data = load(tmp_path, FULL).data  # resolved: every field present
    for row in ROWS:
        value = data
        for part in row.field.split("."):
            assert isinstance(value, dict) and part in value, row.field
            value = value[part]


def test_explicit_rootless_networks_are_named_and_private_is_left_to_podman(tmp_path):
    for mode in ("pasta", "slirp4netns"):
        result = quadlet_text(load(tmp_path, f"name: n\nimage: {IMAGE}\nnetwork: {mode}\n"))
        assert sections(result.text)["Container"]["Network"] == [mode]
    result = quadlet_text(load(tmp_path, f"name: n\nimage: {IMAGE}\nnetwork: private\n"))
    assert "Network" not in sections(result.text)["Container"]
