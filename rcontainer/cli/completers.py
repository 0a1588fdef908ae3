"""Shell-completion candidates for arguments: container names, profile names, runtime classes, units,
named volumes.

A completion request runs on every Tab press, so candidates come from the files rcontainer
keeps (records, the profiles folder, runtimes.yaml, the systemd user folder), never from
Podman, and this module imports nothing at import time: no podman-py or yaml (and
``rcontainer.paths`` computes the XDG folders itself, without platformdirs). A completer never
fails loudly: a broken record folder gives no candidates, not a traceback in the user's shell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import click


def profile_names(ctx: click.Context | None, param: click.Parameter | None, incomplete: str) -> list:
    """Profile names from ``profiles_dir()``, sorted; profile files (and folders) when
    ``incomplete`` looks like a path or no name matches."""
    from click.shell_completion import CompletionItem

    from rcontainer import paths

    if "/" in incomplete or incomplete.startswith((".", "~")) or incomplete.endswith((".yaml", ".yml")):
        return profile_files(incomplete)
    try:
        folder = paths.profiles_dir()
        names = sorted({p.stem for pattern in ("*.yaml", "*.yml") for p in folder.glob(pattern)})
    except OSError:
        names = []
    matches = [CompletionItem(n) for n in names if n.startswith(incomplete)]
    return matches or profile_files(incomplete)


def profile_files(incomplete: str) -> list:
    """The ``.yaml``/``.yml`` files and the folders under ``incomplete``'s folder whose names
    start as it does, sorted: no other file (``profile.schema.json`` is not a profile). A lone
    folder is opened (its files offered), so the shell completes into it rather than ending
    the word after the folder's name."""
    from click.shell_completion import CompletionItem

    values = _files_and_folders(incomplete)
    while len(values) == 1 and values[0].endswith("/"):
        inside = _files_and_folders(values[0])
        if not inside:
            break
        values = inside
    return [CompletionItem(v) for v in values]


def _files_and_folders(incomplete: str) -> list[str]:
    import os

    head, slash, prefix = incomplete.rpartition("/")
    base = head + slash
    try:
        entries = sorted(os.scandir(os.path.expanduser(base or ".")), key=lambda e: e.name)
    except OSError:
        return []
    out = []
    for entry in entries:
        if not entry.name.startswith(prefix) or (entry.name.startswith(".") and not prefix.startswith(".")):
            continue
        try:
            if entry.is_dir():
                out.append(f"{base}{entry.name}/")
            elif entry.name.endswith((".yaml", ".yml")):
                out.append(base + entry.name)
        except OSError:
            continue
    return sorted(out)


def container_names(ctx: click.Context | None, param: click.Parameter | None, incomplete: str) -> list:
    """Container names from the records (no Podman call, no heavy import), then profile files."""
    return _names_in(None, incomplete)


def startable_names(ctx: click.Context | None, param: click.Parameter | None, incomplete: str) -> list:
    """Containers ``start`` can start: created or stopped ones, as their records last saw them."""
    return _names_in(frozenset({"created", "stopped"}), incomplete)


def running_names(ctx: click.Context | None, param: click.Parameter | None, incomplete: str) -> list:
    """Containers ``pause`` can pause: running ones."""
    return _names_in(frozenset({"running"}), incomplete)


def paused_names(ctx: click.Context | None, param: click.Parameter | None, incomplete: str) -> list:
    """Containers ``unpause`` can resume: paused ones."""
    return _names_in(frozenset({"paused"}), incomplete)


def _names_in(states: frozenset[str] | None, incomplete: str) -> list:
    from click.shell_completion import CompletionItem

    from rcontainer.engine import store

    try:
        names = store.names(states, keys="/" in incomplete)  # PROJECT/NAME once a project is typed
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        names = []
    items = [CompletionItem(n) for n in names if n.startswith(incomplete)]
    if "/" in incomplete or incomplete.startswith("."):
        items += profile_files(incomplete)
    return items


def volume_names(ctx: click.Context | None, param: click.Parameter | None, incomplete: str) -> list:
    """Named volumes the records' profiles mount (removed containers' too: their volumes stay),
    sorted: what ``volumes rm`` can remove, as far as the files tell without asking Podman."""
    from click.shell_completion import CompletionItem

    from rcontainer.engine import store

    try:
        names = sorted(
            {
                v["source"]
                for rec in store.all_records()
                for v in rec.profile.get("volumes") or []
                if isinstance(v, dict) and v.get("type") == "volume" and isinstance(v.get("source"), str)
            }
        )
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        names = []
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


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
    items += [
        i for i in container_names(ctx, param, incomplete) if i.value not in seen and "/" not in i.value
    ]
    return items
