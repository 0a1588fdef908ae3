"""systemd user units for profiles: generate, install, uninstall, and what the unit runs.

A generated unit runs ``rcontainer run-unit PROFILE`` as its main process (``Type=notify``):
it brings the container up, tells systemd ``READY=1`` once the container runs (and, with a
healthcheck, once Podman reports it healthy), then waits for the container and exits with its
exit code, so ``Restart=`` sees real failures. ``ExecStop`` stops the container through
rcontainer (its stop signal, then SIGKILL after ``stop_timeout``) and ``ExecStopPost`` removes
it, so every start creates the container afresh from the profile.

``--format quadlet`` writes a Podman Quadlet ``.container`` file instead, for hosts with
Podman 4.4 or later; what Quadlet cannot express is returned as a loss list.

This module never prints: it returns text, notices and losses for the command to show.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rcontainer import __version__, paths, runtimes
from rcontainer.container import Record
from rcontainer.errors import BadInput, NotFound, OperationFailed

if TYPE_CHECKING:
    from rcontainer.engine.core import Engine
    from rcontainer.profile import Profile

# Seconds systemd waits between a failure and the restart. systemd's own default (100 ms)
# turns a container that fails at once into a busy loop against the Podman service.
RESTART_SEC = 5
# Extra seconds over stop_timeout before systemd gives up on ExecStop: rcontainer's start-up,
# the API round trips of the stop, and the record update, on a loaded 2-core machine.
STOP_MARGIN = 10
# Seconds allowed for ExecStart to report READY=1 before a healthcheck is counted: a first
# ``up`` may pull or build the image.
START_TIMEOUT = 300

# Variables that decide which records, socket and scope the unit's commands see: copied into
# the unit when set, so ExecStop addresses the same container as the shell that installed it.
UNIT_ENVIRONMENT = (
    "RCONTAINER_SCOPE",
    "RCONTAINER_CONFIG_DIR",
    "RCONTAINER_STATE_DIR",
    "RCONTAINER_CACHE_DIR",
    "RCONTAINER_RUNTIME_DIR",
    "CONTAINER_HOST",
)

DOCUMENTATION = "man:podman(1) man:systemd.service(5)"


# -- systemd syntax ----------------------------------------------------------------------------
def quote_arg(arg: str) -> str:
    """One word of a systemd command line (systemd.service(5), "Command lines").

    ``%`` starts a specifier and ``$`` an environment variable in ExecStart=, so both are
    doubled; words with blanks, quotes or backslashes are double-quoted with C escapes.
    """
    text = arg.replace("%", "%%").replace("$", "$$")
    if text and not any(c in text for c in " \t\n\"'\\;"):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def command_line(argv: list[str]) -> str:
    return " ".join(quote_arg(a) for a in argv)


def _assignment(key: str, value: str) -> str:
    """``Environment=`` value: ``KEY=VALUE`` quoted as one word (specifiers escaped)."""
    return quote_arg(f"{key}={value}").replace("$$", "$")  # Environment= does not expand $VAR


def _plain(text: str) -> str:
    """A free-text value (Description=): specifiers escaped, one line."""
    return " ".join(text.replace("%", "%%").split())


def _seconds(value: float) -> str:
    return f"{value:g}s"


# -- the executable --------------------------------------------------------------------------
def executable() -> list[str]:
    """The command that runs this rcontainer, as absolute words for ExecStart=.

    The script installed beside the running interpreter comes first (the same installation
    that generates the unit), then ``rcontainer`` on PATH, then ``python -m rcontainer``.
    Symbolic links are kept (a pipx link survives a reinstall; the target does not).
    """
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name == "rcontainer" and argv0.is_file():
        return [os.path.abspath(argv0)]
    beside = Path(sys.executable).parent / "rcontainer"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [os.path.abspath(beside)]
    found = shutil.which("rcontainer")
    if found:
        return [os.path.abspath(found)]
    return [os.path.abspath(sys.executable), "-m", "rcontainer"]


# -- unit files ------------------------------------------------------------------------------
def unit_name(name: str) -> str:
    return f"rcontainer-{name}.service"


def quadlet_name(name: str) -> str:
    return f"{name}.container"


@dataclass
class Generated:
    """A generated file: its name, its text, and (Quadlet) what the profile says that it cannot."""

    filename: str
    text: str
    losses: list[str] = field(default_factory=list)


def restart_settings(policy: str) -> tuple[str, int | None]:
    """Profile restart policy -> (systemd Restart=, StartLimitBurst= or None).

    ``unless-stopped`` becomes ``always``: a container stopped through rcontainer ends the unit
    cleanly, and ``systemctl stop`` is how a unit is "stopped" by its user.
    """
    policy = policy or "no"
    kind, _, tries = policy.partition(":")
    if kind == "no":
        return "no", None
    if kind == "on-failure":
        # on-failure:N allows N restarts, and systemd counts starts: N restarts + the first start.
        return "on-failure", (int(tries) + 1 if tries else None)
    return "always", None  # always, unless-stopped


def start_timeout(data: Mapping[str, Any]) -> int:
    hc = data.get("healthcheck")
    extra = 0.0
    if hc:
        extra = float(hc.get("start_period") or 0) + (int(hc.get("retries") or 3) + 1) * (
            float(hc.get("interval") or 30) + float(hc.get("timeout") or 30)
        )
    return int(START_TIMEOUT + extra)


def unit_text(
    profile: Profile,
    *,
    exe: list[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Generated:
    """The ``rcontainer-NAME.service`` user unit of a profile."""
    data = profile.data
    env = os.environ if environ is None else environ
    rc = exe or executable()
    name = profile.name
    path = str(profile.path)
    restart, burst = restart_settings(str(data.get("restart") or "no"))
    stop_timeout = int(data.get("stop_timeout", 10))
    networked = (data.get("network") or {}).get("mode", "private") != "none"

    lines = [
        f"# {unit_name(name)}: generated by rcontainer {__version__} from {path}",
        f"# Regenerate it after changing the profile: rcontainer systemd install {path}",
        "#",
        "# A user unit stops when your last session ends, unless your user manager outlives it.",
        "# For containers that keep running after you log out, once:",
        "#   loginctl enable-linger $USER",
        "#",
        "# ExecStart brings the container up and reports READY=1 once it runs (and is healthy, when",
        "# the profile has a healthcheck); it then waits and exits with the container's exit code,",
        "# so Restart= sees failures. ExecStop stops it (stop signal, SIGKILL after stop_timeout);",
        "# ExecStopPost removes it, so each start creates it afresh from the profile.",
        "[Unit]",
        f"Description={_plain(f'rcontainer container {name} ({path})')}",
        f"Documentation={DOCUMENTATION}",
    ]
    if networked:
        lines += ["Wants=network-online.target", "After=network-online.target"]
    if burst is not None:
        # Restarts come RestartSec apart (plus start-up): the window holds `burst` quick failures.
        lines += [f"StartLimitBurst={burst}", f"StartLimitIntervalSec={burst * (RESTART_SEC + 60)}"]
    lines += ["", "[Service]", "Type=notify", "NotifyAccess=main"]
    for key in UNIT_ENVIRONMENT:
        if env.get(key):
            lines.append(f"Environment={_assignment(key, env[key])}")
    lines += [
        f"ExecStart={command_line([*rc, 'run-unit', path])}",
        # "-": a container that already exited (or was removed by hand) is not a failed stop.
        f"ExecStop=-{command_line([*rc, 'stop', name])}",
        f"ExecStopPost=-{command_line([*rc, 'rm', '-f', name])}",
        f"TimeoutStartSec={start_timeout(data)}",
        # The stop waits stop_timeout for the container, then SIGKILLs it; systemd must wait
        # longer than that, or it would kill rcontainer halfway through the stop.
        f"TimeoutStopSec={stop_timeout + STOP_MARGIN}",
        f"Restart={restart}",
    ]
    if restart != "no":
        lines.append(f"RestartSec={RESTART_SEC}")
    lines += ["", "[Install]", "WantedBy=default.target", ""]
    return Generated(unit_name(name), "\n".join(lines))


# -- Quadlet ---------------------------------------------------------------------------------
# network: private writes no Network= line: the container gets Podman's default rootless
# network (pasta from Podman 5, slirp4netns before), as rcontainer up gives it.
_NETWORK = {"none": "none", "host": "host", "pasta": "pasta", "slirp4netns": "slirp4netns"}


def _size(n: int) -> str:
    return str(int(n))


def _health_cmd(test: list[str]) -> str:
    if not test or test[0] == "NONE":
        return "none"
    if test[0] == "CMD-SHELL":
        return " ".join(test[1:])
    return json.dumps(list(test))  # Podman reads a JSON array as the CMD form


def quadlet_text(profile: Profile) -> Generated:
    """A Podman Quadlet ``NAME.container`` file, and the profile fields it cannot express."""
    data = profile.data
    name = profile.name
    losses: list[str] = []
    container: list[str] = [f"Image={data.get('image') or ''}"]
    podman_args: list[str] = []

    if data.get("build"):
        losses.append(
            "build: Quadlet 4.x runs an existing image; build it first (rcontainer build) and keep its tag"
        )
    if not data.get("image"):
        losses.append("image: the profile names no image (it builds one); set Image= by hand")
    try:
        rclass = runtimes.get(profile.runtime)
    except NotFound:
        rclass = None
    if rclass is not None and rclass.family != runtimes.PODMAN:
        losses.append(f"runtime: {rclass.name} runs under bubblewrap; Quadlet always runs Podman")
    elif rclass is not None and (rclass.handler or rclass.flags):
        # --runtime is a global podman option, before `run`; PodmanArgs= go after it.
        losses.append(
            f"runtime: class {rclass.name} (OCI runtime {rclass.handler}) needs `podman --runtime`,"
            " which Quadlet 4.4 cannot set; Podman's default runtime is used"
        )
    if data.get("pull") and data["pull"] != "missing":
        podman_args.append(f"--pull={data['pull']}")
    if data.get("entrypoint"):
        podman_args.append(f"--entrypoint={json.dumps(list(data['entrypoint']))}")
    if data.get("command"):
        container.append(f"Exec={command_line(list(data['command']))}")
    if data.get("workdir"):
        podman_args.append(f"--workdir={data['workdir']}")
    if data.get("user"):
        user, _, group = str(data["user"]).partition(":")
        container.append(f"User={user}")
        if group:
            container.append(f"Group={group}")
    userns = data.get("userns")
    if isinstance(userns, str) and userns:
        container.append(f"UserNS={userns}")
    elif isinstance(userns, dict):
        for m in userns.get("uidmap") or []:
            podman_args.append(f"--uidmap={m}")
        for m in userns.get("gidmap") or []:
            podman_args.append(f"--gidmap={m}")
    for key, value in (data.get("env") or {}).items():
        if key in profile.secret_env:
            losses.append(
                f"env.{key}: a secret; left out rather than written in clear into the unit"
                f" (use a Podman secret: Secret=NAME,type=env,target={key})"
            )
            continue
        container.append(f"Environment={_assignment(key, str(value))}")
    net = data.get("network") or {}
    if net.get("mode") in _NETWORK:
        container.append(f"Network={_NETWORK[net['mode']]}")
    for p in net.get("ports") or []:
        host_ip = p.get("host_ip") or ""
        if ":" in host_ip:
            host_ip = f"[{host_ip}]"
        prefix = f"{host_ip}:" if host_ip else ""
        container.append(
            f"PublishPort={prefix}{p['host_port']}:{p['container_port']}/{p.get('protocol', 'tcp')}"
        )
    if net.get("hostname"):
        podman_args.append(f"--hostname={net['hostname']}")
    for dns in net.get("dns") or []:
        podman_args.append(f"--dns={dns}")
    for host, ip in (net.get("add_hosts") or {}).items():
        podman_args.append(f"--add-host={host}:{ip}")
    for v in data.get("volumes") or []:
        if v["type"] == "tmpfs":
            opts = []
            if v.get("size"):
                opts.append(f"size={_size(v['size'])}")
            if v.get("mode") is not None:
                opts.append(f"mode={int(v['mode']):o}")
            if v.get("read_only"):
                opts.append("ro")
            container.append(f"Tmpfs={v['target']}" + (f":{','.join(opts)}" if opts else ""))
            continue
        opts = [o for o in ("ro" if v.get("read_only") else "", v.get("selinux") or "") if o]
        spec = f"{v['source']}:{v['target']}" + (f":{','.join(opts)}" if opts else "")
        container.append(f"Volume={quote_arg(spec)}")
    res = data.get("resources") or {}
    if res.get("memory"):
        podman_args.append(f"--memory={_size(res['memory'])}")
    if res.get("cpus"):
        podman_args.append(f"--cpus={res['cpus']:g}")
    if res.get("pids"):
        podman_args.append(f"--pids-limit={int(res['pids'])}")
    for kind, lim in (data.get("ulimits") or {}).items():
        podman_args.append(f"--ulimit={kind}={lim['soft']}:{lim['hard']}")
    hc = data.get("healthcheck")
    if hc:
        container += [
            f"HealthCmd={_health_cmd(list(hc['test']))}",
            f"HealthInterval={_seconds(float(hc['interval']))}",
            f"HealthTimeout={_seconds(float(hc['timeout']))}",
            f"HealthRetries={int(hc['retries'])}",
            f"HealthStartPeriod={_seconds(float(hc['start_period']))}",
        ]
    if data.get("stop_signal") and data["stop_signal"] != "SIGTERM":
        podman_args.append(f"--stop-signal={data['stop_signal']}")
    stop_timeout = int(data.get("stop_timeout", 10))
    podman_args.append(f"--stop-timeout={stop_timeout}")
    if data.get("read_only"):
        container.append("ReadOnly=true")
    for cap in data.get("cap_add") or []:
        container.append(f"AddCapability={cap}")
    for cap in data.get("cap_drop") or []:
        container.append(f"DropCapability={cap}")
    container.append(f"NoNewPrivileges={'true' if data.get('no_new_privileges', True) else 'false'}")
    if data.get("privileged"):
        podman_args.append("--privileged")
    if data.get("tty"):
        podman_args.append("--tty")
    for key, value in (data.get("labels") or {}).items():
        container.append(f"Label={_assignment(key, str(value))}")
    for key, value in (data.get("annotations") or {}).items():
        container.append(f"Annotation={_assignment(key, str(value))}")
    if podman_args:
        container.append(f"PodmanArgs={command_line(podman_args)}")
    losses.append(
        "records and logs: Podman and systemd run this container, not rcontainer, so rcontainer"
        " ps/logs/history do not see it (its output goes to the journal)"
    )

    restart, burst = restart_settings(str(data.get("restart") or "no"))
    path = str(profile.path)
    lines = [
        f"# {quadlet_name(name)}: generated by rcontainer {__version__} from {path}",
        "# A Podman Quadlet file (Podman 4.4 or later). Put it in ~/.config/containers/systemd/, then:",
        f"#   systemctl --user daemon-reload && systemctl --user start {name}.service",
        "# For a container that keeps running after you log out: loginctl enable-linger $USER",
        "[Unit]",
        f"Description={_plain(f'rcontainer profile {name} ({path}) via Podman Quadlet')}",
    ]
    if burst is not None:
        lines += [f"StartLimitBurst={burst}", f"StartLimitIntervalSec={burst * (RESTART_SEC + 60)}"]
    lines += ["", "[Container]", *container, "", "[Service]", f"Restart={restart}"]
    if restart != "no":
        lines.append(f"RestartSec={RESTART_SEC}")
    lines += [
        f"TimeoutStopSec={stop_timeout + STOP_MARGIN}",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ]
    return Generated(quadlet_name(name), "\n".join(lines), losses)


def generate(ref: str | Path, fmt: str = "unit") -> Generated:
    """Load a profile and generate its unit (``unit``) or Quadlet file (``quadlet``)."""
    from rcontainer.profile import load_profile

    profile = load_profile(ref)
    if fmt == "unit":
        return unit_text(profile)
    if fmt == "quadlet":
        return quadlet_text(profile)
    raise BadInput(f"unknown format {fmt!r}: expected unit or quadlet")


# -- the user manager ------------------------------------------------------------------------
def manager_running(environ: Mapping[str, str] | None = None) -> bool:
    """A systemd user manager answers: its private socket or the user bus exists and
    ``systemctl --user is-system-running`` gets an answer."""
    env = os.environ if environ is None else environ
    runtime = Path(env.get("XDG_RUNTIME_DIR") or paths.runtime_dir())
    if not ((runtime / "systemd" / "private").exists() or (runtime / "bus").exists()):
        return False
    if shutil.which("systemctl") is None:
        return False
    try:
        proc = subprocess.run(
            ["systemctl", "--user", "is-system-running"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    # running, degraded, starting... all answer; "offline"/errors mean no manager to talk to.
    return proc.stdout.strip() not in ("", "offline", "unknown")


def _systemctl(*args: str) -> None:
    proc = subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise OperationFailed(
            f"systemctl --user {' '.join(args)} failed: {proc.stderr.strip() or proc.returncode}"
        )


@dataclass
class InstallResult:
    path: Path
    unit: str
    notices: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # what was run, e.g. "daemon-reload"


def install(
    ref: str | Path,
    *,
    enable: bool = False,
    now: bool = False,
    manager: Callable[[], bool] = manager_running,
) -> InstallResult:
    """Write the profile's unit (0600; folder 0700 when created); reload, enable, start."""
    generated = generate(ref, "unit")
    folder = paths.systemd_user_dir()
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
    target = folder / generated.filename
    tmp = target.with_name(f".{target.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(generated.text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)
    result = InstallResult(target, generated.filename)
    later = ["systemctl --user daemon-reload"]
    if enable:
        later.append(f"systemctl --user enable {'--now ' if now else ''}{generated.filename}")
    elif now:
        later.append(f"systemctl --user start {generated.filename}")
    if manager():
        _systemctl("daemon-reload")
        result.actions.append("daemon-reload")
        if enable:
            _systemctl("enable", *(["--now"] if now else []), generated.filename)
            result.actions.append("enable --now" if now else "enable")
        elif now:
            _systemctl("start", generated.filename)
            result.actions.append("start")
    else:
        result.notices.append("no systemd user manager is running here; when one runs, do:")
        result.notices.extend(f"  {c}" for c in later)
    return result


def uninstall(name: str, *, manager: Callable[[], bool] = manager_running) -> InstallResult:
    """Stop and disable the unit (when a manager runs), remove its file, reload."""
    filename = unit_name(name)
    target = paths.systemd_user_dir() / filename
    if not target.exists():
        raise NotFound(f"no unit {filename} in {target.parent}")
    result = InstallResult(target, filename)
    running = manager()
    if running:
        with contextlib.suppress(OperationFailed):  # a unit that never started cannot stop
            _systemctl("disable", "--now", filename)
            result.actions.append("disable --now")
    target.unlink()
    if running:
        _systemctl("daemon-reload")
        result.actions.append("daemon-reload")
    else:
        result.notices.append(
            "no systemd user manager is running here; when one runs: systemctl --user daemon-reload"
        )
    return result


# -- sd_notify -------------------------------------------------------------------------------
def notify(message: str, socket_path: str | None = None) -> bool:
    """Send a sd_notify(3) datagram (``READY=1``, ``STATUS=...``) to ``$NOTIFY_SOCKET``.

    Returns False when there is no socket to tell (not run by systemd). An address starting
    with ``@`` is in the abstract namespace.
    """
    path = socket_path if socket_path is not None else os.environ.get("NOTIFY_SOCKET", "")
    if not path:
        return False
    if path.startswith("@"):
        address = "\0" + path[1:]
    elif path.startswith("/"):
        address = path
    else:  # vsock: and others are for VMs; not ours to handle
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError:
        return False  # as sd_notify(3): the service goes on; systemd's start timeout tells
    return True


# -- what ExecStart runs -----------------------------------------------------------------------
class Terminated(Exception):
    """SIGTERM or SIGINT arrived while the unit's container was running."""


def unit_engine(*, autostart: bool = True) -> Engine:
    """An Engine whose containers carry no Podman restart policy: systemd owns restarts.

    With both, Podman would restart the container in place while systemd sees the main process
    end and restarts the unit: two loops fighting over one container.
    """
    from rcontainer.engine.core import Engine

    class UnitEngine(Engine):
        def load_profile(self, ref: str | Path) -> Profile:
            profile = super().load_profile(ref)
            profile.data["restart"] = "no"
            return profile

    return UnitEngine(autostart=autostart)


class ExitWatch:
    """Waits for the container to exit in a thread, so the main thread can run healthchecks
    and handle SIGTERM meanwhile.

    The wait is one long call on an engine of its own (the backends' wait uses a connection
    without timeout: a client-wide timeout would cut the wait off after two minutes).
    """

    def __init__(self, engine: Engine, name: str) -> None:
        import threading

        self.engine = engine
        self.name = name
        self.code: int | None = None
        self.error: Exception | None = None
        self.done = threading.Event()
        other = unit_engine(autostart=engine.autostart)  # its own connection: this is a thread

        def target() -> int | None:
            return other.wait(name)

        def run() -> None:
            try:
                self.code = target()
            except Exception as exc:  # noqa: BLE001 - reported to the main thread
                self.error = exc
            finally:
                self.done.set()

        threading.Thread(target=run, name=f"wait-{name}", daemon=True).start()

    def wait(self, timeout: float) -> int | None:
        """The exit code once the container exited, or None while it still runs after ``timeout``."""
        if not self.done.wait(timeout):
            return None
        from rcontainer.errors import RcError

        try:
            # Under the container's lock: when ExecStop is stopping it, this returns after the
            # stop is recorded, so _finish sees who stopped it.
            seen = self.engine.inspect(self.name)
        except RcError:
            seen = {}
        if self.error is not None and seen.get("state") in ("running", "paused"):
            raise OperationFailed(f"waiting for {self.name} failed: {self.error}")
        if self.code is None:
            self.code = seen.get("exit_code")
        return 1 if self.code is None else int(self.code)


def run_healthcheck(engine: Engine, name: str) -> dict[str, Any]:
    """Run the container's healthcheck once, through the API; return ``Engine.inspect`` after it.

    Podman 4.x schedules healthchecks with transient systemd timers (``systemd-run --user``).
    Rootless without a user manager, those cannot be created and no check ever runs (the status
    stays ``starting``), so the unit runs them itself, as ``podman healthcheck run`` would:
    ``GET /libpod/containers/ID/healthcheck`` runs one check and records its result.
    """
    engine.run_healthcheck(name)
    return engine.inspect(name)


def run_unit(
    ref: str,
    *,
    engine: Engine | None = None,
    say: Callable[[str], None] = lambda _text: None,
    poll: float = 60.0,
) -> int:
    """Up, READY=1 when running (and healthy), wait, return the container's exit code.

    A stop through rcontainer (ExecStop, or ``rcontainer stop`` by hand) returns 0: the unit
    ended as asked. A container that exits by itself returns its own code, non-zero for
    ``Restart=on-failure``. SIGTERM (systemd's, when ExecStop failed; or Ctrl-C by hand) stops
    the container through rcontainer before returning, so nothing keeps running unsupervised.
    """
    from rcontainer.engine import store as state

    engine = engine or unit_engine()

    def terminate(signum: int, _frame: Any) -> None:
        raise Terminated(signal.Signals(signum).name)

    previous = {s: signal.signal(s, terminate) for s in (signal.SIGTERM, signal.SIGINT)}
    name = ""
    try:
        notify("STATUS=starting container")
        plan = engine.up(ref)
        name = plan.name
        profile = rec.profile if (rec := state.load(name)) else {}
        hc = profile.get("healthcheck")
        interval = float(hc.get("interval") or 30) if hc else poll
        watch = ExitWatch(engine, name)
        if hc:
            notify(f"STATUS={name}: running, waiting for its healthcheck")
            say(f"{name}: running; waiting for its healthcheck to pass")
            start_period = float(hc.get("start_period") or 0)
            started = time.monotonic()
            while True:
                seen = run_healthcheck(engine, name)
                if seen.get("state") not in ("running", "paused"):
                    code = watch.wait(poll)
                    return _finish(engine, name, 1 if code is None else code, say)
                health = seen.get("health")
                if health == "healthy":
                    break
                if health == "unhealthy":
                    notify(f"STATUS={name}: unhealthy before it became ready")
                    say(f"{name}: unhealthy before it became ready")
                    return 1
                # While failures do not count yet, check often so READY comes soon; then at
                # the profile's interval, as Podman would.
                in_grace = time.monotonic() - started < start_period
                code = watch.wait(min(1.0, interval) if in_grace else interval)
                if code is not None:
                    return _finish(engine, name, code, say)
        notify(f"READY=1\nSTATUS={name}: running" + (" (healthy)" if hc else ""))
        say(f"{name}: running" + (" and healthy" if hc else ""))
        while True:
            code = watch.wait(min(interval, poll))
            if code is not None:
                return _finish(engine, name, code, say)
            if hc:
                health = run_healthcheck(engine, name).get("health")
                notify(f"STATUS={name}: running ({health})")
    except Terminated as why:
        notify(f"STOPPING=1\nSTATUS=stopping {name or ref} ({why})")
        if name:
            with contextlib.suppress(Exception):  # already stopped or removed: nothing to do
                engine.stop(name)
        return 0
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _finish(engine: Engine, name: str, code: int, say: Callable[[str], None]) -> int:
    from rcontainer.engine import store as state

    rec = state.load(name) or Record(name=name)
    last = (rec.transitions or [{}])[-1]
    if last.get("to") in ("stopped", "removed") and last.get("by") == "rcontainer":
        notify(f"STOPPING=1\nSTATUS={name}: stopped through rcontainer (exit code {code})")
        say(f"{name}: stopped through rcontainer (exit code {code})")
        return 0
    notify(f"STATUS={name}: exited with code {code}")
    say(f"{name}: exited with code {code}")
    return code
