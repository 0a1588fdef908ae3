"""A project: the profiles of one folder, brought up together (``rcontainer up FOLDER``).

Every ``*.yaml`` and ``*.yml`` file of the folder is a profile of the project, except files
whose name starts with ``_`` or ``.`` (bases that others extend, drafts). The project is named
after the folder (lowercased, as Compose does), or by the profiles' ``project:`` field, on
which they must then agree, or by ``-p/--project``. Profile names are unique in a project.
``depends_on`` names profiles of the same project; a dependency that is missing, a
``service_healthy`` on one without a healthcheck, and a cycle (named: ``a -> b -> a``) are
refused. Problems with the folder as a whole are reported like a profile's, all at once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rcontainer.container import project_name
from rcontainer.errors import BadInput, NotFound
from rcontainer.profile import Profile, load_profile
from rcontainer.profile.problems import Problem, ProfileError

# Compose's own file names (the files `rcontainer import` reads, often beside what it wrote):
# never profiles of the folder's project
COMPOSE_FILES = re.compile(r"(docker-)?compose(\.override)?\.ya?ml")


def project_files(folder: Path) -> list[Path]:
    """The profile files of a project folder, in name order: no file starting with ``_`` or
    ``.``, no compose file."""
    found = [p for pattern in ("*.yaml", "*.yml") for p in folder.glob(pattern)]
    return sorted(
        p
        for p in found
        if p.is_file() and not p.name.startswith(("_", ".")) and not COMPOSE_FILES.fullmatch(p.name)
    )


def on_project_network(data: dict[str, Any]) -> bool:
    """Whether the profile's container joins its project's network when the project is up
    (``rcontainer.engine.networks.join_project``): kube export names it by a
    Service, systemd units start it after the network's unit."""
    nets = data.get("networks")
    if nets is None:
        return (data.get("network") or {}).get("mode", "private") == "private"
    return "default" in nets


@dataclass
class Project:
    """A loaded, valid project: its name, its folder and its profiles by name."""

    name: str
    folder: Path
    profiles: dict[str, Profile]

    def needs(self, name: str) -> dict[str, str]:
        """What profile ``name`` depends on: dependency -> condition."""
        return {dep: d["condition"] for dep, d in (self.profiles[name].data.get("depends_on") or {}).items()}

    def order(self, names: list[str] | None = None) -> list[str]:
        """``names`` (default: every profile) with everything they depend on, dependencies first."""
        wanted: set[str] = set()
        todo = list(self.profiles if names is None else names)
        while todo:
            name = todo.pop()
            if name not in self.profiles:
                raise NotFound(
                    f"no profile named {name!r} in project {self.name!r}", hint=_known(self.profiles)
                )
            if name not in wanted:
                wanted.add(name)
                todo += self.needs(name)
        return dependency_order({n: list(self.needs(n)) for n in wanted})


def dependency_order(needs: dict[str, list[str]]) -> list[str]:
    """The names of ``needs`` (name -> the names it needs) with each after all it needs, ties in
    name order; needs outside ``needs`` are ignored. Expects no cycle (``find_cycle``)."""
    left = {name: {n for n in deps if n in needs and n != name} for name, deps in needs.items()}
    out: list[str] = []
    while left:
        ready = sorted(name for name, deps in left.items() if not deps) or sorted(left)[:1]
        for name in ready:
            out.append(name)
            del left[name]
        for deps in left.values():
            deps.difference_update(ready)
    return out


def find_cycle(needs: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as the names along it, the first repeated at the end; None if none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for dep in sorted(needs.get(name, ())):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep in needs and dep not in state and (found := visit(dep)):
                return found
        path.pop()
        state[name] = 2
        return None

    for name in sorted(needs):
        if name not in state and (found := visit(name)):
            return found
    return None


def _known(profiles: dict[str, Profile]) -> str:
    return f"profiles of the project: {', '.join(sorted(profiles))}"


def load_project(
    folder: str | Path, *, project: str | None = None, environ: Mapping[str, str] | None = None
) -> Project:
    """Load every profile of ``folder``; ProfileError lists the problems of every file."""
    path = Path(os.path.expanduser(str(folder)))
    if not path.is_dir():
        raise NotFound(f"no project folder {folder}")
    files = project_files(path)
    if not files:
        raise NotFound(
            f"no profiles in {folder}",
            hint="a project folder holds profile files (*.yaml); files starting with '_' and compose files "
            "(compose.yaml, docker-compose.yml, ...) are skipped",
        )
    problems: list[Problem] = []
    profiles: dict[str, Profile] = {}
    for file in files:
        try:
            profile = load_profile(file, environ=environ)
        except ProfileError as exc:
            problems += exc.problems
            continue
        first = profiles.get(profile.name)
        if first is not None:
            problems.append(
                Problem(
                    str(file),
                    None,
                    None,
                    "name",
                    f"the name {profile.name!r} is taken by {first.path.name}: names are unique in a project",
                )
            )
            continue
        profiles[profile.name] = profile
    name = project or _agreed_name(path, profiles, problems)
    _check_dependencies(profiles, problems)
    if problems:
        raise ProfileError(problems)
    return Project(name=name, folder=path.absolute(), profiles=profiles)


def _check_dependencies(profiles: dict[str, Profile], problems: list[Problem]) -> None:
    """Every dependency a profile of the project, able to meet its condition; no cycle."""
    needs: dict[str, list[str]] = {}
    for name, profile in profiles.items():
        needs[name] = []
        for dep, d in (profile.data.get("depends_on") or {}).items():
            where = f"depends_on.{dep}"
            if dep not in profiles:
                problems.append(
                    Problem(
                        str(profile.path),
                        None,
                        None,
                        where,
                        f"no profile named {dep!r} in the project ({_known(profiles)})",
                    )
                )
            elif d["condition"] == "service_healthy" and not profiles[dep].data.get("healthcheck"):
                problems.append(
                    Problem(
                        str(profile.path),
                        None,
                        None,
                        where,
                        f"{dep} has no healthcheck, so service_healthy can never hold",
                    )
                )
            else:
                needs[name].append(dep)
    cycle = find_cycle(needs)
    if cycle:
        problems.append(
            Problem(
                str(profiles[cycle[0]].path),
                None,
                None,
                "depends_on",
                f"dependency cycle: {' -> '.join(cycle)}",
            )
        )


def _agreed_name(folder: Path, profiles: dict[str, Profile], problems: list[Problem]) -> str:
    """The project's name: the one its profiles agree on (their ``project:`` fields, or the
    folder's name for those without one)."""
    fallback = project_name(folder.absolute().name) or ""
    said = {name: p.data.get("project") or fallback for name, p in profiles.items()}
    counts = list(said.values())
    names = sorted(set(counts))
    if len(names) > 1:
        # the most common wins; on a tie the folder's name (the default) does
        most = max(names, key=lambda n: (counts.count(n), n == fallback))
        with_most = ", ".join(p.path.name for n, p in profiles.items() if said[n] == most)
        for name, profile in profiles.items():
            if said[name] != most:
                problems.append(
                    Problem(
                        str(profile.path),
                        None,
                        None,
                        "project",
                        f"its project is {said[name] or 'unnamed'!r}, but {most!r} for {with_most}:"
                        " the profiles of a folder are one project",
                    )
                )
        return ""
    name = names[0] if names else fallback
    if not name:
        raise BadInput(
            f"{folder}: the folder name {folder.absolute().name!r} makes no project name",
            hint="add a 'project:' field to its profiles, or pass -p/--project",
        )
    return name
