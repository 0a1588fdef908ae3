"""The libpod create request (a SpecGenerator document) for a resolved profile.

rcontainer writes the document itself rather than going through podman-py's docker-style
keywords: that keeps every profile field under our control (the keyword mapping drops some,
e.g. ports with ``network_mode="none"``). Pure logic: tests/unit/test_podman_spec.py checks
what Podman receives.
"""

from __future__ import annotations

import signal as signals
from typing import Any

NS = 1_000_000_000  # Podman's durations are nanoseconds


def signal_number(name: str) -> int:
    return int(getattr(signals, name if name.startswith("SIG") else f"SIG{name}"))


def spec_from_profile(
    profile: dict[str, Any],
    image: str,
    *,
    name: str,
    labels: dict[str, str],
    log_path: str,
    handler: str | None,
) -> dict[str, Any]:
    """The libpod SpecGenerator for a resolved profile.

    ``labels`` are rcontainer's own (io.rcontainer.*): they win over the profile's labels of
    the same name. ``handler`` is the runtime class's OCI runtime (None: Podman's default).
    """
    from rcontainer import logs  # its readers (queue, threads) only where a log is made: not on exec

    p = profile
    spec: dict[str, Any] = {
        "name": name,
        "image": image,
        "labels": {**(p.get("labels") or {}), **labels},
        "annotations": dict(p.get("annotations") or {}),
        "env": dict(p.get("env") or {}),
        "terminal": bool(p.get("tty")),
        "stdin": bool(p.get("tty")),
        # conmon starts the file afresh when it reaches the size: logs never fill the disk
        "log_configuration": {"driver": "k8s-file", "path": log_path, "size": logs.max_bytes()},
        "no_new_privileges": bool(p.get("no_new_privileges", True)),
        "read_only_filesystem": bool(p.get("read_only")),
        "privileged": bool(p.get("privileged")),
        "stop_signal": signal_number(p.get("stop_signal") or "SIGTERM"),
        "stop_timeout": int(p.get("stop_timeout", 10)),
    }
    if handler:
        # honoured from Podman 6.0; before, the class's own service applies it (compat.py)
        spec["oci_runtime"] = handler
    for key, field in (
        ("command", "command"),
        ("work_dir", "workdir"),
        ("user", "user"),
    ):
        if p.get(field):
            spec[key] = p[field]
    if p.get("entrypoint") is not None:  # [] clears the image's entrypoint (its CMD still runs)
        spec["entrypoint"] = list(p["entrypoint"])
    spec.update(_network(p.get("network") or {}, p.get("networks") or {}))
    spec.update(_userns(p.get("userns")))
    spec.update(_mounts(p.get("volumes") or []))
    # a dev shell's (rcontainer.engine.devshell): your name in /etc/passwd, the host's zone
    if p.get("passwd_entry"):
        spec["passwd_entry"] = p["passwd_entry"]
    if p.get("timezone"):
        spec["timezone"] = p["timezone"]
    for key in ("cap_add", "cap_drop"):
        if p.get(key):
            spec[key] = list(p[key])
    spec.update(_limits(p.get("resources") or {}, p.get("ulimits") or {}))
    hc = p.get("healthcheck")
    if hc:
        spec["healthconfig"] = {
            "Test": list(hc["test"]),
            "Interval": int(float(hc.get("interval", 30)) * NS),
            "Timeout": int(float(hc.get("timeout", 30)) * NS),
            "Retries": int(hc.get("retries", 3)),
            "StartPeriod": int(float(hc.get("start_period", 0)) * NS),
        }
    restart = p.get("restart") or "no"
    if restart != "no":
        policy, _, tries = restart.partition(":")
        spec["restart_policy"] = policy
        if tries:
            spec["restart_tries"] = int(tries)
    return spec


def _network(net: dict[str, Any], networks: dict[str, Any]) -> dict[str, Any]:
    """Namespace, published ports (none without a network of its own), host name, DNS, hosts.

    ``private`` is sent as Podman's own ``private`` mode: rootless, Podman gives the container
    its default rootless network (slirp4netns on 4.x, pasta from 5.0, or what containers.conf's
    ``default_rootless_network_cmd`` says), as ``podman run`` would. ``slirp4netns`` and
    ``pasta`` name one explicitly (the backend refuses one the service lacks). With
    ``networks`` (Podman network name -> aliases; the profile loader allows them with
    ``private`` only) the container joins those bridge networks instead."""
    mode = net.get("mode") or "private"
    out: dict[str, Any] = {"netns": {"nsmode": mode}}
    if networks:
        out["netns"] = {"nsmode": "bridge"}
        out["networks"] = {
            name: {"aliases": list(opts.get("aliases") or [])} for name, opts in networks.items()
        }
    if mode not in ("host", "none"):
        out["portmappings"] = [
            {
                "host_ip": x.get("host_ip") or "",
                "host_port": x["host_port"],
                "container_port": x["container_port"],
                "protocol": x.get("protocol", "tcp"),
            }
            for x in net.get("ports") or []
        ]
    if net.get("hostname"):
        out["hostname"] = net["hostname"]
    if net.get("dns"):
        out["dns_server"] = list(net["dns"])
    if net.get("add_hosts"):
        out["hostadd"] = [
            f"{host}:{ip}"
            for host, ips in net["add_hosts"].items()
            for ip in ([ips] if isinstance(ips, str) else ips)  # one address, or several
        ]
    return out


def _userns(userns: Any) -> dict[str, Any]:
    """A mode name (keep-id, auto, host), or explicit id maps; '' leaves Podman's default."""
    if isinstance(userns, str) and userns:
        return {"userns": {"nsmode": userns}}
    if isinstance(userns, dict) and userns:
        return {
            "idmappings": {
                "UIDMap": [_idmap(m) for m in userns.get("uidmap", [])],
                "GIDMap": [_idmap(m) for m in userns.get("gidmap", [])],
            }
        }
    return {}


def _idmap(m: Any) -> dict[str, int]:
    if isinstance(m, dict):
        return {"container_id": int(m["container_id"]), "host_id": int(m["host_id"]), "size": int(m["size"])}
    container_id, host_id, size = (int(x) for x in str(m).split(":"))
    return {"container_id": container_id, "host_id": host_id, "size": size}


def _mounts(volumes: list[dict[str, Any]]) -> dict[str, Any]:
    """Bind and tmpfs mounts go in ``mounts``, named volumes in ``volumes``, overlays (a bind
    with ``overlay``: its upper and work folders) in ``overlay_volumes``."""
    mounts, named, overlays = [], [], []
    for v in volumes:
        if v.get("overlay"):  # writes go to upperdir, never to the source (a dev shell's home)
            layer = v["overlay"]
            overlays.append(
                {
                    "source": v["source"],
                    "destination": v["target"],
                    "options": [f"upperdir={layer['upper']}", f"workdir={layer['work']}"],
                }
            )
            continue
        options = ["ro" if v.get("read_only") else "rw"]
        if v.get("selinux"):
            options.append(v["selinux"])  # z or Z: relabel for SELinux
        if v["type"] == "bind":
            mounts.append(
                {
                    "Type": "bind",
                    "Source": v["source"],
                    "Destination": v["target"],
                    "Options": [*options, "rbind"],
                }
            )
        elif v["type"] == "tmpfs":
            if v.get("size"):
                options.append(f"size={v['size']}")
            if v.get("mode") is not None:
                options.append(f"mode={int(v['mode']):o}")
            mounts.append(
                {"Type": "tmpfs", "Source": "tmpfs", "Destination": v["target"], "Options": options}
            )
        else:
            named.append({"Name": v["source"], "Dest": v["target"], "Options": options})
    out: dict[str, Any] = {}
    if mounts:
        out["mounts"] = mounts
    if named:
        out["volumes"] = named
    if overlays:
        out["overlay_volumes"] = overlays
    return out


def _limits(res: dict[str, Any], ulimits: dict[str, Any]) -> dict[str, Any]:
    """cgroup limits (memory bytes, CPUs as a quota per 100 ms period, pids) and rlimits."""
    limits: dict[str, Any] = {}
    if res.get("memory"):
        limits["memory"] = {"limit": int(res["memory"])}
    if res.get("cpus"):
        limits["cpu"] = {"quota": int(float(res["cpus"]) * 100_000), "period": 100_000}
    if res.get("pids"):
        limits["pids"] = {"limit": int(res["pids"])}
    out: dict[str, Any] = {"resource_limits": limits} if limits else {}
    if ulimits:
        out["r_limits"] = [
            {"type": f"RLIMIT_{k.upper()}", "soft": v["soft"], "hard": v["hard"]} for k, v in ulimits.items()
        ]
    return out
