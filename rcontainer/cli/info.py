"""``rcontainer info``."""

from __future__ import annotations

import click

from rcontainer.cli.app import App
from rcontainer.cli.output import key_values
from rcontainer.cli.params import JSON


@click.command()
@JSON
@click.pass_obj
def info(app: App, as_json: bool) -> None:
    """Show the Podman service, the host's cgroups and runtimes, and rcontainer's paths."""
    from rcontainer.info import gather

    app.emit(gather(), as_json, _text)


def _text(data: dict) -> str:
    pairs = [
        ("podman version", data["podman"]["version"]),
        ("socket", f"{data['podman']['socket']} ({data['podman']['socket_source']})"),
        ("rootless", "yes" if data["rootless"] else "no"),
        ("cgroup version", f"{data['cgroup']['version']} (manager {data['cgroup']['manager']})"),
        ("default OCI runtime", f"{data['oci_runtime']['default']} ({data['oci_runtime']['path']})"),
        ("OCI runtimes installed", ", ".join(data["oci_runtimes"]) or "none"),
        ("storage driver", data["storage"]["driver"]),
        ("network backend", data["network_backend"]),
        ("rootless network", _rootless_network(data["rootless_network"])),
        ("database backend", data["database_backend"] or "unknown"),
    ]
    pairs += [
        (f"{k} dir" if k not in ("runtimes",) else "runtimes file", v) for k, v in data["rcontainer"].items()
    ]
    return key_values(pairs)


def _rootless_network(net: dict) -> str:
    """``pasta (default for network: private; also slirp4netns)``."""
    if net["default"] in net["missing"]:
        return f"{net['default']} (default for network: private, but {net['missing'][net['default']]})"
    others = [m for m in net["available"] if m != net["default"]]
    also = f"; also {', '.join(others)}" if others else ""
    return f"{net['default']} (default for network: private{also})"
