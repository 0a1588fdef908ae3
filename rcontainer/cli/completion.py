"""Shell completion: the scripts for bash, zsh and fish, and completers for runtime classes.

The scripts are click's own (``click.shell_completion``) for the program ``rcontainer``: each
asks ``rcontainer`` itself for candidates, with ``_RCONTAINER_COMPLETE=<shell>_complete`` in its
environment. Candidates come from the records and folders rcontainer keeps (container names,
profile names, runtime classes), never from Podman, and the command modules import neither
podman-py nor yaml at import time, so a completion request stays a bare interpreter start.

The shipped copies in ``completions/`` are regenerated with::

    python -m rcontainer.cli.completion --write completions/
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

PROG = "rcontainer"
COMPLETE_VAR = "_RCONTAINER_COMPLETE"
# shell -> file name a user (or a package) installs it under
FILES = {"bash": "rcontainer.bash", "zsh": "_rcontainer", "fish": "rcontainer.fish"}
SHELLS = tuple(FILES)


def script(shell: str) -> str:
    """The completion script for ``shell`` (bash, zsh or fish)."""
    from click.shell_completion import get_completion_class

    from rcontainer.cli import cli
    from rcontainer.errors import BadInput

    cls = get_completion_class(shell)
    if cls is None or shell not in FILES:
        raise BadInput(f"no completion for shell {shell!r}: expected {', '.join(SHELLS)}")
    text = cls(cli, {}, PROG, COMPLETE_VAR).source()
    return text if text.endswith("\n") else text + "\n"


def write(folder: Path) -> list[Path]:
    """Write every shell's script into ``folder``; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for shell, filename in FILES.items():
        path = folder / filename
        path.write_text(script(shell))
        written.append(path)
    return written


def complete_runtimes(ctx, param, incomplete: str) -> list:
    """Runtime class names (built-in and the user's runtimes.yaml), for any runtime argument."""
    from click.shell_completion import CompletionItem

    from rcontainer import runtimes

    return [CompletionItem(n) for n in runtimes.names() if n.startswith(incomplete)]


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for bash, zsh or fish (see README, "Shell completion").

    \b
    bash:  rcontainer completion bash > ~/.local/share/bash-completion/completions/rcontainer
    zsh:   rcontainer completion zsh > ~/.zfunc/_rcontainer   (with fpath+=(~/.zfunc) in ~/.zshrc)
    fish:  rcontainer completion fish > ~/.config/fish/completions/rcontainer.fish
    """
    click.echo(script(shell), nl=False)


COMMANDS = [completion]


def _main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--write":
        for path in write(Path(argv[1])):
            sys.stdout.write(f"wrote {path}\n")
        return 0
    if len(argv) == 1 and argv[0] in FILES:
        sys.stdout.write(script(argv[0]))
        return 0
    sys.stderr.write("usage: python -m rcontainer.cli.completion (--write FOLDER | bash | zsh | fish)\n")
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
