"""systemd commands: generate, install and uninstall user units; ``run-unit``, what a unit runs."""

from __future__ import annotations

import click

from rcontainer.cli.app import App
from rcontainer.cli.completers import unit_names
from rcontainer.cli.output import warn
from rcontainer.cli.params import JSON, PROFILE


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
def generate(profile: str, fmt: str) -> None:
    """Print the user unit of a profile (Quadlet: what it cannot express goes to stderr)."""
    from rcontainer.systemd import install as units

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
@JSON
@click.pass_obj
def install(app: App, profile: str, enable: bool, now: bool, as_json: bool) -> None:
    """Write rcontainer-NAME.service to your systemd user folder (and reload, enable, start).

    With --enable or --now and no systemd user manager running, the unit is written and the
    command exits 1: nothing was enabled or started."""
    from rcontainer.errors import OperationFailed
    from rcontainer.systemd import install as units

    result = units.install(profile, enable=enable, now=now)
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
@click.argument("name", shell_complete=unit_names)
@JSON
@click.pass_obj
def uninstall(app: App, name: str, as_json: bool) -> None:
    """Stop and disable rcontainer-NAME.service (when a user manager runs), remove it, reload."""
    from rcontainer.systemd import install as units

    result = units.uninstall(name)
    app.notices += result.notices
    app.emit(_unit_change(result), as_json, lambda _: f"{result.unit}: removed from {result.path.parent}")


@click.command(name="run-unit", hidden=True)  # what a unit runs; not for users
@PROFILE
@click.pass_obj
def run_unit(app: App, profile: str) -> None:
    """What a generated unit runs: up, notify systemd when ready, wait; exit with the container's code."""
    from rcontainer.systemd import run_unit as runner

    engine = app.adopt(runner.unit_engine(autostart=app.autostart))
    app.exit(runner.run_unit(profile, engine=engine, say=lambda text: click.echo(text, err=True)))
