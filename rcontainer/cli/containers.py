"""Commands that move a container through its lifecycle: ``up``, ``create``, ``start``, ``stop``,
``restart``, ``kill``, ``pause``, ``unpause``, ``rm``, ``down``; and ``prune``, which forgets
removed ones."""

from __future__ import annotations

from typing import Any

import click

from rcontainer.cli import actions
from rcontainer.cli.actions import done_text, each
from rcontainer.cli.app import App
from rcontainer.cli.completers import paused_names, profile_names, running_names, startable_names
from rcontainer.cli.output import plural
from rcontainer.cli.params import JSON, NAMES, PRIVILEGED, PROFILE, PROJECT, QUIET, TARGET, TARGETS


def _done(app: App, rec, as_json: bool, verb: str) -> None:
    """Every transition's result: the container's name and the state it is in now."""
    app.emit(
        {"name": rec.name, "project": rec.project, "state": rec.state},
        as_json,
        lambda d: done_text(d["name"], verb, d["state"]),
    )


@click.command()
@click.argument("profile", metavar="PROFILE|FOLDER", shell_complete=profile_names)
@click.argument("names", nargs=-1, metavar="[NAME]...")
@PROJECT
@click.option(
    "--wait-timeout",
    type=click.FloatRange(0),
    help="Seconds a dependant waits for each dependency's condition (default: 120, or what its healthcheck needs).",
)
@click.option("--force-recreate", is_flag=True, help="Recreate even when nothing changed.")
@click.option("--force", is_flag=True, help="Replace a container that another profile file made.")
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@PRIVILEGED
@QUIET
@JSON
@click.pass_obj
def up(app: App, **params: Any) -> None:
    """Pull or build if needed, create and start: idempotent, recreates when the profile changed.

    A FOLDER brings up every profile in it (or the NAMEs given, with what they depend on) as one
    project, named after the folder: in parallel, each once its dependencies are ready."""
    actions.up(app, **params)


@click.command()
@PROFILE
@PRIVILEGED
@JSON
@click.pass_obj
def create(app: App, profile: str, allow_privileged: bool, as_json: bool) -> None:
    """Create a container from a profile without starting it."""
    _done(app, app.engine().create(profile, allow_privileged=allow_privileged), as_json, "created")


def _simple(op: str, verb: str, doc: str, names=NAMES) -> click.Command:
    """A command that takes container names and does one transition to each, with no options."""

    @click.command(name=op, help=doc)
    @names
    @JSON
    @click.pass_obj
    def command(app: App, names: tuple[str, ...], as_json: bool) -> None:
        each(app, names, as_json, verb, getattr(app.engine(), op))

    return command


def _names(completer) -> click.Command:
    return click.argument("names", nargs=-1, required=True, metavar="NAME...", shell_complete=completer)


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME|FOLDER]...", shell_complete=startable_names)
@PROJECT
@JSON
@click.pass_obj
def start(app: App, **params: Any) -> None:
    """Start created or stopped containers (a running one is left as it is), or every container
    of a project (its FOLDER, or -p PROJECT alone) in dependency order."""
    actions.start(app, **params)


pause = _simple("pause", "paused", "Freeze every process of running containers.", _names(running_names))
unpause = _simple("unpause", "unpaused", "Resume paused containers.", _names(paused_names))


@click.command()
@TARGETS
@PROJECT
@click.option(
    "-t", "--timeout", type=click.IntRange(0), help="Seconds before SIGKILL (default: stop_timeout)."
)
@JSON
@click.pass_obj
def stop(app: App, **params: Any) -> None:
    """Stop running containers: the stop signal, then SIGKILL after the timeout (a stopped one
    is left as it is); a project's (its FOLDER, or -p PROJECT alone) dependants first."""
    actions.stop(app, **params)


@click.command()
@TARGET
@PROJECT
@click.option("-t", "--timeout", type=click.IntRange(0), help="Seconds before SIGKILL when stopping.")
@JSON
@click.pass_obj
def restart(app: App, name: str | None, project: str | None, timeout: int | None, as_json: bool) -> None:
    """Stop (if running) and start again; a project's containers one after another."""
    actions.targets(app, (name,) if name else (), project, as_json, "restarted", "restart", timeout=timeout)


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
@NAMES
@click.option("-s", "--signal", "sig", default="SIGKILL", show_default=True, help="Signal name or number.")
@JSON
@click.pass_obj
def kill(app: App, names: tuple[str, ...], sig: str, as_json: bool) -> None:
    """Send a signal to the containers' main processes."""
    norm = _signal_name(sig)
    each(app, names, as_json, f"sent {norm}", lambda name: app.engine().kill(name, norm))


@click.command()
@NAMES
@click.option("-f", "--force", is_flag=True, help="Remove even when running or paused.")
@click.option("--purge", is_flag=True, help="Also forget it: its record (history) and its logs.")
@click.option("--keep-logs", is_flag=True, help="With --purge: keep the logs.")
@JSON
@click.pass_obj
def rm(app: App, **params: Any) -> None:
    """Remove containers (their records and logs stay for history and logs, unless --purge)."""
    actions.rm(app, **params)


@click.command()
@TARGETS
@PROJECT
@click.option("-t", "--timeout", type=click.IntRange(0), help="Seconds before SIGKILL when stopping.")
@JSON
@click.pass_obj
def down(app: App, **params: Any) -> None:
    """Stop and remove containers, or every container of a project (its FOLDER, or -p PROJECT
    alone), dependants first."""
    actions.down(app, **params)


@click.command()
@click.option("--keep-logs", is_flag=True, help="Keep the logs of the containers forgotten.")
@JSON
@click.pass_obj
def prune(app: App, keep_logs: bool, as_json: bool) -> None:
    """Forget every removed container: their records (ps -a, history) and their logs."""
    names = app.engine().prune_records(keep_logs=keep_logs)
    app.emit(
        {"forgotten": names},
        as_json,
        lambda _: (
            f"forgot {plural(len(names), 'removed container')}" + (f": {', '.join(names)}" if names else "")
        ),
    )
