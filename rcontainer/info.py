"""``rcontainer info``: what the Podman service and this host offer, and where rcontainer keeps things."""

from __future__ import annotations

from typing import Any

from rcontainer import paths, podman_client
from rcontainer.errors import PodmanUnavailable


def gather() -> dict[str, Any]:
    """Ask the Podman service about itself. Never starts a service: reports the missing one."""
    endpoint = podman_client.resolve_endpoint(autostart=False)
    from podman.errors import APIError

    try:
        with podman_client.client(endpoint, timeout=30) as client:
            raw = client.info()
    except APIError as exc:
        raise podman_client.explain_api_error(exc, "podman info") from None
    except Exception as exc:  # requests' connection errors are not APIError
        raise PodmanUnavailable(f"{endpoint.socket}: {exc}") from None
    host = raw.get("host", {})
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
        "storage": {"driver": store.get("graphDriverName"), "root": store.get("graphRoot")},
        "network_backend": host.get("networkBackend"),
        "rcontainer": {k: str(v) for k, v in paths.all_paths().items()},
    }
