"""Shell-completion candidates for arguments: container names, profile names, runtime classes, units.

A completion request runs on every Tab press, so candidates come from the files rcontainer
keeps (records, the profiles folder, runtimes.yaml, the systemd user folder), never from
Podman, and this module imports nothing at import time: no podman-py, yaml or platformdirs
(``rcontainer.paths`` loads platformdirs when a path is first asked for). A completer never
fails loudly: a broken record folder gives no candidates, not a traceback in the user's shell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import click


def profile_names(ctx: click.Context | None, param: click.Parameter | None, incomplete: str) -> list:
    """Profile names from ``profiles_dir()``; file completion when ``incomplete`` looks like a path."""
    from click.shell_completion import CompletionItem

    from rcontainer import paths

    if "/" in incomplete or incomplete.startswith((".", "~")) or incomplete.endswith((".yaml", ".yml")):
        return [CompletionItem(incomplete, type="file")]
    try:
        folder = paths.profiles_dir()
        names = sorted({p.stem for pattern in ("*.yaml", "*.yml") for p in folder.glob(pattern)})
    except OSError:
        names = []
    matches = [CompletionItem(n) for n in names if n.startswith(incomplete)]
    return matches or [CompletionItem(incomplete, type="file")]


def container_names(ctx: click.Context | None, param: click.Parameter | None, incomplete: str) -> list:
    """Container names from the records (no Podman call, no heavy import), then profile files."""
    from click.shell_completion import CompletionItem

    from rcontainer.engine import store

    try:
        names = store.names()
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        names = []
    items = [CompletionItem(n) for n in names if n.startswith(incomplete)]
    if "/" in incomplete or incomplete.startswith("."):
        items.append(CompletionItem(incomplete, type="file"))
    return items


def runtime_classes(ctx: click.Context | None, param: click.Parameter | None, incomplete: str) -> list:
    """Runtime class names (built-in and the user's runtimes.yaml), for any runtime argument."""
    from click.shell_completion import CompletionItem

    from rcontainer import runtimes

    return [CompletionItem(n) for n in runtimes.names() if n.startswith(incomplete)]


def unit_names(ctx: click.Context | None, param: click.Parameter | None, incomplete: str) -> list:
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
    items += [i for i in container_names(ctx, param, incomplete) if i.value not in seen and i.type == "plain"]
    return items
