"""systemd commands: generate, install and uninstall user units; ``run-unit``, what a unit runs."""

from __future__ import annotations

import click

from rcontainer.cli.app import App
from rcontainer.cli.completers import unit_names
from rcontainer.cli.output import warn
from rcontainer.cli.params import JSON, PROFILE, PROJECT


@click.group(name="systemd")
def systemd_group() -> None:
    """Run a profile's container as a systemd user service."""


@systemd_group.command()
@PROFILE
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["unit", "quadlet"]),
    default="unit",
    show_default=True,
    help="unit: a .service running rcontainer; quadlet: a Podman 4.4+ .container file.",
)
@PROJECT
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False),
    help="A project FOLDER: write its units into this folder instead of printing them.",
)
def generate(profile: str, fmt: str, project: str | None, output: str | None) -> None:
    """Print the user unit of a profile (Quadlet: what it cannot express goes to stderr).

    A project FOLDER gives one unit per profile, one that makes the project's network, and
    rcontainer-PROJECT.target, which starts them in dependency order: printed one after the
    other (each starts with a comment naming its file), or written into --output."""
    from rcontainer.errors import BadInput
    from rcontainer.systemd import install as units

    if units.is_project(profile):
        if fmt != "unit":
            raise BadInput("a project FOLDER has units only (--format unit)")
        generated = units.generate_project(profile, project)
        if output:
            from pathlib import Path

            folder = Path(output)
            folder.mkdir(parents=True, exist_ok=True)
            for g in generated:
                (folder / g.filename).write_text(g.text, encoding="utf-8")
                click.echo(str(folder / g.filename))
        else:
            click.echo("\n".join(g.text for g in generated), nl=False)
        for g in generated:
            for loss in g.losses:
                click.echo(str(loss), err=True)
        return
    if project or output:
        raise BadInput("-p/--project and --output go with a project FOLDER")
    result = units.generate(profile, fmt)
    click.echo(result.text, nl=False)
    if fmt == "quadlet" and (too_old := units.quadlet_warning()):
        warn(f"warning: {too_old}")
    if result.losses:
        warn(f"{result.filename}: Quadlet cannot express these profile fields:")
        for loss in result.losses:
            click.echo(f"  - {loss.detail}", err=True)


def _unit_change(result) -> dict:
    """install's and uninstall's result as data."""
    return {
        "unit": result.unit,
        "path": str(result.path),
        "actions": result.actions,
        "notices": result.notices,
    }


@systemd_group.command()
@PROFILE
@click.option("--enable", is_flag=True, help="Enable the unit: start it with your user manager.")
@click.option("--now", is_flag=True, help="Start it now (with --enable: enable and start).")
@PROJECT
@JSON
@click.pass_obj
def install(app: App, profile: str, enable: bool, now: bool, project: str | None, as_json: bool) -> None:
    """Write rcontainer-PROJECT.NAME.service to your systemd user folder (and reload, enable, start).

    A project FOLDER writes its units and rcontainer-PROJECT.target, which --enable and --now
    act on. With --enable or --now and no systemd user manager running, the units are written
    and the command exits 1: nothing was enabled or started."""
    from rcontainer.errors import BadInput, OperationFailed
    from rcontainer.systemd import install as units

    if project and not units.is_project(profile):
        raise BadInput("-p/--project goes with a project FOLDER")
    result = units.install(profile, enable=enable, now=now, project=project)
    done = f" ({', '.join(result.actions)})" if result.actions else ""
    app.notices += result.notices  # before emit: with --json they are in the result, not on stderr
    app.emit(_unit_change(result), as_json, lambda _: f"{result.unit}: installed in {result.path}{done}")
    if (enable or now) and not result.actions:
        # the unit is written, but what was asked for did not happen: not a success
        asked = " and ".join(w for w, on in (("enabled", enable), ("started", now)) if on)
        raise OperationFailed(
            f"{result.unit} is installed but not {asked}: no systemd user manager is running here",
            hint=f"run the systemctl commands {'in the JSON notices' if as_json else 'above'} once one runs "
            "(log in, or: sudo loginctl enable-linger $USER)",
        )


@systemd_group.command()
@click.argument("name", required=False, metavar="[NAME|FOLDER]", shell_complete=unit_names)
@PROJECT
@JSON
@click.pass_obj
def uninstall(app: App, name: str | None, project: str | None, as_json: bool) -> None:
    """Stop and disable a unit (when a user manager runs), remove it, reload.

    NAME or PROJECT/NAME: its container's unit; a project FOLDER, or -p PROJECT alone: the
    project's target and every unit of it."""
    from rcontainer.systemd import install as units

    result = units.uninstall(name or "", project=project)
    app.notices += result.notices
    app.emit(_unit_change(result), as_json, lambda _: f"{result.unit}: removed from {result.path.parent}")


@systemd_group.command(name="network", hidden=True)  # what a project's network unit runs
@click.argument("action", type=click.Choice(["up", "down"]))
@click.argument("project")
@click.pass_obj
def network(app: App, action: str, project: str) -> None:
    """Make a project's network (up), or remove it once no container uses it (down)."""
    engine = app.engine()
    engine.project_network(project, remove=action == "down")


@click.command(name="run-unit", hidden=True)  # what a unit runs; not for users
@PROFILE
@click.option("-p", "--project", metavar="PROJECT", help="Its project, when not its folder's.")
@click.option("--in-project", is_flag=True, help="Up as a member of its project (its network).")
@click.pass_obj
def run_unit(app: App, profile: str, project: str | None, in_project: bool) -> None:
    """What a generated unit runs: up, notify systemd when ready, wait; exit with the container's code."""
    from rcontainer.systemd import run_unit as runner

    engine = app.adopt(runner.unit_engine(autostart=app.autostart))
    say = lambda text: click.echo(text, err=True)  # noqa: E731
    app.exit(runner.run_unit(profile, engine=engine, say=say, project=project, in_project=in_project))
