"""Networks: the containers of a project reach each other by name.

A profile's ``networks:`` names the Podman networks its container joins; ``default`` is its
project's own network, ``rc-PROJECT`` (scoped like container names), any other name a Podman
network of that name. On each, the container is known by its profile name and the aliases the
profile lists. A profile that leaves ``networks`` out and whose network mode is ``private``
joins its project's network when its project's folder is brought up (``up FOLDER``), or when
its container is on it already; otherwise it keeps Podman's default rootless network, as
before projects. Networks are made when missing (labelled as rcontainer's) and removed by
``down`` once no container uses them; a network rcontainer did not make is never removed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rcontainer import paths
from rcontainer.container import Record, State
from rcontainer.engine.queries import LABEL
from rcontainer.errors import BadInput

if TYPE_CHECKING:
    from rcontainer.backends.base import Backend
    from rcontainer.profile import Profile

DEFAULT = "default"

NO_DNS = (
    "the containers of {project} cannot reach each other by name: network {network} has no DNS here"
    " (Podman 4 with CNI needs the dnsname plugin, Debian package"
    " golang-github-containernetworking-plugin-dnsname; Podman 5 needs aardvark-dns)"
)


def podman_name(project: str, network: str) -> str:
    """The Podman network a profile's network name means in ``project``."""
    if network != DEFAULT:
        return network
    s = paths.scope()
    return f"rc-{project}" if s == paths.DEFAULT_SCOPE else f"rc-{s}-{project}"


def join_project(profile: Profile, rec: Record | None, *, in_project: bool) -> None:
    """Give a profile that says nothing about networks its project's network: when its folder is
    brought up as a project, or when its container is on that network already (so ``up FILE`` of
    one profile of a project keeps it there). Private networking only: none, host, pasta and
    slirp4netns keep their meaning."""
    data = profile.data
    if "networks" in data or (data.get("network") or {}).get("mode") != "private":
        return
    on_it = rec is not None and rec.state != State.REMOVED and DEFAULT in (rec.profile.get("networks") or {})
    if in_project or on_it:
        data["networks"] = {DEFAULT: {"aliases": []}}


def for_podman(data: dict[str, Any], project: str, name: str) -> dict[str, Any]:
    """The resolved profile as the backend gets it: network names made Podman's, each with the
    profile's name and aliases."""
    nets = data.get("networks")
    if not nets:
        return data
    if DEFAULT in nets and not project:
        raise BadInput(
            f"{name} joins its project's network, but it is in no project (its folder's name makes none)",
            hint="add a 'project:' field to the profile, or pass -p/--project",
        )
    return {
        **data,
        "networks": {
            podman_name(project, net): {"aliases": [name, *(a for a in opts["aliases"] if a != name)]}
            for net, opts in nets.items()
        },
    }


def ours(owner: str) -> dict[str, str]:
    """The labels that make a network rcontainer's, in this scope and state folder (``owner``)."""
    return {f"{LABEL}.managed": "true", f"{LABEL}.scope": paths.scope(), f"{LABEL}.owner": owner}


def ensure(backend: Backend, data: dict[str, Any], project: str, owner: str, notices: list[str]) -> None:
    """Make the networks the (backend-ready) profile joins, when missing."""
    for network in data.get("networks") or {}:
        if not backend.ensure_network(network, {**ours(owner), f"{LABEL}.project": project}):
            message = NO_DNS.format(project=project, network=network)
            if message not in notices:
                notices.append(message)


def prune(backend: Backend, rec: Record, owner: str) -> list[str]:
    """Remove the networks ``rec``'s container was on that rcontainer made, once no container
    uses them; the names removed."""
    nets = [podman_name(rec.project, n) for n in rec.profile.get("networks") or {}]
    return [network for network in nets if backend.remove_network(network, ours(owner))]


def ensure_project(backend: Backend, project: str, owner: str, notices: list[str]) -> None:
    """Make the project's own network (before its containers, as a systemd unit of its own)."""
    ensure(backend, {"networks": {podman_name(project, DEFAULT): {}}}, project, owner, notices)


def prune_project(backend: Backend, project: str, owner: str) -> bool:
    """Remove the project's own network if rcontainer made it and no container uses it."""
    return backend.remove_network(podman_name(project, DEFAULT), ours(owner))
