"""Inspect answers of Podman 4.3 and 5.x read the same way, wherever rcontainer reads them.

The 4.3 fragments were recorded from Podman 4.3.1 on the CI machines (``podman inspect`` of a
created busybox container, one with an entrypoint, one with a healthcheck). The 5.x fragments
follow Podman 5.4.2's inspect types (libpod/define/container_inspect.go): Entrypoint a list,
StopSignal a name, ``State.Health`` left out without a healthcheck.
"""

from __future__ import annotations

import json

import pytest

from rcontainer.backends import inspect_shapes
from rcontainer.backends.bwrap import argv as bwrap
from rcontainer.backends.bwrap import rootfs
from rcontainer.backends.podman.backend import observed_from_inspect
from rcontainer.backends.podman.images import PodmanImages
from rcontainer.container import State

# Podman 4.3.1, recorded: podman inspect (a container made with --entrypoint '["sh","-c"]').
CONTAINER_43 = {
    "Id": "77d6c9e60f4b",
    "State": {
        "Status": "running",
        "Pid": 4242,
        "ExitCode": 0,
        "StartedAt": "2026-12-01T01:52:40Z",
        "FinishedAt": "0001-01-01T00:00:00Z",
        "Health": {"Status": "", "FailingStreak": 0, "Log": None},
    },
    "Config": {"Entrypoint": "sh -c", "Cmd": ["sleep 1"], "StopSignal": 15},
    "HostConfig": {"NetworkMode": "slirp4netns", "LogConfig": {"Path": "/logs/a.log"}},
}
# ... and one with --health-cmd, once its first check has run.
HEALTHY_43 = {**CONTAINER_43, "State": {**CONTAINER_43["State"], "Health": {"Status": "healthy"}}}

# Podman 5.x shapes (5.4.2's types): no Health key without a healthcheck.
CONTAINER_5 = {
    "Id": "5c0ffee",
    "State": {"Status": "running", "Pid": 4343, "ExitCode": 0, "StartedAt": "2026-12-01T02:00:00Z"},
    "Config": {"Entrypoint": ["sh", "-c"], "Cmd": ["sleep 1"], "StopSignal": "SIGTERM"},
    "HostConfig": {"NetworkMode": "pasta", "LogConfig": {"Path": "/logs/b.log"}},
}
HEALTHY_5 = {**CONTAINER_5, "State": {**CONTAINER_5["State"], "Health": {"Status": "unhealthy"}}}
NO_ENTRYPOINT_5 = {**CONTAINER_5, "Config": {"Entrypoint": None, "Cmd": ["sh"], "StopSignal": "SIGTERM"}}

# An image's Config is OCI's in both versions (recorded from 4.3.1: the busybox test image).
IMAGE_CONFIG = {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"]}


@pytest.mark.parametrize(
    ("given", "words"),
    [("sh -c", ["sh", "-c"]), ("", []), (None, []), (["sh", "-c"], ["sh", "-c"]), ([], [])],
)
def test_an_entrypoint_is_a_list_whether_podman_gave_a_string_or_a_list(given, words):
    assert inspect_shapes.argv(given) == words


@pytest.mark.parametrize(
    ("given", "name"),
    [
        (15, "SIGTERM"),
        ("15", "SIGTERM"),
        ("SIGTERM", "SIGTERM"),
        ("term", "SIGTERM"),
        ("SIGRTMIN+3", "SIGRTMIN+3"),
        (0, None),
        ("", None),
        (None, None),
    ],
)
def test_a_stop_signal_is_a_name_whether_podman_gave_a_number_or_a_name(given, name):
    assert inspect_shapes.signal_name(given) == name


@pytest.mark.parametrize(
    ("attrs", "health"),
    [(CONTAINER_43, None), (HEALTHY_43, "healthy"), (CONTAINER_5, None), (HEALTHY_5, "unhealthy")],
)
def test_health_is_none_without_a_healthcheck_in_either_shape(attrs, health):
    observed = observed_from_inspect(attrs, paused_by_signal=False)
    assert observed.health == health
    assert observed.state == State.RUNNING


def test_the_old_healthcheck_key_is_still_read():
    assert inspect_shapes.health_status({"Healthcheck": {"Status": "starting"}}) == "starting"


@pytest.mark.parametrize(("attrs", "network"), [(CONTAINER_43, "slirp4netns"), (CONTAINER_5, "pasta")])
def test_inspect_details_name_the_rootless_network_podman_chose(attrs, network):
    assert observed_from_inspect(attrs, paused_by_signal=False).details["network"] == network


def test_an_image_config_comes_out_in_one_shape():
    assert inspect_shapes.image_config(IMAGE_CONFIG) == IMAGE_CONFIG
    odd = {"Entrypoint": "/init serve", "Cmd": None, "StopSignal": "9", "Env": []}
    assert inspect_shapes.image_config(odd) == {
        "Entrypoint": ["/init", "serve"],
        "Cmd": None,
        "StopSignal": "SIGKILL",
        "Env": [],
    }


@pytest.mark.parametrize("attrs", [CONTAINER_43, CONTAINER_5, NO_ENTRYPOINT_5])
def test_the_bwrap_command_is_the_same_from_either_shape_of_config(attrs):
    expected = ["sh", "-c", "sleep 1"] if attrs["Config"]["Entrypoint"] else ["sh"]
    assert bwrap.container_command({}, attrs["Config"]) == expected


class ImageAnswer:
    """The one request ``PodmanImages.config`` makes: the image's inspect answer."""

    def __init__(self, config: dict) -> None:
        self.config = config

    def get_json(self, path: str, params: dict | None = None) -> dict:
        assert path.startswith("/images/") and path.endswith("/json")
        return {"Id": "sha256:abc", "Config": self.config}


def test_the_image_store_gives_an_image_config_in_one_shape():
    images = PodmanImages(lambda: ImageAnswer({"Entrypoint": "/init serve", "StopSignal": "15"}))
    assert images.config("sha256:abc") == {"Entrypoint": ["/init", "serve"], "StopSignal": "SIGTERM"}


def test_the_bwrap_family_reads_an_image_config_in_one_shape_cached_or_not(isolated_dirs):
    image_id = "sha256:" + "a" * 64
    images = PodmanImages(lambda: ImageAnswer({"Entrypoint": ["/init"], "Cmd": None, "StopSignal": "TERM"}))
    first = rootfs.image_config(images, image_id)
    assert first["Entrypoint"] == ["/init"] and first["Cmd"] is None and first["StopSignal"] == "SIGTERM"
    # a config cached by an older rcontainer, in Podman 4.x's raw shape, is read the same way
    rootfs.config_path(image_id).write_text(json.dumps({"Entrypoint": "/init serve", "StopSignal": 15}))
    again = rootfs.image_config(images, image_id)
    assert again["Entrypoint"] == ["/init", "serve"] and again["StopSignal"] == "SIGTERM"
