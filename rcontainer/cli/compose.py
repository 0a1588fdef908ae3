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
@click.option(
    "--check",
    is_flag=True,
    help="Report what would carry over, write nothing; exit 8 when something would be lost.",
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
    check: bool,
    as_json: bool,
) -> None:
    """Turn the services of a Compose file into one project folder of profiles, NAME.yaml each.

    Prints the path of each profile written, then on standard error a table of what did not
    carry over as it is (SERVICE, KEY, WHAT HAPPENED). The profiles keep depends_on, networks
    and aliases; `rcontainer up FOLDER` brings them up as the Compose project. Each profile is
    loaded back and validated before any is written. The file is read as Compose reads it: its
    includes, extends and YAML documents, variables from the environment over the .env beside
    it (or --env-file).

    With --check nothing is written: exit 0 when every key carries over, 8 when something
    would be lost or approximated (the table says what), 2 when the file is refused.
    """
    from pathlib import Path

    from rcontainer.convert import compose as compose_import
    from rcontainer.errors import ExitStatus

    result = compose_import.import_compose(
        Path(compose_file),
        services=list(services) or None,
        output_dir=Path(output_dir),
        force=force,
        env_files=[Path(f) for f in env_files] or None,
        check=check,
    )
    report = [{"service": n.source, "key": n.field, "what": n.what} for n in result.losses]
    data: dict = {"profiles": [str(p) for p in result.written], "report": report}
    if check:
        data = {"compatible": not report, "would_write": data["profiles"], "report": report}
    if result.warnings:
        data["warnings"] = result.warnings
        if not as_json:  # the JSON carries them
            app.notices += [f"warning: {w}" for w in result.warnings]
    app.emit(data, as_json, lambda _: "" if check else "\n".join(str(path) for path in result.written))
    if not as_json:  # the JSON carries the report
        if result.losses:
            click.echo(loss_table(result.losses), err=True)
        if check:
            from rcontainer.cli.output import plural

            n, files = len(result.losses), plural(len(result.written), "profile")
            said = f"{plural(n, 'key')} would be lost or approximated" if n else "every key carries over"
            click.echo(f"{compose_file}: {said} ({files})", err=True)
    if check and result.losses:
        app.exit(ExitStatus.CHECK_FAILED)


def loss_table(losses: list) -> str:
    """The report as a table: SERVICE, KEY, WHAT HAPPENED (each cell one line, escaped)."""
    from rcontainer.cli.output import table
    from rcontainer.convert.loss import shown

    return table(
        [(shown(n.source), shown(n.field), shown(n.what)) for n in losses],
        ("SERVICE", "KEY", "WHAT HAPPENED"),
    )
