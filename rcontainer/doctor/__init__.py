"""``rcontainer doctor``: is this host ready for rootless containers, and if not, what to do.

Each check returns a ``Check`` with a one-line detail and, when it is not ok, the fix. A check
is an *error* when something the user's profiles need is broken (no Podman socket, no
sub-ids, /dev/net/tun closed while a profile uses a private network, a network mode or a class
a profile picks that cannot run, a state dir others can write); a *warning* when things work
but worse than they could, or will stop working on Podman 6; *info* when it only explains.

``host`` checks the machine, ``podman`` the service (and Podman 6 ahead of time), ``runtimes``
each runtime class; ``needs`` reads what the user's profiles and containers ask for.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from rcontainer import paths
from rcontainer.doctor.check import ERROR, INFO, WARNING, Check
from rcontainer.doctor.host import (
    MIN_SUBIDS,
    TUN,
    cgroup_mode,
    check_cgroups,
    check_dir,
    check_idmap_helper,
    check_linger,
    check_ports,
    check_subids,
    check_tun,
    check_userns,
    delegated_controllers,
    parse_subids,
)
from rcontainer.doctor.needs import NEEDS_TUN, Needs, user_needs
from rcontainer.doctor.podman import check_dns, check_network, check_podman, podman6_checks
from rcontainer.doctor.runtimes import check_runtimes, runtime_fix

__all__ = [
    "ERROR",
    "INFO",
    "MIN_SUBIDS",
    "NEEDS_TUN",
    "TUN",
    "WARNING",
    "Check",
    "Needs",
    "cgroup_mode",
    "check_cgroups",
    "check_dir",
    "check_dns",
    "check_idmap_helper",
    "check_linger",
    "check_network",
    "check_podman",
    "check_ports",
    "check_runtimes",
    "check_subids",
    "check_tun",
    "check_userns",
    "delegated_controllers",
    "parse_subids",
    "podman6_checks",
    "run_checks",
    "runtime_fix",
    "user_needs",
]


def run_checks(*, autostart: bool = False) -> list[Check]:
    """Every check, in the order a user should fix things.

    ``autostart`` says whether rcontainer may start a private Podman service when it needs one
    (so a missing socket is only a warning); doctor itself never starts it.
    """
    uid = os.getuid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = os.environ.get("USER") or str(uid)
    needs = user_needs(records=True)
    checks = [
        check_subids("subuid", Path("/etc/subuid"), user, uid),
        check_subids("subgid", Path("/etc/subgid"), user, uid),
        check_idmap_helper("newuidmap"),
        check_idmap_helper("newgidmap"),
        check_userns(
            Path("/proc/sys/user/max_user_namespaces"), Path("/proc/sys/kernel/unprivileged_userns_clone")
        ),
        check_tun(TUN, needs.tun),
    ]
    try:
        mountinfo = Path("/proc/self/mountinfo").read_text()
    except OSError:
        mountinfo = ""
    mode = cgroup_mode(mountinfo)
    checks.append(check_cgroups(mode, delegated_controllers(uid)))
    podman, info = check_podman(autostart=autostart)
    checks += podman
    if info is not None:
        checks += [check_network(info, needs), check_dns(info)]
    checks += check_runtimes(needs)
    checks.append(check_linger(user))
    checks += [
        check_dir("config", paths.config_dir(), uid, private=False),
        check_dir("state", paths.state_dir(), uid, private=True),
        check_dir("cache", paths.cache_dir(), uid, private=False),
    ]
    checks.append(check_ports(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start"), needs.ports))
    checks += podman6_checks(mode, info, needs)
    return checks
