"""volumes: list, remove and prune the named volumes rcontainer made (never another's)."""

from __future__ import annotations

import click

from rcontainer.cli.app import App
from rcontainer.cli.completers import volume_names
from rcontainer.cli.output import human, plural, table
from rcontainer.cli.params import JSON


def _table(rows: list[dict]) -> str:
    if not rows:
        return ""
    return table(
        [(r["name"], r["project"] or "-", r["driver"], r["mountpoint"], human(r["in_use_by"])) for r in rows],
        ["NAME", "PROJECT", "DRIVER", "MOUNTPOINT", "IN USE BY"],
    )


@click.group(name="volumes", invoke_without_command=True)
@JSON
@click.pass_context
def volumes_group(ctx: click.Context, as_json: bool) -> None:
    """The named volumes rcontainer made: list (the default), rm, prune."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(ls, as_json=as_json)


@volumes_group.command()
@JSON
@click.pass_obj
def ls(app: App, as_json: bool) -> None:
    """List rcontainer's volumes: name, project, driver, mountpoint, the containers using it."""
    app.emit(app.engine().volumes.ls(), as_json, _table)


@volumes_group.command()
@click.argument("names", nargs=-1, required=True, metavar="NAME...", shell_complete=volume_names)
@click.option("-f", "--force", is_flag=True, help="Remove rcontainer's containers that use it first.")
@JSON
@click.pass_obj
def rm(app: App, names: tuple[str, ...], force: bool, as_json: bool) -> None:
    """Remove volumes rcontainer made; one in use is refused (exit 4) unless --force."""
    from rcontainer.errors import RcError

    volumes = app.engine().volumes
    done, lines, failed = [], [], None
    for name in names:
        try:
            row = volumes.rm(name, force=force)
        except RcError as exc:
            app.error(exc)
            failed = failed or exc.status
            continue
        done.append(row)
        also = f" (and {', '.join(row['removed_containers'])})" if row["removed_containers"] else ""
        lines.append(f"{name}: removed{also}")
    if done:
        app.emit(done[0] if len(names) == 1 else done, as_json, lambda _: "\n".join(lines))
    if failed:
        app.exit(failed)


@volumes_group.command()
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@JSON
@click.pass_obj
def prune(app: App, dry_run: bool, as_json: bool) -> None:
    """Remove every volume rcontainer made that no container uses (never another's)."""
    names = app.engine().volumes.prune(dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    app.emit(
        {"dry_run": dry_run, "removed": names},
        as_json,
        lambda _: "\n".join([f"{verb}: {n}" for n in names] + [f"{verb} {plural(len(names), 'volume')}"]),
    )
