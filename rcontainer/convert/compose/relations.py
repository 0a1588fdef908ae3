"""How services relate: ``depends_on`` and ``networks`` (with aliases) of one project.

An imported Compose file is one project folder (``rcontainer up FOLDER``): its services reach
each other by name on the project's network, as on Compose's default network. Compose's
``default`` network is the project's network (``default`` in a profile); a named network
``front`` of project ``shop`` is the Podman network Compose would make, ``shop_front`` (or its
``name:``, or the name itself when ``external``). What a profile cannot say (fixed addresses,
driver options, an external network that must exist already) is noted.

``depends_on`` keeps Compose's names and conditions here; ``link`` (once every service is
converted) renames each dependency to its profile's name and drops what the folder will not
hold (a service left out with ``--service``, a provider), or what it could never meet.
"""

from __future__ import annotations

import re
from typing import Any

from rcontainer.convert.compose.service import Service, boolean
from rcontainer.convert.loss import Loss, shown

CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")
_ALIAS = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")  # profiles' host name rule
# per-service network settings a profile has no field for, and why
_NETWORK_KEYS_DROPPED = {
    "ipv4_address": "a fixed address",
    "ipv6_address": "a fixed address",
    "link_local_ips": "link-local addresses",
    "mac_address": "a fixed MAC address",
    "priority": "the order of its networks",
    "gw_priority": "which network is its gateway",
    "driver_opts": "per-container driver options",
    "interface_name": "the interface's name",
}
# top-level network settings: the network is made by Podman with its defaults
_TOP_KEYS_DROPPED = ("driver", "driver_opts", "ipam", "internal", "enable_ipv6", "attachable", "labels")


def depends(s: Service) -> None:
    """``depends_on``: a list of services, or service -> {condition, required, restart}."""
    value = s.spec.get("depends_on")
    if value is None:
        return
    out: dict[str, dict[str, str]] = {}
    if isinstance(value, list):
        for i, dep in enumerate(value):
            if not isinstance(dep, str):
                raise s.bad(("depends_on", i), "a service name", dep)
            out[dep] = {"condition": "service_started"}
    elif isinstance(value, dict):
        for dep, spec in value.items():
            dep = str(dep)
            at = ("depends_on", dep)
            spec = {} if spec is None else spec
            if not isinstance(spec, dict):
                raise s.bad(at, "a mapping with condition (and required, restart)", spec)
            condition = s.resolved((*at, "condition"), spec.get("condition", "service_started"))
            if condition not in CONDITIONS:
                raise s.bad((*at, "condition"), ", ".join(CONDITIONS), condition)
            if boolean(spec.get("required", True)) is False:
                if dep not in s.services:
                    s.lose(f"depends_on.{dep}", "dropped: optional, and no such service (as Compose)")
                    continue
                s.lose(
                    f"depends_on.{dep}.required",
                    "false dropped: up waits for it as for any dependency (and refuses when it is missing)",
                )
            if boolean(spec.get("restart", False)) is True:
                s.lose(
                    f"depends_on.{dep}.restart", f"dropped: nothing restarts {s.service} when {dep} restarts"
                )
            for key in spec:
                if key not in ("condition", "required", "restart") and not str(key).startswith("x-"):
                    s.lose(f"depends_on.{dep}.{key}", "dropped")
            out[dep] = {"condition": condition}
    else:
        raise s.bad("depends_on", "a list of services or a mapping", value)
    if out:
        s.p["depends_on"] = {**s.p.get("depends_on", {}), **out}


def networks(s: Service) -> None:
    """``networks`` (and the service's name as an alias where its profile's name differs)."""
    if s.spec.get("network_mode") is not None:
        return  # a mode, not networks (both together are refused before)
    value = s.spec.get("networks")
    if value is None:
        joined: dict[str, Any] = {"default": None}
    elif isinstance(value, list):
        joined = {}
        for i, name in enumerate(value):
            if not isinstance(name, str):
                raise s.bad(("networks", i), "a network name", name)
            joined[name] = None
    elif isinstance(value, dict):
        joined = {str(k): v for k, v in value.items()}
    else:
        raise s.bad("networks", "a list of network names or a mapping", value)
    if not joined:
        joined = {"default": None}  # as Compose: no networks named, the default one
    out: dict[str, dict[str, list[str]]] = {}
    for name, spec in joined.items():
        at = ("networks", name)
        target = network_name(s, name, at if value is not None else ("networks",))
        aliases: list[str] = []
        if spec is not None:
            if not isinstance(spec, dict):
                raise s.bad(at, "a mapping with aliases (or nothing)", spec)
            found = spec.get("aliases")
            if found is not None:
                if not isinstance(found, list) or not all(isinstance(a, str) for a in found):
                    raise s.bad((*at, "aliases"), "a list of names", found)
                for alias in found:
                    if _ALIAS.fullmatch(alias) or "$" in alias:
                        aliases.append(alias)
                    else:
                        s.lose(f"networks.{name}.aliases", f"{shown(alias)!r} dropped: not a host name")
            for key in spec:
                if key in _NETWORK_KEYS_DROPPED and spec[key] is not None:
                    s.lose(
                        f"networks.{name}.{key}",
                        f"dropped: a profile cannot set {_NETWORK_KEYS_DROPPED[key]} (Podman picks it)",
                    )
                elif key != "aliases" and key not in _NETWORK_KEYS_DROPPED and not str(key).startswith("x-"):
                    s.lose(f"networks.{name}.{key}", "dropped")
        if s.p.get("name") != s.service and _ALIAS.fullmatch(s.service):
            aliases.insert(0, s.service)  # Compose's containers answer to their service's name
        entry = out.setdefault(target, {"aliases": []})
        entry["aliases"] += [a for a in aliases if a not in entry["aliases"]]
    if list(out) == ["default"] and not out["default"]["aliases"]:
        return  # what up FOLDER gives a profile without networks
    s.p["networks"] = {k: ({"aliases": v["aliases"]} if v["aliases"] else {}) for k, v in out.items()}


def network_name(s: Service, name: str, at: tuple[str | int, ...]) -> str:
    """The profile's name for the Compose network ``name``: 'default' for the project's own
    network, else the Podman network Compose would make (PROJECT_NAME, its name:, or external)."""
    if name not in s.top_networks and name != "default":
        raise s.bad(at, f"a network defined under the top-level networks ({_defined(s)})", name)
    top = s.top_networks.get(name)
    top = top if isinstance(top, dict) else {}
    given = s.resolved(("networks", name, "name"), top.get("name"), note=False)
    if isinstance(given, str) and given:
        return given
    external = top.get("external")
    if boolean(external) is True or isinstance(external, dict):
        if isinstance(external, dict) and isinstance(external.get("name"), str):
            return external["name"]  # the legacy spelling: external: {name: ...}
        return name
    if name == "default":
        return "default"
    return f"{s.project}_{name}"


def _defined(s: Service) -> str:
    return ", ".join(map(str, s.top_networks)) or "none"


def top_level_notes(compose: dict[str, Any], project: str) -> list[Loss]:
    """Notes on the top-level ``networks``: what Podman makes its own way, what must exist."""
    top = compose.get("networks") or {}
    notes: list[Loss] = []
    if not isinstance(top, dict):
        return notes
    for name, spec in top.items():
        if not isinstance(spec, dict):
            continue
        where = f"networks.{name}"
        external = spec.get("external")
        if boolean(external) is True or isinstance(external, dict):
            notes.append(
                Loss(
                    project,
                    f"{where}.external",
                    "joined by its name: up makes it when missing, where Compose refuses to start",
                )
            )
        for key in _TOP_KEYS_DROPPED:
            if spec.get(key) not in (None, {}, []):
                notes.append(
                    Loss(project, f"{where}.{key}", "dropped: Podman makes the network with its defaults")
                )
    return notes


def link(profiles: dict[str, dict[str, Any]], compose: dict[str, Any]) -> list[Loss]:
    """Each profile's ``depends_on`` by profile names: a dependency on a service not imported is
    dropped, ``service_healthy`` on one without a healthcheck becomes ``service_started``."""
    losses: list[Loss] = []
    names = {svc: p["name"] for svc, p in profiles.items()}
    for svc, profile in profiles.items():
        deps = profile.pop("depends_on", None)
        if not deps:
            continue
        out: dict[str, dict[str, str]] = {}
        for dep, spec in deps.items():
            if dep not in names:
                why = (
                    "not imported into this folder"
                    if dep in (compose.get("services") or {})
                    else "no such service"
                )
                losses.append(Loss(svc, f"depends_on.{dep}", f"dropped: {why}"))
                continue
            condition = spec["condition"]
            if condition == "service_healthy" and not _has_check(profiles[dep]):
                losses.append(
                    Loss(
                        svc,
                        f"depends_on.{dep}.condition",
                        "service_healthy → service_started: its profile has no healthcheck (the image's own"
                        " is not read)",
                    )
                )
                condition = "service_started"
            out[names[dep]] = {"condition": condition}
        if out:
            profile["depends_on"] = out
    return losses


def _has_check(profile: dict[str, Any]) -> bool:
    test = (profile.get("healthcheck") or {}).get("test")
    return bool(test) and test != ["NONE"]
