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
from tests.unit.compose_helpers import compose, imported

DATA = Path(__file__).resolve().parents[1] / "data" / "compose"


@pytest.fixture
def compose_dir(tmp_path: Path) -> Path:
    dest = tmp_path / "compose"
    shutil.copytree(DATA, dest)
    return dest


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


# ---------------------------------------------------------------------------------------------
# Variables and the $ sign


def test_a_variable_with_a_default_in_the_short_volume_syntax(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    path = compose(
        tmp_path,
        "name: shop\nservices:\n  db:\n    image: x\n    volumes:\n"
        "      - ${DATA_DIR:-./data}:/var/lib/data:ro\n"
        "      - ${CACHE_VOLUME:-cache}:/cache\n"
        "volumes:\n  cache:\n",
    )
    profiles, notes = imported(path, out=tmp_path)  # relative to the profile's folder: the same here
    data, cache = profiles["db"]["volumes"]
    assert (data["type"], data["source"], data["target"], data["read_only"]) == (
        "bind",
        str(tmp_path / "data"),
        "/var/lib/data",
        True,
    )
    assert (cache["type"], cache["source"], cache["target"]) == ("volume", "shop_cache", "/cache")
    assert "${DATA_DIR:-./data}:/var/lib/data:ro" in (tmp_path / "db.yaml").read_text()
    assert "db: volumes[1]: ${CACHE_VOLUME:-cache} → 'shop_cache' (variables resolved when imported)" in notes


def test_a_dollar_that_starts_no_variable_stays_literal(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        "services:\n  web:\n    image: x\n"
        "    command: ['sh', '-c', 'echo $1 $(date) $@ 5$ $$HOME ${GREETING:-hi} $NAME']\n"
        "    environment:\n      PRICE: 5$\n      SHELL_LINE: 'a=$((1+2))'\n",
    )
    profiles, _ = imported(path)
    web = profiles["web"]
    assert web["command"] == ["sh", "-c", "echo $1 $(date) $@ 5$ $HOME hi "]  # as Compose runs it
    assert web["env"] == {"PRICE": "5$", "SHELL_LINE": "a=$((1+2))"}


def test_a_malformed_variable_is_still_refused(tmp_path: Path) -> None:
    path = compose(tmp_path, "services:\n  web:\n    image: x\n    command: echo ${1}\n")
    refused(path, r"service 'web' does not make a valid profile:\n  command: invalid '\$\{'")


def test_variables_the_importer_must_read_are_read_when_imported(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        "services:\n  web:\n    image: x\n"
        "    stop_grace_period: ${STOP:-1m30s}\n"
        "    ports: ['${PORT:-9000}', '${HOST_PORT:-8080}:80']\n"
        "    deploy:\n      restart_policy:\n        condition: ${CONDITION:-on-failure}\n"
        "        max_attempts: ${TRIES:-4}\n"
        "    container_name: ${PROJECT:-shop}-web\n",
    )
    profiles, notes = imported(path, environ={"STOP": "20s"})
    web = profiles["shop-web"] if "shop-web" in profiles else profiles["web"]
    assert web["name"] == "shop-web"
    assert web["stop_timeout"] == 20
    assert web["restart"] == "on-failure:4"
    ports = [(p["host_port"], p["container_port"]) for p in web["network"]["ports"]]
    assert ports == [(9000, 9000), (8080, 80)]
    text = (tmp_path / "out" / "shop-web.yaml").read_text()
    assert "${HOST_PORT:-8080}:80" in text  # a whole port the profile reads the same way: kept
    for expected in (
        "web: stop_grace_period: ${STOP:-1m30s} → '20s' (variables resolved when imported)",
        "web: ports[0]: ${PORT:-9000} → '9000' (variables resolved when imported)",
        "web: deploy.restart_policy.condition: ${CONDITION:-on-failure} → 'on-failure' (variables resolved"
        " when imported)",
        "web: container_name: ${PROJECT:-shop}-web → 'shop-web' (variables resolved when imported)",
    ):
        assert expected in notes


# ---------------------------------------------------------------------------------------------
# Environment


def test_environment_names_with_dots(tmp_path: Path) -> None:
    (tmp_path / "es.env").write_text("cluster.name=docker-cluster\nbootstrap.memory_lock=true\n")
    path = compose(
        tmp_path,
        "services:\n  es:\n    image: elasticsearch:8.13.0\n    env_file: es.env\n    environment:\n"
        "      - discovery.type=single-node\n      - xpack.security.enabled=false\n"
        "      - ES_JAVA_OPTS=-Xms512m -Xmx512m\n      - node.roles\n      - node.attr.zone\n",
    )
    profiles, notes = imported(path, environ={"node.roles": "master"})
    assert profiles["es"]["env"] == {
        "cluster.name": "docker-cluster",
        "bootstrap.memory_lock": "true",
        "discovery.type": "single-node",
        "xpack.security.enabled": "false",
        "ES_JAVA_OPTS": "-Xms512m -Xmx512m",
        "node.roles": "master",  # no ${...} can name it: taken when imported
    }
    assert "es: environment.node.roles: taken from your environment when imported" in notes
    assert "es: environment.node.attr.zone: left out: not set when imported (as Compose does)" in notes


def test_env_file_with_a_bare_name_and_a_value_over_several_lines(tmp_path: Path) -> None:
    (tmp_path / "app.env").write_text(
        '# from the environment when set\nHOST_TAG\nCERT="-----BEGIN-----\nabc\n-----END-----"\nPLAIN=1\n'
    )
    path = compose(tmp_path, "services:\n  app:\n    image: x\n    env_file: app.env\n")
    compose_import.import_compose(path, output_dir=tmp_path / "out", environ={})
    profile = load_profile(tmp_path / "out" / "app.yaml", environ={"HOST_TAG": "blue"})
    assert profile.data["env"] == {
        "HOST_TAG": "blue",
        "CERT": "-----BEGIN-----\nabc\n-----END-----",
        "PLAIN": "1",
    }
    assert "HOST_TAG" not in load_profile(tmp_path / "out" / "app.yaml", environ={}).data["env"]


def test_a_bad_env_file_line_is_named_by_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.env").write_text("OK=1\nnot an assignment\n")
    path = compose(tmp_path, "services:\n  app:\n    image: x\n    env_file: bad.env\n")
    refused(
        path, r"service 'app' does not make a valid profile:\n  \S+bad.env:2: expected a line 'NAME=VALUE'"
    )


# ---------------------------------------------------------------------------------------------
# Network


def test_extra_hosts_with_variables_several_addresses_and_lists(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        "services:\n  web:\n    image: x\n    extra_hosts:\n"
        "      - 'gateway:${GATEWAY_IP:-10.0.0.1}'\n      - 'db=10.0.0.2,10.0.0.3'\n      - 'db:10.0.0.4'\n"
        "      - 'v6=::1'\n"
        "  api:\n    image: x\n    extra_hosts:\n      cache: ['10.0.0.7', '::1']\n      proxy: '[::2]'\n",
    )
    profiles, notes = imported(path)
    assert profiles["web"]["network"]["add_hosts"] == {
        "gateway": "10.0.0.1",
        "db": ["10.0.0.2", "10.0.0.3", "10.0.0.4"],
        "v6": "::1",
    }
    assert profiles["api"]["network"]["add_hosts"] == {"cache": ["10.0.0.7", "::1"], "proxy": "::2"}
    assert (
        "web: extra_hosts[0]: gateway:${GATEWAY_IP:-10.0.0.1} → 'gateway:10.0.0.1' (variables resolved when imported)"
        in notes
    )


def test_several_addresses_for_one_host_reach_every_family(tmp_path: Path) -> None:
    from rcontainer.backends.bwrap.root import _hosts_text
    from rcontainer.backends.podman.spec import spec_from_profile

    path = compose(tmp_path, "services:\n  web:\n    image: x\n    extra_hosts: ['db=10.0.0.2,10.0.0.3']\n")
    profiles, _ = imported(path)
    data = profiles["web"]
    spec = spec_from_profile(data, "sha256:abc", name="rc-web", labels={}, log_path="/l", handler=None)
    assert spec["hostadd"] == ["db:10.0.0.2", "db:10.0.0.3"]
    assert "10.0.0.2\tdb\n10.0.0.3\tdb\n" in _hosts_text("web", data["network"]["add_hosts"])


def test_sctp_ports_are_imported_and_noted(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        "services:\n  sig:\n    image: x\n    ports:\n      - '3868:3868/sctp'\n"
        "      - {target: 2905, published: 2905, protocol: sctp}\n      - '8080:80'\n",
    )
    profiles, notes = imported(path)
    ports = [(p["host_port"], p["container_port"]) for p in profiles["sig"]["network"]["ports"]]
    assert ports == [(8080, 80)]
    for expected in (
        "sig: ports[0]: 3868:3868/sctp dropped: rootless Podman cannot publish SCTP ports (tcp and udp only)",
        "sig: ports[1]: 2905:2905/sctp dropped: rootless Podman cannot publish SCTP ports (tcp and udp only)",
    ):
        assert expected in notes


def test_a_profile_says_why_podman_cannot_publish_sctp(tmp_path: Path) -> None:
    from rcontainer.profile import ProfileError

    (tmp_path / "sig.yaml").write_text("image: x\nnetwork:\n  ports: ['3868:3868/sctp']\n")
    with pytest.raises(ProfileError, match=r"network.ports\[0\]: rootless Podman cannot publish SCTP ports"):
        load_profile(tmp_path / "sig.yaml", environ={})
    (tmp_path / "sig.yaml").write_text("image: x\nruntime: default\nnetwork:\n  ports: ['3868:3868/udp']\n")
    assert load_profile(tmp_path / "sig.yaml", environ={}).data["network"]["ports"][0]["protocol"] == "udp"


def test_dns_with_an_unset_variable_is_left_out(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        "services:\n  a:\n    image: x\n    dns: ${DNS}\n  b:\n    image: x\n    dns: [1.1.1.1, '${DNS2}']\n"
        "  c:\n    image: x\n    dns: ${DNS3:-9.9.9.9}\n",
    )
    profiles, notes = imported(path)
    assert profiles["a"]["network"]["dns"] == []
    assert profiles["b"]["network"]["dns"] == ["1.1.1.1"]
    assert profiles["c"]["network"]["dns"] == ["9.9.9.9"]
    assert "a: dns: ${DNS} → '' (variables resolved when imported)" in notes


# ---------------------------------------------------------------------------------------------
# Files and mounts


def test_several_documents_in_one_file_merge(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        "services:\n  web:\n    image: nginx:1.25\n    ports: ['8080:80']\n"
        "---\n"
        "services:\n  web:\n    environment: {A: '1'}\n    ports: ['8443:443']\n  db:\n    image: postgres:16\n",
    )
    profiles, _ = imported(path)
    web = profiles["web"]
    assert web["image"] == "nginx:1.25" and web["env"] == {"A": "1"}
    assert [p["host_port"] for p in web["network"]["ports"]] == [8080, 8443]
    assert profiles["db"]["image"] == "postgres:16"
    (tmp_path / "bad").mkdir()
    bad = compose(tmp_path / "bad", "services:\n  web:\n    image: x\n---\nservices:\n  web:\n    ports: 5\n")
    refused(bad, r"compose.yaml:7: services.web.ports: expected a list")


def test_tmpfs_size_zero_is_no_limit(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        "services:\n  web:\n    image: x\n    tmpfs: ['/run:size=0']\n    volumes:\n"
        "      - {type: tmpfs, target: /cache, tmpfs: {size: 0}}\n",
    )
    profiles, _ = imported(path)
    sizes = {v["target"]: v["size"] for v in profiles["web"]["volumes"]}
    assert sizes == {"/cache": None, "/run": None}


def test_a_provider_service_is_skipped_with_a_note(tmp_path: Path) -> None:
    path = compose(
        tmp_path,
        "services:\n  web:\n    image: x\n  ai:\n    provider:\n      type: model\n      options: {model: ai/x}\n",
    )
    profiles, notes = imported(path)
    assert list(profiles) == ["web"]
    assert "ai: provider: service skipped: a provider runs no container" in notes
