"""The network: mode, published ports, host name, DNS servers and extra hosts."""

from __future__ import annotations

import re
from typing import Any

from rcontainer.convert.compose.service import Service

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
NETWORKS_DROPPED = "dropped: each profile has its own network; reach other services through published ports"

_PORT = re.compile(
    r"^(?:(\[[0-9A-Fa-f:.]+\]|[0-9]+\.[0-9.]+):)?(?:([0-9]+(?:-[0-9]+)?)?:)?([0-9]+(?:-[0-9]+)?)(?:/([a-zA-Z]+))?$"
)
_PORT_KEYS = ("target", "published", "host_ip", "protocol", "mode", "name", "app_protocol")


def network(s: Service) -> None:
    net: dict[str, Any] = {}
    mode = s.get("network_mode", str, "a network mode")
    if mode is not None:
        if mode in MODES:
            net["mode"] = MODES[mode]
        else:
            s.lose("network_mode", f"{mode!r} → private (no namespace sharing between profiles)")
    if s.spec.get("networks") is not None:
        s.lose("networks", NETWORKS_DROPPED)
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
        net["dns"] = dns
    hosts = s.spec.get("extra_hosts")
    if hosts is not None:
        net["add_hosts"] = _extra_hosts(s, hosts)
        if not net["add_hosts"]:
            del net["add_hosts"]
    if net:
        s.p["network"] = net


def _extra_hosts(s: Service, hosts: Any) -> dict[str, str]:
    entries: list[tuple[str, Any]] = []
    if isinstance(hosts, dict):
        entries = [(str(k), v) for k, v in hosts.items()]
    elif isinstance(hosts, list):
        for i, item in enumerate(hosts):
            if not isinstance(item, str):
                raise s.bad(("extra_hosts", i), "'HOST:IP' or 'HOST=IP'", item)
            m = re.match(r"^([^:=]+)[:=](.+)$", item)
            if not m:
                raise s.bad(("extra_hosts", i), "'HOST:IP' or 'HOST=IP'", item)
            entries.append((m.group(1), m.group(2)))
    else:
        raise s.bad("extra_hosts", "a list of 'HOST:IP' or a mapping", hosts)
    out: dict[str, str] = {}
    for host, ip in entries:
        ip = str(ip).strip("[]")
        if ip == "host-gateway":
            s.lose(f"extra_hosts.{host}", "host-gateway dropped: give the host's address")
            continue
        out[host] = ip
    return out


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
        text = f"{published}:{target}" if published is not None else str(target)
        if host_ip:
            text = f"[{host_ip}]:{text}" if ":" in str(host_ip) else f"{host_ip}:{text}"
        return _port(s, f"{text}/{protocol}", i)
    if isinstance(item, int) and not isinstance(item, bool):
        item = str(item)
    if not isinstance(item, str):
        raise s.bad(("ports", i), "a port like '8080:80' or a mapping", item)
    if "$" in item:
        return [item]  # interpolated when the profile loads
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
    prefix = f"{host_ip}:" if host_ip else ""
    suffix = f"/{proto}" if proto != "tcp" else ""
    return [f"{prefix}{h}:{c}{suffix}" for h, c in zip(host_range, cont_range, strict=True)]


def _range(text: str) -> list[int]:
    if "-" in text:
        a, b = (int(x) for x in text.split("-", 1))
        return list(range(a, b + 1)) if a <= b else []
    return [int(text)]
