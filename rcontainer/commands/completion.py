"""``rcontainer completion SHELL``: print the shell's completion script."""

from __future__ import annotations

import click

from rcontainer.completion import SHELLS


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for bash, zsh or fish (see README, "Shell completion").

    \b
    bash:  rcontainer completion bash > ~/.local/share/bash-completion/completions/rcontainer
    zsh:   rcontainer completion zsh > ~/.zfunc/_rcontainer   (with fpath+=(~/.zfunc) in ~/.zshrc)
    fish:  rcontainer completion fish > ~/.config/fish/completions/rcontainer.fish
    """
    from rcontainer.completion import script

    click.echo(script(shell), nl=False)


COMMANDS = [completion]
