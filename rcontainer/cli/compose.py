"""``rcontainer import``: the services of a Compose file become profiles.

Only click at import time: the converter (and yaml) load inside the command.
"""

from __future__ import annotations

import click

from rcontainer.cli.app import App


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
@click.option(
    "--env-file",
    "env_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Read variables from FILE instead of the .env beside the Compose file (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the written files and the report as JSON.")
@click.pass_obj
def import_cmd(
    app: App,
    compose_file: str,
    services: tuple[str, ...],
    output_dir: str,
    force: bool,
    env_files: tuple[str, ...],
    as_json: bool,
) -> None:
    """Turn the services of a Compose file into profiles, one NAME.yaml per service.

    Prints the path of each profile written. Keys with no profile equivalent (depends_on,
    networks, secrets, ...) are reported on standard error as "SERVICE: key: what happened".
    Each profile is loaded back and validated before it is written. The file is read as
    Compose reads it: its includes, extends and YAML documents, variables from the environment
    over the .env beside it (or --env-file).
    """
    from pathlib import Path

    from rcontainer.convert import compose as compose_import

    result = compose_import.import_compose(
        Path(compose_file),
        services=list(services) or None,
        output_dir=Path(output_dir),
        force=force,
        env_files=[Path(f) for f in env_files] or None,
    )
    app.emit(
        {
            "profiles": [str(p) for p in result.written],
            "report": [{"service": n.source, "key": n.field, "what": n.what} for n in result.losses],
        },
        as_json,
        lambda _: "\n".join(str(path) for path in result.written),
    )
    if not as_json:  # the JSON carries the report
        for note in result.losses:
            click.echo(str(note), err=True)
