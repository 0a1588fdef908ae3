"""``rcontainer kube export``: from one machine to a cluster.

Only click at import time: the converter (and yaml, podman-py) load inside the command.
"""

from __future__ import annotations

import click

from rcontainer.cli.params import PROFILES

PROJECT_OPTION = click.option(
    "-p", "--project", metavar="PROJECT", help="A project FOLDER's name (default: its profiles' or folder's)."
)
WAIT_IMAGE = "docker.io/library/busybox:1.36"  # kube_project.WAIT_IMAGE (not imported: --help stays light)


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
@PROJECT_OPTION
@click.option(
    "--wait-image",
    metavar="IMAGE",
    help="A project's dependants wait for their dependencies in an initContainer of this image"
    " (it needs sh and nslookup).  [default: " + WAIT_IMAGE + "]",
)
def export_cmd(
    profiles: tuple[str, ...],
    kind: str,
    output: str | None,
    no_digests: bool,
    project: str | None,
    wait_image: str | None,
) -> None:
    """Print Kubernetes YAML for PROFILE... (names or .yaml files), or for a project FOLDER.

    Each profile becomes a Pod (or Deployment), plus a Secret for its secret env values, a
    PersistentVolumeClaim per named volume and a RuntimeClass per runtime class. Images are
    pinned by digest when a Podman socket answers and has the image. Every field Kubernetes
    cannot express is reported on standard error as "PROFILE: field: what happened".

    A project FOLDER (alone) adds a headless Service per profile name and alias, so the names
    resolve in the cluster as on the project's network, and an initContainer per dependency
    that waits for its name (dependencies come first).
    """
    import os

    from rcontainer.convert import kube
    from rcontainer.errors import BadInput
    from rcontainer.profile import load_profile

    folders = [ref for ref in profiles if os.path.isdir(os.path.expanduser(ref))]
    if folders and len(profiles) > 1:
        raise BadInput(f"{folders[0]} is a project folder: export it alone", hint="one folder, or profiles")
    if (project or wait_image) and not folders:
        raise BadInput("-p/--project and --wait-image go with a project FOLDER")
    if folders:
        from rcontainer.convert.kube_project import export_project
        from rcontainer.engine.names import check_project
        from rcontainer.profile.project import load_project

        proj = load_project(folders[0], project=check_project(project) if project else None)
        loaded = list(proj.profiles.values())
    else:
        loaded = [load_profile(ref) for ref in profiles]
    refs = [p.data["image"] for p in loaded if p.data["image"]]
    digests = (
        kube.DigestLookup(unavailable="--no-digests was given") if no_digests else kube.lookup_digests(refs)
    )
    if folders:
        result = export_project(proj, kind=kind, digests=digests, wait_image=wait_image or WAIT_IMAGE)
    else:
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
