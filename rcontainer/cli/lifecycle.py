"""Lifecycle, image and looking commands: thin wrappers over ``rcontainer.engine.core.Engine``."""

from __future__ import annotations

import sys

import click

from rcontainer.cli.output import emit_json, key_values, table, warn
from rcontainer.cli.profiles import complete_profiles


def complete_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """Container names from the records (no Podman call, no heavy import), then profile files."""
    from click.shell_completion import CompletionItem

    from rcontainer.engine import store as state

    try:
        names = state.names()
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        names = []
    items = [CompletionItem(n) for n in names if n.startswith(incomplete)]
    if "/" in incomplete or incomplete.startswith("."):
        items.append(CompletionItem(incomplete, type="file"))
    return items


def _engine(ctx: click.Context, *, quiet: bool = True):
    from rcontainer.engine.core import Engine

    app = ctx.obj
    progress = None
    if not quiet:

        def progress(layer: str, text: str) -> None:
            click.echo(f"  {text}", err=True)

    engine = Engine(autostart=getattr(app, "autostart", True), progress=progress)
    ctx.call_on_close(lambda: [warn(n) for n in engine.notices])
    return engine


def _show_progress(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


NAME = click.argument("name", shell_complete=complete_names)
PROFILE = click.argument("profile", shell_complete=complete_profiles)
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
PRIVILEGED = click.option(
    "--allow-privileged", is_flag=True, help="Confirm a profile that asks for privileged: true."
)


def _done(rec, as_json: bool, verb: str) -> None:
    if as_json:
        emit_json({"name": rec.name, "state": rec.state})
    else:
        click.echo(f"{rec.name}: {verb} ({rec.state})")


# -- images -----------------------------------------------------------------------------------
@click.command()
@click.argument("ref", metavar="PROFILE|IMAGE", shell_complete=complete_profiles)
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
@JSON
@click.pass_context
def pull(ctx: click.Context, ref: str, quiet: bool, as_json: bool) -> None:
    """Pull an image, or a profile's image, through the Podman socket."""
    info = _engine(ctx, quiet=not _show_progress(quiet)).pull(ref)
    if as_json:
        emit_json(info)
    else:
        click.echo(
            f"{info['reference']}: {info['id'][:12]} digest {info['digest']} ({info['layers']} layers)"
        )


@click.command()
@PROFILE
@click.option("-q", "--quiet", is_flag=True, help="No build output.")
@JSON
@click.pass_context
def build(ctx: click.Context, profile: str, quiet: bool, as_json: bool) -> None:
    """Build a profile's image from its build section."""
    info = _engine(ctx, quiet=not _show_progress(quiet)).build(profile)
    if as_json:
        emit_json(info)
    else:
        click.echo(f"{info['reference']}: {info['id'][:12]} ({info['layers']} layers)")


@click.command()
@click.option(
    "--prune", is_flag=True, help="Remove unpacked root filesystems no container uses (bwrap cache)."
)
@JSON
@click.pass_context
def images(ctx: click.Context, prune: bool, as_json: bool) -> None:
    """List images with their digest, layer count and size (images are immutable)."""
    if prune:
        result = _engine(ctx).prune()
        if as_json:
            emit_json(result)
        else:
            click.echo(f"freed {_size(result['freed_bytes'])} of unpacked root filesystems")
        return
    rows = _engine(ctx).images()
    if as_json:
        emit_json(rows)
        return
    click.echo(
        table(
            [
                (
                    ", ".join(r["tags"]) or "<none>",
                    r["id"][:12],
                    (r["digest"] or "")[:19],
                    r["layers"],
                    _size(r["size"]),
                )
                for r in rows
            ],
            ["IMAGE", "ID", "DIGEST", "LAYERS", "SIZE"],
        )
    )


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


# -- lifecycle --------------------------------------------------------------------------------
@click.command()
@PROFILE
@click.option("--force-recreate", is_flag=True, help="Recreate even when nothing changed.")
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@PRIVILEGED
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
@JSON
@click.pass_context
def up(
    ctx: click.Context,
    profile: str,
    force_recreate: bool,
    dry_run: bool,
    allow_privileged: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Pull or build if needed, create and start: idempotent, recreates when the profile changed."""
    plan = _engine(ctx, quiet=not _show_progress(quiet)).up(
        profile, force_recreate=force_recreate, dry_run=dry_run, allow_privileged=allow_privileged
    )
    if as_json:
        emit_json(plan.as_dict())
        return
    verb = {
        "create": "created and started",
        "recreate": "recreated and started",
        "start": "started",
        "unpause": "unpaused",
        "none": "up to date",
    }[plan.action]
    if dry_run:
        click.echo(
            f"{plan.name}: would {plan.action if plan.action != 'none' else 'do nothing'}"
            f" ({'; '.join(plan.reasons) or 'profile changed'})"
        )
    else:
        click.echo(f"{plan.name}: {verb} (runtime {plan.runtime})")
    if plan.changed:
        click.echo(f"  changed: {', '.join(plan.changed)}")


@click.command()
@PROFILE
@PRIVILEGED
@JSON
@click.pass_context
def create(ctx: click.Context, profile: str, allow_privileged: bool, as_json: bool) -> None:
    """Create a container from a profile without starting it."""
    _done(_engine(ctx).create(profile, allow_privileged=allow_privileged), as_json, "created")


def _simple(op: str, verb: str, doc: str):
    @click.command(name=op, help=doc)
    @NAME
    @JSON
    @click.pass_context
    def command(ctx: click.Context, name: str, as_json: bool) -> None:
        _done(getattr(_engine(ctx), op)(name), as_json, verb)

    return command


start = _simple("start", "started", "Start a created or stopped container.")
pause = _simple("pause", "paused", "Freeze every process of a running container.")
unpause = _simple("unpause", "unpaused", "Resume a paused container.")


@click.command()
@NAME
@click.option(
    "-t", "--timeout", type=click.IntRange(0), help="Seconds before SIGKILL (default: stop_timeout)."
)
@JSON
@click.pass_context
def stop(ctx: click.Context, name: str, timeout: int | None, as_json: bool) -> None:
    """Stop a running container: its stop signal, then SIGKILL after the timeout."""
    _done(_engine(ctx).stop(name, timeout), as_json, "stopped")


@click.command()
@NAME
@click.option("-t", "--timeout", type=click.IntRange(0), help="Seconds before SIGKILL when stopping.")
@JSON
@click.pass_context
def restart(ctx: click.Context, name: str, timeout: int | None, as_json: bool) -> None:
    """Stop (if running) and start again."""
    _done(_engine(ctx).restart(name, timeout), as_json, "restarted")


@click.command()
@NAME
@click.option("-s", "--signal", "sig", default="SIGKILL", show_default=True, help="Signal name or number.")
@JSON
@click.pass_context
def kill(ctx: click.Context, name: str, sig: str, as_json: bool) -> None:
    """Send a signal to the container's main process."""
    import signal as signals

    norm = sig.upper()
    if norm.isdigit():
        try:
            norm = signals.Signals(int(norm)).name
        except ValueError:
            raise click.BadParameter(f"{sig!r} is not a signal number", param_hint="--signal") from None
    elif not norm.startswith("SIG"):
        norm = "SIG" + norm
    if norm not in signals.Signals.__members__:
        raise click.BadParameter(
            f"{sig!r}: expected a signal name like TERM, SIGHUP or a number", param_hint="--signal"
        )
    _done(_engine(ctx).kill(name, norm), as_json, f"sent {norm}")


@click.command()
@NAME
@click.option("-f", "--force", is_flag=True, help="Remove even when running or paused.")
@JSON
@click.pass_context
def rm(ctx: click.Context, name: str, force: bool, as_json: bool) -> None:
    """Remove a container (its record and logs stay for history and logs)."""
    _done(_engine(ctx).rm(name, force=force), as_json, "removed")


@click.command()
@NAME
@click.option("-t", "--timeout", type=click.IntRange(0), help="Seconds before SIGKILL when stopping.")
@JSON
@click.pass_context
def down(ctx: click.Context, name: str, timeout: int | None, as_json: bool) -> None:
    """Stop and remove a container."""
    _done(_engine(ctx).down(name, timeout), as_json, "down")


# -- looking ----------------------------------------------------------------------------------
@click.command()
@click.option("-a", "--all", "show_all", is_flag=True, help="Include removed containers (their records).")
@JSON
@click.pass_context
def ps(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """List rcontainer's containers with state, runtime class, profile, ports and uptime."""
    rows = _engine(ctx).ps(all=show_all)
    if as_json:
        emit_json(rows)
        return
    click.echo(
        table(
            [
                (
                    r["name"],
                    r["state"] + (f" ({r['exit_code']})" if r.get("exit_code") is not None else ""),
                    r["runtime"],
                    ", ".join(r["ports"]),
                    _uptime(r["uptime_seconds"]),
                    r["id"],
                    r["profile"],
                )
                for r in rows
            ],
            ["NAME", "STATE", "RUNTIME", "PORTS", "UPTIME", "ID", "PROFILE"],
        )
    )


def _uptime(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    if s < 120:
        return f"{s}s"
    if s < 7200:
        return f"{s // 60}m"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def _profile_network(data: dict) -> str | None:
    return (data["resolved_profile"].get("network") or {}).get("mode")


@click.command()
@NAME
@JSON
@click.pass_context
def inspect(ctx: click.Context, name: str, as_json: bool) -> None:
    """Show everything known about a container, including its pause method and security settings."""
    data = _engine(ctx).inspect(name)
    if as_json:
        emit_json(data)
        return
    sec = data["security"]
    click.echo(
        key_values(
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
                # what Podman made of network: private (slirp4netns, pasta), else the profile's mode
                ("network", data["runtime_details"].get("network") or _profile_network(data)),
                ("ports", ", ".join(data["ports"])),
                ("no_new_privileges", sec["no_new_privileges"]),
                ("privileged", sec["privileged"]),
                ("capabilities", f"add {sec['cap_add'] or '-'}, drop {sec['cap_drop'] or '-'}"),
                ("log file", data["log_path"]),
                ("transitions", len(data["transitions"])),
            ]
        )
    )


@click.command()
@NAME
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines while the container runs.")
@click.option("--since", help="Only lines newer than a duration (10s, 5m, 2h) or timestamp.")
@click.option("--tail", type=click.IntRange(0), help="Only the last N lines.")
@click.option("-t", "--timestamps", is_flag=True, help="Prefix each line with its time.")
@click.pass_context
def logs(
    ctx: click.Context, name: str, follow: bool, since: str | None, tail: int | None, timestamps: bool
) -> None:
    """Print a container's output; works after the container is removed."""
    from rcontainer import logs as logmod

    engine = _engine(ctx)
    path, rec = engine.log_path(name)
    since_dt = logmod.parse_since(since) if since else None
    if follow:
        lines = logmod.follow(path, since=since_dt, tail=tail, keep_going=lambda: engine.is_active(rec))
    else:
        lines = logmod.read(path, since=since_dt, tail=tail)
    for line in lines:
        prefix = line.time.isoformat(timespec="milliseconds") + " " if timestamps else ""
        stream = sys.stderr if line.stream == "stderr" else sys.stdout
        stream.write(prefix + line.text + "\n")
        stream.flush()


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@NAME
@click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("-e", "--env", "env", multiple=True, help="KEY=VALUE for the process.")
@click.option(
    "-t/-T", "--tty/--no-tty", default=None, help="Allocate a terminal (default: when attached to one)."
)
@click.pass_context
def exec_(
    ctx: click.Context, name: str, argv: tuple[str, ...], env: tuple[str, ...], tty: bool | None
) -> int:
    """Run a command in a running container."""
    tty = sys.stdin.isatty() and sys.stdout.isatty() if tty is None else tty
    env_map = {}
    for item in env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="--env")
        env_map[key] = value
    ctx.exit(_engine(ctx).exec(name, list(argv), tty=tty, env=env_map))


exec_.name = "exec"


@click.command()
@NAME
@click.option("--shell", "shell_path", default="/bin/sh", show_default=True, help="The shell to run.")
@click.pass_context
def shell(ctx: click.Context, name: str, shell_path: str) -> None:
    """Open an interactive shell in a running container."""
    tty = sys.stdin.isatty() and sys.stdout.isatty()
    ctx.exit(_engine(ctx).exec(name, [shell_path], tty=tty))


@click.command()
@NAME
@click.option("--timeout", type=click.FloatRange(0), help="Give up after this many seconds (exit 1).")
@click.pass_context
def wait(ctx: click.Context, name: str, timeout: float | None) -> None:
    """Wait for a container to stop; print its exit code."""
    code = _engine(ctx).wait(name, timeout)
    if code is None:
        warn(f"{name}: still running after {timeout}s")
        ctx.exit(1)
    click.echo(code)


@click.command()
@NAME
@JSON
@click.pass_context
def history(ctx: click.Context, name: str, as_json: bool) -> None:
    """Every lifecycle transition of a container, including ones made outside rcontainer."""
    rows = _engine(ctx).history(name)
    if as_json:
        emit_json(rows)
        return
    click.echo(
        table(
            [(t["at"], t.get("from") or "-", t["to"], t["by"], t.get("note", "")) for t in rows],
            ["TIME", "FROM", "TO", "BY", "NOTE"],
        )
    )


@click.command()
@JSON
@click.pass_context
def events(ctx: click.Context, as_json: bool) -> None:
    """Print lifecycle transitions live, as they happen (Ctrl-C to stop)."""
    import json

    for event in _engine(ctx).events():
        if as_json:
            click.echo(json.dumps(event, sort_keys=True))
        else:
            click.echo(
                f"{event['at']}  {event['name']}  {event.get('from') or '-'} -> {event['to']}  ({event['by']})"
            )


COMMANDS = [
    pull,
    build,
    images,
    up,
    down,
    create,
    start,
    stop,
    restart,
    pause,
    unpause,
    kill,
    rm,
    ps,
    inspect,
    logs,
    exec_,
    shell,
    wait,
    history,
    events,
]
