"""How results look on the terminal: JSON, tables, aligned key-value lines, warnings.

``App.emit`` chooses between the text and the JSON of a result; these build them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any


def to_json(value: Any) -> str:
    """``--json`` output: indented, keys in the core's order, anything else (paths, times) as text."""
    return json.dumps(value, indent=2, sort_keys=False, default=str)


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain left-aligned table, like ``podman ps``."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def human(value: Any) -> str:
    """A value as a person reads it, never a Python repr: nothing is ``-``, a flag is ``true``
    or ``false`` (as a profile writes it), a list is its items joined by commas."""
    if value is None or value == [] or value == ():
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(human(v) for v in value)
    return str(value)


def key_values(pairs: Iterable[tuple[str, Any]]) -> str:
    """``key: value`` lines with the values aligned, each value made readable by ``human``."""
    pairs = list(pairs)
    width = max((len(k) for k, _ in pairs), default=0)
    return "\n".join(f"{k + ':':<{width + 1}} {human(v)}" for k, v in pairs)


def plural(n: int, noun: str) -> str:
    """``1 layer``, ``2 layers``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def warn(message: str) -> None:
    """A notice for the user on stderr (the core returns notices; the CLI prints them)."""
    sys.stderr.write(f"rcontainer: {message}\n")
