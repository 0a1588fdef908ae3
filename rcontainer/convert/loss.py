"""What a conversion could not carry over: one ``Loss`` per field, for every conversion.

Compose import, kube export and Quadlet export each translate between two vocabularies that do
not match one to one. Whatever is dropped or only approximated is reported as a ``Loss``, never
silently lost; the command prints them on standard error, one line each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Control characters (line breaks among them, for a terminal or for YAML: C0, DEL, C1, U+2028
# and U+2029): a value quoted from a file shows them escaped.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def shown(text: object) -> str:
    """``text`` as one line of a message or a comment: control characters as Python escapes.

    Names and values quoted in a note come from the user's files (a Compose service named
    ``"web\\nprivileged: true"``, a key with an escape sequence): printed raw they could fake
    lines of output, or add lines to a file they are written into.
    """
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], str(text))


@dataclass(frozen=True)
class Loss:
    """One field of one source (a profile, or a Compose service) that the target cannot express
    as the source says it: ``what`` tells what became of it (dropped, or what it became)."""

    source: str  # the profile's or the Compose service's name
    field: str  # where in the source, e.g. "healthcheck.interval" or "volumes[0]"
    what: str

    @property
    def detail(self) -> str:
        """``field: what``, one line (the source left out, for a report about one source)."""
        return f"{shown(self.field)}: {shown(self.what)}"

    def __str__(self) -> str:
        return f"{shown(self.source)}: {self.detail}"
