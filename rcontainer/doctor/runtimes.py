"""Runtime classes in ``rcontainer doctor``: each probed as ``rcontainer runtimes`` does."""

from __future__ import annotations

from rcontainer import paths
from rcontainer.doctor.check import ERROR, INFO, WARNING, Check
from rcontainer.doctor.needs import Needs


def check_runtimes(needs: Needs) -> list[Check]:
    """Each class, probed as ``rcontainer runtimes`` does (cached); the default class is probed
    only through a service that already answers."""
    from rcontainer.errors import BadInput
    from rcontainer.runtimes import probe as runtime_probe

    try:
        results = runtime_probe.statuses(autostart=False)
    except BadInput as exc:
        return [Check("runtimes", False, ERROR, exc.message, f"fix or remove {paths.runtimes_file()}")]
    checks = []
    for s in results:
        users = needs.runtimes.get(s.name, [])
        severity = ERROR if users else WARNING
        used = f" (used by profile {', '.join(users)})" if users else ""
        name = f"runtime {s.name}"
        if s.usable:
            where = f" ({s.handler_path})" if s.handler_path else ""
            checks.append(Check(name, True, severity, f"usable{where}{used}"))
        elif s.usable is None:
            why = (s.reason or "").removeprefix("cannot probe: ")
            checks.append(
                Check(name, False, INFO, f"not probed: {why}{used}", "rcontainer runtimes --refresh")
            )
        else:
            fix = runtime_fix(s.name, s.reason or "")
            checks.append(Check(name, False, severity, f"unusable: {s.reason}{used}", fix))
    return checks


def runtime_fix(name: str, reason: str) -> str:
    if "hybrid" in reason:
        return "use runtime: runc in your profiles (crun needs cgroup v2 or pure v1)"
    if "not found" in reason or "not exist" in reason:
        pkg = {"gvisor": "gVisor (runsc)", "kata": "Kata Containers", "crun": "crun", "runc": "runc"}.get(
            name
        )
        return f"install {pkg}" if pkg else "install the runtime, or fix its path in runtimes.yaml"
    return "rcontainer runtimes --refresh shows the runtime's own error"
