"""What the bubblewrap family can do (read without importing the backend).

``UNSUPPORTED`` is what rcontainer's bubblewrap supervisor does not do: the profile loader
refuses these values rather than ignoring them (``rcontainer.profile.loader``), checked in
this order, each reported where the profile wrote it (a default at ``runtime``). Every reason
ends by naming the runtime class that chose bubblewrap.
"""

from rcontainer.backends.base import Capabilities, Unsupported

_BECAUSE = " (runtime {runtime!r} is bubblewrap)"

UNSUPPORTED = (
    Unsupported(
        "network.ports",
        lambda ports: ports != [],
        "bwrap runs with network none or host; published ports need a Podman runtime class" + _BECAUSE,
    ),
    Unsupported(
        "networks",
        lambda networks: networks is not None,
        "bwrap cannot join a Podman network (networks:); use a Podman runtime class to reach other"
        " containers by name" + _BECAUSE,
    ),
    Unsupported(
        "network.mode",
        lambda mode: mode not in ("none", "host"),
        "bwrap runs with network none or host, not {value!r}{default}" + _BECAUSE,
        default_fix="set network: {mode: none}",
    ),
    *(
        Unsupported(
            f"resources.{key}",
            lambda limit: limit is not None,
            "bwrap cannot enforce resource limits without delegated cgroups" + _BECAUSE,
        )
        for key in ("memory", "cpus", "pids")
    ),
    Unsupported(
        "healthcheck",
        lambda healthcheck: healthcheck is not None,
        "bwrap runs no healthchecks; use a Podman runtime class for healthcheck" + _BECAUSE,
    ),
    Unsupported(
        "userns",
        lambda userns: userns != "",
        "bwrap maps the user to root in its own user namespace; use a Podman runtime class for userns"
        + _BECAUSE,
    ),
    Unsupported(
        "home",
        lambda home: home == "overlay",
        "bwrap cannot give an overlay home: bubblewrap 0.8 (the oldest it runs on) has no overlay options;"
        " use home: isolated"
        " (a home folder of the container's own) or a Podman runtime class for home: overlay" + _BECAUSE,
    ),
    Unsupported(
        "tty",
        lambda tty: tty is True,
        "bwrap allocates no terminal; use a Podman runtime class for tty" + _BECAUSE,
    ),
    Unsupported(
        "volumes[]",
        lambda volume: bool(volume.get("selinux")),
        "bwrap has no SELinux relabelling (z/Z)" + _BECAUSE,
    ),
    Unsupported(
        "volumes[]",
        lambda volume: volume["type"] == "volume",
        "bwrap cannot mount named volumes (bind and tmpfs mounts work)" + _BECAUSE,
    ),
)

# no daemon restarts a bwrap container: rcontainer's monitor does, as its restart policy says
# (rcontainer.engine.monitor), or systemd under a unit
CAPABILITIES = Capabilities(
    pause_method="signal", orphans=False, healthchecks=False, unsupported=UNSUPPORTED, restarts=False
)
