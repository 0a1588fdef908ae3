"""What a conversion could not carry over: one ``Loss`` per field, for every conversion.

Compose import, kube export and Quadlet export each translate between two vocabularies that do
not match one to one. Whatever is dropped or only approximated is reported as a ``Loss``, never
silently lost; the command prints them on standard error.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Loss:
    """One field of one source (a profile, or a Compose service) that the target cannot express
    as the source says it: ``what`` tells what became of it (dropped, or what it became)."""

    source: str  # the profile's or the Compose service's name
    field: str  # where in the source, e.g. "healthcheck.interval" or "volumes[0]"
    what: str

    def __str__(self) -> str:
        return f"{self.source}: {self.field}: {self.what}"
