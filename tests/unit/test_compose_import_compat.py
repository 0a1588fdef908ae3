"""rcontainer import of Compose files that Compose runs: each case imports to what Compose would run.

Each test is one shape seen in real Compose files (extends, include, YAML tags, variables where
the importer must read them, ...), asserting the values of the loaded profile.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rcontainer.convert import compose as compose_import
from rcontainer.errors import BadInput
from rcontainer.profile import load_profile

DATA = Path(__file__).resolve().parents[1] / "data" / "compose"


@pytest.fixture
def compose_dir(tmp_path: Path) -> Path:
    dest = tmp_path / "compose"
    shutil.copytree(DATA, dest)
    return dest


def imported(path: Path, *, environ: dict[str, str] | None = None, out: Path | None = None, **kwargs):
    """(profile data by service, notes) of importing ``path`` into ``out`` (default: beside it)."""
    out = out or path.parent / "out"
    result = compose_import.import_compose(
        path, output_dir=out, environ={} if environ is None else environ, force=True, **kwargs
    )
    profiles = {
        svc: load_profile(p, environ={}).data for svc, p in zip(result.profiles, result.written, strict=True)
    }
    return profiles, [str(n) for n in result.losses]


def compose(tmp_path: Path, text: str, name: str = "compose.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def refused(path: Path, match: str, **kwargs) -> str:
    with pytest.raises(BadInput, match=match) as info:
        compose_import.import_compose(path, output_dir=path.parent / "out", environ={}, **kwargs)
    assert not (path.parent / "out").exists() or not any((path.parent / "out").iterdir())
    return info.value.message


# ---------------------------------------------------------------------------------------------
# extends


def test_extends_a_service_of_the_same_file(compose_dir: Path) -> None:
    profiles, notes = imported(compose_dir / "extends" / "compose.yaml")
    web = profiles["web"]
    assert web["image"] == "docker.io/library/busybox:1.36"
    assert web["env"] == {"LOG_LEVEL": "info", "MODE": "web"}  # mappings merge, the extending one wins
    assert web["volumes"][0]["source"] == str(compose_dir / "extends" / "data")
    assert [p["host_port"] for p in web["network"]["ports"]] == [8080]
    assert web["cap_add"] == ["NET_ADMIN", "NET_RAW"]  # lists append, one entry each
    assert not any("extends" in n for n in notes)


def test_extends_a_service_of_another_file_with_its_paths_relative_to_it(compose_dir: Path) -> None:
    profiles, notes = imported(compose_dir / "extends" / "compose.yaml")
    worker = profiles["worker"]
    common = compose_dir / "extends" / "common"
    assert worker["command"] == ["worker", "--fast"]  # command is replaced, not appended
    assert worker["restart"] == "always"  # from the service that one extends, in turn
    assert worker["env"] == {"APP_MODE": "worker"}  # its env_file, relative to its own file
    sources = {v["target"]: v["source"] for v in worker["volumes"]}
    assert sources == {"/cache": str(common / "cache"), "/etc/app": str(common / "config")}
    assert worker["build"]["context"] == str(common)
    assert worker["build"]["containerfile"] == "Containerfile.app"
    assert any(n.startswith("worker: image: 'example/app:1' dropped") for n in notes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "services:\n  web:\n    image: x\n    extends: nope\n",
            r"^\S+compose.yaml:4: services.web.extends: no service 'nope' to extend$",
        ),
        (
            "services:\n  web:\n    image: x\n    extends:\n      file: other.yaml\n      service: base\n",
            r"^\S+compose.yaml:4: services.web.extends: no Compose file \S+other.yaml to extend$",
        ),
        (
            "services:\n  a:\n    extends: b\n  b:\n    extends: a\n",
            r"^\S+compose.yaml:5: services.b.extends: extends cycle: a \(compose.yaml\) -> b \(compose.yaml\)"
            r" -> a \(compose.yaml\)$",
        ),
        (
            "services:\n  web:\n    image: x\n    extends: web\n",
            r"compose.yaml:4: services.web.extends: extends cycle: web \(compose.yaml\) -> web",
        ),
        (
            "services:\n  web:\n    image: x\n    extends: {file: base.yaml}\n",
            r"compose.yaml:4: services.web.extends.service: expected the name of the service to extend",
        ),
    ],
)
def test_extends_errors_name_the_file_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    refused(compose(tmp_path, text), message)


def test_a_bad_value_from_an_extended_file_is_located_in_that_file(tmp_path: Path) -> None:
    compose(tmp_path, "services:\n  base:\n    image: x\n    ports: eighty\n", "base.yaml")
    path = compose(tmp_path, "services:\n  web:\n    extends: {file: base.yaml, service: base}\n")
    refused(path, r"base.yaml:4: services.base.ports: expected a list of ports")


# ---------------------------------------------------------------------------------------------
# !reset and !override


def test_reset_and_override_tags(compose_dir: Path) -> None:
    profiles, _ = imported(compose_dir / "reset-override.yaml")
    app, solo = profiles["app"], profiles["solo"]
    assert app["network"]["ports"] == []  # !reset: the extended ports are gone
    assert app["env"] == {"C": "3"}  # !override: replaced, not merged
    assert app["command"] == ["sleep", "1000"] and app["user"] == "1000"
    assert solo["user"] is None  # !reset with nothing to extend: as if unset
    assert solo["labels"] == {"team": "web"}


# ---------------------------------------------------------------------------------------------
# include


def test_include_beside_services(compose_dir: Path) -> None:
    profiles, notes = imported(compose_dir / "include" / "compose.yaml")
    assert sorted(profiles) == ["db", "web"]
    db = profiles["db"]
    init = db["volumes"][0]
    assert init["source"] == str(compose_dir / "include" / "db" / "init")  # relative to db/compose.yaml
    assert init["read_only"] is True
    assert db["volumes"][1]["source"] == "shared-db-data"  # the included top-level volume's name
    assert db["env"] == {"POSTGRES_DB": "app"}
    assert profiles["web"]["image"] == "docker.io/library/nginx:1.25"


def test_include_alone(compose_dir: Path) -> None:
    profiles, _ = imported(compose_dir / "include" / "only.yaml")
    assert list(profiles) == ["db"]


def test_an_included_service_merges_under_one_of_the_same_name(tmp_path: Path) -> None:
    compose(tmp_path, "services:\n  db:\n    image: postgres:15\n    environment: {A: '1'}\n", "db.yaml")
    path = compose(tmp_path, "include: [db.yaml]\nservices:\n  db:\n    environment: {B: '2'}\n")
    profiles, _ = imported(path)
    assert profiles["db"]["image"] == "postgres:15"
    assert profiles["db"]["env"] == {"A": "1", "B": "2"}


def test_include_errors(tmp_path: Path) -> None:
    compose(tmp_path, "include: [compose.yaml]\nservices: {}\n", "loop.yaml")
    path = compose(tmp_path, "include:\n  - loop.yaml\nservices:\n  web:\n    image: x\n")
    refused(path, r"loop.yaml:1: include.0: include cycle: compose.yaml -> loop.yaml -> compose.yaml")
    path = compose(tmp_path, "include:\n  - nope.yaml\nservices: {}\n")
    refused(path, r"compose.yaml:2: include.0: no Compose file \S+nope.yaml to include")
