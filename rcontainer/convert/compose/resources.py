"""Resource limits: mem_limit, cpus, pids_limit, deploy.resources.limits, and ulimits."""

from __future__ import annotations

from typing import Any

from rcontainer.convert.compose.service import Service
from rcontainer.errors import BadInput

# Top-level Compose keys -> profile resources keys (deploy.resources.limits uses the profile's names).
LIMITS = {"mem_limit": "memory", "cpus": "cpus", "pids_limit": "pids"}


def limits(s: Service) -> None:
    res: dict[str, Any] = {}
    for key, dest in LIMITS.items():
        if s.spec.get(key) is not None:
            res[dest] = s.spec[key]
    if s.spec.get("memswap_limit") is not None:
        s.lose("memswap_limit", "dropped: no swap limit")
    deploy = s.spec.get("deploy")
    if deploy is not None:
        if not isinstance(deploy, dict):
            raise s.bad("deploy", "a mapping", deploy)
        for key, value in deploy.items():
            if key == "resources":
                _deploy_resources(s, value, res)
            elif key == "replicas":
                if value not in (0, 1):
                    s.lose("deploy.replicas", f"{value} → 1: a profile is one container")
            elif key == "restart_policy":
                pass  # lifecycle.restart reads it
            else:
                s.lose(f"deploy.{key}", "dropped: no orchestration")
    if "cpus" in res and isinstance(res["cpus"], str) and "$" not in res["cpus"]:
        try:
            res["cpus"] = float(res["cpus"])
        except ValueError:
            raise s.bad("cpus", "a number of CPUs", res["cpus"]) from None
    if res:
        s.p["resources"] = res


def _deploy_resources(s: Service, value: Any, res: dict[str, Any]) -> None:
    if not isinstance(value, dict):
        raise s.bad(("deploy", "resources"), "a mapping", value)
    limits = value.get("limits") or {}
    if not isinstance(limits, dict):
        raise s.bad(("deploy", "resources", "limits"), "a mapping", limits)
    for key, limit in limits.items():
        if key in ("memory", "cpus", "pids"):
            top = next(k for k, dest in LIMITS.items() if dest == key)
            if key in res and _differ(s, key, res[key], limit):
                raise BadInput(
                    f"{s.at(('deploy', 'resources', 'limits', key))}differs from {top}: Compose refuses"
                    " distinct values (give one of them)"
                )
            res[key] = limit
        else:
            s.lose(f"deploy.resources.limits.{key}", "dropped")
    for key in value:
        if key != "limits":
            s.lose(f"deploy.resources.{key}", "dropped: limits only")


def _differ(s: Service, key: str, a: Any, b: Any) -> bool:
    """Two limits that are not the same amount (as far as the importer can read them now)."""
    from rcontainer.profile.schema import parse_size

    read = {"memory": parse_size, "cpus": float, "pids": int}[key]
    try:
        values = [read(s.resolved(key, v, note=False) if isinstance(v, str) else v) for v in (a, b)]
    except (ValueError, TypeError):
        return False  # a value the profile will refuse anyway
    return values[0] != values[1]


def ulimits(s: Service) -> None:
    given = s.spec.get("ulimits")
    if given is None:
        return
    if not isinstance(given, dict):
        raise s.bad("ulimits", "a mapping", given)
    from rcontainer.profile.schema import ULIMITS

    out = {}
    for key, value in given.items():
        if key in ULIMITS:
            out[key] = value
        else:
            s.lose(f"ulimits.{key}", "dropped: unknown limit")
    if out:
        s.p["ulimits"] = out
