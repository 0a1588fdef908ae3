"""What differs between the Podman versions rcontainer supports (4.3 through 5.x, and 6.x),
decided from what the service says of itself. Pure logic: tests/unit/test_podman_compat.py.

Two sources, both from the service rcontainer talks to (never ``podman --version``, which may
be another Podman than the one serving the socket):

- the version, which every libpod answer carries in its ``Libpod-API-Version`` header (the
  Podman version itself, e.g. ``4.3.1``): ``LibpodClient.version`` reads it from any answer
  it already had, or from ``/_ping`` (a few milliseconds; ``/version`` and ``/info`` take
  ~0.3 s here, as they run conmon, the OCI runtime and slirp4netns to ask their versions);
- ``GET /info`` (``LibpodClient.info``, one cached request) for what only it says: which
  rootless networks are installed, the network and database backends.
"""

from __future__ import annotations

import re
from typing import Any

from rcontainer.errors import RuntimeUnavailable
from rcontainer.values import Value

Version = tuple[int, int, int]

# Podman 6.0 honours the OCI runtime named in a create request (upstream issue 28429, fixed
# there); before, only a service started with ``podman --runtime NAME`` applies it.
RUNTIME_FIELD_HONOURED: Version = (6, 0, 0)
# Podman 5.0 made pasta the default rootless network (slirp4netns before).
PASTA_DEFAULT: Version = (5, 0, 0)
# Podman 4.4 added pasta; 4.9 added ``host.pasta`` to /info (so between them, /info is silent).
PASTA_ADDED: Version = (4, 4, 0)
# Podman 4.8 added the SQLite database and ``host.databaseBackend``; before it, only BoltDB.
SQLITE_ADDED: Version = (4, 8, 0)

# Network modes that name one rootless network program rather than Podman's default.
EXPLICIT_NETWORKS = ("slirp4netns", "pasta")

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(text: str | None) -> Version | None:
    """``5.4.2`` (or ``6.0.0-dev``, ``Libpod/4.3.1``) as a comparable tuple; None if unreadable."""
    m = _VERSION.search(text or "")
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def version_text(version: Version | None) -> str:
    return ".".join(map(str, version)) if version else "(unknown version)"


def runtime_service_needed(handler: str | None, flags: tuple[str, ...], version: Version | None) -> bool:
    """Whether containers of a runtime class must be created through a service of their own
    (``podman --runtime HANDLER system service``) rather than the user's.

    Podman 6 honours the runtime named in the create request, but only a runtime it knows by
    name (``[engine.runtimes]`` of containers.conf, or one it finds itself): an absolute path,
    and runtime flags (global options, never part of a request), still need the service. So
    does an unknown version: the service works on every version.
    """
    if handler is None:
        return False
    if version is None or version < RUNTIME_FIELD_HONOURED:
        return True
    return bool(flags) or "/" in handler


class Networks(Value):
    """The rootless networks of the Podman in use: ``default``, what ``network: private`` gets
    ("pasta" or "slirp4netns"); ``available``, the explicit modes this Podman can run, default
    first; ``missing``, mode -> why not."""

    __slots__ = ("default", "available", "missing")

    def __init__(self, default: str, available: tuple[str, ...], missing: dict[str, str]) -> None:
        self.default = default
        self.available = available
        self.missing = missing

    def as_dict(self) -> dict[str, Any]:
        return {"default": self.default, "available": list(self.available), "missing": dict(self.missing)}


def _program(host: dict[str, Any], key: str) -> str:
    """The executable /info names for a network program ('' when it found none)."""
    value = host.get(key)
    return str(value.get("executable") or "") if isinstance(value, dict) else ""


def rootless_networks(info: dict[str, Any], version: Version | None = None) -> Networks:
    """Default and available rootless networks from ``/info`` (its version when not given).

    ``host.rootlessNetworkCmd`` (Podman 5.1+) names the default, which containers.conf may
    change; older services default to pasta from 5.0 and to slirp4netns before. A program is
    available when /info names its executable; Podman 6 has no ``host.slirp4netns`` at all,
    and Podman 4.4-4.8 run pasta without saying so in /info (Podman itself then reports a
    missing ``passt`` at create).
    """
    host = info.get("host") or {}
    if version is None:
        version = parse_version((info.get("version") or {}).get("Version"))
    default = str(host.get("rootlessNetworkCmd") or "")
    if default not in EXPLICIT_NETWORKS:
        default = "pasta" if version is not None and version >= PASTA_DEFAULT else "slirp4netns"
    missing: dict[str, str] = {}
    if "slirp4netns" not in host:
        missing["slirp4netns"] = "this Podman has no slirp4netns support (Podman 6 removed it)"
    elif not _program(host, "slirp4netns"):
        missing["slirp4netns"] = "slirp4netns is not installed"
    if "pasta" in host:
        if not _program(host, "pasta"):
            missing["pasta"] = "pasta is not installed (package passt)"
    elif version is None or version < PASTA_ADDED:
        missing["pasta"] = "this Podman has no pasta support (Podman 4.4 added it)"
    available = tuple(sorted((m for m in EXPLICIT_NETWORKS if m not in missing), key=lambda m: m != default))
    return Networks(default=default, available=available, missing=missing)


def check_network(mode: str, info: dict[str, Any], version: Version | None) -> None:
    """Refuse (exit 7) an explicit network mode the Podman in use cannot run."""
    if mode not in EXPLICIT_NETWORKS:
        return
    nets = rootless_networks(info, version)
    if mode in nets.missing:
        raise RuntimeUnavailable(
            f"network mode {mode!r} is not available with Podman {version_text(version)}: "
            f"{nets.missing[mode]}",
            hint=f"use network: private (Podman's default rootless network, {nets.default} here)"
            if nets.default not in nets.missing
            else "install slirp4netns or passt (pasta)",
        )


def database_backend(info: dict[str, Any], version: Version | None = None) -> str | None:
    """``sqlite`` or ``boltdb``; Podman before 4.8 has only BoltDB and does not say so."""
    host = info.get("host") or {}
    if host.get("databaseBackend"):
        return str(host["databaseBackend"])
    if version is None:
        version = parse_version((info.get("version") or {}).get("Version"))
    if version is not None and version < SQLITE_ADDED:
        return "boltdb"
    return None


def limits_unenforced(host: dict) -> str | None:
    """Why Podman cannot enforce memory/cpus/pids here (``/info``'s host section), or None.

    Rootless containers get a cgroup only on cgroup v2 with the controllers delegated to the
    user; elsewhere Podman accepts the limits and enforces nothing (or runc refuses a memory
    limit outright)."""
    if not (host.get("security") or {}).get("rootless", True):
        return None
    if host.get("cgroupVersion") == "v1":
        return "rootless containers get no cgroup on this cgroup v1 host"
    missing = sorted({"memory", "pids", "cpu"} - set(host.get("cgroupControllers") or []))
    if missing:
        return f"the cgroup controllers {', '.join(missing)} are not delegated to your user"
    return None
