"""Running a process in a container: ``exec`` and ``shell``. The exit status is the process's."""

from __future__ import annotations

import sys

import click

from rcontainer.cli.app import App
from rcontainer.cli.params import NAME


def _attached() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


@click.command("exec", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@NAME
@click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("-e", "--env", "env", multiple=True, help="KEY=VALUE for the process.")
@click.option(
    "-t/-T", "--tty/--no-tty", default=None, help="Allocate a terminal (default: when attached to one)."
)
@click.pass_obj
def exec_(app: App, name: str, argv: tuple[str, ...], env: tuple[str, ...], tty: bool | None) -> None:
    """Run a command in a running container."""
    tty = _attached() if tty is None else tty
    env_map = {}
    for item in env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="--env")
        env_map[key] = value
    app.exit(app.engine().exec(name, list(argv), tty=tty, env=env_map))


@click.command()
@NAME
@click.option("--shell", "shell_path", default="/bin/sh", show_default=True, help="The shell to run.")
@click.pass_obj
def shell(app: App, name: str, shell_path: str) -> None:
    """Open an interactive shell in a running container."""
    app.exit(app.engine().exec(name, [shell_path], tty=_attached()))
