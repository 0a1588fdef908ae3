"""Image commands: ``pull``, ``build``, ``images``."""

from __future__ import annotations

import click

from rcontainer.cli.app import App
from rcontainer.cli.completers import profile_names
from rcontainer.cli.output import plural, table
from rcontainer.cli.params import JSON, PROFILE, QUIET
from rcontainer.cli.progress import size_text


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
        lambda i: (
            f"{i['reference']}: {i['id'][:12]} digest {i['digest']}"
            f" ({plural(i['layers'], 'layer')}, {size_text(i['size'])})"
        ),
    )


@click.command()
@PROFILE
@click.option("-q", "--quiet", is_flag=True, help="No build output.")
@JSON
@click.pass_obj
def build(app: App, profile: str, quiet: bool, as_json: bool) -> None:
    """Build a profile's image from its build section."""
    app.emit(
        app.engine(progress=not quiet, build_output=True).build(profile),
        as_json,
        lambda i: f"{i['reference']}: {i['id'][:12]} ({plural(i['layers'], 'layer')})",
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
            lambda r: f"freed {size_text(r['freed_bytes'])} of unpacked root filesystems",
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
                size_text(r["size"]),
            )
            for r in rows
        ],
        ["IMAGE", "ID", "DIGEST", "LAYERS", "SIZE"],
    )
