"""What rcontainer decides from the Podman version and ``/info``: the rootless network
``private`` gets, which explicit modes run, the per-runtime service, the database."""

from __future__ import annotations

from pathlib import Path

import pytest

from rcontainer import runtimes
from rcontainer.backends.podman import backend as backend_module
from rcontainer.backends.podman import compat, service
from rcontainer.backends.podman.api import Endpoint, Response
from rcontainer.backends.podman.backend import PodmanBackend
from rcontainer.container import Record
from rcontainer.errors import ExitStatus, RuntimeUnavailable
from tests.unit.podman_info import INFO_6, INFO_43, INFO_50, INFO_54, NOT_FOUND
from tests.unit.profile_helpers import IMAGE, load


@pytest.mark.parametrize(
    ("text", "version"),
    [("4.3.1", (4, 3, 1)), ("5.4.2", (5, 4, 2)), ("6.0.0-dev", (6, 0, 0)), ("5.8", (5, 8, 0)), ("", None)],
)
def test_versions_are_read_from_what_the_service_says(text, version):
    assert compat.parse_version(text) == version


@pytest.mark.parametrize(
    ("info", "default", "available"),
    [
        (INFO_43, "slirp4netns", ("slirp4netns",)),
        (INFO_50, "pasta", ("pasta", "slirp4netns")),
        (INFO_54, "pasta", ("pasta", "slirp4netns")),
        (INFO_6, "pasta", ("pasta",)),
    ],
)
def test_private_gets_podmans_default_rootless_network(info, default, available):
    nets = compat.rootless_networks(info)
    assert nets.default == default
    assert nets.available == available


def test_containers_conf_may_keep_slirp4netns_the_default_on_podman_5():
    info = {**INFO_54, "host": {**INFO_54["host"], "rootlessNetworkCmd": "slirp4netns"}}
    assert compat.rootless_networks(info).default == "slirp4netns"


def test_a_program_podman_did_not_find_is_missing():
    info = {**INFO_54, "host": {**INFO_54["host"], "slirp4netns": NOT_FOUND}}
    nets = compat.rootless_networks(info)
    assert nets.available == ("pasta",)
    assert nets.missing == {"slirp4netns": "slirp4netns is not installed"}


@pytest.mark.parametrize(
    ("mode", "info", "words"),
    [
        ("pasta", INFO_43, "Podman 4.3.1: this Podman has no pasta support (Podman 4.4 added it)"),
        ("slirp4netns", INFO_6, "Podman 6.0.0: this Podman has no slirp4netns support (Podman 6 removed it)"),
    ],
)
def test_an_explicit_mode_this_podman_lacks_is_refused_with_exit_7(mode, info, words):
    with pytest.raises(RuntimeUnavailable) as err:
        compat.check_network(mode, info, compat.parse_version(info["version"]["Version"]))
    assert err.value.status == ExitStatus.RUNTIME_UNAVAILABLE == 7
    assert err.value.message == f"network mode {mode!r} is not available with {words}"
    assert "network: private" in err.value.hint


@pytest.mark.parametrize(
    ("mode", "info"),
    [
        ("slirp4netns", INFO_43),
        ("pasta", INFO_54),
        ("slirp4netns", INFO_54),
        ("private", INFO_6),
        ("none", INFO_6),
    ],
)
def test_a_mode_this_podman_runs_is_accepted(mode, info):
    compat.check_network(mode, info, compat.parse_version(info["version"]["Version"]))


@pytest.mark.parametrize(
    ("handler", "flags", "version", "needed"),
    [
        (None, (), (4, 3, 1), False),  # Podman's default runtime: the user's service
        ("runc", (), (4, 3, 1), True),  # 4.x ignores the request's runtime (issue 28429)
        ("runc", (), (5, 8, 2), True),
        ("runc", (), (6, 0, 0), False),  # 6.0 honours it
        ("crun", ("--debug",), (6, 0, 0), True),  # runtime flags are global options
        ("/usr/local/bin/runc-traced", (), (6, 1, 0), True),  # a path is not a runtime name
        ("runc", (), None, True),  # unknown version: the service works everywhere
    ],
)
def test_the_per_runtime_service_is_kept_below_podman_6(handler, flags, version, needed):
    assert compat.runtime_service_needed(handler, flags, version) is needed


@pytest.mark.parametrize(
    ("info", "db"),
    [(INFO_43, "boltdb"), (INFO_54, "sqlite"), ({"host": {}, "version": {"Version": "4.9.3"}}, None)],
)
def test_the_database_backend_is_boltdb_before_podman_4_8_even_unsaid(info, db):
    assert compat.database_backend(info) == db


# -- the backend's use of these decisions --------------------------------------------------------


class Service:
    """A Podman service as the backend sees it: its version, its /info, the requests it got."""

    def __init__(self, info: dict, name: str = "user's") -> None:
        self.endpoint = Endpoint(Path(f"/nonexistent/{name}.sock"), name)
        self._info = info
        self.created: list[dict] = []

    def version(self) -> str:
        return self._info["version"]["Version"]

    def info(self) -> dict:
        return self._info

    def request(self, method: str, path: str, params=None, body=None, **_) -> Response:
        assert (method, path) == ("POST", "/containers/create")
        self.created.append(body)
        return Response(201, b'{"Id": "c0ffee"}')


def create(tmp_path, monkeypatch, info: dict, runtime: str, network: str) -> tuple[Service, Service]:
    """Create through a PodmanBackend whose user's service says ``info``; return the user's
    service and the runtime class's own (which got the request, if any)."""
    user, own = Service(info), Service(info, "runtime-class")
    monkeypatch.setattr(service, "runtime_service", lambda rclass, notices=None: own.endpoint)
    monkeypatch.setattr(backend_module, "LibpodClient", lambda endpoint, **_: own)
    backend = PodmanBackend(autostart=False, notices=[])
    backend._api = user  # type: ignore[assignment]
    profile = load(tmp_path, f"name: p\nimage: {IMAGE}\nnetwork: {network}\n")
    rec = Record(name="p", container_name="rc-p", log_path="/logs/p.log")
    backend.create(rec, profile.data, "sha256:abc", runtimes.BUILTIN[runtime], {})
    assert rec.backend == {"id": "c0ffee"}
    return user, own


@pytest.mark.parametrize(("info", "through_own"), [(INFO_43, True), (INFO_54, True), (INFO_6, False)])
def test_a_runtime_class_is_created_through_its_own_service_below_podman_6(
    tmp_path, monkeypatch, info, through_own
):
    user, own = create(tmp_path, monkeypatch, info, "runc", "private")
    (spec,) = (own if through_own else user).created
    assert spec["oci_runtime"] == "runc"
    assert not (user if through_own else own).created


def test_the_default_class_never_asks_the_version(tmp_path, monkeypatch):
    user, _ = create(tmp_path, monkeypatch, {"version": {}}, "default", "private")
    assert user.created[0]["netns"] == {"nsmode": "private"}


@pytest.mark.parametrize(("info", "mode"), [(INFO_43, "pasta"), (INFO_6, "slirp4netns")])
def test_create_refuses_a_network_program_the_service_lacks_before_asking_podman(
    tmp_path, monkeypatch, info, mode
):
    with pytest.raises(RuntimeUnavailable, match=f"network mode '{mode}' is not available with Podman"):
        create(tmp_path, monkeypatch, info, "default", mode)


def test_every_podman_command_rcontainer_runs_is_told_to_keep_the_cgroup_v1_warning(monkeypatch):
    monkeypatch.setenv("CONTAINER_HOST", "unix:///elsewhere.sock")
    env = service.local_env()
    assert env["PODMAN_IGNORE_CGROUPSV1_WARNING"] == "1"
    assert "CONTAINER_HOST" not in env


def test_the_refusal_comes_before_the_image_is_looked_for(monkeypatch):
    backend = PodmanBackend(autostart=False, notices=[])
    backend._api = Service(INFO_43)  # type: ignore[assignment]
    monkeypatch.setattr(backend.images, "ensure", lambda *_: pytest.fail("the image was looked for"))
    with pytest.raises(RuntimeUnavailable, match="'pasta' is not available with Podman 4.3.1"):
        backend.ensure_image({"image": IMAGE, "network": {"mode": "pasta"}}, None)
