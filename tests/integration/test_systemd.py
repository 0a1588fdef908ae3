"""systemd user units against the real rootless Podman service.

systemd is not process 1 here and no user manager can run, so the tests do what systemd would:
``systemd-analyze verify`` checks every generated unit statically, and the unit's own
ExecStart/ExecStop/ExecStopPost lines are run as subprocesses, with ``NOTIFY_SOCKET`` pointing
at a datagram socket the test listens on, as systemd's would be.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rcontainer.profile import load_profile
from rcontainer.runtimes import PODMAN, get
from rcontainer.systemd.unit import unit_name
from tests import harness

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "profiles").glob("*.yaml"))


def podman_examples() -> list[Path]:
    out = []
    for path in EXAMPLES:
        try:
            profile = load_profile(path)
        except Exception:  # noqa: BLE001 - an example another test covers; not a unit to verify
            continue
        if get(profile.runtime).family == PODMAN:
            out.append(path)
    return out


def verify(unit_dir: Path) -> subprocess.CompletedProcess[str]:
    """``systemd-analyze verify`` as a user manager would load the units, or as the system
    manager when no user runtime dir is set (the checks of unit syntax are the same)."""
    files = [str(p) for p in sorted(unit_dir.glob("*.service"))]
    env = dict(os.environ, SYSTEMD_LOG_COLOR="0")
    user = ["--user"] if os.environ.get("XDG_RUNTIME_DIR") else []
    return subprocess.run(
        ["systemd-analyze", *user, "verify", *files],
        capture_output=True,
        text=True,
        env=env,
        cwd=unit_dir,
        timeout=120,
    )


def test_every_generated_unit_passes_systemd_analyze_verify(tmp_path, busybox_image, scope, rc):
    units = tmp_path / "units"
    units.mkdir()
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        f"name: extra\nimage: {busybox_image}\nnetwork: {{mode: none}}\nrestart: on-failure:2\n"
        "command: [sleep, '1000']\nhealthcheck:\n  test: [CMD, 'true']\n"
    )
    profiles = [*podman_examples(), extra]
    assert len(profiles) >= 5
    for path in profiles:
        result = rc("systemd", "generate", str(path))
        assert result.code == 0, result.err
        name = load_profile(path).name
        (units / unit_name(name)).write_text(result.out)
    checked = verify(units)
    assert checked.returncode == 0, checked.stderr
    complaints = [line for line in checked.stderr.splitlines() if "rcontainer-" in line or str(units) in line]
    assert complaints == [], checked.stderr
    assert checked.stderr.strip() == "", checked.stderr


def test_verify_would_notice_a_bad_key(tmp_path, busybox_image, scope, rc):
    # The assertion above means something: the same invocation reports an unknown key.
    units = tmp_path / "units"
    units.mkdir()
    profile = tmp_path / "bad.yaml"
    profile.write_text(f"name: bad\nimage: {busybox_image}\nnetwork: {{mode: none}}\n")
    text = rc("systemd", "generate", str(profile)).out.replace("[Service]\n", "[Service]\nBogusKey=1\n")
    (units / "rcontainer-bad.service").write_text(text)
    assert "BogusKey" in verify(units).stderr


# Issue 14, item 3: a newline (or a carriage return, which systemd also ends a line at) in the
# profile's path or in an environment value added directives to the unit. The validator refuses
# such a path now, so the profile is built by hand here, and systemd itself reads the result.
INJECTIONS = [
    "\n[Service]\nExecStartPre=/nonexistent/evil\n#",
    "\r[Service]\rExecStartPre=/nonexistent/evil\r#",
    "\\",  # a trailing backslash would join the next line to this one
    " 100% $HOME ; 'q\" \\x",
]


def test_hostile_paths_and_environment_add_nothing_systemd_sees(tmp_path, busybox_image, rc):
    from rcontainer.profile import Profile
    from rcontainer.systemd.unit import unit_text

    units = tmp_path / "units"
    units.mkdir()
    base = tmp_path / "base.yaml"
    base.write_text(f"name: base\nimage: {busybox_image}\nnetwork: {{mode: none}}\n")
    clean = load_profile(base)
    for i, payload in enumerate(INJECTIONS):
        name = f"hostile{i}"
        profile = Profile(name, Path(f"/home/u/p{payload}/p.yaml{payload}"), {**clean.data, "name": name})
        text = unit_text(profile, environ={"RCONTAINER_STATE_DIR": f"/s{payload}"}).text
        (units / unit_name(name)).write_text(text)
    checked = verify(units)
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.strip() == "", checked.stderr  # no ExecStartPre, no bad line


def test_uninstall_refuses_a_path_outside_the_unit_folder(tmp_path, rc):
    # Issue 14, item 7: `systemd uninstall x/../../../../victim` deleted ~/victim.service.
    config = tmp_path / "config"
    (config / "systemd" / "user" / "rcontainer-x").mkdir(parents=True)
    victim = tmp_path / "victim.service"
    victim.write_text("not rcontainer's")
    result = rc("systemd", "uninstall", "x/../../../victim", env={"XDG_CONFIG_HOME": str(config)})
    assert result.code == 2, result.err
    assert "not a container name" in result.err
    assert victim.read_text() == "not rcontainer's"


# -- running the unit's command lines as systemd would ---------------------------------------
def exec_lines(unit_text: str) -> dict[str, list[str]]:
    """ExecStart/ExecStop/ExecStopPost as argv lists (systemd's '-' prefix and $$/%% undone)."""
    out = {}
    for line in unit_text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key in ("ExecStart", "ExecStop", "ExecStopPost"):
            value = value.removeprefix("-").replace("$$", "$").replace("%%", "%")
            out[key] = shlex.split(value)
    return out


class NotifyListener:
    """What systemd's notification socket would receive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.messages: list[str] = []

    def until(self, needle: str, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536).decode()
            except TimeoutError:
                break
            self.messages.append(data)
            if needle in data.splitlines():
                return time.monotonic()
        raise AssertionError(f"no {needle} within {timeout}s; got {self.messages}")

    def drain(self) -> list[str]:
        """Every message sent so far (after the sender exited)."""
        self.sock.settimeout(0.2)
        while True:
            try:
                self.messages.append(self.sock.recv(65536).decode())
            except TimeoutError:
                return self.messages

    def close(self) -> None:
        self.sock.close()


def start_unit(rc, tmp_path: Path, profile: Path):
    generated = rc("systemd", "generate", str(profile))
    assert generated.code == 0, generated.err
    lines = exec_lines(generated.out)
    assert lines["ExecStart"][1:] == ["run-unit", str(profile)]
    assert Path(lines["ExecStart"][0]).is_absolute()
    listener = NotifyListener(tmp_path / "notify.sock")
    return lines, listener, exec_start(lines, listener)


def exec_start(lines: dict, listener: NotifyListener) -> subprocess.Popen:
    """A unit's ExecStart run as systemd runs it: its own session, NOTIFY_SOCKET to ``listener``."""
    return subprocess.Popen(
        lines["ExecStart"],
        env={**os.environ, "NOTIFY_SOCKET": str(listener.path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_unit_command_lines_start_notify_stop_and_remove(tmp_path, busybox_profile, scope, rc):
    profile = busybox_profile("svc", stop_timeout=1, command=["sleep", "1000"], restart="on-failure:3")
    lines, listener, proc = start_unit(rc, tmp_path, profile)
    try:
        listener.until("READY=1", timeout=90)
        assert any(m.startswith("STATUS=") or "\nSTATUS=" in m for m in listener.messages)
        assert proc.poll() is None, proc.communicate()
        assert rc.ps()["svc"]["state"] == "running"

        stop = subprocess.run(lines["ExecStop"], capture_output=True, text=True, timeout=60)
        assert stop.returncode == 0, stop.stderr
        # the main process ends by itself once the container stopped: a clean end, exit 0
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
        post = subprocess.run(lines["ExecStopPost"], capture_output=True, text=True, timeout=60)
        assert post.returncode == 0, post.stderr
        assert "svc" not in rc.ps()
        assert rc.ps("--all")["svc"]["state"] == "removed"
    finally:
        listener.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_unit_exits_with_the_container_exit_code(tmp_path, busybox_image, scope, rc):
    profile = tmp_path / "fails.yaml"
    profile.write_text(
        f"name: fails\nimage: {busybox_image}\nnetwork: {{mode: none}}\n"
        "command: [sh, -c, 'sleep 1; exit 3']\nrestart: on-failure\n"
    )
    lines, listener, proc = start_unit(rc, tmp_path, profile)
    try:
        listener.until("READY=1", timeout=90)
        assert proc.wait(timeout=60) == 3, proc.stderr.read()
        assert any("exited with code 3" in m for m in listener.drain())
        post = subprocess.run(lines["ExecStopPost"], capture_output=True, text=True, timeout=60)
        assert post.returncode == 0, post.stderr
    finally:
        listener.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_ready_waits_for_the_healthcheck_podman_cannot_schedule_here(tmp_path, busybox_profile, scope, rc):
    # No user manager: Podman cannot create its healthcheck timers; run-unit runs the checks.
    path = busybox_profile(
        "healthy",
        stop_timeout=1,
        command=["sh", "-c", "sleep 3; touch /tmp/ready; exec sleep 1000"],
        healthcheck={
            "test": "test -e /tmp/ready",
            "interval": "1s",
            "timeout": "2s",
            "retries": 3,
            "start_period": "10s",
        },
    )
    lines, listener, proc = start_unit(rc, tmp_path, path)
    started = time.monotonic()
    try:
        ready_at = listener.until("READY=1", timeout=90)
        assert ready_at - started >= 3
        inspected = json.loads(rc("inspect", "--json", "healthy").out)
        assert inspected["health"] == "healthy"
        # the unit drives it: rcontainer's monitor does not run its checks as well
        assert inspected["driven_by"] == {"by": "systemd", "how": "its unit's rcontainer run-unit"}
        state = Path(os.environ["RCONTAINER_STATE_DIR"])
        assert [p for p in state.glob("**/_monitor.lock") if p.read_text().strip()] == []
        # SIGTERM (systemd's, when ExecStop could not stop it) stops the container too
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
        assert rc.ps()["healthy"]["state"] == "stopped"
        post = subprocess.run(lines["ExecStopPost"], capture_output=True, text=True, timeout=60)
        assert post.returncode == 0, post.stderr
    finally:
        listener.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_run_unit_needs_no_systemd(rc, tmp_path, busybox_image, scope):
    # By hand, without NOTIFY_SOCKET, run-unit still runs the container and ends with it.
    profile = tmp_path / "once.yaml"
    profile.write_text(
        f"name: once\nimage: {busybox_image}\nnetwork: {{mode: none}}\ncommand: [sh, -c, 'exit 0']\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    proc = subprocess.run(
        [sys.executable, "-m", "rcontainer", "run-unit", str(profile)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "once" in proc.stderr


@pytest.mark.parametrize("fmt", ["quadlet"])
def test_quadlet_loss_report_goes_to_stderr(rc, tmp_path, busybox_image, fmt):
    profile = tmp_path / "q.yaml"
    profile.write_text(f"name: q\nimage: {busybox_image}\nruntime: runc\nnetwork: none\n")
    result = rc("systemd", "generate", "--format", fmt, str(profile))
    assert result.code == 0, result.err
    assert result.out.startswith("# q.container")
    assert "Quadlet cannot express" in result.err and "runtime: class runc" in result.err
    version = harness.podman("--version").stdout.split()[-1]
    if tuple(int(x) for x in version.split(".")[:2]) < (4, 4):
        assert f"rcontainer: warning: Podman {version} here has no Quadlet" in result.err


def test_install_enable_now_without_a_user_manager_fails_saying_so(rc, tmp_path, busybox_image):
    (tmp_path / "shop").mkdir()
    profile = tmp_path / "shop" / "svc.yaml"
    profile.write_text(f"name: svc\nimage: {busybox_image}\nnetwork: none\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    result = rc("systemd", "install", str(profile), "--enable", "--now", env=env)
    assert result.code == 1, result.err
    assert (
        "rcontainer-shop.svc.service is installed but not enabled and started: no systemd user manager"
        in result.err
    )
    assert "systemctl --user enable --now rcontainer-shop.svc.service" in result.err
    assert (tmp_path / "cfg" / "systemd" / "user" / "rcontainer-shop.svc.service").exists()
    plain = rc("systemd", "install", str(profile), env=env)
    assert plain.code == 0, plain.err
    # --json: the notices are in the JSON, once, and not repeated on stderr (issue 18)
    as_json = rc("systemd", "install", str(profile), "--enable", "--now", "--json", env=env)
    assert as_json.code == 1
    data = json.loads(as_json.out)
    assert "  systemctl --user enable --now rcontainer-shop.svc.service" in data["notices"]
    assert len(data["notices"]) == len(set(data["notices"]))
    assert "systemctl --user" not in as_json.err
    assert "is installed but not enabled and started" in as_json.err  # the failure stays an error
    removed = rc("systemd", "uninstall", "svc", "--json", env=env)
    assert any("daemon-reload" in n for n in removed.json()["notices"]) and removed.err == ""


# -- a project's units (issue 16, item 5) ------------------------------------------------------
def project_folder(tmp_path: Path, image: str) -> Path:
    """shop: db (httpd, healthy once it answers), migrate (runs once, exits 0), web (fetches
    db's page by name; needs db healthy and migrate completed)."""
    folder = tmp_path / "shop"
    folder.mkdir()
    common = {"image": image, "pull": "never", "stop_timeout": 1}
    profiles = {
        "db": {
            "command": [
                "sh",
                "-c",
                "mkdir -p /w && echo rows > /w/index.html && exec httpd -f -p 8080 -h /w",
            ],
            "healthcheck": {"test": "wget -q -O- http://127.0.0.1:8080/", "interval": "1s", "retries": 3},
        },
        "migrate": {"command": ["sh", "-c", "sleep 1; echo migrated"], "network": {"mode": "none"}},
        "web": {
            # bookworm's static busybox wget segfaults with -T: timeout(1) bounds the try
            "command": ["sh", "-c", "timeout 5 wget -q -O- http://db:8080/ > /tmp/got; exec sleep 1000"],
            "depends_on": {
                "db": {"condition": "service_healthy"},
                "migrate": {"condition": "service_completed_successfully"},
            },
        },
    }
    for name, fields in profiles.items():
        (folder / f"{name}.yaml").write_text(json.dumps({"name": name, **common, **fields}))
    return folder


def split_units(text: str) -> dict[str, str]:
    """``systemd generate FOLDER``'s output: each file starts with a comment naming it."""
    out: dict[str, str] = {}
    for chunk in text.split("\n# rcontainer-"):
        chunk = chunk if chunk.startswith("# rcontainer-") else "# rcontainer-" + chunk
        name = chunk.split(":", 1)[0].removeprefix("# ")
        out[name] = chunk if chunk.endswith("\n") else chunk + "\n"
    return out


def test_a_projects_units_and_target_pass_systemd_analyze_verify(tmp_path, busybox_image, rc):
    folder = project_folder(tmp_path, busybox_image)
    units = tmp_path / "units"
    result = rc("systemd", "generate", str(folder), "-o", str(units))
    assert result.code == 0, result.err
    files = sorted(p.name for p in units.iterdir())
    assert files == [
        "rcontainer-shop-network.service",
        "rcontainer-shop.db.service",
        "rcontainer-shop.migrate.service",
        "rcontainer-shop.target",
        "rcontainer-shop.web.service",
    ]
    printed = split_units(rc("systemd", "generate", str(folder)).ok().out)
    assert sorted(printed) == files
    assert all(printed[f] == (units / f).read_text() for f in files)
    env = dict(os.environ, SYSTEMD_LOG_COLOR="0")
    user = ["--user"] if os.environ.get("XDG_RUNTIME_DIR") else []

    def verify() -> subprocess.CompletedProcess:
        argv = ["systemd-analyze", *user, "verify", *(str(units / f) for f in files)]
        return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=units, timeout=120)

    checked = verify()
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.strip() == "", checked.stderr
    # the same check notices a unit it cannot find (so the Requires= above were all resolved)
    broken = (
        (units / "rcontainer-shop.web.service")
        .read_text()
        .replace("Requires=rcontainer-shop.db.service", "Requires=rcontainer-shop.nothing.service")
    )
    (units / "rcontainer-shop.web.service").write_text(broken)
    again = verify()
    assert "rcontainer-shop.nothing.service" in again.stderr, again.stderr


def start_order(units: dict[str, str]) -> list[str]:
    """The order a user manager starts the target's units in: each after its After= units."""
    after = {
        name: [line.split("=", 1)[1] for line in text.splitlines() if line.startswith("After=")]
        for name, text in units.items()
        if name.endswith(".service")
    }
    order: list[str] = []
    while len(order) < len(after):
        ready = sorted(
            n
            for n, deps in after.items()
            if n not in order and all(d in order or d not in after for d in deps)
        )
        assert ready, after
        order.append(ready[0])
    return order


def test_a_projects_units_start_in_dependency_order_and_stop_their_own_containers(
    tmp_path, busybox_image, scope, rc
):
    # No user manager can run here: the test does what systemd would for the target, unit by
    # unit in After= order, each once the one before said READY=1 (a oneshot: once it exited 0).
    folder = project_folder(tmp_path, busybox_image)
    units = split_units(rc("systemd", "generate", str(folder)).ok().out)
    order = start_order(units)
    assert order == [
        "rcontainer-shop-network.service",
        "rcontainer-shop.db.service",
        "rcontainer-shop.migrate.service",
        "rcontainer-shop.web.service",
    ]
    # another project's db: a bare "db" in ExecStop would be ambiguous (or stop the wrong one)
    other = tmp_path / "other"
    other.mkdir()
    (other / "db.yaml").write_text(
        json.dumps(
            {
                "name": "db",
                "image": busybox_image,
                "pull": "never",
                "command": ["sleep", "1000"],
                "network": {"mode": "none"},
                "stop_timeout": 1,
            }
        )
    )
    rc("up", str(other)).ok()
    running: list[tuple[subprocess.Popen, NotifyListener]] = []
    try:
        for i, name in enumerate(order):
            lines = exec_lines(units[name])
            if "Type=oneshot" in units[name]:
                done = subprocess.run(lines["ExecStart"], capture_output=True, text=True, timeout=120)
                assert done.returncode == 0, (name, done.stderr)
                continue
            listener = NotifyListener(tmp_path / f"notify{i}.sock")
            running.append((exec_start(lines, listener), listener))
            listener.until("READY=1", timeout=120)
            if name.endswith(".db.service"):
                assert rc("inspect", "--json", "shop/db").json()["health"] == "healthy"
        seen = {f"{r['project']}/{r['name']}": r["state"] for r in rc("ps", "--json", "-a").json()}
        assert seen["shop/db"] == "running" and seen["shop/web"] == "running"
        assert seen["shop/migrate"] in ("stopped", "exited")
        # web reached db by name: they share the project's network, as with up FOLDER
        deadline = time.monotonic() + 30
        while (got := rc("exec", "shop/web", "cat", "/tmp/got")).out.strip() != "rows":
            assert time.monotonic() < deadline, got.out + got.err
            time.sleep(0.5)

        for name in reversed(order):  # stop: dependants first, as systemd reverses After=
            lines = exec_lines(units[name])
            stop = subprocess.run(lines["ExecStop"], capture_output=True, text=True, timeout=60)
            # ("-": stopping migrate, which exited long ago, may fail without failing the unit)
            assert stop.returncode == 0 or "Type=oneshot" in units[name], (name, stop.stderr)
            if "ExecStopPost" in lines:
                post = subprocess.run(lines["ExecStopPost"], capture_output=True, text=True, timeout=60)
                assert post.returncode == 0, (name, post.stderr)
        for proc, _ in running:
            assert proc.wait(timeout=60) == 0, proc.stderr.read()
        left = {f"{r['project']}/{r['name']}": r["state"] for r in rc("ps", "--json").json()}
        assert left == {"other/db": "running"}, "each unit stopped its own project's container"
        networks = harness.podman("network", "ls", "--format", "{{.Name}}").stdout.split()
        assert f"rc-{scope}-shop" not in networks, "the network unit removed the project's network"
    finally:
        for proc, listener in running:
            listener.close()
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
