"""Podman networks for projects: made on demand, removed once unused, never another's.

``POST /libpod/networks/create`` asks for DNS (``dns_enabled``): containers on the network then
reach each other by their aliases. Podman 4 with CNI can give DNS only with the dnsname plugin,
and answers ``dns_enabled: false`` without it; Podman 5 (netavark) needs aardvark-dns. The answer
is passed on, so the engine can say why names would not resolve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rcontainer.backends.podman.api import quoted

if TYPE_CHECKING:
    from rcontainer.backends.podman.api import LibpodClient


def ensure(api: LibpodClient, name: str, labels: dict[str, str]) -> bool:
    """Make the bridge network ``name`` unless it exists; whether it has DNS."""
    found = api.get_json(f"/networks/{quoted(name)}/json")
    if found is None:
        made = api.request(
            "POST",
            "/networks/create",
            body={"name": name, "driver": "bridge", "labels": labels, "dns_enabled": True},
            what=f"create network {name}",
            ok=(409,),  # made meanwhile (another container of the project, in another thread)
        )
        found = api.get_json(f"/networks/{quoted(name)}/json") if made.status == 409 else made.json()
    return bool((found or {}).get("dns_enabled"))


def remove(api: LibpodClient, name: str, ours: dict[str, str]) -> bool:
    """Remove ``name`` if its labels include ``ours`` and no container uses it."""
    found = api.get_json(f"/networks/{quoted(name)}/json")
    labels = (found or {}).get("labels") or {}
    if found is None or any(labels.get(k) != v for k, v in ours.items()):
        return False
    # still used (Podman answers 500, "network is being used"), or gone meanwhile: kept as it is
    gone = api.request(
        "DELETE", f"/networks/{quoted(name)}", what=f"remove network {name}", ok=(404, 409, 500)
    )
    return gone.status < 300
