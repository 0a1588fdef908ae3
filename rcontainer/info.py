"""``rcontainer info``: what the Podman service and this host offer, and where rcontainer keeps things."""

from __future__ import annotations

import os
from typing import Any

from rcontainer import paths
from rcontainer.backends.podman import compat, service
from rcontainer.backends.podman.api import LibpodClient

KNOWN_RUNTIMES = ("runc", "crun", "runsc", "kata-runtime", "youki", "krun")


def installed_runtimes() -> dict[str, str]:
    """OCI runtimes found on PATH (or Podman's usual places): name -> path."""
    import shutil

    found = {}
    for name in KNOWN_RUNTIMES:
        path = shutil.which(
            name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
        )
        if path:
            found[name] = path
    return found


def gather() -> dict[str, Any]:
    """Ask the Podman service about itself. Never starts a service: reports the missing one."""
    endpoint = service.resolve_endpoint(autostart=False)
    raw = LibpodClient(endpoint).info()
    host = raw.get("host", {})
    version = compat.parse_version(raw.get("version", {}).get("Version"))
    store = raw.get("store", {})
    oci = host.get("ociRuntime", {}) or {}
    return {
        "podman": {
            "version": raw.get("version", {}).get("Version"),
            "api_version": raw.get("version", {}).get("APIVersion"),
            "socket": str(endpoint.socket),
            "socket_source": endpoint.source,
        },
        "rootless": bool(host.get("security", {}).get("rootless")),
        "cgroup": {"version": host.get("cgroupVersion"), "manager": host.get("cgroupManager")},
        "oci_runtime": {"default": oci.get("name"), "path": oci.get("path"), "version": oci.get("version")},
        # the REST API names only the default runtime: the others are the ones installed here
        "oci_runtimes": installed_runtimes(),
        "storage": {"driver": store.get("graphDriverName"), "root": store.get("graphRoot")},
        "network_backend": host.get("networkBackend"),
        # what network: private gets, and which explicit modes this Podman can run
        "rootless_network": compat.rootless_networks(raw, version).as_dict(),
        "database_backend": compat.database_backend(raw, version),
        "rcontainer": {k: str(v) for k, v in paths.all_paths().items()},
    }
