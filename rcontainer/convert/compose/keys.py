"""Which Compose service key goes where: the key -> handler table, and the keys dropped."""

from __future__ import annotations

from collections.abc import Callable

from rcontainer.convert.compose.health import healthcheck
from rcontainer.convert.compose.lifecycle import restart, stop
from rcontainer.convert.compose.network import network
from rcontainer.convert.compose.relations import depends, networks
from rcontainer.convert.compose.resources import limits, ulimits
from rcontainer.convert.compose.security import capabilities, flags, security_opt, userns
from rcontainer.convert.compose.service import Service
from rcontainer.convert.compose.services import (
    commands,
    environment,
    image,
    metadata,
    name,
    runtime,
    tty,
    user,
    working_dir,
)
from rcontainer.convert.compose.volumes import volumes

Handler = Callable[[Service], None]


def expose(s: Service) -> None:
    """Nothing to do: every port of a container is open to the others on the project's network."""


# Compose service key -> the handler that imports it. A handler may read several keys (and
# restart also reads deploy.restart_policy); each runs once per service, whether its
# keys are set or not, in the order it first appears here, which is the order of the report.
HANDLERS: dict[str, Handler] = {
    "container_name": name,
    "image": image,
    "build": image,
    "pull_policy": image,
    "command": commands,
    "entrypoint": commands,
    "env_file": environment,
    "environment": environment,
    "network_mode": network,
    "networks": networks,
    "ports": network,
    "hostname": network,
    "domainname": network,
    "dns": network,
    "extra_hosts": network,
    "volumes": volumes,
    "tmpfs": volumes,
    "mem_limit": limits,
    "cpus": limits,
    "pids_limit": limits,
    "memswap_limit": limits,
    "deploy": limits,
    "ulimits": ulimits,
    "healthcheck": healthcheck,
    "restart": restart,
    "runtime": runtime,
    "userns_mode": userns,
    "cap_add": capabilities,
    "cap_drop": capabilities,
    "read_only": flags,
    "privileged": flags,
    "tty": tty,
    "stop_signal": stop,
    "stop_grace_period": stop,
    "labels": metadata,
    "annotations": metadata,
    "user": user,
    "working_dir": working_dir,
    "security_opt": security_opt,
    "depends_on": depends,
    "expose": expose,
}

# Service keys with no profile equivalent, and what to tell the user about them.
DROPPED = {
    "links": "dropped: the services of the project reach each other by name on its network"
    " (a link's alias is not made, nor its implied dependency: use depends_on and aliases)",
    "external_links": "dropped: join the other container's network (networks) and reach it by name",
    "secrets": "dropped: no secret mounts (give them as env with secret: true, or a read-only bind)",
    "configs": "dropped: no config mounts (use a read-only bind of the file)",
    "scale": "dropped: a profile is one container",
    "profiles": "dropped: every imported service is its own profile",
    "volumes_from": "dropped: mount the same volumes instead",
    "logging": "dropped: rcontainer keeps its own logs",
    "devices": "dropped: no device mounts",
    "sysctls": "dropped: no sysctls",
    "pid": "dropped: no pid namespace sharing",
    "ipc": "dropped: no ipc namespace sharing",
    "shm_size": "dropped: no /dev/shm size",
    "init": "dropped: no init process",
    "group_add": "dropped: no supplementary groups",
    "platform": "dropped: the host's platform is used",
    "dns_search": "dropped: no DNS search domains",
    "dns_opt": "dropped: no DNS options",
    "stdin_open": "dropped: 'tty: true' keeps stdin open",
    "develop": "dropped: no watch mode",
    "post_start": "dropped: no lifecycle hooks",
    "pre_stop": "dropped: no lifecycle hooks",
}

# The order of a profile's fields, as a person would write them.
PROFILE_KEYS = (
    "name", "project", "image", "build", "pull", "command", "entrypoint", "workdir", "user", "userns",
    "env_file", "env", "network", "volumes", "runtime", "resources", "ulimits", "healthcheck",
    "restart", "stop_signal", "stop_timeout", "read_only", "cap_add", "cap_drop",
    "no_new_privileges", "privileged", "labels", "annotations", "tty",
    "networks", "depends_on",
)  # fmt: skip
