"""What a user is told when something goes wrong: the state it is left in, what to do next."""

from __future__ import annotations

import json

from tests import harness

SLEEP = ["sleep", "1000"]


def test_start_of_a_removed_container_hints_its_profile_and_up_by_name_finds_it(rc, scope, busybox_profile):
    path = busybox_profile("app", command=SLEEP, stop_timeout=1)
    rc("up", str(path)).ok()
    rc("down", "app").ok()
    result = rc("start", "app")
    assert result.code == 4
    assert f"rcontainer: hint: create it again: rcontainer up {path}\n" in result.err
    # the profile is not in the profiles folder: up finds it through the container's record
    again = rc("up", "--json", "app").json()
    assert again["action"] == "create"
    assert rc.ps()["app"]["state"] == "running"


def test_a_missing_bind_source_warns_at_validate_and_is_refused_at_up_with_the_fix(
    rc, scope, busybox_profile, tmp_path
):
    source = tmp_path / "site"
    path = busybox_profile("app", command=SLEEP, volumes=["./site:/www:ro"])
    checked = rc("validate", str(path))
    assert checked.code == 0, checked.err
    assert f"rcontainer: warning: {path}: volumes[0]: bind source {source} does not exist" in checked.err
    assert json.loads(rc("validate", "--json", str(path)).out)[0]["warnings"]
    result = rc("up", str(path))
    assert result.code == 2, result.err
    assert f"cannot create app: bind source missing: volumes[0]: {source}" in result.err
    assert f"rcontainer: hint: create it: mkdir -p {source}\n" in result.err
    assert "statfs" not in result.err
    assert "app" not in rc.ps("--all"), "nothing was created"
    source.mkdir()
    rc("up", str(path)).ok()


def test_a_failed_start_says_the_state_it_is_left_in_and_how_to_retry(rc, scope, busybox_profile):
    path = busybox_profile("app", command=["no-such-program"])
    result = rc("up", str(path))
    assert result.code == 1, result.err
    state = rc.ps("--all")["app"]["state"]
    assert f"app is left {state}: retry with rcontainer start app, or rcontainer up {path}" in result.err
    assert "Traceback" not in result.err


def test_a_port_in_use_names_the_rcontainer_container_that_publishes_it(rc, scope, busybox_profile):
    port = harness.free_port()
    web = {
        "command": ["httpd", "-f", "-p", "8080"],
        "network": {"mode": "private", "ports": [f"127.0.0.1:{port}:8080"]},
        "stop_timeout": 1,
    }
    rc("up", str(busybox_profile("web1", **web))).ok()
    result = rc("up", str(busybox_profile("web2", **web)))
    assert result.code == 1, result.err
    assert f"port {port} is published by web1 (running)" in result.err
    assert "stop web1 (rcontainer stop web1)" in result.err
    assert "web2 is left " in result.err


def test_up_when_a_container_rcontainer_did_not_make_has_the_name(rc, scope, busybox_profile, busybox_image):
    path = busybox_profile("app", command=SLEEP)
    foreign = harness.container_name(scope, path)  # the name rcontainer would give its container
    harness.podman("create", "--name", foreign, busybox_image, "true")
    try:
        result = rc("up", str(path))
        assert result.code == 1, result.err
        assert f"the name {foreign} is taken by a container rcontainer did not make" in result.err
        assert f"podman rm -f {foreign}" in result.err
        assert harness.podman("container", "exists", foreign, check=False).returncode == 0, "left alone"
    finally:
        harness.podman("rm", "-f", foreign, check=False)
