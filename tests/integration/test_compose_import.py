"""Compose files imported and run through rootless Podman: what runs is what Compose would run."""

from __future__ import annotations

import time
from pathlib import Path

from tests import harness


def _project(folder: Path, busybox_image: str) -> Path:
    """A Compose project of three services built from Dockerfiles (Compose's default build file)."""
    for app in ("app", "other"):
        (folder / app).mkdir(parents=True)
        (folder / app / "hello.txt").write_text(f"hello from {app}\n")
    (folder / "app" / "Dockerfile").write_text(
        f'FROM {busybox_image}\nCOPY hello.txt /hello.txt\nENTRYPOINT ["echo", "entrypoint:"]\n'
        'CMD ["cat", "/hello.txt"]\n'
    )
    # only a Containerfile here: the build falls back to it
    (folder / "other" / "Containerfile").write_text(
        f'FROM {busybox_image}\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n'
    )
    compose = folder / "compose.yaml"
    compose.write_text(
        "services:\n"
        "  built:\n    build: ./app\n    network_mode: none\n"
        "  cleared:\n    build: ./app\n    entrypoint: []\n    network_mode: none\n"
        "  fallback:\n    build: {context: ./other}\n    network_mode: none\n"
        "  hosts:\n    build: ./other\n    command: ['cat', '/etc/hosts']\n"
        "    extra_hosts: ['db=10.0.0.2,10.0.0.3', 'cache:10.0.0.4']\n"
    )
    return compose


def test_imported_services_build_and_run_as_compose_runs_them(rc, scope, busybox_image, tmp_path):
    compose = _project(tmp_path / "shop", busybox_image)
    out = tmp_path / "profiles"
    result = rc("import", str(compose), "-o", str(out))
    assert result.code == 0, result.err
    tags = []
    try:
        for name in ("built", "cleared", "fallback", "hosts"):
            up = rc("up", str(out / f"{name}.yaml"))
            assert up.code == 0, up.err
            tags.append(f"localhost/rcontainer/{name}:latest")
        harness.wait_until(lambda: rc("logs", "hosts").out.strip() != "", 30, "the hosts service's output")
        harness.wait_until(
            lambda: rc("logs", "cleared").out.strip() != "", 30, "the cleared service's output"
        )
        assert rc("logs", "built").out.strip() == "entrypoint: cat /hello.txt"  # the image's entrypoint
        assert rc("logs", "cleared").out.strip() == "hello from app"  # entrypoint: [] cleared it
        assert rc("logs", "fallback").out.strip() == "hello from other"  # built from the Containerfile
        hosts = rc("logs", "hosts").out
        for line in ("10.0.0.2\tdb", "10.0.0.3\tdb", "10.0.0.4\tcache"):
            assert line in hosts
    finally:
        for name in ("built", "cleared", "fallback", "hosts"):
            rc("rm", "-f", name)
        for tag in tags:
            harness.podman("rmi", "-f", tag, check=False)


def _stack(folder: Path, image: str) -> Path:
    """db (a slow busybox httpd with a healthcheck, renamed by container_name) and web, which
    depends on it being healthy and asks it by its service name and by an alias; side reaches db
    on a second, named network only."""
    folder.mkdir(parents=True)
    compose = folder / "compose.yaml"
    compose.write_text(
        f"""\
name: shop
services:
  db:
    image: {image}
    pull_policy: never
    container_name: shop_db
    command: ["sh", "-c", "sleep 3; mkdir -p /tmp/www; echo rows > /tmp/www/index.html; exec httpd -f -p 8080 -h /tmp/www"]
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O- http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 3
      start_period: 10s
    stop_grace_period: 1s
    networks:
      default:
        aliases: [database]
      back:
  web:
    image: {image}
    pull_policy: never
    command: ["sh", "-c", "timeout 5 wget -q -O- http://db:8080/; echo first look: $$?; exec sleep 1000"]
    environment:
      NOTE: ${{RC_TEST_NEVER_SET}}
    depends_on:
      db:
        condition: service_healthy
    stop_grace_period: 1s
  side:
    image: {image}
    pull_policy: never
    command: ["sleep", "1000"]
    networks: [back]
    stop_grace_period: 1s
networks:
  back:
"""
    )
    return compose


def test_an_imported_project_comes_up_in_dependency_order_and_reaches_by_name(
    rc, scope, busybox_image, tmp_path
):
    compose = _stack(tmp_path / "src", busybox_image)
    out = tmp_path / "imported"
    unset = 'the "RC_TEST_NEVER_SET" variable is not set: it becomes an empty string'
    imported = rc("import", str(compose), "-o", str(out)).ok()
    assert f"{compose}:24: services.web.environment.NOTE: {unset}" in imported.err
    assert sorted(p.name for p in out.iterdir()) == ["shop_db.yaml", "side.yaml", "web.yaml"]
    assert rc("validate", str(out)).ok().out.count(": ok (") == 3
    started = time.monotonic()
    try:
        up = rc("up", str(out)).ok()
        assert f"rcontainer: warning: {out / 'web.yaml'}:" in up.err and unset in up.err, up.err
        assert time.monotonic() - started >= 3, "up waited for db's healthcheck"
        assert rc("inspect", "--json", "shop/shop_db").json()["health"] == "healthy"
        logs = harness.logs_with(rc, "shop/web", "first look")
        assert "rows" in logs and "first look: 0" in logs, "db answered web's very first request, as db"
        assert harness.fetch(rc, "shop/web", "http://database:8080/") == "rows"  # the alias
        assert harness.fetch(rc, "shop/side", "http://db:8080/") == "rows"  # on the named network
        networks = rc("inspect", "--json", "shop/side").json()["runtime_details"]["networks"]
        assert networks == ["shop_back"], "the network Compose would make: PROJECT_NAME"
    finally:
        rc("down", str(out))
    assert harness.podman("network", "exists", "shop_back", check=False).returncode != 0
