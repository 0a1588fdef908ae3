"""The network: mode, published ports, host name, DNS servers and extra hosts."""

from __future__ import annotations

import re
from typing import Any

from rcontainer.convert.compose.service import Service
from rcontainer.convert.compose.variables import has_variable

# Compose network_mode -> profile network.mode; any other mode becomes private, with a loss.
MODES = {
    "bridge": "private",
    "default": "private",
    "none": "none",
    "host": "host",
    "slirp4netns": "private",
    "pasta": "pasta",
    "private": "private",
}

_PORT = re.compile(
    r"^(?:(\[[0-9A-Fa-f:.]+\]|[0-9]+\.[0-9.]+):)?(?:([0-9]+(?:-[0-9]+)?)?:)?([0-9]+(?:-[0-9]+)?)(?:/([a-zA-Z]+))?$"
)
# A port a profile takes as it is: one host port and one container port.
_AS_WRITTEN = re.compile(
    r"((\[[0-9A-Fa-f:.]+\]|[0-9.]*):)?[0-9]{1,5}:[0-9]{1,5}(/(tcp|udp|sctp))?", re.IGNORECASE
)
_PORT_DROPPED = {
    "mode": "published on the host, as Compose without Swarm does",
    "name": "profile ports have no names",
    "app_protocol": "profile ports have no application protocol",
}
_PORT_KEYS = ("target", "published", "host_ip", "protocol", "mode", "name", "app_protocol")


def network(s: Service) -> None:
    net: dict[str, Any] = {}
    mode = s.get("network_mode", str, "a network mode")
    if mode is not None:
        if mode in MODES:
            net["mode"] = MODES[mode]
        elif mode.startswith("service:") and mode[8:] in s.services:
            # Compose starts that service first and shares its network namespace: here the
            # container joins the project's network beside it instead
            dep = mode[8:]
            s.p.setdefault("depends_on", {})[dep] = {"condition": "service_started"}
            s.lose(
                "network_mode",
                f"{mode!r} → the project's network, after {dep} starts: the network namespace is not"
                f" shared, so localhost does not reach {dep} (reach it by its name, {dep})",
            )
        else:
            s.lose("network_mode", f"{mode!r} → private (no namespace sharing between profiles)")
    ports = s.spec.get("ports")
    if ports is not None:
        if not isinstance(ports, list):
            raise s.bad("ports", "a list of ports", ports)
        net["ports"] = [p for i, item in enumerate(ports) for p in _port(s, item, i)]
        if not net["ports"]:
            del net["ports"]
    hostname = s.get("hostname", str, "a host name")
    if hostname:
        domain = s.get("domainname", str, "a domain name")
        net["hostname"] = f"{hostname}.{domain}" if domain else hostname
        if domain:
            s.lose("domainname", f"joined with the hostname: {net['hostname']}")
    elif s.spec.get("domainname"):
        s.lose("domainname", "dropped: no hostname to join it with")
    dns = s.spec.get("dns")
    if dns is not None:
        if isinstance(dns, str):
            dns = [dns]
        if not isinstance(dns, list) or not all(isinstance(x, str) for x in dns):
            raise s.bad("dns", "an address or a list of addresses", dns)
        servers = []
        for i, server in enumerate(dns):
            at: tuple[str | int, ...] = ("dns", i) if isinstance(s.spec["dns"], list) else ("dns",)
            value = s.resolved(at, server)
            if value.strip():
                servers.append(value)  # an unset variable leaves nothing, and Compose no server
        if servers:
            net["dns"] = servers
    hosts = s.spec.get("extra_hosts")
    if hosts is not None:
        net["add_hosts"] = _extra_hosts(s, hosts)
        if not net["add_hosts"]:
            del net["add_hosts"]
    if net:
        s.p["network"] = net


def _extra_hosts(s: Service, hosts: Any) -> dict[str, Any]:
    """Host name -> address, or -> addresses when several (as Compose: 'HOST=IP[,IP]', 'HOST:IP',
    a mapping to one address or a list); variables are read now (Compose reads them first)."""
    entries: list[tuple[str, list[Any], tuple[str | int, ...]]] = []
    if isinstance(hosts, dict):
        for key, value in hosts.items():
            at = ("extra_hosts", str(key))
            ips = value if isinstance(value, list) else [value]
            if not all(isinstance(ip, str | int | float) and not isinstance(ip, bool) for ip in ips):
                raise s.bad(at, "an address or a list of addresses", value)
            entries.append((str(key), [s.resolved(at, str(ip)) for ip in ips], at))
    elif isinstance(hosts, list):
        for i, item in enumerate(hosts):
            at = ("extra_hosts", i)
            if not isinstance(item, str):
                raise s.bad(at, "'HOST:IP' or 'HOST=IP'", item)
            text = s.resolved(at, item)
            sep = "=" if "=" in text else ":"
            host, found, ips = text.partition(sep)
            if not found or not ips:
                raise s.bad(at, "'HOST:IP' or 'HOST=IP'", item)
            entries.append((host, ips.split(","), at))
    else:
        raise s.bad("extra_hosts", "a list of 'HOST:IP' or a mapping", hosts)
    out: dict[str, Any] = {}
    for host, ips, at in entries:
        if not host or ":" in host or "=" in host:
            raise s.bad(at, "a host name before the address", host)
        for ip in ips:
            ip = ip[1:-1] if len(ip) > 2 and ip[0] == "[" and ip[-1] == "]" else ip
            if ip == "host-gateway":
                s.lose(f"extra_hosts.{host}", "host-gateway dropped: give the host's address")
            elif ip not in out.setdefault(host, []):
                out[host].append(ip)
    return {host: ips[0] if len(ips) == 1 else ips for host, ips in out.items() if ips}


def _port(s: Service, item: Any, i: int) -> list[Any]:
    where = f"ports[{i}]"
    if isinstance(item, dict):
        target = item.get("target")
        published = item.get("published")
        if target is None:
            raise s.bad(("ports", i), "a mapping with 'target'", item)
        host_ip = item.get("host_ip") or ""
        protocol = item.get("protocol") or "tcp"
        for key in item:
            if key not in _PORT_KEYS:
                s.lose(f"{where}.{key}", "dropped")
            elif key in _PORT_DROPPED and item[key] is not None:
                s.lose(f"{where}.{key}", f"{item[key]!r} dropped: {_PORT_DROPPED[key]}")
        text = f"{published}:{target}" if published is not None else str(target)
        if host_ip:
            text = f"[{host_ip}]:{text}" if ":" in str(host_ip) else f"{host_ip}:{text}"
        return _port(s, f"{text}/{protocol}", i)
    if isinstance(item, int) and not isinstance(item, bool):
        item = str(item)
    if not isinstance(item, str):
        raise s.bad(("ports", i), "a port like '8080:80' or a mapping", item)
    if has_variable(item):
        value = s.resolved(("ports", i), item, note=False)
        if _AS_WRITTEN.fullmatch(value.strip()):
            return [item]  # the profile interpolates it to the same port when it loads
        s.noted(("ports", i), item, value)  # e.g. a container port alone: read now
        item = value
    m = _PORT.match(item.strip())
    if not m:
        raise s.bad(("ports", i), "a port like '8080:80' or '127.0.0.1:8080:80/udp'", item)
    host_ip, host, cont, proto = m.group(1) or "", m.group(2), m.group(3), (m.group(4) or "tcp").lower()
    cont_range = _range(cont)
    if host is None:
        s.lose(where, f"{item}: Compose picks a random host port; published on the same port instead")
        host_range = cont_range
    else:
        host_range = _range(host)
    if len(host_range) != len(cont_range):
        if len(cont_range) == 1:
            if not host_range:  # "90-80:80": nothing to take the first port of
                raise s.bad(("ports", i), "a host port range from low to high", item)
            s.lose(where, f"{item}: a host port range for one container port → its first port")
            host_range = host_range[:1]
        else:
            raise s.bad(("ports", i), "port ranges of the same length", item)
    if proto == "sctp":
        s.lose(where, f"{item} dropped: rootless Podman cannot publish SCTP ports (tcp and udp only)")
        return []
    prefix = f"{host_ip}:" if host_ip else ""
    suffix = f"/{proto}" if proto != "tcp" else ""
    return [f"{prefix}{h}:{c}{suffix}" for h, c in zip(host_range, cont_range, strict=True)]


def _range(text: str) -> list[int]:
    if "-" in text:
        a, b = (int(x) for x in text.split("-", 1))
        return list(range(a, b + 1)) if a <= b else []
    return [int(text)]
