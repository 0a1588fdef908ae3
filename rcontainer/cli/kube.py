"""``rcontainer kube export`` and ``rcontainer import``: from one machine to a cluster and back.

Only click at import time: the core modules (and yaml, podman-py) load inside the commands.
"""

from __future__ import annotations

import click

from rcontainer.cli.profiles import complete_profiles


@click.group("kube")
def kube_group() -> None:
    """Move profiles to Kubernetes."""


@kube_group.command("export")
@click.argument("profiles", nargs=-1, required=True, metavar="PROFILE...", shell_complete=complete_profiles)
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
    for note in result.losses:
        click.echo(str(note), err=True)


@click.command("import")
@click.argument("compose_file", type=click.Path(dir_okay=False), metavar="COMPOSE_FILE")
@click.option(
    "--service", "services", multiple=True, metavar="NAME", help="Import only this service (repeatable)."
)
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Folder to write the profiles to.",
)
@click.option("--force", is_flag=True, help="Overwrite existing profile files.")
@click.option("--json", "as_json", is_flag=True, help="Print the written files and the report as JSON.")
def import_cmd(
    compose_file: str, services: tuple[str, ...], output_dir: str, force: bool, as_json: bool
) -> None:
    """Turn the services of a Compose file into profiles, one NAME.yaml per service.

    Prints the path of each profile written. Keys with no profile equivalent (depends_on,
    networks, secrets, ...) are reported on standard error as "SERVICE: key: what happened".
    Each profile is loaded back and validated before it is written.
    """
    from pathlib import Path

    from rcontainer.convert import compose as compose_import

    result = compose_import.import_compose(
        Path(compose_file), services=list(services) or None, output_dir=Path(output_dir), force=force
    )
    if as_json:
        from rcontainer.cli.output import emit_json

        emit_json(
            {
                "profiles": [str(p) for p in result.written],
                "report": [{"service": n.source, "key": n.field, "what": n.what} for n in result.losses],
            }
        )
        return
    for path in result.written:
        click.echo(str(path))
    for note in result.losses:
        click.echo(str(note), err=True)


COMMANDS = [kube_group, import_cmd]
