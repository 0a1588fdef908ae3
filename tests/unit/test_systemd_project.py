"""A project's user units: one per profile, the network's, the target; order, names, escaping."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from rcontainer.errors import BadInput, NotFound
from rcontainer.profile.project import Project, load_project
from rcontainer.systemd import install
from rcontainer.systemd.project import project_units
from tests.unit import unit_file_syntax as sd
from tests.unit.profile_helpers import IMAGE

RC = ["/opt/rc/bin/rcontainer"]

SHOP = {
    "db": "healthcheck: {test: [CMD, 'true'], interval: 1s}\nrestart: always\n",
    "migrate": "command: [sh, -c, 'true']\nrestart: always\n",
    "cache": "network: {mode: none}\n",
    "web": """
        depends_on:
          db: {condition: service_healthy}
          migrate: {condition: service_completed_successfully}
          cache: {condition: service_started}
        """,
}


def shop(tmp_path: Path, files: dict[str, str] = SHOP, folder: str = "shop") -> Path:
    where = tmp_path / folder
    where.mkdir()
    for name, text in files.items():
        (where / f"{name}.yaml").write_text(f"name: {name}\nimage: {IMAGE}\n" + textwrap.dedent(text))
    return where


def entries(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for _, key, value in sd.parse(text).entries:
        out.setdefault(key, []).append(value)
    return out


def units_of(project: Project, **kw) -> dict[str, dict[str, list[str]]]:
    return {
        g.filename: entries(g.text) for g in project_units(project, exe=RC, environ=kw.get("environ", {}))
    }


def test_a_project_has_a_unit_per_profile_its_networks_and_a_target_that_wants_them(tmp_path):
    units = units_of(load_project(shop(tmp_path), environ={}))
    names = list(units)
    assert names == [
        "rcontainer-shop-network.service",
        "rcontainer-shop.cache.service",
        "rcontainer-shop.db.service",
        "rcontainer-shop.migrate.service",
        "rcontainer-shop.web.service",
        "rcontainer-shop.target",
    ]
    target = units["rcontainer-shop.target"]
    assert target["Wants"] == names[:-1] and target["After"] == names[:-1]
    assert target["WantedBy"] == ["default.target"]
    for name in names[:-1]:
        assert units[name]["PartOf"] == ["rcontainer-shop.target"]
        assert units[name]["WantedBy"] == ["rcontainer-shop.target"]
    network = units["rcontainer-shop-network.service"]
    assert network["Type"] == ["oneshot"] and network["RemainAfterExit"] == ["yes"]
    assert sd.words(network["ExecStart"][0], variables=True) == [*RC, "systemd", "network", "up", "shop"]
    assert sd.words(network["ExecStop"][0][1:], variables=True) == [*RC, "systemd", "network", "down", "shop"]


def test_each_unit_requires_and_follows_what_it_depends_on_and_the_network(tmp_path):
    units = units_of(load_project(shop(tmp_path), environ={}))
    web = units["rcontainer-shop.web.service"]
    needed = [
        "rcontainer-shop-network.service",
        "rcontainer-shop.cache.service",
        "rcontainer-shop.db.service",
        "rcontainer-shop.migrate.service",
    ]
    assert web["Requires"] == needed
    assert set(needed) <= set(web["After"])
    # cache has no network of the project: it does not wait for it
    assert "Requires" not in units["rcontainer-shop.cache.service"]
    assert units["rcontainer-shop.db.service"]["Requires"] == ["rcontainer-shop-network.service"]
    # service_healthy: db's unit says READY only once healthy (run-unit), so After= is enough
    assert units["rcontainer-shop.db.service"]["Type"] == ["notify"]
    # service_completed_successfully: migrate's unit is started once its container exited 0
    migrate = units["rcontainer-shop.migrate.service"]
    assert migrate["Type"] == ["oneshot"] and migrate["RemainAfterExit"] == ["yes"]
    assert migrate["TimeoutStartSec"] == ["infinity"]
    assert migrate["Restart"] == ["on-failure"]  # systemd refuses Restart=always for a oneshot
    losses = [
        str(loss)
        for g in project_units(load_project(shop(tmp_path, folder="again"), environ={}), exe=RC)
        for loss in g.losses
    ]
    assert losses == [
        "migrate: restart: always → on-failure: a dependant needs it completed, so its unit is a oneshot,"
        " which systemd restarts on failure only"
    ]
    assert units["rcontainer-shop.db.service"]["Restart"] == ["always"]


def test_units_address_their_container_as_project_slash_name(tmp_path):
    folder = shop(tmp_path)
    units = units_of(load_project(folder, environ={}))
    web = units["rcontainer-shop.web.service"]
    assert sd.words(web["ExecStart"][0], variables=True) == [
        *RC,
        "run-unit",
        "--in-project",
        str(folder.absolute() / "web.yaml"),
    ]
    assert sd.words(web["ExecStop"][0][1:], variables=True) == [*RC, "stop", "shop/web"]
    assert sd.words(web["ExecStopPost"][0][1:], variables=True) == [*RC, "rm", "-f", "shop/web"]
    # a project named otherwise than its folder: run-unit is told, and every name follows
    other = units_of(load_project(folder, project="other", environ={}))
    web = other["rcontainer-other.web.service"]
    assert sd.words(web["ExecStart"][0], variables=True)[2:5] == ["--in-project", "-p", "other"]
    assert sd.words(web["ExecStop"][0][1:], variables=True) == [*RC, "stop", "other/web"]
    assert "rcontainer-other.target" in other


def test_a_project_without_its_network_has_no_network_unit(tmp_path):
    folder = shop(tmp_path, {"a": "network: {mode: none}\n", "b": "networks: {}\n"})
    units = units_of(load_project(folder, environ={}))
    assert list(units) == ["rcontainer-shop.a.service", "rcontainer-shop.b.service", "rcontainer-shop.target"]


def test_install_writes_the_projects_units_and_uninstall_removes_them(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    units = tmp_path / "cfg" / "systemd" / "user"
    folder = shop(tmp_path)
    other = shop(tmp_path, {"web": ""}, folder="other")
    result = install.install(folder, enable=True, now=True, manager=lambda: False)
    install.install(other, manager=lambda: False)
    assert result.unit == "rcontainer-shop.target"
    assert any("systemctl --user enable --now rcontainer-shop.target" in n for n in result.notices)
    written = sorted(p.name for p in units.iterdir())
    assert "rcontainer-shop.web.service" in written and "rcontainer-other.web.service" in written
    assert len(written) == 6 + 3

    # a profile that left the folder: its unit goes at the next install
    (folder / "cache.yaml").unlink()
    (folder / "web.yaml").write_text(f"name: web\nimage: {IMAGE}\ndepends_on: [db]\n")
    install.install(folder, manager=lambda: False)
    assert not (units / "rcontainer-shop.cache.service").exists()

    # a bare name in two projects is refused; PROJECT/NAME is not
    with pytest.raises(BadInput, match="several projects"):
        install.uninstall("web", manager=lambda: False)
    with pytest.raises(NotFound):
        install.uninstall("nothing", manager=lambda: False)
    removed = install.uninstall("other/web", manager=lambda: False)
    assert removed.unit == "rcontainer-other.web.service" and not removed.path.exists()
    gone = install.uninstall(str(folder), manager=lambda: False)
    assert gone.unit == "rcontainer-shop.target"
    assert sorted(p.name for p in units.iterdir()) == [
        "rcontainer-other-network.service",
        "rcontainer-other.target",
    ]
    install.uninstall("", project="other", manager=lambda: False)
    assert sorted(units.iterdir()) == []


@pytest.mark.parametrize("ref", ["x/../../victim", "a/b/c", "UP/web", "shop/", "/web"])
def test_uninstall_refuses_what_is_no_container_name(tmp_path, monkeypatch, ref):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BadInput, match="not a container name"):
        install.uninstall(ref, manager=lambda: False)
