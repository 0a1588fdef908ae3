"""Installing a profile's unit into the user's systemd folder, and removing it.

``generate`` prints a unit (or a Quadlet file); ``install`` writes the unit and, when a systemd
user manager runs, reloads it and enables or starts the unit; ``uninstall`` undoes that. Without
a manager (systemd is not process 1 everywhere) the commands to run later are returned as
notices. Nothing here prints.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rcontainer import paths
from rcontainer.convert.quadlet import quadlet_text
from rcontainer.errors import BadInput, NotFound, OperationFailed
from rcontainer.systemd.unit import Generated, unit_name, unit_text


def generate(ref: str | Path, fmt: str = "unit") -> Generated:
    """Load a profile and generate its unit (``unit``) or Quadlet file (``quadlet``)."""
    from rcontainer.profile import load_profile

    profile = load_profile(ref)
    if fmt == "unit":
        return unit_text(profile)
    if fmt == "quadlet":
        return quadlet_text(profile)
    raise BadInput(f"unknown format {fmt!r}: expected unit or quadlet")


QUADLET_SINCE = (4, 4, 0)


def quadlet_warning() -> str | None:
    """Why the Podman installed here cannot run a Quadlet file (it is older than 4.4, when
    Quadlet came, or absent); None when it can. Asks ``podman --version``, no service."""
    from rcontainer.backends.podman import compat, probe
    from rcontainer.runtimes.probe import find_binary

    said = probe.podman_version(find_binary("podman"))
    version = compat.parse_version(said)
    if version is None:
        return "no Podman here tells its version: Quadlet files need Podman 4.4 or later"
    if version < QUADLET_SINCE:
        return (
            f"Podman {said} here has no Quadlet (Podman 4.4 or later runs this file); "
            "on this machine use the default format, a unit that runs rcontainer"
        )
    return None


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
