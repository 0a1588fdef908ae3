"""Commands that move a container through its lifecycle: ``up``, ``create``, ``start``, ``stop``,
``restart``, ``kill``, ``pause``, ``unpause``, ``rm``, ``down``."""

from __future__ import annotations

import click

from rcontainer.cli.app import App
from rcontainer.cli.params import JSON, NAME, PRIVILEGED, PROFILE, QUIET

# what ``up`` did, in words
UP_DONE = {
    "create": "created and started",
    "recreate": "recreated and started",
    "start": "started",
    "unpause": "unpaused",
    "none": "up to date",
}


def done_text(name: str, verb: str, state: str) -> str:
    """``app: started (running)``; the state is not repeated when the verb says it (``app: stopped``)."""
    return f"{name}: {verb}" if verb == state else f"{name}: {verb} ({state})"


def _done(app: App, rec, as_json: bool, verb: str) -> None:
    """Every transition's result: the container's name and the state it is in now."""
    app.emit(
        {"name": rec.name, "state": rec.state}, as_json, lambda d: done_text(d["name"], verb, d["state"])
    )


@click.command()
@PROFILE
@click.option("--force-recreate", is_flag=True, help="Recreate even when nothing changed.")
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@PRIVILEGED
@QUIET
@JSON
@click.pass_obj
def up(
    app: App,
    profile: str,
    force_recreate: bool,
    dry_run: bool,
    allow_privileged: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Pull or build if needed, create and start: idempotent, recreates when the profile changed."""
    plan = app.engine(progress=not quiet).up(
        profile, force_recreate=force_recreate, dry_run=dry_run, allow_privileged=allow_privileged
    )

    def text(_: object) -> str:
        if dry_run:
            lines = [
                f"{plan.name}: would {plan.action if plan.action != 'none' else 'do nothing'}"
                f" ({'; '.join(plan.reasons) or 'profile changed'})"
            ]
        else:
            lines = [f"{plan.name}: {UP_DONE[plan.action]} (runtime {plan.runtime})"]
        if plan.changed:
            lines.append(f"  changed: {', '.join(plan.changed)}")
        return "\n".join(lines)

    app.emit(plan.as_dict(), as_json, text)


@click.command()
@PROFILE
@PRIVILEGED
@JSON
@click.pass_obj
def create(app: App, profile: str, allow_privileged: bool, as_json: bool) -> None:
    """Create a container from a profile without starting it."""
    _done(app, app.engine().create(profile, allow_privileged=allow_privileged), as_json, "created")


def _simple(op: str, verb: str, doc: str) -> click.Command:
    """A command that takes a container name and does one transition, with no options."""

    @click.command(name=op, help=doc)
    @NAME
    @JSON
    @click.pass_obj
    def command(app: App, name: str, as_json: bool) -> None:
        _done(app, getattr(app.engine(), op)(name), as_json, verb)

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
@click.pass_obj
def stop(app: App, name: str, timeout: int | None, as_json: bool) -> None:
    """Stop a running container: its stop signal, then SIGKILL after the timeout."""
    _done(app, app.engine().stop(name, timeout), as_json, "stopped")


@click.command()
@NAME
@click.option("-t", "--timeout", type=click.IntRange(0), help="Seconds before SIGKILL when stopping.")
@JSON
@click.pass_obj
def restart(app: App, name: str, timeout: int | None, as_json: bool) -> None:
    """Stop (if running) and start again."""
    _done(app, app.engine().restart(name, timeout), as_json, "restarted")


def _signal_name(sig: str) -> str:
    """``TERM``, ``sigterm``, ``15`` -> ``SIGTERM``; a usage error for anything else."""
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
    return norm


@click.command()
@NAME
@click.option("-s", "--signal", "sig", default="SIGKILL", show_default=True, help="Signal name or number.")
@JSON
@click.pass_obj
def kill(app: App, name: str, sig: str, as_json: bool) -> None:
    """Send a signal to the container's main process."""
    norm = _signal_name(sig)
    _done(app, app.engine().kill(name, norm), as_json, f"sent {norm}")


@click.command()
@NAME
@click.option("-f", "--force", is_flag=True, help="Remove even when running or paused.")
@JSON
@click.pass_obj
def rm(app: App, name: str, force: bool, as_json: bool) -> None:
    """Remove a container (its record and logs stay for history and logs)."""
    _done(app, app.engine().rm(name, force=force), as_json, "removed")


@click.command()
@NAME
@click.option("-t", "--timeout", type=click.IntRange(0), help="Seconds before SIGKILL when stopping.")
@JSON
@click.pass_obj
def down(app: App, name: str, timeout: int | None, as_json: bool) -> None:
    """Stop and remove a container."""
    _done(app, app.engine().down(name, timeout), as_json, "down")
