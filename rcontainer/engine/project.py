"""Projects in the engine: a folder of profiles up at once, and commands over a project's containers.

``up`` loads the folder (``rcontainer.profile.project``) and brings its profiles up in parallel,
each through ``Engine.up_profile`` in a thread of its own, under its own container's lock.
``members`` finds a project's containers from the records (a project folder names the
containers made from its files; ``-p`` names a project), so ``down`` works after the files
changed or went away. ``each`` runs one lifecycle command over them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rcontainer.container import Record, State
from rcontainer.engine import store
from rcontainer.engine.names import in_folder
from rcontainer.errors import BadInput, IllegalTransition, NotFound, OperationFailed, RcError

if TYPE_CHECKING:
    from rcontainer.engine.core import Engine
    from rcontainer.engine.plan import Plan

T = TypeVar("T")
MAX_THREADS = 8  # each thread mostly waits on Podman; more would only queue there


def up(engine: Engine, folder: str, project: str | None, **options: bool) -> list[Plan]:
    """Every profile of ``folder`` up as one project, in parallel."""
    from rcontainer.profile.project import load_project

    proj = load_project(folder, project=project)
    profiles = list(proj.profiles.values())
    if options.get("dry_run"):
        return [engine.up_profile(p, proj.name, in_project=True, **options) for p in profiles]
    done, errors = run_all({p.name: _up_task(engine, p, proj.name, options) for p in profiles})
    if errors:
        raise failed({f"{proj.name}/{name}": exc for name, exc in errors.items()})
    return [done[p.name] for p in profiles]


def _up_task(engine: Engine, profile: Any, project: str, options: dict[str, bool]) -> Callable[[], Plan]:
    return lambda: engine.up_profile(profile, project, in_project=True, **options)


def run_all(tasks: dict[str, Callable[[], T]]) -> tuple[dict[str, T], dict[str, RcError]]:
    """Run the tasks in parallel threads: their results and their errors, by name."""
    done: dict[str, T] = {}
    errors: dict[str, RcError] = {}
    if not tasks:
        return done, errors
    with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(tasks))) as pool:
        futures = {name: pool.submit(task) for name, task in tasks.items()}
        for name, future in futures.items():
            try:
                done[name] = future.result()
            except RcError as exc:
                errors[name] = exc
    return done, errors


def failed(errors: dict[str, RcError]) -> RcError:
    """One error for the failures of several containers (the error itself when only one)."""
    if len(errors) == 1:
        return next(iter(errors.values()))
    return OperationFailed("; ".join(f"{key}: {exc.message}" for key, exc in sorted(errors.items())))


def members(ref: str | None, project: str | None, *, removed: bool = False) -> list[str] | None:
    """The keys of the containers of a project folder ``ref`` (those made from its files; of
    ``project`` only, when given) or of ``project``; None when ``ref`` names one container.
    Removed containers count with ``removed`` (their logs stay readable)."""
    if ref is not None and not os.path.isdir(ref):
        return None
    recs = store.all_records()
    if ref is None:
        if project is None:
            raise BadInput("name a container, a project folder, or a project with -p PROJECT")
        recs = [r for r in recs if r.project == project]
        what = f"project {project!r}"
    else:
        folder = Path(ref)
        recs = [r for r in recs if in_folder(r, folder) and project in (None, r.project)]
        what = f"project folder {ref}" + (f" in project {project!r}" if project else "")
    if not recs:
        raise NotFound(f"no containers of {what}", hint="bring it up with rcontainer up FOLDER")
    live = recs if removed else [r for r in recs if r.state != State.REMOVED]
    return [r.key for r in ordered(live)]


def ordered(recs: list[Record]) -> list[Record]:
    """Records in the order their containers start in."""
    return sorted(recs, key=lambda r: r.key)


def each(engine: Engine, op: str, keys: list[str], **options: Any) -> list[Record]:
    """``op`` (start, stop, restart, down) over the containers, stopping ones in reverse order.
    A container whose state makes ``op`` pointless (start of a running one) is left as it is."""
    if op not in ("start", "stop", "restart", "down"):
        raise BadInput(f"{op} does not take a project")
    out: list[Record] = []
    errors: dict[str, RcError] = {}
    for key in reversed(keys) if op in ("stop", "down") else keys:
        try:
            out.append(getattr(engine, op)(key, **options))
        except IllegalTransition:
            rec = store.load(key)
            if rec is not None:
                out.append(rec)
        except RcError as exc:
            errors[key] = exc
    if errors:
        raise failed(errors)
    return out
