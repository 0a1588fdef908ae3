"""What only the Podman family does: images, registry pulls, published ports, the socket."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
import urllib.request

from tests import harness


def test_pull_from_the_loopback_registry_shows_digest_and_layers(rc, scope, registry_image):
    result = rc("pull", "--json", registry_image)
    assert result.code == 0, result.err
    info = json.loads(result.out)
    assert info["id"] and info["digest"].startswith("sha256:") and info["layers"] == 1
    listed = json.loads(rc("images", "--json").out)
    assert any(registry_image in i["tags"] for i in listed)
    harness.podman("rmi", registry_image, check=False)


def test_pull_prints_a_summary_line_and_nothing_else_when_not_a_terminal(rc, scope, registry_image):
    result = rc("pull", registry_image).ok()
    assert re.fullmatch(
        re.escape(registry_image)
        + r": [0-9a-f]{12} digest sha256:[0-9a-f]{64} \(1 layer, [0-9.]+ [kM]?B\)\n",
        result.out,
    ), result.out
    assert result.err == ""
    harness.podman("rmi", registry_image, check=False)


def test_pull_on_a_terminal_shows_each_layer(scope, registry_image):
    harness.podman("rmi", registry_image, check=False)
    out, err = run_on_a_terminal([sys.executable, "-m", "rcontainer", "pull", registry_image])
    assert "Copying blob sha256:" in err
    assert "(1 layer, " in out
    harness.podman("rmi", registry_image, check=False)


def run_on_a_terminal(argv: list[str]) -> tuple[str, str]:
    """Run with stderr on a pseudo-terminal (stdout a pipe): what the user would see there."""
    main, secondary = pty.openpty()
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=secondary, timeout=120, text=True)
        os.close(secondary)
        secondary = -1
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the terminal's other side is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main)
        if secondary >= 0:
            os.close(secondary)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return proc.stdout, b"".join(chunks).decode(errors="replace")


def build_profile(write_profile, tmp_path, busybox_image: str, run: str):
    context = tmp_path / "ctx"
    context.mkdir(exist_ok=True)
    (context / "Containerfile").write_text(f"FROM {busybox_image}\nRUN {run}\n")
    return write_profile("built", build={"context": str(context)}, network={"mode": "none"})


def test_build_streams_its_output_as_podman_does(rc, scope, write_profile, tmp_path, busybox_image):
    path = build_profile(write_profile, tmp_path, busybox_image, "echo hello-from-the-build")
    result = rc("build", str(path)).ok()
    assert "STEP 2/2: RUN echo hello-from-the-build\nhello-from-the-build\n" in result.err
    assert "b'" not in result.err and '{"stream"' not in result.err
    assert re.fullmatch(r"localhost/rcontainer/built:latest: [0-9a-f]{12} \(2 layers\)\n", result.out), (
        result.out
    )
    assert rc("build", "-q", str(path)).ok().err == ""
    harness.podman("rmi", "-f", "localhost/rcontainer/built:latest", check=False)


def test_a_failed_build_step_shows_its_output(rc, scope, write_profile, tmp_path, busybox_image):
    path = build_profile(write_profile, tmp_path, busybox_image, "echo cc: error: no main.c >&2; exit 3")
    for args in (["build"], ["build", "-q"]):
        result = rc(*args, str(path))
        assert result.code == 1, result.err
        assert "cc: error: no main.c" in result.err, "the step's own output is shown"
        assert "rcontainer: error: build localhost/rcontainer/built:latest:" in result.err
        assert "Traceback" not in result.err and "b'" not in result.err


def test_up_pulls_from_the_registry_and_runs_in_a_user_namespace(rc, scope, write_profile, registry_image):
    harness.podman("rmi", registry_image, check=False)
    path = write_profile(
        "pulled",
        image=registry_image,
        pull="missing",
        command=["sh", "-c", "cat /proc/self/uid_map; sleep 30"],
        network={"mode": "none"},
    )
    result = rc("up", str(path))
    assert result.code == 0, result.err
    harness.wait_until(lambda: rc("logs", "pulled").out.strip() != "", 20, "uid_map output")
    inside, outside, _count = (int(x) for x in rc("logs", "pulled").out.split()[:3])
    assert inside == 0 and outside == os.getuid() != 0
    rc("down", "pulled")
    harness.podman("rmi", "-f", registry_image, check=False)


def test_a_missing_image_with_pull_never_is_not_found(rc, scope, write_profile):
    path = write_profile("none", image="localhost/rcontainer/absent:1", pull="never")
    result = rc("up", str(path))
    assert result.code == 3
    assert "pull: never" in result.err


def test_published_port_answers_on_loopback(rc, scope, busybox_profile):
    port = harness.free_port()
    path = busybox_profile(
        "web",
        command=["httpd", "-f", "-p", "8080", "-h", "/www"],
        network={"mode": "private", "ports": [f"127.0.0.1:{port}:8080"]},
    )
    result = rc("up", str(path))
    assert result.code == 0, result.err

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                return b"hello from rcontainer" in r.read()
        except OSError:
            return False

    harness.wait_until(answers, 30, "the published port")
    row = rc.ps()["web"]
    assert any(str(port) in p for p in row["ports"])


def test_only_containers_with_rcontainer_labels_are_touched(rc, scope, busybox_image, tmp_path):
    # a container of the user's own with the name rcontainer would choose, but no labels
    name = harness.container_name(scope, tmp_path / "mine.yaml")
    harness.podman("create", "--name", name, busybox_image, "true")
    try:
        assert "mine" not in rc.ps("--all")
        assert rc("rm", "-f", "mine").code == 3
        assert harness.podman("container", "exists", name, check=False).returncode == 0
    finally:
        harness.podman("rm", "-f", name, check=False)


def test_security_defaults_are_visible_in_inspect(rc, scope, busybox_profile):
    path = busybox_profile("safe", command=["sleep", "30"])
    assert rc("up", str(path)).code == 0
    data = json.loads(rc("inspect", "--json", "safe").out)
    assert data["security"]["no_new_privileges"] is True
    assert data["security"]["privileged"] is False
    assert any("no-new-privileges" in s for s in data["runtime_details"]["security_opt"] or [])


def test_without_a_socket_lifecycle_commands_say_how_to_start_one(
    rc, scope, tmp_path, write_profile, monkeypatch
):
    monkeypatch.delenv("CONTAINER_HOST")
    result = rc("ps", env={"RCONTAINER_RUNTIME_DIR": str(tmp_path)})
    # no records: ps needs no Podman at all
    assert result.code == 0
    path = write_profile("x", image="localhost/rcontainer/busybox:latest", pull="never")
    result = rc("up", str(path), env={"RCONTAINER_RUNTIME_DIR": str(tmp_path)})
    assert result.code == 6
    assert "no Podman service answers" in result.err and "podman system service" in result.err
    assert "Traceback" not in result.err


def test_autostart_starts_a_private_service_and_says_so(rc, scope, tmp_path, monkeypatch, busybox_profile):
    monkeypatch.delenv("CONTAINER_HOST")
    monkeypatch.delenv("RCONTAINER_NO_AUTOSTART")
    run = tmp_path / "run"
    run.mkdir()
    path = busybox_profile("auto", command=["sleep", "30"])
    try:
        result = rc(
            "up", str(path), env={"RCONTAINER_RUNTIME_DIR": str(run), "RCONTAINER_SERVICE_IDLE": "60"}
        )
        assert result.code == 0, result.err
        assert "started a private one" in result.err
        assert (run / "rcontainer" / "podman.sock").is_socket()
        again = rc("down", "auto", env={"RCONTAINER_RUNTIME_DIR": str(run)})
        assert again.code == 0 and "started a private one" not in again.err
    finally:
        stop_private_service(run)


def stop_private_service(run) -> None:
    """Stop the private service rcontainer started under ``run`` (by its PID file)."""
    pid_file = run / "rcontainer" / "podman.pid"
    if pid_file.exists():
        try:
            os.killpg(int(pid_file.read_text()), signal.SIGTERM)
        except ProcessLookupError:
            pass


def test_a_private_service_outlives_the_folder_it_was_started_from(
    rc, scope, tmp_path, monkeypatch, busybox_profile
):
    """The service must not keep the command's working folder: once that folder was removed (a
    checkout copied anew, a project folder deleted), conmon said "Failed to get working
    directory" and every start through the service failed with "exit status 1"."""
    monkeypatch.delenv("CONTAINER_HOST")
    monkeypatch.delenv("RCONTAINER_NO_AUTOSTART")
    run, work = tmp_path / "run", tmp_path / "work"
    run.mkdir()
    work.mkdir()
    first = busybox_profile("cwd1", command=["sleep", "30"], stop_timeout=0)
    second = busybox_profile("cwd2", command=["sleep", "30"], stop_timeout=0)
    env = {"RCONTAINER_RUNTIME_DIR": str(run), "RCONTAINER_SERVICE_IDLE": "60"}
    monkeypatch.chdir(work)
    try:
        started = rc("up", str(first), env=env)
        assert started.code == 0 and "started a private one" in started.err, started.err
        monkeypatch.chdir(tmp_path)
        work.rmdir()
        result = rc("up", str(second), env=env)
        assert result.code == 0, result.err
        assert "started a private one" not in result.err  # the same service, still there
        assert rc.ps()["cwd2"]["state"] == "running"
    finally:
        stop_private_service(run)


def test_host_name_tmpfs_mode_and_relabelled_mounts_reach_the_container(rc, scope, tmp_path, busybox_profile):
    data = tmp_path / "data"
    data.mkdir()
    (data / "hello").write_text("from the host\n")
    path = busybox_profile(
        "shaped",
        command=["sleep", "30"],
        network={"mode": "none", "hostname": "boxy"},
        volumes=[f"{data}:/data:ro,z", {"type": "tmpfs", "target": "/scratch", "mode": "1770"}],
    )
    assert rc("up", str(path)).code == 0
    result = rc("exec", "shaped", "sh", "-c", "hostname; stat -c %a /scratch; cat /data/hello; echo oops >&2")
    assert result.code == 0, result.err
    assert result.out.split("\n")[:3] == ["boxy", "1770", "from the host"]
    assert result.err == "oops\n"
