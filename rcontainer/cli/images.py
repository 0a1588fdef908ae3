"""Image commands: ``pull``, ``build``, ``images``."""

from __future__ import annotations

import click

from rcontainer.cli.app import App
from rcontainer.cli.completers import profile_names
from rcontainer.cli.output import table
from rcontainer.cli.params import JSON, PROFILE, QUIET


@click.command()
@click.argument("ref", metavar="PROFILE|IMAGE", shell_complete=profile_names)
@QUIET
@JSON
@click.pass_obj
def pull(app: App, ref: str, quiet: bool, as_json: bool) -> None:
    """Pull an image, or a profile's image, through the Podman socket."""
    app.emit(
        app.engine(progress=not quiet).pull(ref),
        as_json,
        lambda i: f"{i['reference']}: {i['id'][:12]} digest {i['digest']} ({i['layers']} layers)",
    )


@click.command()
@PROFILE
@click.option("-q", "--quiet", is_flag=True, help="No build output.")
@JSON
@click.pass_obj
def build(app: App, profile: str, quiet: bool, as_json: bool) -> None:
    """Build a profile's image from its build section."""
    app.emit(
        app.engine(progress=not quiet).build(profile),
        as_json,
        lambda i: f"{i['reference']}: {i['id'][:12]} ({i['layers']} layers)",
    )


@click.command()
@click.option(
    "--prune", is_flag=True, help="Remove unpacked root filesystems no container uses (bwrap cache)."
)
@JSON
@click.pass_obj
def images(app: App, prune: bool, as_json: bool) -> None:
    """List images with their digest, layer count and size (images are immutable)."""
    if prune:
        app.emit(
            app.engine().prune(),
            as_json,
            lambda r: f"freed {_size(r['freed_bytes'])} of unpacked root filesystems",
        )
        return
    app.emit(app.engine().images(), as_json, _image_table)


def _image_table(rows: list[dict]) -> str:
    return table(
        [
            (
                ", ".join(r["tags"]) or "<none>",
                r["id"][:12],
                (r["digest"] or "")[:19],
                r["layers"],
                _size(r["size"]),
            )
            for r in rows
        ],
        ["IMAGE", "ID", "DIGEST", "LAYERS", "SIZE"],
    )


def _size(n: float) -> str:
    """Bytes in decimal units, like ``podman images``: 812 B, 2.1 MB."""
    if n < 1000:
        return f"{n:.0f} B"
    for unit in ("kB", "MB"):
        n /= 1000
        if n < 1000:
            return f"{n:.1f} {unit}"
    return f"{n / 1000:.1f} GB"
