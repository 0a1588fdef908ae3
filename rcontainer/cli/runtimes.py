"""``rcontainer runtimes``."""

from __future__ import annotations

import click

from rcontainer.cli.app import App
from rcontainer.cli.output import table
from rcontainer.cli.params import JSON


@click.command("runtimes")
@JSON
@click.option("--refresh", is_flag=True, help="Probe every class again instead of using cached results.")
@click.pass_obj
def runtimes_cmd(app: App, as_json: bool, refresh: bool) -> None:
    """List the runtime classes and whether this host can run them.

    A class is usable when its binaries are installed and a tiny container really runs with
    it; the answer is cached until the runtime binary or Podman changes (--refresh probes
    again). The probe uses RCONTAINER_PROBE_IMAGE, or the first local image.
    """
    from rcontainer.runtimes.probe import statuses

    results = statuses(refresh=refresh, autostart=app.autostart)
    app.emit([s.as_dict() for s in results], as_json, lambda _: _table(results))


def _table(results: list) -> str:
    rows = [
        (
            s.name,
            s.family,
            s.handler or "(podman default)",
            {True: "yes", False: "no", None: "?"}[s.usable],
            s.reason or s.description,
        )
        for s in results
    ]
    return table(rows, ("CLASS", "FAMILY", "HANDLER", "USABLE", "DESCRIPTION / WHY NOT"))
