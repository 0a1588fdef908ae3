"""The ``rcontainer-PROJECT.NAME.service`` user unit of a profile, and systemd's syntax for writing one.

A generated unit runs ``rcontainer run-unit PROFILE`` as its main process (``Type=notify``):
it brings the container up, tells systemd ``READY=1`` once the container runs (and, with a
healthcheck, once Podman reports it healthy), then waits for the container and exits with its
exit code, so ``Restart=`` sees real failures (``run_unit``). ``ExecStop`` stops the container
through rcontainer (its stop signal, then SIGKILL after ``stop_timeout``) and ``ExecStopPost``
removes it, so every start creates the container afresh from the profile.

The restart and timeout helpers here are shared with the Quadlet generator
(``rcontainer.convert.quadlet``); every value either writes goes through ``syntax``, so a
profile path or an environment value holding a newline cannot add a line to the unit.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rcontainer import __version__
from rcontainer.convert.loss import Loss
from rcontainer.errors import BadInput
from rcontainer.systemd.syntax import assignment, command_line, comment, text

if TYPE_CHECKING:
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
def container_name(name: str) -> str:
    """``name`` when it is a container name (the profile name pattern), else ``BadInput``.

    Unit and Quadlet file names are made from it: a name with ``/`` or ``..`` would name a file
    outside the unit folder (``systemd uninstall x/../../victim``), one with a newline a unit
    that adds lines.
    """
    from rcontainer.profile.schema import NAME_PATTERN

    if not (isinstance(name, str) and len(name) <= 63 and re.fullmatch(NAME_PATTERN, name)):
        raise BadInput(
            f"{name!r} is not a container name: expected at most 63 lowercase letters, digits,"
            " '_', '.' and '-', starting with a letter or digit"
        )
    return name


def unit_name(name: str, project: str = "") -> str:
    """The unit of the container ``PROJECT/NAME``: ``rcontainer-PROJECT.NAME.service`` (named as
    Podman names the container, ``rc-PROJECT.NAME``: a project name has no '.', so the split is
    unambiguous), or ``rcontainer-NAME.service`` for a container in no project."""
    return f"rcontainer-{project_part(project)}{container_name(name)}.service"


def project_part(project: str) -> str:
    """``PROJECT.`` (``""`` for no project) when ``project`` is a project name, else ``BadInput``:
    unit file names are made from it."""
    from rcontainer.container import PROJECT_MAX, PROJECT_PATTERN

    if project == "":
        return ""
    if not (
        isinstance(project, str) and len(project) <= PROJECT_MAX and re.fullmatch(PROJECT_PATTERN, project)
    ):
        raise BadInput(
            f"{project!r} is not a project name: expected lowercase letters, digits, '_' and '-',"
            " starting with a letter or digit"
        )
    return f"{project}."


@dataclass(frozen=True)
class Membership:
    """A profile's place among its project's units (``rcontainer.systemd.project``): the unit is
    part of the project's target, requires and comes after the units of what it depends on (and
    of the project's network), and is a oneshot when a dependant waits for it to complete."""

    project: str
    target: str
    after: tuple[str, ...] = ()
    oneshot: bool = False


@dataclass
class Generated:
    """A generated file: its name, its text, and (Quadlet) what the profile says that it cannot."""

    filename: str
    text: str
    losses: list[Loss] = field(default_factory=list)


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
    member: Membership | None = None,
) -> Generated:
    """The ``rcontainer-PROJECT.NAME.service`` user unit of a profile (``member``: as one of its
    project's units). ExecStop and ExecStopPost name the container ``PROJECT/NAME``: names are
    unique per project only, and a bare name may mean another project's container."""
    from rcontainer.container import make_key

    data = profile.data
    env = os.environ if environ is None else environ
    rc = exe or executable()
    project = member.project if member else profile.project
    name = make_key(project, profile.name)
    path = str(profile.path)
    restart, burst = restart_settings(str(data.get("restart") or "no"))
    oneshot = member is not None and member.oneshot
    losses: list[Loss] = []
    if oneshot and restart == "always":
        restart = "on-failure"  # systemd refuses Restart=always for a oneshot
        losses.append(
            Loss(
                profile.name,
                "restart",
                f"{data.get('restart')} → on-failure: a dependant needs it completed, so its unit is a"
                " oneshot, which systemd restarts on failure only",
            )
        )
    stop_timeout = int(data.get("stop_timeout", 10))
    networked = (data.get("network") or {}).get("mode", "private") != "none"

    source = str(profile.path.parent) if member else path
    lines = [
        comment(f"{unit_name(profile.name, project)}: generated by rcontainer {__version__} from {path}"),
        comment(f"Regenerate it after changing the profile: rcontainer systemd install {source}"),
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
        f"Description={text(f'rcontainer container {name} ({path})')}",
        f"Documentation={DOCUMENTATION}",
    ]
    if networked:
        lines += ["Wants=network-online.target", "After=network-online.target"]
    if member is not None:
        # stopped and restarted with the target; started after (and only with) what it needs
        lines.append(f"PartOf={member.target}")
        for needed in member.after:
            lines += [f"Requires={needed}", f"After={needed}"]
    if burst is not None:
        # Restarts come RestartSec apart (plus start-up): the window holds `burst` quick failures.
        lines += [f"StartLimitBurst={burst}", f"StartLimitIntervalSec={burst * (RESTART_SEC + 60)}"]
    lines += ["", "[Service]"]
    if oneshot:
        # a dependant waits for it to complete: started once the container exited with 0
        lines += ["Type=oneshot", "RemainAfterExit=yes"]
    else:
        lines.append("Type=notify")
    lines.append("NotifyAccess=main")
    for var in UNIT_ENVIRONMENT:
        if env.get(var):
            lines.append(f"Environment={assignment(var, env[var])}")
    start = [*rc, "run-unit"]
    if member is not None:
        # in its project's network; the project is the folder's unless it was named otherwise
        start += ["--in-project", *(["-p", member.project] if member.project != profile.project else [])]
    lines += [
        f"ExecStart={command_line([*start, path])}",
        # "-": a container that already exited (or was removed by hand) is not a failed stop.
        f"ExecStop=-{command_line([*rc, 'stop', name])}",
        f"ExecStopPost=-{command_line([*rc, 'rm', '-f', name])}",
        f"TimeoutStartSec={'infinity' if oneshot else start_timeout(data)}",
        # The stop waits stop_timeout for the container, then SIGKILLs it; systemd must wait
        # longer than that, or it would kill rcontainer halfway through the stop.
        f"TimeoutStopSec={stop_timeout + STOP_MARGIN}",
        f"Restart={restart}",
    ]
    if restart != "no":
        lines.append(f"RestartSec={RESTART_SEC}")
    lines += ["", "[Install]", f"WantedBy={member.target if member else 'default.target'}", ""]
    return Generated(unit_name(profile.name, project), "\n".join(lines), losses)
