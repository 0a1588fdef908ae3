"""The command line: a thin click layer over the core.

Each command parses its arguments, calls one core function and renders the result through
``App.emit`` (text, or JSON with ``--json``). The core never prints and never exits; ``main`` is
the one place that maps the project's errors to a message and an exit status.

Commands live in modules by topic (``images``, ``containers``, ``looking``, ``exec``, ...), listed
in ``COMMANDS``. The root group imports a command's module only when that command runs or is
completed: ``rcontainer ps``, or completing its arguments, loads one command module (``--help``,
which shows every command's short help, loads them all). Heavy modules (podman-py, yaml) are
imported inside the command functions, so ``--help`` and shell completion stay fast.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from rcontainer import __version__
from rcontainer.cli.app import App
from rcontainer.errors import ExitStatus, RcError, RootRefused

# command name -> (module under rcontainer.cli, the click command's name in it)
COMMANDS: dict[str, tuple[str, str]] = {
    "pull": ("images", "pull"),
    "build": ("images", "build"),
    "images": ("images", "images"),
    "up": ("containers", "up"),
    "down": ("containers", "down"),
    "create": ("containers", "create"),
    "start": ("containers", "start"),
    "stop": ("containers", "stop"),
    "restart": ("containers", "restart"),
    "kill": ("containers", "kill"),
    "pause": ("containers", "pause"),
    "unpause": ("containers", "unpause"),
    "rm": ("containers", "rm"),
    "prune": ("containers", "prune"),
    "ps": ("looking", "ps"),
    "inspect": ("looking", "inspect"),
    "history": ("looking", "history"),
    "logs": ("looking", "logs"),
    "wait": ("looking", "wait"),
    "events": ("looking", "events"),
    "exec": ("exec", "exec_"),
    "shell": ("exec", "shell"),
    "validate": ("profiles", "validate"),
    "render": ("profiles", "render"),
    "runtimes": ("runtimes", "runtimes_cmd"),
    "doctor": ("doctor", "doctor"),
    "info": ("info", "info"),
    "systemd": ("systemd", "systemd_group"),
    "run-unit": ("systemd", "run_unit"),
    "volumes": ("volumes", "volumes_group"),
    "kube": ("kube", "kube_group"),
    "import": ("compose", "import_cmd"),
    "completion": ("completion", "completion"),
}

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
        return getattr(importlib.import_module(f"{__name__}.{module}"), attr)


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


def _debug(argv: list[str]) -> bool:
    return "--traceback" in argv or os.environ.get("RCONTAINER_DEBUG", "") not in ("", "0")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and map every expected failure to a message and exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _debug(args)
    try:
        result = cli.main(args=args, prog_name="rcontainer", standalone_mode=False)
    except click.exceptions.Abort:
        sys.stderr.write("rcontainer: interrupted\n")
        sys.exit(ExitStatus.INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitStatus.BAD_INPUT if exc.exit_code == 2 else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except RcError as exc:
        if debug:
            raise
        sys.stderr.write(f"rcontainer: error: {exc.message}\n")
        if exc.hint:
            sys.stderr.write(f"rcontainer: hint: {exc.hint}\n")
        sys.exit(exc.status)
    except KeyboardInterrupt:
        if debug:
            raise
        sys.stderr.write("rcontainer: interrupted\n")
        sys.exit(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        # `rcontainer ps | head`: the reader went away; not an error worth a message.
        sys.stderr.close()
        sys.exit(ExitStatus.OK)
    sys.exit(result if isinstance(result, int) else ExitStatus.OK)
