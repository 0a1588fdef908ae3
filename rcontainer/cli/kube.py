"""``rcontainer kube export``: from one machine to a cluster.

Only click at import time: the converter (and yaml, podman-py) load inside the command.
"""

from __future__ import annotations

import click

from rcontainer.cli.params import PROFILES


@click.group("kube")
def kube_group() -> None:
    """Move profiles to Kubernetes."""


@kube_group.command("export")
@PROFILES
@click.option(
    "--kind",
    type=click.Choice(["pod", "deployment"]),
    default="pod",
    show_default=True,
    help="Export each profile as a Pod or as an apps/v1 Deployment with one replica.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the YAML to this file instead of standard output.",
)
@click.option(
    "--no-digests",
    is_flag=True,
    help="Keep image tags; do not ask the Podman socket for the local images' digests.",
)
def export_cmd(profiles: tuple[str, ...], kind: str, output: str | None, no_digests: bool) -> None:
    """Print Kubernetes YAML for PROFILE... (names or .yaml files).

    Each profile becomes a Pod (or Deployment), plus a Secret for its secret env values, a
    PersistentVolumeClaim per named volume and a RuntimeClass per runtime class. Images are
    pinned by digest when a Podman socket answers and has the image. Every field Kubernetes
    cannot express is reported on standard error as "PROFILE: field: what happened".
    """
    from rcontainer.convert import kube
    from rcontainer.profile import load_profile

    loaded = [load_profile(ref) for ref in profiles]
    refs = [p.data["image"] for p in loaded if p.data["image"]]
    digests = (
        kube.DigestLookup(unavailable="--no-digests was given") if no_digests else kube.lookup_digests(refs)
    )
    result = kube.export(loaded, kind=kind, digests=digests)
    text = result.yaml()
    if output:
        from pathlib import Path

        from rcontainer.errors import BadInput

        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"cannot write {output}: {exc.strerror or exc}") from None
    else:
        click.echo(text, nl=False)
    for loss in result.losses:
        click.echo(str(loss), err=True)
