"""Crash-safe state, concurrency, the service going away, secrets and file modes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests import harness

SECRET = "s3cr3t-value-do-not-show"


@pytest.fixture
def app(busybox_profile, scope: str) -> Path:
    return busybox_profile("app", command=["sleep", "600"], stop_timeout=0)


def _parallel(commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    results: list = [None] * len(commands)

    def go(i: int) -> None:
        results[i] = subprocess.run(
            [sys.executable, "-m", "rcontainer", *commands[i]], capture_output=True, text=True, timeout=180
        )

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(commands))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_eight_simultaneous_ups_create_exactly_one_container(rc, app, scope):
    results = _parallel([["up", "--json", str(app)]] * 8)
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    actions = sorted(json.loads(r.stdout)["action"] for r in results)
    assert actions == ["create"] + ["none"] * 7
    ids = harness.podman("ps", "-a", "-q", "--filter", f"label=io.rcontainer.scope={scope}").stdout.split()
    assert len(ids) == 1


def test_simultaneous_rm_and_start_end_consistent(rc, app, scope):
    assert rc("up", str(app)).code == 0
    assert rc("stop", "app").code == 0
    results = _parallel([["rm", "app"], ["start", "app"]])
    codes = sorted(r.returncode for r in results)
    # either order is fine; the loser is told why (illegal transition or busy), never a traceback
    assert codes in ([0, 0], [0, 4], [0, 5]), [(r.returncode, r.stderr) for r in results]
    for r in results:
        assert "Traceback" not in r.stderr
        if r.returncode == 4:
            assert "it is" in r.stderr
    final = {row["name"]: row["state"] for row in json.loads(rc("ps", "--all", "--json").out)}["app"]
    podman_has = harness.podman(
        "ps", "-a", "-q", "--filter", f"label=io.rcontainer.scope={scope}"
    ).stdout.split()
    assert (final == "removed") == (podman_has == [])


def test_podman_service_going_away_and_coming_back(rc, app, scope, monkeypatch, tmp_path):
    base = Path(os.environ.get("XDG_RUNTIME_DIR", f"/run/user/{os.getuid()}")) / f"rc-svc-{os.getpid()}"
    base.mkdir(exist_ok=True)
    sock = base / "podman.sock"

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(
            ["podman", "system", "service", "--time=0", f"unix://{sock}"],
            env=harness.podman_env(),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        harness.wait_until(lambda: harness.socket_answers(sock), 60, "the service")
        return proc

    proc = start()
    try:
        monkeypatch.setenv("CONTAINER_HOST", f"unix://{sock}")
        assert rc("up", str(app)).code == 0
        harness.stop_pid(proc)
        gone = rc("stop", "app")
        assert gone.code == 6, gone.err
        assert "no Podman service answers" in gone.err and "Traceback" not in gone.err
        proc = start()
        assert rc("stop", "app").code == 0
        assert {r["name"]: r["state"] for r in json.loads(rc("ps", "--json").out)}["app"] == "stopped"
    finally:
        harness.stop_pid(proc)


def test_a_read_only_state_dir_is_a_clear_error_and_the_record_stays(rc, app, isolated_dirs):
    assert rc("up", str(app)).code == 0
    folder = next(p.parent for p in (isolated_dirs["RCONTAINER_STATE_DIR"] / "containers").rglob("app.json"))
    record = folder / "app.json"
    before = record.read_text()
    folder.chmod(0o500)
    try:
        result = rc("pause", "app")
        assert result.code == 1, result.err
        assert "cannot write" in result.err and "previous record is intact" in result.err
        assert record.read_text() == before
        json.loads(record.read_text())
    finally:
        folder.chmod(0o700)
    # Podman did pause it; the next command notices and records it
    rows = rc.ps()
    assert rows["app"]["state"] in ("paused", "running")
    rc("rm", "-f", "app")


def test_secrets_never_reach_state_logs_inspect_or_render(rc, busybox_profile, scope, isolated_dirs):
    path = busybox_profile(
        "sec",
        command=["sh", "-c", 'test -n "$$TOKEN" && echo token-is-set; sleep 600'],
        env={"TOKEN": {"value": SECRET, "secret": True}},
    )
    assert rc("up", str(path)).code == 0
    harness.wait_until(lambda: "token-is-set" in rc("logs", "sec").out, 20, "the container to see its secret")
    outputs = [
        rc("inspect", "--json", "sec").out,
        rc("render", str(path)).out,
        rc("ps", "--json").out,
        rc("history", "sec").out,
        rc("logs", "sec").out,
    ]
    for out in outputs:
        assert SECRET not in out
    for file in Path(isolated_dirs["RCONTAINER_STATE_DIR"]).rglob("*"):
        if file.is_file():
            assert SECRET not in file.read_text(errors="replace"), file


def test_state_and_logs_are_private_to_the_user(rc, app, isolated_dirs):
    assert rc("up", str(app)).code == 0
    state = isolated_dirs["RCONTAINER_STATE_DIR"]
    for path in [p for p in state.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_dir():
            assert mode == 0o700, (path, oct(mode))
        elif path.suffix in (".json", ".jsonl", ".lock"):
            assert mode == 0o600, (path, oct(mode))
        elif path.suffix == ".log":
            assert mode & 0o077 == 0, (path, oct(mode))
