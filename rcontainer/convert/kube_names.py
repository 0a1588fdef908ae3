"""Names and quantities Kubernetes accepts, made from rcontainer's."""

from __future__ import annotations

import re

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")  # also label values


def dns_name(text: str, *, label: bool = False) -> str:
    """``text`` made a DNS-1123 label (``label``) or subdomain: lowercase, ``-`` for the rest."""
    out = re.sub(r"[^a-z0-9.-]" if not label else r"[^a-z0-9-]", "-", text.lower())
    out = re.sub(r"-{2,}", "-", out)
    out = out[: 63 if label else 253].strip("-.")
    return out or "x"


def label_value(text: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_.-]", "-", text)[:63]
    return re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", out)


def valid_key(key: str) -> bool:
    """A Kubernetes qualified name: ``[PREFIX/]NAME`` (labels and annotations alike)."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not DNS_SUBDOMAIN.match(prefix)):
        return False
    return 0 < len(name) <= 63 and bool(LABEL_NAME.match(name))


def quantity(n: int) -> str:
    """Bytes as a Kubernetes quantity: ``67108864`` -> ``64Mi``."""
    for suffix, size in (("Ti", 1024**4), ("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024)):
        if n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)


def cpu_quantity(cpus: float) -> str:
    """CPUs as a quantity: ``1.0`` -> ``1``, ``1.5`` -> ``1500m``."""
    milli = round(cpus * 1000)
    return str(milli // 1000) if milli % 1000 == 0 else f"{max(milli, 1)}m"
