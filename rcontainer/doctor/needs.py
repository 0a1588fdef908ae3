"""What the user's profiles and containers ask of the host: doctor's errors are what they need
and the host lacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rcontainer import paths
from rcontainer.backends.podman.compat import EXPLICIT_NETWORKS

NEEDS_TUN = frozenset({"private", "slirp4netns", "pasta"})


@dataclass
class Needs:
    """What the user's profiles (in ``paths.profiles_dir()``) ask of the host."""

    runtimes: dict[str, list[str]] = field(default_factory=dict)  # class -> profile names
    tun: list[str] = field(default_factory=list)  # profiles with a private network
    ports: list[tuple[str, int]] = field(default_factory=list)  # (profile, host port)
    # explicit network mode -> profiles that name it ("profile NAME"), and containers created
    # from a profile that named it ("container NAME"): both break where the mode is missing
    networks: dict[str, list[str]] = field(default_factory=dict)


def user_needs(folder: Path | None = None, *, records: bool = False) -> Needs:
    """Read every profile in the folder; profiles that do not load are skipped (``validate``
    is the command that reports them). With ``records``, the profiles the user's containers
    were created from (every scope) count for ``networks`` too."""
    from rcontainer.errors import RcError
    from rcontainer.profile import load_profile

    folder = paths.profiles_dir() if folder is None else folder
    needs = Needs()
    files = (
        sorted(p for pattern in ("*.yaml", "*.yml") for p in folder.glob(pattern)) if folder.is_dir() else []
    )
    for path in files:
        try:
            profile = load_profile(path)
        except (RcError, OSError, ValueError):
            continue
        data = profile.data
        needs.runtimes.setdefault(profile.runtime, []).append(profile.name)
        net = data.get("network") or {}
        mode = net.get("mode") or "private"
        if mode in NEEDS_TUN:
            needs.tun.append(profile.name)
        if mode in EXPLICIT_NETWORKS:
            needs.networks.setdefault(mode, []).append(f"profile {profile.name}")
        if mode not in ("none", "host"):
            for port in net.get("ports") or []:
                needs.ports.append((profile.name, int(port["host_port"])))
    if records:
        for mode, name in record_networks():
            needs.networks.setdefault(mode, []).append(f"container {name}")
    return needs


def record_networks() -> list[tuple[str, str]]:
    """(mode, container name) of every container whose profile named an explicit network mode:
    ``up`` recreates it from that profile. Records that cannot be read are skipped."""
    from rcontainer.container import State
    from rcontainer.engine import store
    from rcontainer.errors import RcError

    try:
        recs = store.all_records(every_scope=True)
    except (RcError, OSError):
        return []
    out = []
    for rec in recs:
        mode = ((rec.profile or {}).get("network") or {}).get("mode")
        if mode in EXPLICIT_NETWORKS and rec.state != State.REMOVED:
            scope = "" if rec.scope == paths.DEFAULT_SCOPE else f" (scope {rec.scope})"
            out.append((str(mode), f"{rec.name}{scope}"))
    return out
