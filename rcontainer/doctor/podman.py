"""The Podman side of ``rcontainer doctor``: the socket, the version, storage, the rootless
network, and what would break on Podman 6 (which removed cgroup v1, CNI, slirp4netns and
BoltDB), each with the fix, checked ahead of the upgrade.

One ``/info`` request serves every check here. Doctor never starts the Podman service: a
missing socket is one of the things it reports.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from rcontainer.backends.podman import compat
from rcontainer.doctor.check import ERROR, INFO, WARNING, Check
from rcontainer.doctor.needs import Needs

PRIVATE_FIX = "network: private (Podman's default rootless network: {default} here, pasta from Podman 5)"


def check_podman(*, autostart: bool) -> tuple[list[Check], dict[str, Any] | None]:
    """The socket and Podman's version; the storage driver. Also returns what ``/info`` said
    (None when no service answered or it failed), for the checks below."""
    from rcontainer.backends.podman import service
    from rcontainer.backends.podman.api import LibpodClient
    from rcontainer.errors import RcError

    try:
        endpoint = service.resolve_endpoint(autostart=False)
    except RcError as exc:
        configured = service.find_endpoint()
        pinned = configured.source == "CONTAINER_HOST" or not autostart
        # Without CONTAINER_HOST and with autostart, rcontainer starts a private service itself.
        severity = ERROR if pinned else WARNING
        detail = exc.message + ("" if pinned else "; rcontainer will start a private one when needed")
        return [Check("socket", False, severity, detail, service.how_to_start(configured))], None
    checks = [Check("socket", True, ERROR, f"{endpoint.socket} answers ({endpoint.source})")]
    try:
        raw = LibpodClient(endpoint, timeout=30).info()
    except RcError as exc:  # any failure here is the finding itself
        checks.append(
            Check("podman", False, ERROR, f"podman info failed: {exc.message}", "podman info (as yourself)")
        )
        return checks, None
    text = (raw.get("version") or {}).get("Version") or "?"
    version = compat.parse_version(text)
    note = (
        "; runtime classes use one service each (Podman < 6)"
        if version is not None and version < compat.RUNTIME_FIELD_HONOURED
        else ""
    )
    checks.append(Check("podman", True, INFO, f"Podman {text}{note}"))
    store = raw.get("store") or {}
    driver = store.get("graphDriverName") or "?"
    if driver == "vfs":
        checks.append(
            Check(
                "storage",
                False,
                WARNING,
                "storage driver vfs copies every layer in full: slow and large",
                'put driver = "overlay" under [storage] in ~/.config/containers/storage.conf, then '
                "podman system reset (deletes your images and containers)",
            )
        )
    else:
        checks.append(Check("storage", True, WARNING, f"storage driver {driver}"))
    return checks, raw


def _version(info: dict[str, Any]) -> compat.Version | None:
    return compat.parse_version((info.get("version") or {}).get("Version"))


def _users(names: list[str]) -> str:
    return ", ".join(names)


def check_network(info: dict[str, Any], needs: Needs) -> Check:
    """Which rootless network ``network: private`` gets here, and whether the explicit modes
    the user's profiles name exist in this Podman (an error when one does not)."""
    name = "rootless network"
    version = _version(info)
    nets = compat.rootless_networks(info, version)
    default = nets.default
    lacking = {mode: users for mode, users in needs.networks.items() if mode in nets.missing}
    if lacking:
        detail = "; ".join(
            f"{_users(users)} name network {mode}, which Podman {compat.version_text(version)} lacks: "
            f"{nets.missing[mode]}"
            for mode, users in sorted(lacking.items())
        )
        return Check(name, False, ERROR, detail, "use " + PRIVATE_FIX.format(default=default))
    if default in nets.missing:
        severity = ERROR if needs.tun else WARNING
        who = f"; needed by profile {_users(needs.tun)}" if needs.tun else ""
        return Check(
            name,
            False,
            severity,
            f"network: private would use {default} (Podman's default rootless network), but "
            f"{nets.missing[default]}{who}",
            "sudo apt-get install passt" if default == "pasta" else "sudo apt-get install slirp4netns",
        )
    others = [m for m in nets.available if m != default]
    also = f"; network: {' or '.join(others)} also runs here" if others else ""
    return Check(name, True, INFO, f"{default} (Podman's default: what network: private gets){also}")


# Where Podman looks for them unless containers.conf says otherwise (containers/common's
# defaults): CNI plugins (cni_plugin_dirs), netavark's helpers (helper_binaries_dir).
CNI_PLUGIN_DIRS = (
    "/usr/local/libexec/cni",
    "/usr/libexec/cni",
    "/usr/local/lib/cni",
    "/usr/lib/cni",
    "/opt/cni/bin",
)
HELPER_DIRS = ("/usr/local/libexec/podman", "/usr/local/lib/podman", "/usr/libexec/podman", "/usr/lib/podman")
DNS_FIX = {
    "cni": ("dnsname", CNI_PLUGIN_DIRS, "golang-github-containernetworking-plugin-dnsname"),
    "netavark": ("aardvark-dns", HELPER_DIRS, "aardvark-dns"),
}


def check_dns(info: dict[str, Any], exists: Callable[[str], bool] = os.path.exists) -> Check:
    """Whether containers on a project network reach each other by name: Podman's CNI backend
    (Podman 4) resolves names with the dnsname plugin, netavark (Podman 5) with aardvark-dns.
    Without it ``up`` of a project works but names do not resolve. Podman 4.4+ says in
    ``networkBackendInfo.dns`` where the program is (the path even when it is missing, for
    CNI); 4.3 says nothing, so the usual folders are looked in, as Podman looks."""
    name = "dns"
    host = info.get("host") or {}
    backend = host.get("networkBackend") or "?"
    if backend not in DNS_FIX:
        return Check(name, True, INFO, f"network backend {backend}: name resolution not checked")
    program, folders, package = DNS_FIX[backend]
    said = ((host.get("networkBackendInfo") or {}).get("dns") or {}).get("path") or ""
    found = (
        said
        if said and exists(said)
        else next((p for p in (os.path.join(d, program) for d in folders) if exists(p)), None)
    )
    if found:
        return Check(name, True, WARNING, f"{program} ({found}): project containers reach each other by name")
    return Check(
        name,
        False,
        WARNING,
        f"network backend {backend} without {program}: containers of a project will not reach each "
        "other by name (project name resolution will not work)",
        f"sudo apt-get install {package}",
    )


# -- Podman 6 ----------------------------------------------------------------------------------


def check_podman6_cgroups(mode: str) -> Check:
    name = "podman6 cgroups"
    if mode == "v2":
        return Check(name, True, WARNING, "cgroup v2: Podman 6 can run here")
    what = {"hybrid": "cgroup v1/hybrid", "v1": "cgroup v1"}.get(mode, "no cgroups mounted")
    return Check(
        name,
        False,
        WARNING,
        f"{what}: Podman 6 removed cgroup v1 support and will not run on this host",
        "boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2) before upgrading to Podman 6",
    )


def check_podman6_network_backend(info: dict[str, Any]) -> Check:
    name = "podman6 network backend"
    backend = (info.get("host") or {}).get("networkBackend") or "?"
    if backend != "cni":
        return Check(name, True, WARNING, f"network backend {backend}")
    return Check(
        name,
        False,
        WARNING,
        "network backend CNI: Podman 6 removed CNI (networks made with it are not carried over)",
        'install netavark and aardvark-dns, set network_backend = "netavark" under [network] in '
        "~/.config/containers/containers.conf, then podman system reset (deletes your containers, "
        "images and networks)",
    )


def check_podman6_slirp4netns(info: dict[str, Any], needs: Needs) -> Check:
    """Profiles (and containers' profiles) naming slirp4netns: a warning while this Podman still
    runs it (the ``network`` check is the error when it does not)."""
    name = "podman6 slirp4netns"
    users = needs.networks.get("slirp4netns") or []
    if not users:
        return Check(name, True, WARNING, "no profile names network slirp4netns")
    default = compat.rootless_networks(info).default if info else "pasta"
    return Check(
        name,
        False,
        WARNING,
        f"{_users(users)} name network slirp4netns, which Podman 6 removed",
        f"use {PRIVATE_FIX.format(default=default)} or network: pasta in those profiles, then "
        "rcontainer up again",
    )


def check_podman6_database(info: dict[str, Any]) -> Check:
    name = "podman6 database"
    version = _version(info)
    db = compat.database_backend(info, version)
    if db != "boltdb":
        return Check(name, True, WARNING, f"database {db or 'unknown'}")
    implied = "" if (info.get("host") or {}).get("databaseBackend") else " (the only one before Podman 4.8)"
    return Check(
        name,
        False,
        WARNING,
        f"database BoltDB{implied}: Podman 6 removed BoltDB and will not read your containers",
        "upgrade through Podman 5.8 or newer, stop the Podman service, then run podman system migrate "
        "--migrate-db (or reboot: Podman migrates at boot)",
    )


def podman6_checks(cgroup_mode: str, info: dict[str, Any] | None, needs: Needs) -> list[Check]:
    """What breaks on Podman 6, each with its fix; without ``/info`` only what the host and
    the profiles say."""
    checks = [check_podman6_cgroups(cgroup_mode)]
    if info is not None:
        checks += [check_podman6_network_backend(info), check_podman6_database(info)]
    checks.append(check_podman6_slirp4netns(info or {}, needs))
    return checks
