"""rcontainer import gives the values Compose would run, or says where it cannot.

Each test is one way an import used to succeed with other values than Compose's: .env, YAML 1.1
readings, build defaults, an empty entrypoint, relative paths in variables, volume names, env
files, precedence between keys, and files Compose refuses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rcontainer.convert import compose as compose_import
from rcontainer.errors import BadInput
from rcontainer.profile import load_profile
from tests.unit.compose_helpers import compose, imported


def refused(path: Path, match: str) -> None:
    with pytest.raises(BadInput, match=match):
        compose_import.import_compose(path, output_dir=path.parent / "out", environ={})
    assert not (path.parent / "out").exists()


# ---------------------------------------------------------------------------------------------
# .env


DOTENV_STACK = """\
services:
  web:
    image: docker.io/library/nginx:${TAG}
    ports: ["${PORT}:80", "${ADMIN_PORT}"]
    environment:
      POSTGRES_PASSWORD: ${DB_PASSWORD}
      MODE: ${MODE:-dev}
"""


def test_dotenv_beside_the_compose_file_gives_its_variables(tmp_path: Path) -> None:
    path = compose(tmp_path, DOTENV_STACK)
    (tmp_path / ".env").write_text("TAG=1.25\nPORT=8081\nADMIN_PORT=9090\nDB_PASSWORD=s3cret\n")
    profiles, notes = imported(path, out=tmp_path)  # profiles beside it read the same .env
    web = profiles["web"]
    assert web["image"] == "docker.io/library/nginx:1.25"
    ports = [(p["host_port"], p["container_port"]) for p in web["network"]["ports"]]
    assert ports == [(8081, 80), (9090, 9090)]
    assert web["env"] == {"POSTGRES_PASSWORD": "s3cret", "MODE": "dev"}
    assert not any(".env" in n for n in notes)
    assert "${DB_PASSWORD}" in (tmp_path / "web.yaml").read_text()  # not its value


def test_profiles_elsewhere_are_told_which_variables_their_folder_lacks(tmp_path: Path) -> None:
    path = compose(tmp_path, DOTENV_STACK)
    (tmp_path / ".env").write_text("TAG=1.25\nPORT=8081\nADMIN_PORT=9090\nDB_PASSWORD=s3cret\n")
    out = tmp_path / "profiles"
    result = compose_import.import_compose(path, output_dir=out, environ={"TAG": "1.24"})
    notes = [str(n) for n in result.losses]
    expected = (
        f"web: .env: $DB_PASSWORD, $PORT come from the Compose project's env file, which profiles in {out}"
        f" do not read: copy the values to {out / '.env'} (or set them in your environment)"
    )
    assert expected in notes  # TAG comes from the environment; ADMIN_PORT was read when imported
    (out / ".env").write_text("PORT=8081\nDB_PASSWORD=s3cret\n")
    assert load_profile(out / "web.yaml", environ={}).data["env"]["POSTGRES_PASSWORD"] == "s3cret"
    again = compose_import.import_compose(path, output_dir=out, environ={"TAG": "1.24"}, force=True)
    assert not any(n.field == ".env" for n in again.losses)


def test_env_file_option_replaces_the_dotenv(tmp_path: Path) -> None:
    path = compose(tmp_path, "services:\n  web:\n    image: nginx:${TAG}\n    ports: ['${PORT}']\n")
    (tmp_path / ".env").write_text("TAG=1.25\nPORT=80\n")
    (tmp_path / "prod.env").write_text("TAG=1.26\nPORT=8080\n")
    profiles, _ = imported(path, env_files=[tmp_path / "prod.env"])
    assert profiles["web"]["network"]["ports"][0]["host_port"] == 8080


def test_a_malformed_dotenv_is_refused_with_its_line(tmp_path: Path) -> None:
    path = compose(tmp_path, "services:\n  web:\n    image: x\n")
    (tmp_path / ".env").write_text('OK=1\nBAD="never closed\n')
    refused(path, r"\.env:2: unterminated quoted value")


# ---------------------------------------------------------------------------------------------
# YAML as Compose reads it (1.2)


def test_yaml_reads_as_compose_reads_it(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        "services:\n  web:\n    image: x\n    user: 1000:50\n    ports:\n      - 22:22\n"
        "    command: [echo, 12:30, on, 0755]\n    tty: yes\n"
        "    environment:\n      DEBUG: yes\n      COLOR: off\n      RATIO: 1.0\n      COUNT: 010\n"
        "    volumes:\n      - {type: tmpfs, target: /run/app, tmpfs: {mode: 0750}}\n",
    )
    profiles, _ = imported(path)
    web = profiles["web"]
    assert web["user"] == "1000:50"
    assert [(p["host_port"], p["container_port"]) for p in web["network"]["ports"]] == [(22, 22)]
    assert web["command"] == ["echo", "12:30", "on", "493"]  # 0755 is octal to Compose's YAML too
    assert web["tty"] is True  # a boolean field: Compose takes yes
    assert web["env"] == {"DEBUG": "yes", "COLOR": "off", "RATIO": "1", "COUNT": "8"}
    assert web["volumes"][0]["mode"] == 0o750


def test_a_decimal_tmpfs_mode_is_noted(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        "services:\n  web:\n    image: x\n    volumes:\n      - {type: tmpfs, target: /t, tmpfs: {mode: 1777}}\n",
    )
    profiles, notes = imported(path)
    assert profiles["web"]["volumes"][0]["mode"] == 0o1777
    assert (
        "web: volumes[0].tmpfs.mode: 1777: Compose reads it as a decimal number (mode 0o3361); imported as octal 1777"
        in notes
    )


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    path = compose(tmp_path, "services:\n  web:\n    image: x\n    image: y\n")
    refused(path, r"compose.yaml:4:5: not valid YAML: duplicate key 'image' \(first defined at line 3\)")


# ---------------------------------------------------------------------------------------------
# build, entrypoint


def test_build_without_dockerfile_uses_compose_default(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    path = compose(tmp_path, "services:\n  api:\n    build: ./app\n  worker:\n    build: {context: ./app}\n")
    profiles, _ = imported(path)
    assert profiles["api"]["build"]["containerfile"] == "Dockerfile"
    assert profiles["worker"]["build"]["containerfile"] == "Dockerfile"


@pytest.mark.parametrize(
    ("present", "named", "used"),
    [
        (["Dockerfile"], "Containerfile", "Dockerfile"),
        (["Containerfile"], "Dockerfile", "Containerfile"),
        (["Containerfile", "Dockerfile"], "Dockerfile", "Dockerfile"),
        (["Containerfile"], "Dockerfile.dev", "Dockerfile.dev"),
    ],
)
def test_the_build_falls_back_to_whichever_build_file_exists(
    tmp_path: Path, present: list[str], named: str, used: str
) -> None:
    from rcontainer.backends.podman.images import containerfile

    for name in present:
        (tmp_path / name).write_text("FROM scratch\n")
    assert containerfile({"context": str(tmp_path), "containerfile": named}) == used


@pytest.mark.parametrize("entrypoint", ["[]", "''"])
def test_an_empty_entrypoint_clears_the_images(tmp_path: Path, entrypoint: str) -> None:
    from rcontainer.backends.bwrap.argv import container_command
    from rcontainer.backends.podman.spec import spec_from_profile

    path = compose(tmp_path, f"services:\n  web:\n    image: x\n    entrypoint: {entrypoint}\n")
    profiles, _ = imported(path)
    web = profiles["web"]
    assert web["entrypoint"] == []
    spec = spec_from_profile(web, "sha256:abc", name="rc-web", labels={}, log_path="/l", handler=None)
    assert spec["entrypoint"] == []  # Podman then runs the image's CMD alone
    image = {"Entrypoint": ["/docker-entrypoint.sh"], "Cmd": ["nginx", "-g", "daemon off;"]}
    assert container_command(web, image) == ["nginx", "-g", "daemon off;"]
    assert container_command({**web, "entrypoint": None}, image)[0] == "/docker-entrypoint.sh"


# ---------------------------------------------------------------------------------------------
# Paths and volumes


def test_a_relative_path_in_a_variable_stays_relative_to_the_compose_file(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    path = compose(tmp_path, "services:\n  db:\n    image: x\n    volumes: ['${DATA:-./data}:/data']\n")
    profiles, notes = imported(path, out=tmp_path / "elsewhere")
    assert profiles["db"]["volumes"][0]["source"] == str(tmp_path / "data")
    assert "db: volumes[0]: ${DATA:-./data} → '../data' (variables resolved when imported)" in notes
    profiles, notes = imported(path, out=tmp_path / "elsewhere", environ={"DATA": "/srv/data"})
    assert "${DATA:-./data}:/data" in (tmp_path / "elsewhere" / "db.yaml").read_text()  # absolute: kept


def test_volume_names_as_compose_makes_them(tmp_path: Path) -> None:
    path = compose(
        tmp_path / "My Shop",
        "services:\n  db:\n    image: x\n    volumes:\n      - a:/a\n      - b:/b\n      - c:/c\n      - d:/d\n"
        "      - {type: volume, source: d, target: /d2}\n"
        "volumes:\n  a:\n    external:\n      name: real-a\n  b:\n    external: true\n  c:\n    name: named-c\n  d:\n",
    )
    profiles, _ = imported(path)
    sources = [v["source"] for v in profiles["db"]["volumes"]]
    assert sources == ["real-a", "b", "named-c", "myshop_d", "myshop_d"]  # the folder's name, normalised
    profiles, _ = imported(path, environ={"COMPOSE_PROJECT_NAME": "prod"})
    assert profiles["db"]["volumes"][3]["source"] == "prod_d"
    path.write_text("name: shop\n" + path.read_text())
    profiles, _ = imported(path)
    assert profiles["db"]["volumes"][3]["source"] == "shop_d"


def test_env_file_values_compose_reads_otherwise_are_noted(tmp_path: Path) -> None:
    (tmp_path / "app.env").write_text('URL=http://${HOST:-localhost}/x\nTABBED="a\\tb"\nPLAIN=1\n')
    path = compose(tmp_path, "services:\n  app:\n    image: x\n    env_file: app.env\n")
    _, notes = imported(path)
    assert (
        "app: env_file[0]: TABBED, URL: Compose reads these otherwise ($, quotes or escapes), a profile reads"
        " the file as Podman does: give the value in 'environment' instead"
    ) in notes


# ---------------------------------------------------------------------------------------------
# Which key wins


def test_deploy_restart_policy_wins_over_restart(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        "services:\n  a:\n    image: x\n    restart: always\n    deploy:\n      restart_policy:\n"
        "        condition: on-failure\n        max_attempts: 2\n"
        "  b:\n    image: x\n    deploy: {restart_policy: {condition: unless-stopped}}\n",
    )
    profiles, notes = imported(path)
    assert profiles["a"]["restart"] == "on-failure:2"
    assert profiles["b"]["restart"] == "unless-stopped"
    assert "a: restart: 'always' dropped: deploy.restart_policy (on-failure:2) wins, as in Compose" in notes


def test_distinct_limits_are_refused_as_compose_refuses_them(tmp_path: Path) -> None:
    same = compose(
        tmp_path / "same",
        "services:\n  a:\n    image: x\n    mem_limit: 1g\n    deploy: {resources: {limits: {memory: 1024m}}}\n",
    )
    profiles, _ = imported(same)
    assert profiles["a"]["resources"]["memory"] == 1024**3
    distinct = compose(
        tmp_path / "distinct",
        "services:\n  a:\n    image: x\n    mem_limit: 1g\n    deploy:\n      resources:\n"
        "        limits:\n          memory: 512m\n",
    )
    refused(distinct, r"compose.yaml:8: services.a.deploy.resources.limits.memory: differs from mem_limit")


def test_long_port_keys_without_equivalent_are_noted(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        "services:\n  web:\n    image: x\n    ports:\n"
        "      - {target: 80, published: 8080, mode: host, name: http, app_protocol: http}\n",
    )
    _, notes = imported(path)
    for expected in (
        "web: ports[0].mode: 'host' dropped: published on the host, as Compose without Swarm does",
        "web: ports[0].name: 'http' dropped: profile ports have no names",
        "web: ports[0].app_protocol: 'http' dropped: profile ports have no application protocol",
    ):
        assert expected in notes


# ---------------------------------------------------------------------------------------------
# Files Compose refuses


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n",
            r"compose.yaml:4: services.a.depends_on: dependency cycle: a -> b -> a",
        ),
        (
            "services:\n  a:\n    image: x\n    depends_on:\n      a: {condition: service_started}\n",
            r"compose.yaml:4: services.a.depends_on: dependency cycle: a -> a",
        ),
        (
            "services:\n  a:\n    image: x\n    depends_on: [nope]\n",
            r"compose.yaml:4: services.a.depends_on: no service 'nope' to depend on",
        ),
        (
            "services:\n  a:\n    image: x\n    network_mode: host\n    networks: [front]\nnetworks:\n  front:\n",
            r"compose.yaml:5: services.a.networks: Compose refuses network_mode together with networks",
        ),
    ],
)
def test_files_compose_refuses_are_refused_with_the_reason(tmp_path: Path, text: str, message: str) -> None:
    refused(compose(tmp_path, text), message)


def test_an_optional_dependency_on_a_missing_service_is_fine(tmp_path: Path) -> None:
    path = compose(tmp_path, "services:\n  a:\n    image: x\n    depends_on:\n      b: {required: false}\n")
    profiles, notes = imported(path)
    assert list(profiles) == ["a"]
    assert "a: depends_on.b: dropped: optional, and no such service (as Compose)" in notes
    assert "depends_on" not in profiles["a"]


def test_recursive_and_exploding_aliases_are_refused(tmp_path: Path) -> None:
    refused(
        compose(tmp_path / "loop", "services:\n  web: &w\n    image: x\n    labels: *w\n"),
        r"compose.yaml:2: a value that contains itself \(a recursive YAML alias\)",
    )
    levels = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for prev, name in zip("abcde", "bcdef", strict=True):
        levels.append(f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]")
    text = "\n".join(levels) + "\nservices:\n  web:\n    image: x\n"
    refused(compose(tmp_path / "laughs", text), r"too large: more than 100000 values after expanding aliases")
