"""Compose files imported and run through rootless Podman: what runs is what Compose would run."""

from __future__ import annotations

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
