"""rcontainer import writes one project folder: depends_on, networks and aliases as Compose has them.

Each test imports a small Compose file and asserts the profiles' values and that the folder loads
as the project `up FOLDER` would bring up (names, dependency order), with a note for each
difference.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rcontainer.errors import BadInput
from rcontainer.profile.project import load_project
from tests.unit.compose_helpers import compose, imported

STACK = """\
name: Shop
services:
  db:
    image: localhost/rcontainer/busybox:latest
    healthcheck:
      test: ["CMD-SHELL", "true"]
      interval: 2s
    networks:
      default:
        aliases: [database]
  migrate:
    image: localhost/rcontainer/busybox:latest
    depends_on: [db]
  web:
    image: localhost/rcontainer/busybox:latest
    depends_on:
      db:
        condition: service_healthy
      migrate:
        condition: service_completed_successfully
"""


def test_the_services_become_one_project_in_dependency_order(tmp_path: Path) -> None:
    path = compose(tmp_path / "anything", STACK)
    profiles, notes = imported(path, out=tmp_path / "out")
    assert {p["project"] for p in profiles.values()} == {"shop"}  # name:, lowercased as Compose does
    assert profiles["web"]["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert profiles["migrate"]["depends_on"] == {"db": {"condition": "service_started"}}  # the short form
    assert profiles["db"]["networks"] == {"default": {"aliases": ["database"]}}
    assert "networks" not in profiles["web"]  # up FOLDER puts it on the project's network
    assert notes == []
    project = load_project(tmp_path / "out")  # what validate FOLDER and up FOLDER read
    assert project.name == "shop"
    assert project.order() == ["db", "migrate", "web"]


def test_the_project_is_named_after_the_compose_files_folder_without_a_name(tmp_path: Path) -> None:
    path = compose(tmp_path / "My-App", STACK.replace("name: Shop\n", ""))
    profiles, _ = imported(path, out=tmp_path / "profiles")
    assert {p["project"] for p in profiles.values()} == {"my-app"}
    assert load_project(tmp_path / "profiles").name == "my-app"


def test_what_depends_on_cannot_carry_is_noted(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        """\
services:
  db: {image: x}
  cache: {image: x}
  web:
    image: x
    depends_on:
      db: {condition: service_healthy, restart: true}
      cache: {condition: service_started, required: false}
      queue: {condition: service_started, required: false}
""",
    )
    profiles, notes = imported(path)
    # db has no healthcheck in its profile: up could never see it healthy
    assert profiles["web"]["depends_on"] == {
        "db": {"condition": "service_started"},
        "cache": {"condition": "service_started"},
    }
    assert "web: depends_on.db.restart: dropped: nothing restarts web when db restarts" in notes
    assert any(n.startswith("web: depends_on.db.condition: service_healthy → service_started") for n in notes)
    assert any(n.startswith("web: depends_on.cache.required: false dropped") for n in notes)
    assert "web: depends_on.queue: dropped: optional, and no such service (as Compose)" in notes


def test_a_dependency_left_out_with_service_is_dropped_with_a_note(tmp_path: Path) -> None:
    path = compose(tmp_path, STACK)
    profiles, notes = imported(path, services=["web"])
    assert "depends_on" not in profiles["web"]
    assert "web: depends_on.db: dropped: not imported into this folder" in notes


def test_dependencies_follow_a_renamed_profile_which_keeps_its_service_name(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        "services:\n  db:\n    image: x\n    container_name: Shop_DB\n  web:\n    image: x\n    depends_on: [db]\n",
    )
    profiles, _ = imported(path)
    assert profiles["db"]["name"] == "shop_db"
    assert profiles["web"]["depends_on"] == {"shop_db": {"condition": "service_started"}}
    # Compose's containers answer to their service's name: the others still reach it as db
    assert profiles["db"]["networks"] == {"default": {"aliases": ["db"]}}
    assert load_project(tmp_path / "out").order() == ["shop_db", "web"]


NETWORKS = """\
name: shop
services:
  web:
    image: x
    networks:
      front:
        aliases: [www, "bad_alias"]
        ipv4_address: 10.5.0.4
      back:
      default:
  db:
    image: x
    networks: [back, shared, legacy]
networks:
  front:
    driver: bridge
    driver_opts: {com.docker.network.bridge.name: br0}
  back:
    name: shop-internal
  shared:
    external: true
  legacy:
    external:
      name: old-net
"""


def test_named_networks_are_the_podman_networks_compose_would_make(tmp_path: Path) -> None:
    path = compose(tmp_path, NETWORKS)
    profiles, notes = imported(path)
    assert profiles["web"]["networks"] == {
        "shop_front": {"aliases": ["www"]},  # PROJECT_NAME, as Compose names it
        "shop-internal": {"aliases": []},  # its name:
        "default": {"aliases": []},  # the project's network
    }
    assert profiles["db"]["networks"] == {
        "shop-internal": {"aliases": []},
        "shared": {"aliases": []},  # external: its own name
        "old-net": {"aliases": []},
    }
    for expected in (
        "web: networks.front.aliases: 'bad_alias' dropped: not a host name",
        "web: networks.front.ipv4_address: dropped: a profile cannot set a fixed address (Podman picks it)",
        "compose.yaml: networks.front.driver: dropped: Podman makes the network with its defaults",
        "compose.yaml: networks.front.driver_opts: dropped: Podman makes the network with its defaults",
        "compose.yaml: networks.shared.external: joined by its name: up makes it when missing, where Compose"
        " refuses to start",
    ):
        assert expected in notes
    load_project(tmp_path / "out")


def test_a_network_not_defined_is_refused_with_its_line(tmp_path: Path) -> None:
    path = compose(tmp_path, "services:\n  web:\n    image: x\n    networks: [front]\n")
    with pytest.raises(
        BadInput, match=r"compose.yaml:4: services.web.networks.front: expected a network defined"
    ):
        imported(path)


def test_network_mode_service_joins_the_project_after_that_service(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        "services:\n  vpn: {image: x}\n  app:\n    image: x\n    network_mode: service:vpn\n"
        "  other:\n    image: x\n    network_mode: container:elsewhere\n",
    )
    profiles, notes = imported(path)
    assert profiles["app"]["depends_on"] == {"vpn": {"condition": "service_started"}}
    assert profiles["app"]["network"]["mode"] == "private" and "networks" not in profiles["app"]
    assert any(
        n.startswith("app: network_mode: 'service:vpn' → the project's network")
        and "localhost does not reach vpn" in n
        for n in notes
    )
    assert (
        "other: network_mode: 'container:elsewhere' → private (no namespace sharing between profiles)"
        in notes
    )


def test_network_mode_of_a_missing_service_is_refused(tmp_path: Path) -> None:
    path = compose(tmp_path, "services:\n  app:\n    image: x\n    network_mode: service:vpn\n")
    with pytest.raises(BadInput, match=r"compose.yaml:4: services.app.network_mode: no service 'vpn'"):
        imported(path)


def test_a_renamed_default_network_is_joined_by_its_name_and_empty_networks_mean_it(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        "services:\n  a: {image: x}\n  b: {image: x, networks: {}}\n  c: {image: x, networks: [default]}\n"
        "networks:\n  default:\n    name: common\n",
    )
    profiles, notes = imported(path)
    assert [profiles[s]["networks"] for s in "abc"] == [{"common": {"aliases": []}}] * 3
    assert notes == []
