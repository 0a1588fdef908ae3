"""rcontainer import: Compose services as profiles, and the report of what did not carry over."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rcontainer.convert import compose as compose_import
from rcontainer.errors import BadInput, NotFound
from rcontainer.profile import load_profile

DATA = Path(__file__).resolve().parents[1] / "data" / "compose"


@pytest.fixture
def compose_dir(tmp_path: Path) -> Path:
    """A copy of the fixtures, so profiles can be written next to them."""
    dest = tmp_path / "compose"
    shutil.copytree(DATA, dest)
    return dest


def run_import(compose_dir: Path, name: str, **kwargs):
    out = kwargs.pop("output_dir", compose_dir)
    result = compose_import.import_compose(compose_dir / name, output_dir=out, **kwargs)
    profiles = {p.stem: load_profile(p, environ={}) for p in result.written}
    notes = [str(n) for n in result.losses]
    return result, profiles, notes


def test_web_and_db_stack(compose_dir: Path) -> None:
    result, profiles, notes = run_import(compose_dir, "web-db.yaml")
    assert [p.name for p in result.written] == ["web.yaml", "db.yaml"]
    web, db = profiles["web"].data, profiles["db"].data
    assert web["image"] == "docker.io/library/nginx:1.25"
    assert [(p["host_ip"], p["host_port"], p["container_port"]) for p in web["network"]["ports"]] == [
        ("", 8080, 80),
        ("127.0.0.1", 8443, 443),
    ]
    assert web["volumes"][0]["type"] == "bind"
    assert web["volumes"][0]["source"] == str(compose_dir / "web")  # relative to the Compose file
    assert web["volumes"][0]["read_only"] is True
    assert web["env"] == {"NGINX_HOST": "example.test", "NGINX_PORT": "80"}
    assert web["restart"] == "unless-stopped"
    assert db["volumes"][0] == {
        "type": "volume",
        "source": "compose_db-data",  # as Compose names it: the project (the folder's name) first
        "target": "/var/lib/postgresql/data",
        "read_only": False,
        "selinux": "",
        "size": None,
        "mode": None,
    }
    assert db["env"]["POSTGRES_PASSWORD"] == "change-me"  # ${DB_PASSWORD:-change-me}, kept for load time
    assert "POSTGRES_PASSWORD" in profiles["db"].secret_env
    assert db["healthcheck"] == {
        "test": ["CMD-SHELL", "pg_isready -U app"],
        "interval": 10.0,
        "timeout": 5.0,
        "retries": 5,
        "start_period": 0.0,
    }
    assert db["restart"] == "always"
    text = (compose_dir / "db.yaml").read_text()
    assert "${DB_PASSWORD:-change-me}" in text  # interpolation left to the profile loader
    # one project, named after the Compose file's folder; networks prefixed with it, as Compose does
    assert web["project"] == db["project"] == "compose"
    assert web["depends_on"] == {"db": {"condition": "service_started"}}
    assert web["networks"] == {"compose_front": {"aliases": []}, "compose_back": {"aliases": []}}
    assert db["networks"] == {"compose_back": {"aliases": []}}
    assert not any(n.startswith(("web: depends_on", "web: networks", "db: networks")) for n in notes)
    assert "db: environment.POSTGRES_PASSWORD: marked secret: true (the name looks like a secret)" in notes


def test_build_with_args_command_and_entrypoint(compose_dir: Path) -> None:
    _, profiles, notes = run_import(compose_dir, "build-args.yaml")
    api = profiles["api"].data
    assert api["image"] is None
    assert api["build"] == {
        "context": str(compose_dir / "app"),
        "containerfile": "Dockerfile.dev",
        "args": {"PYTHON_VERSION": "3.12", "PIP_INDEX_URL": ""},
    }
    assert "${PIP_INDEX_URL}" in (compose_dir / "api.yaml").read_text()
    assert api["command"] == ["python", "-m", "api", "--port", "9000"]
    assert api["entrypoint"] == ["/usr/bin/tini", "--"]
    assert api["workdir"] == "/srv/api"
    assert api["user"] == "1000:1000"
    assert api["tty"] is True
    assert api["env"] == {"API_MODE": "dev", "API_DEBUG": "1"}  # from env_file
    assert "api: build.target: dropped: profiles build with context, containerfile and args only" in notes
    assert any(n.startswith("api: image: 'example/api:dev' dropped") for n in notes)
    assert any(n.startswith("api: build.args.PIP_INDEX_URL: taken from your environment") for n in notes)


def test_long_syntax_ports_volumes_and_tmpfs(compose_dir: Path) -> None:
    _, profiles, notes = run_import(compose_dir, "long-syntax.yaml")
    proxy = profiles["proxy"].data
    ports = [
        (p["host_ip"], p["host_port"], p["container_port"], p["protocol"]) for p in proxy["network"]["ports"]
    ]
    assert ports == [
        ("127.0.0.1", 8081, 80, "tcp"),
        ("", 5353, 53, "udp"),
        ("", 9000, 9000, "tcp"),
        ("", 9001, 9001, "tcp"),
        ("", 3000, 3000, "tcp"),
    ]
    vols = {v["target"]: v for v in proxy["volumes"]}
    assert vols["/etc/haproxy"]["type"] == "bind" and vols["/etc/haproxy"]["read_only"] is True
    assert vols["/etc/haproxy"]["selinux"] == "z"
    assert vols["/var/cache/haproxy"]["source"] == "shared-cache"  # the top-level volume's name
    assert vols["/run/haproxy"] == {
        "type": "tmpfs",
        "source": None,
        "target": "/run/haproxy",
        "read_only": False,
        "selinux": "",
        "size": 64 * 1024 * 1024,
        "mode": 0o1777,
    }
    assert vols["/tmp"]["size"] == 64 * 1024 * 1024 and vols["/tmp"]["mode"] == 0o1777
    assert vols["/var/lib/anon"]["type"] == "volume" and vols["/var/lib/anon"]["source"] == "proxy-anon-3"
    assert proxy["network"]["mode"] == "private"  # network_mode: bridge
    assert proxy["network"]["hostname"] == "proxy"
    assert proxy["network"]["dns"] == ["1.1.1.1"]
    assert proxy["network"]["add_hosts"] == {"backend.internal": "10.0.0.5"}
    for expected in (
        "proxy: ports[3]: 3000: Compose picks a random host port; published on the same port instead",
        "proxy: extra_hosts.gateway: host-gateway dropped: give the host's address",
        "proxy: volumes[0].bind.propagation: dropped",
        "proxy: volumes[1].volume.nocopy: dropped",
        "proxy: volumes[3]: anonymous volume at /var/lib/anon → named volume 'proxy-anon-3'",
    ):
        assert expected in notes


def test_healthcheck_variations(compose_dir: Path) -> None:
    _, profiles, notes = run_import(compose_dir, "healthchecks.yaml")
    shell = profiles["shell-string"].data["healthcheck"]
    assert shell["test"] == ["CMD-SHELL", "wget -q -O- http://127.0.0.1:8080/ || exit 1"]
    assert (shell["interval"], shell["timeout"], shell["start_period"]) == (90.0, 10.0, 40.0)
    assert profiles["exec-list"].data["healthcheck"]["test"] == ["CMD", "true"]
    assert profiles["exec-list"].data["healthcheck"]["retries"] == 0
    assert profiles["disabled"].data["healthcheck"]["test"] == ["NONE"]
    assert profiles["inherited"].data["healthcheck"] is None
    assert "exec-list: healthcheck.start_interval: dropped" in notes
    assert any(n.startswith("inherited: healthcheck: dropped") for n in notes)


def test_deploy_resources_runtime_and_security(compose_dir: Path) -> None:
    _, profiles, notes = run_import(compose_dir, "deploy-resources.yaml")
    w = profiles["worker"].data
    assert w["resources"] == {"memory": 512 * 1024 * 1024, "cpus": 0.5, "pids": 100}
    assert w["restart"] == "on-failure:3"
    assert w["runtime"] == "gvisor"  # runsc
    assert w["userns"] == "keep-id"
    assert w["read_only"] is True
    assert w["cap_add"] == ["NET_ADMIN"] and w["cap_drop"] == ["ALL"]
    assert w["no_new_privileges"] is False
    assert w["stop_signal"] == "SIGINT"
    assert w["stop_timeout"] == 90
    assert w["labels"] == {"com.example.team": "data"}
    for expected in (
        "worker: deploy.replicas: 3 → 1: a profile is one container",
        "worker: deploy.resources.reservations: dropped: limits only",
        "worker: deploy.placement: dropped: no orchestration",
        "worker: security_opt[1]: 'seccomp=unconfined' dropped",
    ):
        assert expected in notes


def test_unsupported_keys_are_reported(compose_dir: Path) -> None:
    result, profiles, notes = run_import(compose_dir, "unsupported.yaml")
    assert sorted(profiles) == ["db", "my_app"]
    app = profiles["my_app"].data
    assert app["privileged"] is True and app["network"]["mode"] == "none"
    for key in (
        "links",
        "secrets",
        "configs",
        "profiles",
        "scale",
        "logging",
        "devices",
        "sysctls",
    ):
        assert any(n.startswith(f"app: {key}: dropped") for n in notes), key
    assert not any(n.startswith("app: expose") for n in notes)  # every port is open on the project's network
    assert "app: container_name: 'My_App' → profile name 'my_app'" in notes
    assert not any("x-custom" in n for n in notes)  # extensions are silently ignored
    assert not any(n.startswith("db:") for n in notes)  # a plain service imports without loss


def test_one_service_only(compose_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "profiles"
    result, profiles, _ = run_import(compose_dir, "web-db.yaml", services=["db"], output_dir=out)
    assert result.written == [out / "db.yaml"]
    # relative paths are rewritten for the profile's folder: the build context still resolves
    result, profiles, _ = run_import(compose_dir, "build-args.yaml", output_dir=out)
    assert profiles["api"].data["build"]["context"] == str(compose_dir / "app")
    with pytest.raises(BadInput, match="no service 'nope'"):
        compose_import.import_compose(compose_dir / "web-db.yaml", services=["nope"], output_dir=out)


def test_refuses_to_overwrite_unless_forced(compose_dir: Path) -> None:
    run_import(compose_dir, "web-db.yaml")
    before = (compose_dir / "web.yaml").read_text()
    (compose_dir / "web.yaml").write_text("# mine\n" + before)
    with pytest.raises(BadInput, match="not overwriting .*web.yaml"):
        compose_import.import_compose(compose_dir / "web-db.yaml", output_dir=compose_dir)
    assert (compose_dir / "web.yaml").read_text().startswith("# mine")
    compose_import.import_compose(compose_dir / "web-db.yaml", output_dir=compose_dir, force=True)
    assert (compose_dir / "web.yaml").read_text() == before


def write(folder: Path, text: str) -> Path:
    path = folder / "compose.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "services:\n  web:\n    image: x\n    ports: '8080:80'\n",
            r"compose.yaml:4: services.web.ports: expected a list",
        ),
        ("services:\n  web:\n    ports: ['80:80']\n", r"services.web: expected 'image' or 'build'"),
        (
            "services:\n  web:\n    image: x\n    environment: 5\n",
            r"services.web.environment: expected a mapping",
        ),
        (
            "services:\n  web:\n    image: x\n    ports: ['80:80', 'eighty']\n",
            r"compose.yaml:4: services.web.ports.1: expected a port",
        ),
        (
            "services:\n  web:\n    image: x\n    ports: ['90-80:80']\n",
            r"compose.yaml:4: services.web.ports.0: expected a host port range from low to high",
        ),
        (
            "services:\n  web:\n    image: x\n    security_opt: no-new-privileges\n",
            r"compose.yaml:4: services.web.security_opt: expected a list of options",
        ),
        (
            "services:\n  web:\n    image: x\n    deploy:\n      restart_policy:\n        condition: [any]\n",
            r"services.web.deploy.restart_policy.condition: expected none, on-failure or any, got a list",
        ),
        ("web:\n  image: x\n", r"expected a Compose file with a 'services' mapping"),
        ("services: [\n", r"compose.yaml:2:1: not valid YAML"),
        (
            "services:\n  web:\n    image: x\n    healthcheck: yes\n",
            r"services.web.healthcheck: expected a mapping",
        ),
    ],
)
def test_bad_input_names_file_service_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        compose_import.import_compose(write(tmp_path, text), output_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compose.yaml"]  # nothing written


def test_a_service_that_makes_an_invalid_profile_writes_nothing(tmp_path: Path) -> None:
    text = "services:\n  ok:\n    image: x\n  bad:\n    image: x\n    cap_add: [NOT_A_CAP]\n"
    with pytest.raises(BadInput, match=r"service 'bad' does not make a valid profile:\n  cap_add\[0\]"):
        compose_import.import_compose(write(tmp_path, text), output_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compose.yaml"]


def test_json_escaped_characters_import_and_lone_surrogates_are_refused(tmp_path: Path) -> None:
    # JSON (which YAML 1.2 reads) writes a character beyond U+FFFF as a pair of escapes
    write(tmp_path, '{"services": {"web": {"image": "x", "labels": {"mood": "\\ud83d\\ude00"}}}}')
    result = compose_import.import_compose(tmp_path / "compose.yaml", output_dir=tmp_path / "out")
    assert result.profiles["web"]["labels"] == {"mood": "\U0001f600"}
    assert load_profile(result.written[0]).data["labels"] == {"mood": "\U0001f600"}
    # half a pair is no character: it could not be written as UTF-8
    write(tmp_path, '{"services": {"web": {"image": "x", "labels": {"mood": "\\ud83d"}}}}')
    with pytest.raises(
        BadInput, match=r"compose.yaml:1: services.web.labels.mood: expected text of valid Unicode"
    ):
        compose_import.import_compose(tmp_path / "compose.yaml", output_dir=tmp_path / "out2")
    assert not (tmp_path / "out2" / "web.yaml").exists()


def test_every_key_is_either_handled_or_dropped() -> None:
    from rcontainer.convert.compose.keys import DROPPED, HANDLERS

    assert not set(HANDLERS) & set(DROPPED)


def test_json_report_names_service_key_and_what(compose_dir: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "rcontainer", "import", str(compose_dir / "web-db.yaml"), "-o", str(tmp_path)]
        + ["--json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)["report"]
    assert {
        "service": "db",
        "key": "environment.POSTGRES_PASSWORD",
        "what": "marked secret: true (the name looks like a secret)",
    } in report


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        compose_import.import_compose(tmp_path / "nope.yaml", output_dir=tmp_path)


def test_written_profiles_read_well(compose_dir: Path) -> None:
    run_import(compose_dir, "web-db.yaml")
    text = (compose_dir / "web.yaml").read_text()
    assert text.startswith("# web: imported by `rcontainer import` from web-db.yaml, service web.\n")
    assert yaml.safe_load(text)["volumes"] == ["./web:/usr/share/nginx/html:ro"]


def test_cli_prints_paths_and_report(compose_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "rcontainer", "import", str(compose_dir / "web-db.yaml"), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [str(out / "web.yaml"), str(out / "db.yaml")]
    assert proc.stderr.splitlines() == [
        "SERVICE   KEY                             WHAT HAPPENED",
        "db        environment.POSTGRES_PASSWORD   marked secret: true (the name looks like a secret)",
    ]
    again = subprocess.run(
        [sys.executable, "-m", "rcontainer", "import", str(compose_dir / "web-db.yaml"), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 2
    assert "not overwriting" in again.stderr and "Traceback" not in again.stderr
    bad = write(tmp_path, "services:\n  web:\n    image: x\n    ports: 5\n")
    proc = subprocess.run(
        [sys.executable, "-m", "rcontainer", "import", str(bad), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "services.web.ports: expected a list" in proc.stderr
    assert "Traceback" not in proc.stderr
