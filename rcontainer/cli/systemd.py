"""systemd commands: generate, install and uninstall user units; ``run-unit``, what a unit runs."""

from __future__ import annotations

import click

from rcontainer.cli.lifecycle import complete_names
from rcontainer.cli.output import emit_json, warn
from rcontainer.cli.profiles import complete_profiles

PROFILE = click.argument("profile", shell_complete=complete_profiles)


def complete_units(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """Names of installed rcontainer units (rcontainer-NAME.service), then container names."""
    from click.shell_completion import CompletionItem

    from rcontainer import paths

    names: list[str] = []
    try:
        folder = paths.systemd_user_dir()
        names = sorted(
            p.name[len("rcontainer-") : -len(".service")] for p in folder.glob("rcontainer-*.service")
        )
    except OSError:
        pass
    items = [CompletionItem(n) for n in names if n.startswith(incomplete)]
    seen = {i.value for i in items}
    items += [i for i in complete_names(ctx, param, incomplete) if i.value not in seen and i.type == "plain"]
    return items


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
    if result.losses:
        warn(f"{result.filename}: Quadlet cannot express these profile fields:")
        for loss in result.losses:
            click.echo(f"  - {loss.detail}", err=True)


def _emit_result(result) -> None:
    """install's and uninstall's result as JSON."""
    emit_json(
        {"unit": result.unit, "path": str(result.path), "actions": result.actions, "notices": result.notices}
    )


@systemd_group.command()
@PROFILE
@click.option("--enable", is_flag=True, help="Enable the unit: start it with your user manager.")
@click.option("--now", is_flag=True, help="Start it now (with --enable: enable and start).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def install(profile: str, enable: bool, now: bool, as_json: bool) -> None:
    """Write rcontainer-NAME.service to your systemd user folder (and reload, enable, start)."""
    from rcontainer.systemd import install as units

    result = units.install(profile, enable=enable, now=now)
    if as_json:
        _emit_result(result)
    else:
        done = f" ({', '.join(result.actions)})" if result.actions else ""
        click.echo(f"{result.unit}: installed in {result.path}{done}")
    for notice in result.notices:
        warn(notice)


@systemd_group.command()
@click.argument("name", shell_complete=complete_units)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def uninstall(name: str, as_json: bool) -> None:
    """Stop and disable rcontainer-NAME.service (when a user manager runs), remove it, reload."""
    from rcontainer.systemd import install as units

    result = units.uninstall(name)
    if as_json:
        _emit_result(result)
    else:
        click.echo(f"{result.unit}: removed from {result.path.parent}")
    for notice in result.notices:
        warn(notice)


@click.command(name="run-unit", hidden=True)  # what a unit runs; not for users
@PROFILE
@click.pass_context
def run_unit(ctx: click.Context, profile: str) -> None:
    """What a generated unit runs: up, notify systemd when ready, wait; exit with the container's code."""
    from rcontainer.systemd import run_unit as runner

    engine = runner.unit_engine(autostart=getattr(ctx.obj, "autostart", True))
    ctx.call_on_close(lambda: [warn(n) for n in engine.notices])
    code = runner.run_unit(profile, engine=engine, say=lambda text: click.echo(text, err=True))
    ctx.exit(code)


COMMANDS = [systemd_group, run_unit]
