"""Names and quantities Kubernetes accepts, made from rcontainer's."""

from __future__ import annotations

import re

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")  # also label values


def dns_name(text: str, *, label: bool = False) -> str:
    """``text`` made a DNS-1123 label (``label``: at most 63 of ``a-z0-9-``) or subdomain (such
    words joined by dots, at most 253 in all, as Kubernetes checks them): lowercase, ``-`` for
    the rest, no empty word and none that starts or ends with ``-`` (``x.-y`` becomes ``x.y``)."""
    if label:
        return _label(text.lower(), 63) or "x"
    parts = (_label(part, 253) for part in text.lower().split("."))
    out = ".".join(part for part in parts if part)
    return _label_end(out[:253]) or "x"


def _label(text: str, limit: int) -> str:
    out = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", text))
    return out[:limit].strip("-")


def _label_end(text: str) -> str:
    """A name cut short: no dot or dash left at either end."""
    return text.strip("-.")


class UniqueNames:
    """Valid Kubernetes names for one kind of object: one name per source text, never one name
    for two sources (``my_data`` and ``my-data`` are two Podman volumes: two claims).

    Sources that are valid names already are ``reserve``d first, so they keep their names; a
    source whose DNS form is taken gets ``-2``, ``-3``... within the length limit.
    """

    def __init__(self, *, label: bool = False) -> None:
        self.label = label
        self._by_source: dict[str, str] = {}
        self._taken: set[str] = set()

    def reserve(self, sources: list[str]) -> None:
        valid, limit = (DNS_LABEL, 63) if self.label else (DNS_SUBDOMAIN, 253)
        for source in sources:
            if len(source) <= limit and valid.match(source) and source not in self._taken:
                self._by_source[source] = source
                self._taken.add(source)

    def name(self, source: str) -> str:
        if source in self._by_source:
            return self._by_source[source]
        base = dns_name(source, label=self.label)
        limit = 63 if self.label else 253
        name, n = base, 1
        while name in self._taken:
            n += 1
            suffix = f"-{n}"
            name = (_label_end(base[: limit - len(suffix)]) or "x") + suffix
        self._by_source[source] = name
        self._taken.add(name)
        return name


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
