"""What the hot commands do once their arguments are read: ``up``, ``down``, ``stop``, ``start``,
``rm``, ``ps``, ``exec`` and ``shell``.

Two front ends read their arguments: the click commands (``containers``, ``looking``, ``exec``),
for every form, ``--help`` and usage errors; and the fast path (``fast``), which reads the common
forms without importing click (about 18 ms of every call). Both call these functions with the
same parameters, so a command does the same whichever read it. Nothing here imports click: a
usage error these functions find is raised as click's (imported then), and the fast path never
reaches one (``fast`` leaves such forms to click).
"""

from __future__ import annotations

from typing import Any

from rcontainer.cli.app import App

# what ``up`` did, in words
UP_DONE = {
    "create": "created and started",
    "recreate": "recreated and started",
    "start": "started",
    "unpause": "unpaused",
    "none": "up to date",
}


def usage_error(message: str) -> Exception:
    """click's usage error (its usage line, exit status 2): only the click commands get here."""
    import click

    return click.UsageError(message)


def done_text(name: str, verb: str, state: str) -> str:
    """``app: started (running)``; the state is not repeated when the verb says it (``app: stopped``)."""
    return f"{name}: {verb}" if verb == state else f"{name}: {verb} ({state})"


def each(app: App, names: tuple, as_json: bool, verb: str, op) -> None:
    """Do ``op(name)`` for each name, as Podman does for several: every one is tried, each
    failure is reported as it happens, and the command exits with the first failure's status.

    One container prints as before (a JSON object); several print a line each (a JSON list).
    ``op`` gives the record it changed, or a list of them for a project's containers, which
    print as ``PROJECT/NAME``."""
    from rcontainer.errors import RcError

    results, status, projects = [], 0, False
    for name in names:
        try:
            got = op(name)
        except RcError as exc:
            if len(names) == 1:
                raise
            app.error(exc)
            status = status or int(exc.status)
            continue
        projects = projects or isinstance(got, list)
        for rec in got if isinstance(got, list) else [got]:
            label = rec.key if isinstance(got, list) else rec.name
            results.append(
                (rec, label, f"already {rec.state}" if rec.key in app.engine().unchanged else verb)
            )
    data = [{"name": rec.name, "project": rec.project, "state": rec.state} for rec, _, _ in results]
    lines = [
        f"{label}: {text}" if text.startswith("already ") else done_text(label, text, rec.state)
        for rec, label, text in results
    ]
    if results or projects:
        one = len(names) == 1 and not projects
        app.emit(data[0] if one else data, as_json, lambda _: "\n".join(lines))
    if status:
        app.exit(status)


def targets(app: App, names: tuple[str, ...], project: str | None, as_json: bool, verb: str, op: str, **kw):
    """``op`` on each container named, or on every container of a project named by its FOLDER
    (or by ``-p PROJECT`` alone), in the order the project needs."""
    engine = app.engine()
    if not names and not project:
        raise usage_error("name a container, a project FOLDER, or a project with -p PROJECT")

    def one(name: str | None):
        keys = engine.members(name, project)
        if keys is None:
            return getattr(engine, op)(name, project=project, **kw)
        return engine.each(op, keys, **kw)

    each(app, names or (None,), as_json, verb, one)


def down(app: App, names: tuple[str, ...], project: str | None, timeout: int | None, as_json: bool) -> None:
    targets(app, names, project, as_json, "down", "down", timeout=timeout)


def stop(app: App, names: tuple[str, ...], project: str | None, timeout: int | None, as_json: bool) -> None:
    targets(app, names, project, as_json, "stopped", "stop", timeout=timeout)


def start(app: App, names: tuple[str, ...], project: str | None, as_json: bool) -> None:
    targets(app, names, project, as_json, "started", "start")


def rm(app: App, names: tuple[str, ...], force: bool, purge: bool, keep_logs: bool, as_json: bool) -> None:
    each(
        app,
        names,
        as_json,
        "removed and forgotten" if purge else "removed",
        lambda name: app.engine().rm(name, force=force, purge=purge, keep_logs=keep_logs),
    )


def up(
    app: App,
    profile: str,
    names: tuple[str, ...],
    project: str | None,
    wait_timeout: float | None,
    force_recreate: bool,
    force: bool,
    dry_run: bool,
    allow_privileged: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    import os

    engine = app.engine(progress=not quiet)
    options = {
        "force_recreate": force_recreate,
        "dry_run": dry_run,
        "allow_privileged": allow_privileged,
        "force": force,
    }
    if os.path.isdir(profile):
        plans = engine.up_project(profile, project=project, only=names, wait_timeout=wait_timeout, **options)
        app.emit(
            [p.as_dict() for p in plans],
            as_json,
            lambda _: "\n".join(plan_text(p, dry_run, p.key) for p in plans),
        )
        return
    if names:
        raise usage_error(f"NAME... picks profiles of a project FOLDER; {profile} is not a folder")
    plan = engine.up(profile, project=project, wait_timeout=wait_timeout, **options)
    app.emit(plan.as_dict(), as_json, lambda _: plan_text(plan, dry_run, plan.name))


def plan_text(plan, dry_run: bool, label: str) -> str:
    if dry_run:
        lines = [
            f"{label}: would {plan.action if plan.action != 'none' else 'do nothing'}"
            f" ({'; '.join(plan.reasons) or 'profile changed'})"
        ]
    else:
        lines = [f"{label}: {UP_DONE[plan.action]} (runtime {plan.runtime})"]
    if plan.changed:
        lines.append(f"  changed: {', '.join(plan.changed)}")
    return "\n".join(lines)


def ps(app: App, show_all: bool, project: str | None, as_json: bool) -> None:
    app.emit(app.engine().ps(all=show_all, project=project), as_json, ps_table)


def ps_table(rows: list[dict]) -> str:
    from rcontainer.cli.output import table

    return table(
        [
            (
                r["name"],
                r.get("project") or "-",
                r["state"]
                + (f" ({r['exit_code']})" if r.get("exit_code") is not None else "")
                + (f" ({r['health']})" if r.get("health") else ""),
                r["runtime"],
                ", ".join(r["ports"]),
                uptime(r["uptime_seconds"]),
                r["id"],
                r["profile"],
            )
            for r in rows
        ],
        ["NAME", "PROJECT", "STATE", "RUNTIME", "PORTS", "UPTIME", "ID", "PROFILE"],
    )


def uptime(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    if s < 120:
        return f"{s}s"
    if s < 7200:
        return f"{s // 60}m"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def exec_(app: App, name: str, argv: tuple[str, ...], how: Any) -> None:
    app.exit(app.engine().exec(name, list(argv), how))


def shell(
    app: App, target: str, args: tuple[str, ...], how: Any, program: str | None, profile=None, said=None
) -> None:
    """Enter ``target`` (a container, or a profile brought up first) with the shell's ``args``;
    what happened on the way (``said``, a pull, a start) is said before the shell opens, not
    after it ends."""
    from rcontainer.cli.output import warn

    engine = app.engine(progress=True)

    def started(what: str) -> None:
        for notice in engine.notices:
            warn(notice)
        engine.notices.clear()
        warn(what)

    if said:
        started(said)
    app.exit(engine.shell(target, list(args), how, program=program, started=started, profile=profile))
