"""Running a process in a container: ``exec`` and ``shell``. The exit status is the process's.

What the options mean is in ``process_options``, and what the commands do in ``actions``: both
shared with the fast path (``fast``), which reads the common forms without click.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from rcontainer.cli import actions, process_options
from rcontainer.cli.app import App
from rcontainer.cli.completers import container_names
from rcontainer.cli.params import NAME


def _process_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options ``exec`` and ``shell`` share: how the process runs."""
    for option in reversed(
        [
            click.option(
                "-i", "--interactive", is_flag=True, help="Pass standard input on even from a terminal."
            ),
            click.option(
                "-t/-T",
                "--tty/--no-tty",
                default=None,
                help="Allocate a terminal (default: when attached to one).",
            ),
            click.option(
                "-u", "--user", metavar="USER", help="Run as USER (NAME, UID, NAME:GROUP or UID:GID)."
            ),
            click.option("-w", "--workdir", metavar="DIR", help="Run in folder DIR of the container."),
            click.option(
                "-e",
                "--env",
                "env",
                multiple=True,
                metavar="NAME=VALUE",
                help="Set a variable (repeatable); NAME alone passes yours on.",
            ),
            click.option(
                "--env-file",
                "env_files",
                multiple=True,
                type=click.Path(dir_okay=False),
                help="Read variables from a file of NAME=VALUE lines (repeatable).",
            ),
        ]
    ):
        f = option(f)
    return f


def _how(**options: Any) -> Any:
    """The ``ExecOptions`` of the options (``process_options.how``); a bad ``-e`` or
    ``--env-file`` is click's usage error, as every bad option is."""
    try:
        return process_options.how(**options)
    except process_options.OptionError as exc:
        raise click.BadParameter(exc.message, param_hint=exc.option) from None


@click.command("exec", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@NAME
@click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED)
@_process_options
@click.pass_obj
def exec_(app: App, name: str, argv: tuple[str, ...], **options: Any) -> None:
    """Run a command in a running container."""
    actions.exec_(app, name, argv, _how(**options))


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("name", required=False, shell_complete=container_names)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--shell",
    "shell_path",
    metavar="SHELL",
    help="The shell to run (default: the profile's shell:, else bash when the container has it, else sh).",
)
@click.option(
    "--image",
    metavar="IMAGE",
    help="A dev shell of IMAGE: its profile is written to the profiles folder (once), brought up, entered.",
)
@click.option(
    "--name", "box", metavar="NAME", help="With --image: the dev shell's name (default: the image's)."
)
@click.option(
    "--home",
    type=click.Choice(["isolated", "shared", "overlay"]),
    default="isolated",
    show_default=True,
    help="With --image: the home policy written to its profile.",
)
@click.option(
    "--runtime", metavar="CLASS", default="default", help="With --image: the runtime class (e.g. bwrap)."
)
@_process_options
@click.pass_obj
def shell(
    app: App,
    name: str | None,
    args: tuple[str, ...],
    shell_path: str | None,
    image: str | None,
    box: str | None,
    home: str,
    runtime: str,
    **options: Any,
) -> None:
    """Open a shell in a container: NAME, or a profile (brought up first when it has no
    container), or with --image a dev shell made for you; a created or stopped one is started.

    ARGS go to the shell: rcontainer shell dev -c 'make test'."""
    if image is None:
        if name is None:
            raise click.UsageError("give a container NAME, a profile, or --image IMAGE")
        if box is not None:
            raise click.UsageError("--name goes with --image")
        actions.shell(app, name, args, _how(**options), shell_path)
        return
    from rcontainer.profile import devshell

    if name is not None:  # with --image, no NAME: every word is the shell's
        args = (name, *args)
    profile, made = devshell.ensure(image, box, home, runtime)
    said = f"wrote the dev shell profile {profile.path}" if made else None
    actions.shell(app, str(profile.path), args, _how(**options), shell_path, profile=profile, said=said)
