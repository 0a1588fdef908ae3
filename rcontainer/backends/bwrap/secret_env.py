"""A bwrap container's secret environment values: never in a file rcontainer writes.

``spec.json`` names the secret keys only. Their values reach the container the way they reach
a process: the supervisor gets them through a pipe at each start (``launch``) and hands them to
bwrap in memory (``supervisor``). They come from the profile: at ``up`` from the profile just
loaded; at a later ``start`` or ``restart`` from the profile file again, its secret files and
variables read anew (so a rotated secret takes effect at the next start), through the
``SecretSource`` the engine gives the backend (backends never load profiles themselves: the
profile loader asks the backends what they support). ``exec`` takes them from the environment
the container's init was started with, as its other variables come from the container's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rcontainer.errors import OperationFailed, RcError

if TYPE_CHECKING:
    from rcontainer.container import Record

# (profile path, names) -> the values the profile gives those variables now (missing ones
# left out); raises RcError when the profile does not load
SecretSource = Callable[[str, list[str]], dict[str, str]]

MASK = "******"  # what the record's profile shows for a secret (rcontainer.profile.MASK)


def keys(masked: dict[str, Any], profile: dict[str, Any]) -> list[str]:
    """The secret keys of ``profile``: those whose value the record's masked copy hides."""
    shown = masked.get("env") or {}
    return sorted(k for k, v in (profile.get("env") or {}).items() if shown.get(k) == MASK and v != MASK)


def from_profile(source: SecretSource | None, rec: Record, names: list[str], doing: str) -> dict[str, str]:
    """The values of the secret keys ``names``, read from the container's profile now."""
    why = f"{doing} {rec.name}: its secret values are read from its profile at every start"
    if source is None:
        raise OperationFailed(f"{why}, and this command cannot read profiles")
    try:
        values = source(rec.profile_path, names)
    except RcError as exc:
        raise OperationFailed(
            f"{why}, and the profile cannot be loaded now: {exc}",
            hint=f"make {rec.profile_path} load again (the secret files and variables it reads included)",
        ) from None
    missing = [k for k in names if k not in values]
    if missing:
        raise OperationFailed(
            f"{doing} {rec.name}: its profile {rec.profile_path} no longer sets the secret {', '.join(missing)}",
            hint=f"rcontainer up {rec.profile_path} recreates the container from the profile as it is now",
        )
    return values


def from_process(pid: int, names: list[str]) -> dict[str, str]:
    """The values of ``names`` in the environment the process ``pid`` was started with (those
    it does not have are left out)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            raw = fh.read()
    except OSError:
        return {}
    wanted = set(names)
    out: dict[str, str] = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        name = key.decode("utf-8", "surrogateescape")
        if sep and name in wanted:
            out[name] = value.decode("utf-8", "surrogateescape")
    return out
