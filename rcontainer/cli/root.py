"""The root click group: global options, the root refusal, and commands loaded lazily from
``COMMANDS`` (``rcontainer.cli``). ``run`` turns click's own outcomes (usage errors, ``--help``,
an exit status) into an exit status; ``rcontainer.cli.main`` maps the project's errors.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from rcontainer import __version__
from rcontainer.cli.app import App, CommandExit
from rcontainer.cli.commands import COMMANDS
from rcontainer.errors import ExitStatus, RootRefused

# Commands that read or print files and never run a container: harmless as root.
ROOT_SAFE = frozenset({"validate", "render", "completion", "kube", "import", "doctor", None})


class LazyGroup(click.Group):
    """A group that imports a command's module only when the command is asked for.

    ``rcontainer --help`` asks for every command (for its short help); ``rcontainer ps`` and a
    completion request ask for one.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr = COMMANDS[cmd_name]
        return getattr(importlib.import_module(f"rcontainer.cli.{module}"), attr)


@click.group(
    cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="rcontainer")
@click.option(
    "--no-autostart",
    is_flag=True,
    envvar="RCONTAINER_NO_AUTOSTART",
    help="Fail instead of starting a private Podman service when no socket answers.",
)
@click.option(
    "--allow-root",
    is_flag=True,
    envvar="RCONTAINER_ALLOW_ROOT",
    help="Run as root anyway (rcontainer is a rootless engine; see README).",
)
@click.option(
    "--traceback",
    is_flag=True,
    help="Show Python tracebacks of errors (for developers; also RCONTAINER_DEBUG=1).",
)
@click.pass_context
def cli(ctx: click.Context, no_autostart: bool, allow_root: bool, traceback: bool) -> None:
    """rcontainer: a rootless container engine for developer workstations.

    A YAML profile describes one container; rcontainer runs it on rootless Podman or under
    bubblewrap, and keeps its state and logs in your XDG directories.
    """
    if os.geteuid() == 0 and not allow_root and ctx.invoked_subcommand not in ROOT_SAFE:
        raise RootRefused(
            "rcontainer is a rootless engine and refuses to run as root: containers would run "
            "with root's privileges and root-owned state would land in root's home",
            hint="run it as your own user, or pass --allow-root (RCONTAINER_ALLOW_ROOT=1) if you really mean it",
        )
    app = ctx.obj = App(autostart=not no_autostart)
    ctx.call_on_close(app.close)


def run(args: list[str]) -> int:
    """Run the click command line on ``args``; its exit status."""
    try:
        result = cli.main(args=args, prog_name="rcontainer", standalone_mode=False)
    except click.exceptions.Abort:
        sys.stderr.write("rcontainer: interrupted\n")
        return ExitStatus.INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return ExitStatus.BAD_INPUT if exc.exit_code == 2 else exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except CommandExit as exc:  # App.exit
        return exc.status
    return result if isinstance(result, int) else ExitStatus.OK
