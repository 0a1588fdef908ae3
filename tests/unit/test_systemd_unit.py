"""The user unit text generated from profiles: restart policies, timeouts, environment, quoting."""

from __future__ import annotations

import configparser

import pytest

from rcontainer.systemd import syntax
from rcontainer.systemd import unit as systemd_unit
from tests.unit.profile_helpers import IMAGE, load

RC = ["/opt/rc/bin/rcontainer"]


def unit(tmp_path, text: str, environ: dict | None = None) -> str:
    return systemd_unit.unit_text(load(tmp_path, text), exe=RC, environ=environ or {}).text


def sections(text: str) -> dict[str, dict[str, list[str]]]:
    """Unit sections as {section: {key: [values...]}} (keys may repeat)."""
    out: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = out.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return out


def test_unit_runs_run_unit_with_absolute_paths_and_notifies(tmp_path):
    text = unit(tmp_path / "shop", f"name: svc\nimage: {IMAGE}\nnetwork: none\n")
    s = sections(text)
    profile = str((tmp_path / "shop" / "p.yaml").absolute())
    assert s["Service"]["Type"] == ["notify"]
    assert s["Service"]["NotifyAccess"] == ["main"]
    assert s["Service"]["ExecStart"] == [f"/opt/rc/bin/rcontainer run-unit {profile}"]
    # its container is shop/svc: a bare svc may name another project's container
    assert s["Service"]["ExecStop"] == ["-/opt/rc/bin/rcontainer stop shop/svc"]
    assert s["Service"]["ExecStopPost"] == ["-/opt/rc/bin/rcontainer rm -f shop/svc"]
    assert s["Install"]["WantedBy"] == ["default.target"]
    assert "loginctl enable-linger" in text
    assert systemd_unit.unit_name("svc") == "rcontainer-svc.service"
    assert systemd_unit.unit_name("svc", "shop") == "rcontainer-shop.svc.service"


def test_stop_timeout_gives_systemd_a_margin(tmp_path):
    s = sections(unit(tmp_path, f"name: svc\nimage: {IMAGE}\nstop_timeout: 7\n"))
    assert s["Service"]["TimeoutStopSec"] == ["17"]


@pytest.mark.parametrize(
    ("policy", "restart", "burst"),
    [
        ("'no'", "no", None),
        ("on-failure", "on-failure", None),
        ("on-failure:3", "on-failure", "4"),
        ("always", "always", None),
        ("unless-stopped", "always", None),
    ],
)
def test_restart_policy_maps_to_systemd(tmp_path, policy, restart, burst):
    s = sections(unit(tmp_path, f"name: svc\nimage: {IMAGE}\nrestart: {policy}\n"))
    assert s["Service"]["Restart"] == [restart]
    assert s["Unit"].get("StartLimitBurst") == ([burst] if burst else None)
    assert ("RestartSec" in s["Service"]) == (restart != "no")


def test_network_online_only_with_a_network(tmp_path):
    with_net = sections(unit(tmp_path, f"name: a\nimage: {IMAGE}\nnetwork: private\n"))
    without = sections(unit(tmp_path / "b", f"name: b\nimage: {IMAGE}\nnetwork: none\n"))
    assert with_net["Unit"]["Wants"] == ["network-online.target"]
    assert with_net["Unit"]["After"] == ["network-online.target"]
    assert "Wants" not in without["Unit"] and "After" not in without["Unit"]


def test_scope_and_socket_are_carried_into_the_unit(tmp_path):
    s = sections(
        unit(
            tmp_path,
            f"name: svc\nimage: {IMAGE}\n",
            environ={"RCONTAINER_SCOPE": "work", "CONTAINER_HOST": "unix:///run/my dir/p.sock", "HOME": "/x"},
        )
    )
    assert s["Service"]["Environment"] == [
        "RCONTAINER_SCOPE=work",
        '"CONTAINER_HOST=unix:///run/my dir/p.sock"',
    ]


def test_healthcheck_lengthens_the_start_timeout(tmp_path):
    plain = sections(unit(tmp_path, f"name: a\nimage: {IMAGE}\n"))
    checked = sections(
        unit(
            tmp_path / "b",
            f'name: b\nimage: {IMAGE}\nhealthcheck:\n  test: "true"\n  interval: 20s\n  timeout: 5s\n  retries: 2\n',
        )
    )
    assert int(checked["Service"]["TimeoutStartSec"][0]) > int(plain["Service"]["TimeoutStartSec"][0])


def test_paths_with_blanks_and_percent_are_quoted(tmp_path):
    folder = tmp_path / "my 100% profiles"
    text = systemd_unit.unit_text(load(folder, f"name: svc\nimage: {IMAGE}\n"), exe=RC, environ={}).text
    start = sections(text)["Service"]["ExecStart"][0]
    assert start == f'/opt/rc/bin/rcontainer run-unit "{str(folder.absolute()).replace("%", "%%")}/p.yaml"'
    assert "100%% profiles" in sections(text)["Unit"]["Description"][0]


@pytest.mark.parametrize(
    ("word", "quoted"),
    [
        ("plain", "plain"),
        ("a b", '"a b"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("$HOME", "$$HOME"),
        ("50%", "50%%"),
        ("back\\slash", '"back\\\\slash"'),
        ("", '""'),
        (";", '";"'),
    ],
)
def test_command_line_words_follow_systemd_quoting(word, quoted):
    assert syntax.word(word) == quoted


def test_unit_is_valid_ini(tmp_path):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read_string(unit(tmp_path, f"name: svc\nimage: {IMAGE}\n"))
    assert {"Unit", "Service", "Install"} <= set(parser.sections())
