"""Shell completion: the scripts for bash, zsh and fish.

The scripts are click's own (``click.shell_completion``) for the program ``rcontainer``: each
asks ``rcontainer`` itself for candidates, with ``_RCONTAINER_COMPLETE=<shell>_complete`` in its
environment. The candidates come from ``rcontainer.cli.completers``; the root group loads only
the module of the command being completed, and no command module imports podman-py or yaml at
import time, so a completion request stays a bare interpreter start.

The shipped copies in ``completions/`` are regenerated with::

    python -m rcontainer completion --write completions/
"""

from __future__ import annotations

from pathlib import Path

import click

PROG = "rcontainer"
COMPLETE_VAR = "_RCONTAINER_COMPLETE"
# shell -> file name a user (or a package) installs it under
FILES = {"bash": "rcontainer.bash", "zsh": "_rcontainer", "fish": "rcontainer.fish"}
SHELLS = tuple(FILES)


def script(shell: str, group: click.Command) -> str:
    """The completion script of ``group`` (the root ``rcontainer`` group) for ``shell``."""
    from click.shell_completion import get_completion_class

    from rcontainer.errors import BadInput

    cls = get_completion_class(shell)
    if cls is None or shell not in FILES:
        raise BadInput(f"no completion for shell {shell!r}: expected {', '.join(SHELLS)}")
    text = cls(group, {}, PROG, COMPLETE_VAR).source()
    return text if text.endswith("\n") else text + "\n"


def write(folder: Path, group: click.Command) -> list[Path]:
    """Write every shell's script into ``folder``; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for shell, filename in FILES.items():
        path = folder / filename
        path.write_text(script(shell, group))
        written.append(path)
    return written


def _write_all(ctx: click.Context, param: click.Parameter, folder: str | None) -> None:
    """``--write FOLDER``: for developers, who keep the shipped completions/ current."""
    if folder is None or ctx.resilient_parsing:
        return
    for path in write(Path(folder), ctx.find_root().command):
        click.echo(f"wrote {path}")
    ctx.exit()


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@click.option(
    "--write",
    metavar="FOLDER",
    hidden=True,
    is_eager=True,
    expose_value=False,
    callback=_write_all,
    help="Write every shell's script into FOLDER instead (for developers: completions/).",
)
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the completion script for bash, zsh or fish (see README, "Shell completion").

    \b
    bash:  rcontainer completion bash > ~/.local/share/bash-completion/completions/rcontainer
    zsh:   rcontainer completion zsh > ~/.zfunc/_rcontainer   (with fpath+=(~/.zfunc) in ~/.zshrc)
    fish:  rcontainer completion fish > ~/.config/fish/completions/rcontainer.fish
    """
    click.echo(script(shell, ctx.find_root().command), nl=False)
