"""Commands that look and change nothing: ``ps``, ``inspect``, ``history``, ``logs``, ``wait``, ``events``."""

from __future__ import annotations

import sys
from typing import Any

import click

from rcontainer.cli import actions
from rcontainer.cli.app import App
from rcontainer.cli.output import human, key_values, table
from rcontainer.cli.params import JSON, NAME, PROJECT, TARGET


@click.command()
@click.option("-a", "--all", "show_all", is_flag=True, help="Include removed containers (their records).")
@click.option("-p", "--project", metavar="PROJECT", help="Only the containers of this project.")
@JSON
@click.pass_obj
def ps(app: App, **params: Any) -> None:
    """List rcontainer's containers with project, state, runtime class, profile, ports and uptime."""
    actions.ps(app, **params)


@click.command()
@NAME
@JSON
@click.pass_obj
def inspect(app: App, name: str, as_json: bool) -> None:
    """Show everything known about a container, including its pause method and security settings."""
    app.emit(app.engine().inspect(name), as_json, _inspect_text)


def _inspect_text(data: dict) -> str:
    sec = data["security"]
    return key_values(
        [
            ("name", data["name"]),
            ("state", data["state"]),
            ("runtime class", f"{data['runtime']} ({data['family']})"),
            ("container", f"{data['container']} {data['id'] or ''}".strip()),
            ("image", f"{data['image']} ({(data['image_id'] or '')[:12]})"),
            ("profile", data["profile"]),
            ("pause method", data["pause_method"]),
            ("pid", data["pid"]),
            ("health", data["health"]),
            ("last check said", data.get("health_output")),
            ("driven by", _driver_text(data.get("driven_by"))),
            # what Podman made of network: private (slirp4netns, pasta), else the profile's mode
            ("network", data["runtime_details"].get("network") or _profile_network(data)),
            ("ports", ", ".join(data["ports"])),
            ("no_new_privileges", sec["no_new_privileges"]),
            ("privileged", sec["privileged"]),
            ("capabilities", f"add {human(sec['cap_add'])}, drop {human(sec['cap_drop'])}"),
            ("log file", data["log_path"]),
            ("transitions", len(data["transitions"])),
            *_dev_shell_rows(data.get("dev_shell")),
        ]
    )


def _driver_text(driver: dict | None) -> str | None:
    """Who runs the container's healthchecks and restarts, in a line."""
    if not driver:
        return None
    if driver["by"] != "monitor":
        return f"{driver['by']} ({driver['how']})"
    pid = f"pid {driver['pid']}" if driver.get("pid") else "not running"
    return f"rcontainer's monitor ({pid}; {driver['does']}; log {driver['log']})"


def _dev_shell_rows(info: dict | None) -> list[tuple[str, object]]:
    """A dev shell's home and host integration (``rcontainer.engine.devshell``), a line each."""
    if info is None:
        return []
    home = info.get("home") or {}
    kept = ", ".join(f"{k} {v}" for k, v in home.items() if k not in ("policy", "path"))
    rows: list[tuple[str, object]] = [
        (
            "dev shell home",
            f"{home['policy']} at {home['path']}" + (f" ({kept})" if kept else "") if home else "-",
        )
    ]
    for what, detail in (info.get("host") or {}).items():
        if isinstance(detail, dict):
            detail = ", ".join(f"{k} {v}" for k, v in detail.items())
        rows.append((f"dev shell {what}", detail))
    return rows


@click.command()
@NAME
@JSON
@click.pass_obj
def history(app: App, name: str, as_json: bool) -> None:
    """Every lifecycle transition of a container, including ones made outside rcontainer."""
    app.emit(
        app.engine().history(name),
        as_json,
        lambda rows: table(
            [(t["at"], t.get("from") or "-", t["to"], t["by"], t.get("note", "")) for t in rows],
            ["TIME", "FROM", "TO", "BY", "NOTE"],
        ),
    )


@click.command()
@TARGET
@PROJECT
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines while the container runs.")
@click.option("--since", help="Only lines newer than a duration (10s, 5m, 2h) or timestamp.")
@click.option("--tail", type=click.IntRange(0), help="Only the last N lines (of each container).")
@click.option("-t", "--timestamps", is_flag=True, help="Prefix each line with its time.")
@click.option(
    "--previous", is_flag=True, help="The output of the container before the last recreate (up kept it)."
)
@click.option(
    "--all",
    "all_runs",
    is_flag=True,
    help="Every kept run's output, oldest first, each headed by when it started (--tail: of each).",
)
@click.pass_obj
def logs(
    app: App,
    name: str | None,
    project: str | None,
    follow: bool,
    since: str | None,
    tail: int | None,
    timestamps: bool,
    previous: bool,
    all_runs: bool,
) -> None:
    """Print a container's output, or a project's (each line after its container's name); works
    after the container is removed."""
    from rcontainer import logs as logmod
    from rcontainer.errors import BadInput, NotFound

    engine = app.engine()
    if previous and follow:
        raise BadInput("--previous and --follow: the previous container's output is complete")
    if previous and all_runs:
        raise BadInput("--previous and --all: --all shows the previous runs too")
    since_dt = logmod.parse_since(since) if since else None

    def lines_of(path, rec, complete=False):
        if follow and not complete:
            return logmod.follow(path, since=since_dt, tail=tail, keep_going=lambda: engine.is_active(rec))
        return logmod.read(path, since=since_dt, tail=tail)

    keys = engine.members(name, project, removed=True)
    if all_runs:
        if keys is not None:
            raise BadInput("--all shows one container's runs: name a container, not a project")
        assert name is not None
        _write_runs(engine, name, project, lines_of, since_dt is not None, timestamps)
        return
    if keys is None:
        assert name is not None
        path, rec = engine.log_path(name, project, previous=previous)
        if previous and not path.exists():
            raise NotFound(
                f"{rec.name} has no previous output: it was not recreated since its logs were kept"
            )
        tagged = (("", line) for line in lines_of(path, rec))
    else:
        sources = {key: engine.log_path(key, previous=previous) for key in keys}
        one_project = len({rec.project for _, rec in sources.values()}) == 1
        labels = {key: rec.name if one_project else key for key, (_, rec) in sources.items()}
        width = max((len(label) for label in labels.values()), default=0)
        streams = {f"{labels[key]:<{width}} | ": lines_of(*src) for key, src in sources.items()}
        if follow:
            tagged = logmod.follow_all(streams)
        else:
            tagged = iter(logmod.merged({tag: list(lines) for tag, lines in streams.items()}))
    _write_lines(tagged, timestamps)


def _write_runs(engine, name: str, project: str | None, lines_of, filtered: bool, timestamps: bool) -> None:
    """``logs --all``: each kept run's lines after a heading with when it started (its first
    line's time when the record no longer says); with --since, earlier runs with no line left
    are not shown. The current run comes last (followed with -f)."""
    runs, rec = engine.log_runs(name, project)
    for i, run in enumerate(runs, 1):
        current = i == len(runs)
        lines = lines_of(run.log, rec, complete=not current)
        if filtered and not current and not lines:
            continue
        if run.started_at:
            head = f"started {run.started_at}"
        elif run.created_at:
            head = f"created {run.created_at}, never started"
        elif not current and lines:
            head = f"started {lines[0].time.isoformat(timespec='milliseconds')} (its first line)"
        else:
            head = "start time unknown"
        sys.stdout.write(f"==> run {i} of {len(runs)}{' (latest)' if current else ''}: {head} <==\n")
        sys.stdout.flush()
        _write_lines((("", line) for line in lines), timestamps)


def _write_lines(tagged, timestamps: bool) -> None:
    """Each line to the stream it came from, as it comes: the container's own output, not a result."""
    for tag, line in tagged:
        prefix = line.time.isoformat(timespec="milliseconds") + " " if timestamps else ""
        stream = sys.stderr if line.stream == "stderr" else sys.stdout
        stream.write(tag + prefix + line.text + "\n")
        stream.flush()


@click.command()
@NAME
@click.option("--timeout", type=click.FloatRange(0), help="Give up after this many seconds (exit 1).")
@click.pass_obj
def wait(app: App, name: str, timeout: float | None) -> None:
    """Wait for a container to stop; print its exit code."""
    from rcontainer.errors import OperationFailed

    code = app.engine().wait(name, timeout)
    if code is None:
        raise OperationFailed(f"{name}: still running after {timeout:g}s")
    click.echo(code)


@click.command()
@JSON
@click.pass_obj
def events(app: App, as_json: bool) -> None:
    """Print lifecycle transitions live, as they happen (Ctrl-C to stop)."""
    import json

    # a stream, not one result: JSON here is one compact object a line, printed as it happens
    for event in app.engine().events():
        if as_json:
            click.echo(json.dumps(event, sort_keys=True))
        else:
            click.echo(
                f"{event['at']}  {event['name']}  {event.get('from') or '-'} -> {event['to']}  ({event['by']})"
            )


def _profile_network(data: dict) -> str | None:
    return (data["resolved_profile"].get("network") or {}).get("mode")
