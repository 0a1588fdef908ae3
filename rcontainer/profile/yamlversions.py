"""Plain YAML scalars that YAML 1.1 and YAML 1.2 read apart: ``yes``, ``on``, ``1000:50``, ``0755``.

Profiles are read by PyYAML, a YAML 1.1 reader (the loader keeps base-60 and leading-zero numbers
as their text); Compose reads YAML 1.2, where ``yes`` is text and ``0755`` the number 755. Where
a string is expected, such a scalar is worth a warning with the quoting that makes every reader
agree (``schema.Ctx.text_expected``).
"""

from __future__ import annotations

import re
from typing import Any

STD_TAG = "tag:yaml.org,2002:"
TYPED = (STD_TAG + "bool", STD_TAG + "int", STD_TAG + "float")
# YAML 1.2's core schema (what Compose reads): anything else plain is text
_CORE_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_CORE_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_CORE_FLOAT = re.compile(
    r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
)


def yaml12(text: str) -> Any:
    """A plain scalar as YAML 1.2's core schema reads it (booleans, numbers, else the text)."""
    if _CORE_BOOL.fullmatch(text):
        return text.lower() == "true"
    if _CORE_INT.fullmatch(text):
        if text.startswith(("0o", "0x")):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text, 10)
    if _CORE_FLOAT.fullmatch(text):
        low = text.lower()
        if low.endswith(".inf"):
            return float("-inf") if low.startswith("-") else float("inf")
        return float("nan") if low == ".nan" else float(text)
    return text


def yaml11_reading(text: str, constructor: Any, y: Any) -> tuple[str, Any, Any] | None:
    """(the text, YAML 1.1's value, YAML 1.2's) when the two YAML versions read ``text`` apart."""
    try:
        if y.tag == STD_TAG + "bool":
            old: Any = constructor.construct_yaml_bool(y)
        elif y.tag == STD_TAG + "int":
            old = constructor.construct_yaml_int(y)
        else:
            old = constructor.construct_yaml_float(y)
    except (ValueError, ArithmeticError, TypeError):
        return None
    new = yaml12(text)
    if type(old) is type(new) and (old == new or old != old and new != new):  # nan is nan
        return None
    return text, old, new
