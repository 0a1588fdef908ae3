"""Projects as pure logic: project names, keys, records of old, name resolution and folders of
profiles, against rcontainer's in-memory backend (tests/integration/test_projects.py runs them
on real Podman)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rcontainer import paths
from rcontainer.container import Record, State, project_name
from rcontainer.engine import store
from rcontainer.engine.core import Engine
from rcontainer.errors import BadInput, NotFound, OperationFailed
from rcontainer.profile import ProfileError, load_profile
from rcontainer.profile.project import load_project
from tests.unit.fake_backend import FakeBackends

IMAGE = "localhost/x:latest"


def profile(folder: Path, name: str, **fields) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(json.dumps({"name": name, "image": IMAGE, "pull": "never", **fields}))
    return path


def engine() -> tuple[Engine, FakeBackends]:
    backends = FakeBackends()
    return Engine(backends=backends), backends  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("folder", "project"),
    [("web", "web"), ("My App", "myapp"), ("my.app", "myapp"), ("__x-1", "x-1"), ("Ω", None), ("", None)],
)
def test_a_folder_name_becomes_a_project_name_as_compose_makes_one(folder, project):
    assert project_name(folder) == project


def test_a_record_made_before_projects_belongs_to_its_profiles_folder():
    old = Record.from_dict({"name": "web", "profile_path": "/home/u/shop/web.yaml", "state": "running"})
    assert (old.project, old.key) == ("shop", "shop/web")
    assert Record.from_dict({"name": "web"}).key == "web", "no profile, no project: the name alone"


def test_a_record_of_old_is_found_under_its_project_and_moves_there_when_saved():
    folder = paths.scope_dir("containers")
    folder.mkdir(parents=True)
    (folder / "web.json").write_text(
        json.dumps({"name": "web", "profile_path": "/p/shop/web.yaml", "state": "stopped"})
    )
    rec = store.load("shop/web")
    assert rec is not None and rec.key == "shop/web"
    assert store.load("other/web") is None, "another project's web is another container"
    assert [r.key for r in store.all_records()] == ["shop/web"]
    store.save(rec)
    assert not (folder / "web.json").exists()
    assert (folder / "projects" / "shop" / "web.json").is_file()
    assert [r.key for r in store.all_records()] == ["shop/web"]


def test_an_unset_project_field_leaves_the_resolved_profile_and_its_hash_as_they_were(tmp_path):
    plain = load_profile(profile(tmp_path / "shop", "web"))
    assert "project" not in plain.data
    named = load_profile(profile(tmp_path / "other", "web", project="shop"))
    assert named.project == "shop" and plain.project == "shop"
    assert named.config_hash() == plain.config_hash(), "the project is not part of what a container is"


def up_two_projects(tmp_path: Path) -> Engine:
    for project in ("alpha", "beta"):
        for name in ("web", "db"):
            profile(tmp_path / project, name)
    eng, _ = engine()
    eng.up_project(str(tmp_path / "alpha"))
    eng.up_project(str(tmp_path / "beta"))
    return eng


def test_a_project_folder_comes_up_as_one_project_with_names_unique_per_project(tmp_path):
    eng = up_two_projects(tmp_path)
    assert sorted(r["project"] + "/" + r["name"] for r in eng.ps()) == [
        "alpha/db",
        "alpha/web",
        "beta/db",
        "beta/web",
    ]
    assert {r.container_name for r in store.all_records()} == {
        "rc-alpha.db",
        "rc-alpha.web",
        "rc-beta.db",
        "rc-beta.web",
    }
    assert [r["name"] for r in eng.ps(project="beta")] == ["db", "web"]


def test_a_bare_name_must_be_unique_unless_the_folder_or_project_says(tmp_path, monkeypatch):
    eng = up_two_projects(tmp_path)
    with pytest.raises(BadInput) as err:
        eng.stop("web")
    assert "alpha/web, beta/web" in err.value.message
    assert eng.stop("alpha/web").key == "alpha/web"
    assert eng.stop("web", project="beta").key == "beta/web"
    monkeypatch.chdir(tmp_path / "alpha")
    assert eng.start("web").key == "alpha/web"
    with pytest.raises(NotFound):
        eng.stop("gamma/web")


def test_a_bare_name_with_one_live_container_means_that_one(tmp_path):
    eng = up_two_projects(tmp_path)
    eng.down("alpha/web")
    assert eng.key_of("web") == "beta/web"


def test_project_commands_take_a_folder_or_a_project_and_stop_in_reverse_order(tmp_path, monkeypatch):
    eng = up_two_projects(tmp_path)
    keys = eng.members(str(tmp_path / "alpha"))
    assert keys == ["alpha/db", "alpha/web"]
    assert eng.members(None, "beta") == ["beta/db", "beta/web"]
    assert eng.members("web") is None, "a container name is not a project"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "web").mkdir()  # a folder that made no container does not hide the container web
    assert eng.members("web", "beta") is None
    assert eng.key_of("web", "beta") == "beta/web"
    stopped = eng.each("stop", keys)
    assert [r.key for r in stopped] == ["alpha/web", "alpha/db"]
    assert {r.state for r in eng.each("stop", keys)} == {State.STOPPED}, (
        "stopping a stopped project is no error"
    )
    eng.each("down", keys)
    assert eng.members(None, "alpha") == [], "a project that is down has no live containers"
    with pytest.raises(NotFound):
        eng.members(None, "nosuch")


def test_up_refuses_to_replace_the_container_another_file_made(tmp_path):
    eng, backends = engine()
    first = profile(tmp_path / "x" / "app", "web")
    second = profile(tmp_path / "y" / "app", "web")
    eng.up(str(first))
    with pytest.raises(BadInput) as err:
        eng.up(str(second))
    assert str(first) in err.value.message
    assert [c for c in backends.fake.calls if c.startswith("create")] == ["create web"]
    plan = eng.up(str(second), force=True)
    assert plan.action == "recreate" and any(str(first) in r for r in plan.reasons)
    assert store.load("app/web").profile_path == str(second)


def test_a_folder_is_one_project_with_unique_names(tmp_path):
    folder = tmp_path / "Shop"
    profile(folder, "web")
    profile(folder, "db")
    profile(folder, "_base")  # a base others extend: not brought up
    (folder / "notes.txt").write_text("not a profile")
    for compose in ("compose.yaml", "docker-compose.yml", "compose.override.yml"):
        (folder / compose).write_text("services: {web: {image: busybox}}")  # import's input, beside
    project = load_project(folder)
    assert project.name == "shop" and sorted(project.profiles) == ["db", "web"]
    assert load_project(folder, project="other").name == "other"
    (folder / "web2.yaml").write_text(json.dumps({"name": "web", "image": IMAGE}))
    (folder / "db.yaml").write_text(json.dumps({"name": "db", "image": IMAGE, "project": "elsewhere"}))
    with pytest.raises(ProfileError) as err:
        load_project(folder)
    messages = [f"{Path(p.file).name}: {p.path}: {p.message}" for p in err.value.problems]
    assert any(m.startswith("web2.yaml: name: the name 'web' is taken by web.yaml") for m in messages), (
        messages
    )
    assert any(m.startswith("db.yaml: project: its project is 'elsewhere'") for m in messages), messages


def test_an_empty_folder_is_no_project(tmp_path):
    with pytest.raises(NotFound):
        load_project(tmp_path)


def test_the_example_project_folder_is_a_valid_project():
    example = Path(__file__).resolve().parents[2] / "profiles" / "project-example"
    project = load_project(example, environ={})
    assert project.name == "project-example" and sorted(project.profiles) == ["db", "web"]


def network_of(backends: FakeBackends, key: str) -> dict:
    return backends.fake.created[key].get("networks") or {}


def test_a_project_folder_shares_a_network_where_each_is_known_by_its_name(tmp_path):
    folder = tmp_path / "shop"
    profile(folder, "web", networks={"default": {"aliases": ["www"]}})
    profile(folder, "db")
    profile(folder, "offline", network="none")
    profile(folder, "apart", networks=[])
    eng, backends = engine()
    eng.up_project(str(folder))
    assert network_of(backends, "shop/web") == {"rc-shop": {"aliases": ["web", "www"]}}
    assert network_of(backends, "shop/db") == {"rc-shop": {"aliases": ["db"]}}
    assert network_of(backends, "shop/offline") == {}, "network: none keeps its meaning"
    assert network_of(backends, "shop/apart") == {}, "networks: [] joins none"
    assert backends.fake.networks["rc-shop"]["io.rcontainer.project"] == "shop"
    assert backends.fake.calls.count("ensure network rc-shop") == 2


def test_a_single_profile_keeps_private_networking_unless_its_container_is_on_the_project_network(tmp_path):
    folder = tmp_path / "shop"
    web = profile(folder, "web")
    lone = profile(tmp_path / "solo", "lone")
    eng, backends = engine()
    eng.up(str(lone))
    assert network_of(backends, "solo/lone") == {} and backends.fake.networks == {}
    assert "networks" not in store.load("solo/lone").profile, "an old profile resolves (and hashes) as before"
    eng.up_project(str(folder))
    first = store.load("shop/web").id
    assert eng.up(str(web)).action == "none", "up of one profile keeps it on its project's network"
    assert store.load("shop/web").id == first


def test_down_removes_the_project_network_once_no_container_uses_it(tmp_path):
    folder = tmp_path / "shop"
    profile(folder, "web")
    profile(folder, "db")
    eng, backends = engine()
    eng.up_project(str(folder))
    eng.down("shop/web")
    assert "rc-shop" in backends.fake.networks, "db still uses it"
    eng.down("shop/db")
    assert "rc-shop" not in backends.fake.networks
    backends.fake.networks["shared"] = {"made": "by someone else"}
    profile(folder, "web", networks=["shared"])
    eng.up(str(folder / "web.yaml"))
    eng.down("shop/web")
    assert "shared" in backends.fake.networks, "a network rcontainer did not make is never removed"


def test_networks_need_private_networking_and_a_podman_runtime(tmp_path):
    path = profile(tmp_path, "x", network="none", networks=["default"])
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert "joining networks needs network mode 'private'" in str(err.value)


def test_dependencies_come_first_and_cycles_are_named():
    from rcontainer.profile.project import dependency_order, find_cycle

    needs = {"web": ["api"], "api": ["db", "cache"], "db": [], "cache": [], "worker": ["db"]}
    order = dependency_order(needs)
    assert order.index("db") < order.index("api") < order.index("web")
    assert order.index("cache") < order.index("api") and order.index("db") < order.index("worker")
    assert find_cycle(needs) is None
    assert find_cycle({"web": ["api"], "api": ["db"], "db": ["web"]}) == ["api", "db", "web", "api"]
    assert find_cycle({"a": ["a"]}) == ["a", "a"]


def test_a_project_refuses_unknown_dependencies_unhealthy_conditions_and_cycles(tmp_path):
    folder = tmp_path / "shop"
    profile(folder, "web", depends_on=["api", "nosuch"])
    profile(folder, "api", depends_on={"db": {"condition": "service_healthy"}})
    profile(folder, "db", depends_on=["web"])
    with pytest.raises(ProfileError) as err:
        load_project(folder)
    text = str(err.value)
    assert "depends_on.nosuch: no profile named 'nosuch' in the project" in text
    assert "depends_on.db: db has no healthcheck, so service_healthy can never hold" in text
    assert "depends_on: dependency cycle: db -> web -> api -> db" not in text, "api -> db was refused already"
    profile(folder, "api", depends_on=["db"])
    with pytest.raises(ProfileError) as err:
        load_project(folder)
    assert "dependency cycle: api -> db -> web -> api" in str(err.value)


HEALTHCHECK = {"test": "true", "interval": "1s", "retries": 1}


def test_a_dependant_starts_once_its_dependency_is_healthy(tmp_path):
    folder = tmp_path / "shop"
    profile(folder, "db", healthcheck=HEALTHCHECK)
    profile(folder, "web", depends_on={"db": {"condition": "service_healthy"}})
    profile(folder, "cache")
    eng, backends = engine()
    backends.fake.health["shop/db"] = ["starting", "starting", "healthy"]
    plans = eng.up_project(str(folder))
    assert [p.name for p in plans] == ["cache", "db", "web"]
    calls = backends.fake.calls
    assert calls.count("healthcheck db") == 2, "checked by up itself until healthy"
    assert calls.index("healthcheck db") < calls.index("create web")
    assert calls.index("start db") < calls.index("healthcheck db")


def test_a_dependency_that_does_not_become_healthy_keeps_its_dependant_down_and_says_why(tmp_path):
    folder = tmp_path / "shop"
    profile(folder, "db", healthcheck={**HEALTHCHECK, "interval": "0.1s"})
    profile(folder, "web", depends_on={"db": {"condition": "service_healthy"}})
    eng, backends = engine()
    backends.fake.health["shop/db"] = ["starting"]
    with pytest.raises(OperationFailed) as err:
        eng.up_project(str(folder), wait_timeout=0.3)
    assert (
        "shop/web: not started: its dependency shop/db did not become healthy within 0.3s"
        in err.value.message
    )
    assert "(health: starting)" in err.value.message
    assert "create web" not in backends.fake.calls
    backends.fake.health["shop/db"] = ["starting", "unhealthy"]
    with pytest.raises(OperationFailed) as err:
        eng.up_project(str(folder), wait_timeout=5)
    assert "its dependency shop/db is unhealthy" in err.value.message


def test_a_dependant_of_a_job_waits_for_it_to_complete_successfully(tmp_path):
    folder = tmp_path / "shop"
    profile(folder, "migrate")
    profile(folder, "web", depends_on={"migrate": {"condition": "service_completed_successfully"}})
    eng, backends = engine()
    eng.up_project(str(folder))
    assert backends.fake.calls.index("wait migrate") < backends.fake.calls.index("create web")
    eng.down(str(folder / "web.yaml"))
    backends.fake.exit_codes["shop/migrate"] = 3
    with pytest.raises(OperationFailed) as err:
        eng.up_project(str(folder))
    assert "its dependency shop/migrate exited with code 3, not 0" in err.value.message


def test_up_of_some_names_brings_their_dependencies_and_down_goes_in_reverse(tmp_path):
    folder = tmp_path / "shop"
    profile(folder, "db")
    profile(folder, "api", depends_on=["db"])
    profile(folder, "web", depends_on=["api"])
    profile(folder, "docs")
    eng, backends = engine()
    assert [p.name for p in eng.up_project(str(folder), only=("api",))] == ["db", "api"]
    eng.up_project(str(folder))
    keys = eng.members(str(folder))
    assert keys == ["shop/db", "shop/docs", "shop/api", "shop/web"]
    backends.fake.calls.clear()
    eng.each("down", keys)
    # each is stopped and removed by one call (``remove`` with a stop timeout)
    stops = [c.split()[-1] for c in backends.fake.calls if c.startswith("remove (stop")]
    assert stops.index("web") < stops.index("api") < stops.index("db")
    with pytest.raises(NotFound):
        eng.up_project(str(folder), only=("nosuch",))


def test_a_profile_whose_folder_makes_no_project_name_is_known_by_its_name_alone(tmp_path):
    path = profile(tmp_path / "Ω", "web")
    eng, _ = engine()
    plan = eng.up(str(path))
    assert (plan.project, plan.key) == ("", "web")
    assert store.load("web").container_name == "rc-web", "as before projects"
    with pytest.raises(BadInput):
        eng.up_project(str(tmp_path / "Ω"))
    assert eng.up_project(str(tmp_path / "Ω"), project="named")[0].key == "named/web"
