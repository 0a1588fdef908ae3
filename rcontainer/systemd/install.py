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
from rcontainer.systemd.unit import Generated, unit_text


def is_project(ref: str | Path) -> bool:
    return os.path.isdir(os.path.expanduser(str(ref)))


def generate_project(ref: str | Path, project: str | None = None) -> list[Generated]:
    """The units of a project folder (``rcontainer.systemd.project``)."""
    from rcontainer.engine.names import check_project
    from rcontainer.profile.project import load_project
    from rcontainer.systemd.project import project_units

    return project_units(load_project(ref, project=check_project(project) if project else None))


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


def _write(folder: Path, generated: Generated) -> Path:
    """Write one unit (0600; the folder 0700 when created), atomically."""
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
    target = folder / generated.filename
    tmp = target.with_name(f".{target.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(generated.text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)
    return target


def install(
    ref: str | Path,
    *,
    enable: bool = False,
    now: bool = False,
    project: str | None = None,
    manager: Callable[[], bool] = manager_running,
) -> InstallResult:
    """Write the profile's unit, or a project folder's units and target; reload, enable, start
    (the target, for a project: it starts the rest)."""
    folder = paths.systemd_user_dir()
    if is_project(ref):
        units = generate_project(ref, project)
        main = units[-1]  # the target
        stale = _project_files(folder, main.filename.removeprefix("rcontainer-").removesuffix(".target"))
        for path in stale - {folder / g.filename for g in units}:
            path.unlink()  # a profile that left the folder: its unit goes with it
    else:
        units = [generate(ref, "unit")]
        main = units[0]
    for generated in units:
        _write(folder, generated)
    result = InstallResult(folder / main.filename, main.filename)
    if len(units) > 1:
        result.notices.append(f"{main.filename}: starts {', '.join(g.filename for g in units[:-1])}")
        result.notices += [str(loss) for g in units for loss in g.losses]
    later = ["systemctl --user daemon-reload"]
    if enable:
        later.append(f"systemctl --user enable {'--now ' if now else ''}{main.filename}")
    elif now:
        later.append(f"systemctl --user start {main.filename}")
    if manager():
        _systemctl("daemon-reload")
        result.actions.append("daemon-reload")
        if enable:
            _systemctl("enable", *(["--now"] if now else []), main.filename)
            result.actions.append("enable --now" if now else "enable")
        elif now:
            _systemctl("start", main.filename)
            result.actions.append("start")
    else:
        result.notices.append("no systemd user manager is running here; when one runs, do:")
        result.notices.extend(f"  {c}" for c in later)
    return result


def _project_files(folder: Path, project: str) -> set[Path]:
    """The files of a project's units in ``folder``: its target, its network's unit, and one
    ``rcontainer-PROJECT.NAME.service`` per profile (a project name has no '.')."""
    found = {folder / f"rcontainer-{project}.target", folder / f"rcontainer-{project}-network.service"}
    return {p for p in found if p.exists()} | set(folder.glob(f"rcontainer-{project}.*.service"))


def unit_files(ref: str, project: str | None = None) -> tuple[str, list[Path]]:
    """What ``uninstall REF`` removes: (the main unit's name, its files). REF is a project FOLDER
    (or ``-p PROJECT`` alone, with REF empty): its target and units; ``PROJECT/NAME``; or ``NAME``:
    ``rcontainer-NAME.service``, else the one ``rcontainer-PROJECT.NAME.service`` there is."""
    from rcontainer.systemd.project import target_name
    from rcontainer.systemd.unit import container_name, project_part

    folder = paths.systemd_user_dir()
    if not ref or is_project(ref):
        if ref:
            from rcontainer.profile.project import load_project

            project = project or load_project(ref).name
        if not project:
            raise BadInput("name a unit, a project folder, or a project with -p PROJECT")
        target = target_name(project)
        files = sorted(_project_files(folder, project))
        if not files:
            raise NotFound(f"no units of project {project} in {folder}")
        return target, files
    where, slash, name = ref.rpartition("/")
    if project and not slash:
        where, slash = project, "/"
    try:
        part = project_part(where) if slash else ""
        if slash and not part:
            raise BadInput(ref)
        container_name(name)
    except BadInput:
        raise BadInput(
            f"{ref!r} is not a container name: expected NAME or PROJECT/NAME (at most 63 lowercase"
            " letters, digits, '_', '.' and '-', starting with a letter or digit)"
        ) from None
    exact = folder / f"rcontainer-{part}{name}.service"
    if slash or exact.exists():
        if not exact.exists():
            raise NotFound(f"no unit {exact.name} in {folder}")
        return exact.name, [exact]
    found = sorted(folder.glob(f"rcontainer-*.{name}.service"))
    found = [
        p for p in found if _is_project(p.name.removeprefix("rcontainer-").removesuffix(f".{name}.service"))
    ]
    if not found:
        raise NotFound(f"no unit {exact.name} in {folder}")
    if len(found) > 1:
        raise BadInput(
            f"{name!r} names a unit in several projects: {', '.join(p.name for p in found)}",
            hint="say which with PROJECT/NAME or -p PROJECT",
        )
    return found[0].name, found


def _is_project(text: str) -> bool:
    from rcontainer.systemd.unit import project_part

    try:
        return bool(project_part(text))
    except BadInput:
        return False


def uninstall(
    name: str, *, project: str | None = None, manager: Callable[[], bool] = manager_running
) -> InstallResult:
    """Stop and disable the unit (a project's target, and its units), when a manager runs;
    remove the files, reload."""
    main, files = unit_files(name, project)
    result = InstallResult(files[0].parent / main, main)
    running = manager()
    if running:
        with contextlib.suppress(OperationFailed):  # a unit that never started cannot stop
            _systemctl("disable", "--now", *(p.name for p in files))
            result.actions.append("disable --now")
    for path in files:
        path.unlink()
    if running:
        _systemctl("daemon-reload")
        result.actions.append("daemon-reload")
    else:
        result.notices.append(
            "no systemd user manager is running here; when one runs: systemctl --user daemon-reload"
        )
    return result
