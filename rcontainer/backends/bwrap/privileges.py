"""A container's privileges, read from its init, and given to a process that joins it (``exec``).

Joining a user namespace with ``setns`` grants the full capability set in it: left as it is,
an exec'd process could remount a read-only bind read-write, write through ``read_only:
true`` or into the shared image cache. So the joining process takes on exactly what the
container's init has, read from ``/proc/PID/status`` (it reflects the profile's ``cap_add``,
``cap_drop``, ``privileged`` and the runtime class's options, and anything the init has since
dropped): the bounding, inheritable, permitted, effective and ambient capability sets, and
no_new_privs (bwrap always sets it). Its uid and gid need nothing: they are the user's own,
which the namespaces map as they map the init's. A seccomp filter cannot be copied from
another process, so an exec into a container that has one is refused.

The supervisor imports ``apply_ulimits`` under ``python -S``: the standard library only.
"""

from __future__ import annotations

import os
import resource
from typing import Any

from rcontainer.errors import OperationFailed
from rcontainer.values import Value

PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_RAISE = 2
PR_CAP_AMBIENT_CLEAR_ALL = 4
CAPABILITY_VERSION_3 = 0x20080522  # linux/capability.h: two 32-bit words per set


class Privileges(Value):
    """The capability sets (bit masks) and flags of one process, as /proc shows them:
    ``seccomp`` 0 none, 1 strict, 2 filter; ``last_cap`` the highest capability number this
    kernel knows."""

    __slots__ = (
        "inheritable",
        "permitted",
        "effective",
        "bounding",
        "ambient",
        "no_new_privs",
        "seccomp",
        "last_cap",
    )

    def __init__(
        self,
        inheritable: int,
        permitted: int,
        effective: int,
        bounding: int,
        ambient: int,
        no_new_privs: bool,
        seccomp: int,
        last_cap: int,
    ) -> None:
        self.inheritable = inheritable
        self.permitted = permitted
        self.effective = effective
        self.bounding = bounding
        self.ambient = ambient
        self.no_new_privs = no_new_privs
        self.seccomp = seccomp
        self.last_cap = last_cap


def parse_status(text: str, last_cap: int) -> Privileges:
    """The privileges in the text of /proc/PID/status."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return Privileges(
        inheritable=int(fields["CapInh"], 16),
        permitted=int(fields["CapPrm"], 16),
        effective=int(fields["CapEff"], 16),
        bounding=int(fields["CapBnd"], 16),
        ambient=int(fields.get("CapAmb", "0"), 16),
        no_new_privs=fields.get("NoNewPrivs", "0") == "1",
        seccomp=int(fields.get("Seccomp", "0")),
        last_cap=last_cap,
    )


def of_process(pid: int) -> Privileges:
    """What the process ``pid`` (the container's init) may do; refused when it runs under a
    seccomp filter, which cannot be copied."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            text = fh.read()
        with open("/proc/sys/kernel/cap_last_cap") as fh:
            last_cap = int(fh.read())
    except (OSError, ValueError) as exc:
        raise OperationFailed(f"cannot read the privileges of process {pid}: {exc}") from None
    privileges = parse_status(text, last_cap)
    if privileges.seccomp:
        raise OperationFailed(
            "the container runs under a seccomp filter, which exec cannot give a joining process"
        )
    return privileges


def _bits(mask: int, last_cap: int) -> list[int]:
    return [cap for cap in range(last_cap + 1) if mask >> cap & 1]


def take_on(p: Privileges) -> None:
    """Reduce this process's privileges to ``p``: called in the joined child, which holds every
    capability of the container's user namespace (CAP_SETPCAP among them, needed to shrink the
    bounding set), so the bounding set goes first, then the three sets, then the ambient one.
    Raises OSError when the kernel refuses a step: the command must not run then."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]

    def prctl(option: int, arg: int = 0, arg3: int = 0) -> None:
        if libc.prctl(option, arg, arg3, 0, 0) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"{os.strerror(err)} (prctl {option}, {arg})")

    for cap in range(p.last_cap + 1):
        if not p.bounding >> cap & 1:
            prctl(PR_CAPBSET_DROP, cap)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [
            ("effective", ctypes.c_uint32),
            ("permitted", ctypes.c_uint32),
            ("inheritable", ctypes.c_uint32),
        ]

    words = (Data * 2)()
    for i in range(2):
        shift = 32 * i
        words[i].effective = p.effective >> shift & 0xFFFFFFFF
        words[i].permitted = p.permitted >> shift & 0xFFFFFFFF
        words[i].inheritable = p.inheritable >> shift & 0xFFFFFFFF
    header = Header(CAPABILITY_VERSION_3, 0)
    if libc.capset(ctypes.byref(header), words) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{os.strerror(err)} (capset)")
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    for cap in _bits(p.ambient, p.last_cap):
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap)
    # bwrap sets no_new_privs on every container: an exec never runs without it
    prctl(PR_SET_NO_NEW_PRIVS, 1)


def die_with_parent(sig: int) -> None:
    """Have the kernel send ``sig`` to this process when its parent ends (PR_SET_PDEATHSIG)."""
    import ctypes

    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)


def apply_ulimits(ulimits: dict[str, Any]) -> None:
    """The profile's ulimits on this process (the supervisor before bwrap, exec before joining)."""
    for name, lim in ulimits.items():
        which = getattr(resource, f"RLIMIT_{name.upper()}", None)
        if which is None:
            continue
        soft, hard = (resource.RLIM_INFINITY if v == -1 else int(v) for v in (lim["soft"], lim["hard"]))
        resource.setrlimit(which, (soft, hard))
