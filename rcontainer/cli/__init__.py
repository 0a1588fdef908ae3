"""The command line: a thin click layer over the core.

Each command parses its arguments, calls one core function and renders the result. The core
never prints and never exits; ``main`` is the one place that maps the project's errors to a
message and an exit status. Heavy modules (podman-py, yaml) are imported inside commands, so
``--help`` and shell completion stay fast.
"""

from __future__ import annotations

import os
import sys

import click

from rcontainer import __version__
from rcontainer.errors import ExitStatus, RcError, RootRefused


class App:
    """What every command shares: global options, and the Podman connection made on demand."""

    def __init__(self, *, autostart: bool, allow_root: bool) -> None:
        self.autostart = autostart
        self.allow_root = allow_root
        self.notices: list[str] = []

    def notice(self, message: str) -> None:
        from rcontainer.cli.output import warn

        warn(message)


pass_app = click.make_pass_decorator(App)

# Commands that read or print files and never run a container: harmless as root.
ROOT_SAFE = frozenset({"validate", "render", "completion", "kube", "import", "doctor", None})


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
    ctx.obj = App(autostart=not no_autostart, allow_root=allow_root)
    if os.geteuid() == 0 and not allow_root and ctx.invoked_subcommand not in ROOT_SAFE:
        raise RootRefused(
            "rcontainer is a rootless engine and refuses to run as root: containers would run "
            "with root's privileges and root-owned state would land in root's home",
            hint="run it as your own user, or pass --allow-root (RCONTAINER_ALLOW_ROOT=1) if you really mean it",
        )


def _register() -> None:
    from rcontainer.cli import completion, doctor, info, kube, lifecycle, profiles, runtimes, systemd

    for module in (info, profiles, lifecycle, runtimes, doctor, completion, systemd, kube):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


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
