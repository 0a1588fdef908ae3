"""Projects in the engine: a folder of profiles up at once, and commands over a project's containers.

``up`` loads the folder (``rcontainer.profile.project``) and brings its profiles up through
``Engine.up_profile``, each in a thread of its own under its own container's lock: containers
that depend on nothing start at once, a dependant once its dependencies' conditions hold
(``rcontainer.engine.depends``). ``members`` finds a project's containers from the records (a
project folder names the containers made from its files; ``-p`` names a project), so ``down``
works after the files changed or went away; ``each`` runs one lifecycle command over them in
dependency order (``down`` in parallel, dependants first).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rcontainer.container import Record, State, make_key
from rcontainer.engine import store
from rcontainer.engine.names import NAME_RE, in_folder
from rcontainer.errors import BadInput, IllegalTransition, NotFound, OperationFailed, RcError

if TYPE_CHECKING:
    from rcontainer.engine.core import Engine
    from rcontainer.engine.plan import Plan


def up(
    engine: Engine,
    folder: str,
    project: str | None,
    *,
    only: tuple[str, ...] = (),
    wait_timeout: float | None = None,
    **options: bool,
) -> list[Plan]:
    """The profiles of ``folder`` (``only`` these and what they depend on) up as one project:
    in parallel, dependants once their dependencies' conditions hold."""
    from rcontainer.engine import depends
    from rcontainer.profile.project import load_project

    proj = load_project(folder, project=project)
    names = proj.order(list(only) or None)
    for name in names:
        store.warned(proj.profiles[name], engine.notices)
    if options.get("dry_run"):
        return [engine.up_profile(proj.profiles[n], proj.name, in_project=True, **options) for n in names]
    conditions = depends.Conditions(engine, wait_timeout)

    def gate(name: str, need: str) -> None:
        condition = proj.needs(name)[need]
        conditions.wait(make_key(proj.name, need), condition, proj.profiles[need].data.get("healthcheck"))

    done, errors = depends.run(
        names,
        {n: list(proj.needs(n)) for n in names},
        lambda n: engine.up_profile(proj.profiles[n], proj.name, in_project=True, **options),
        gate,
    )
    if errors:
        raise failed({make_key(proj.name, name): exc for name, exc in errors.items()})
    return [done[n] for n in names]


def failed(errors: dict[str, RcError]) -> RcError:
    """One error for the failures of several containers, each after its key; one failure keeps
    its own error (and exit status), its message after the key."""
    if len(errors) == 1:
        key, exc = next(iter(errors.items()))
        if not exc.message.startswith(f"{key}: "):
            exc.message = f"{key}: {exc.message}"
            exc.args = (exc.message,)
        return exc
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
        if not recs and NAME_RE.fullmatch(ref) and store.named(ref):
            return None  # a folder that made no container, and a container of that name: the container
    if not recs:
        raise NotFound(f"no containers of {what}", hint="bring it up with rcontainer up FOLDER")
    live = recs if removed else [r for r in recs if r.state != State.REMOVED]
    return [r.key for r in ordered(live)]


def needs_of(rec: Record) -> list[str]:
    """The keys of the containers ``rec``'s depends on (its resolved profile's ``depends_on``)."""
    return [make_key(rec.project, dep) for dep in rec.profile.get("depends_on") or {}]


def ordered(recs: list[Record]) -> list[Record]:
    """Records in the order their containers start in: each after those it depends on."""
    from rcontainer.profile.project import dependency_order

    by_key = {r.key: r for r in recs}
    return [by_key[k] for k in dependency_order({r.key: needs_of(r) for r in recs})]


def each(engine: Engine, op: str, keys: list[str], **options: Any) -> list[Record]:
    """``op`` (start, stop, restart, down) over the containers: ``down`` in parallel, each once
    those that depend on it are down; the others one by one, stopping in reverse order. A
    container whose state makes ``op`` pointless (start of a running one) is left as it is."""
    if op not in ("start", "stop", "restart", "down"):
        raise BadInput(f"{op} does not take a project")

    def one(key: str) -> Record:
        try:
            return getattr(engine, op)(key, **options)
        except IllegalTransition:  # start of a paused one, say: left as it is, and said so
            rec = store.load(key)
            if rec is None:
                raise
            engine.unchanged.add(key)
            return rec

    if op == "down":
        # depends (threads, conditions) here: ``down NAME`` asks ``members`` and runs none
        from rcontainer.engine import depends

        recs = {r.key: r for k in keys if (r := store.load(k)) is not None}
        dependants: dict[str, list[str]] = {k: [] for k in keys}
        for key, rec in recs.items():
            for need in needs_of(rec):
                if need in dependants:
                    dependants[need].append(key)
        done, errors = depends.run(keys, dependants, one)
    else:
        done, errors = {}, {}
        for key in reversed(keys) if op == "stop" else keys:
            try:
                done[key] = one(key)
            except RcError as exc:
                errors[key] = exc
    if errors:
        raise failed(errors)
    return [done[k] for k in (reversed(keys) if op in ("stop", "down") else keys) if k in done]
