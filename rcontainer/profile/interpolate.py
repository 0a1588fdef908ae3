"""Variable interpolation in profile values, as the Compose specification defines it.

Supported forms (``VAR`` is ``[A-Za-z_][A-Za-z0-9_]*``)::

    $VAR  ${VAR}         the value; an unset variable gives "" (as Compose)
    ${VAR:-default}      default when VAR is unset or empty
    ${VAR-default}       default when VAR is unset
    ${VAR:?message}      error when VAR is unset or empty
    ${VAR?message}       error when VAR is unset
    ${VAR:+other}        other when VAR is set and not empty, else ""
    ${VAR+other}         other when VAR is set, else ""
    $$                   a literal "$"

Defaults, messages and replacements may themselves contain interpolations. Any other use
of ``$`` is an error (write ``$$`` for a literal dollar sign, e.g. in shell commands), so a
shell expansion meant for the container is never silently replaced by an empty string.

Error messages never quote the value being interpolated (it may be a secret); they give
the character offset of the offending ``$`` instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")
# What may follow a "$" that starts an expression (or an escape).
_STARTS = r"\$(?:\$|\{|[A-Za-z_])"


class InterpolationError(ValueError):
    """A malformed expression or a required variable that is missing; str() is the message."""


class Recording(Mapping[str, str]):
    """``environ`` that notes each variable a plain ``$VAR`` or ``${VAR}`` reads while it is unset.

    Such a variable becomes an empty string, which Compose warns about; a default
    (``${VAR:-x}``, ``${VAR-x}``), ``${VAR:+x}``, ``${VAR?}`` and ``$$`` ask for no warning.
    Only those plain forms call ``get`` (the others test ``in`` first): ``missed`` lists them.
    """

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.missed: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self.environ and key not in self.missed:
            self.missed.append(key)
        return self.environ.get(key, default)

    def __getitem__(self, key: str) -> str:
        return self.environ[key]

    def __contains__(self, key: object) -> bool:
        return key in self.environ

    def __iter__(self) -> Iterator[str]:
        return iter(self.environ)

    def __len__(self) -> int:
        return len(self.environ)


def unset_warning(name: str) -> str:
    """What to tell the user about ``name``, read while unset (after where it was read)."""
    return (
        f'the "{name}" variable is not set: it becomes an empty string (set it; write ${{{name}:-}}'
        f" for an empty default, or $${name} for a literal ${name})"
    )


def interpolate(text: str, environ: Mapping[str, str]) -> str:
    """Return ``text`` with every variable expression replaced from ``environ``."""
    if "$" not in text:
        return text
    value, end = _expand(text, 0, environ, evaluate=True, nested=False)
    return value


def lone_dollars_doubled(text: str) -> str:
    """``text`` with each ``$`` that starts no expression (``$1``, ``$(date)``, ``5$``) doubled.

    Compose keeps such a ``$`` as it is where a profile refuses it: this turns text written for
    Compose (a Compose file, a ``.env`` file) into text a profile reads the same way.
    """
    if "$" not in text:
        return text
    out: list[str] = []
    i = 0
    while True:
        j = text.find("$", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        m = re.compile(_STARTS).match(text, j)
        if m is None:
            out.append("$$")
            i = j + 1
        elif m.group() == "$$":
            out.append("$$")
            i = j + 2
        else:
            out.append("$")
            i = j + 1


def interpolate_compose(text: str, environ: Mapping[str, str]) -> str:
    """``text`` interpolated as Compose does: as ``interpolate``, but a lone ``$`` stays literal."""
    return interpolate(lone_dollars_doubled(text), environ)


def _expand(
    text: str, i: int, environ: Mapping[str, str], *, evaluate: bool, nested: bool
) -> tuple[str, int]:
    """Expand from ``text[i]`` to the end, or (``nested``) to the closing ``}``.

    Returns the expansion and the index just past what was consumed (past the ``}`` when
    nested). With ``evaluate`` false the text is only parsed, so that an unused default
    such as ``${A:-${B:?needed}}`` does not raise.
    """
    out: list[str] = []
    n = len(text)
    while i < n:
        c = text[i]
        if nested and c == "}":
            return "".join(out), i + 1
        if c != "$":
            j = i + 1
            while j < n and text[j] != "$" and not (nested and text[j] == "}"):
                j += 1
            out.append(text[i:j])
            i = j
            continue
        # c == "$"
        nxt = text[i + 1] if i + 1 < n else ""
        if nxt == "$":
            out.append("$")
            i += 2
            continue
        if nxt == "{":
            value, i = _braced(text, i, environ, evaluate=evaluate)
            out.append(value)
            continue
        m = re.compile(_NAME).match(text, i + 1)
        if m:
            if evaluate:
                out.append(environ.get(m.group(), ""))
            i = m.end()
            continue
        raise InterpolationError(
            f"invalid '$' at character {i + 1}: expected $VAR, ${{VAR}} or ${{VAR:-default}};"
            " write '$$' for a literal '$'"
        )
    if nested:
        raise InterpolationError("unterminated '${': expected a closing '}'")
    return "".join(out), i


def _braced(text: str, start: int, environ: Mapping[str, str], *, evaluate: bool) -> tuple[str, int]:
    """Expand the ``${...}`` expression starting at ``text[start]`` (the ``$``)."""
    m = re.compile(_NAME).match(text, start + 2)
    if not m:
        raise InterpolationError(
            f"invalid '${{' at character {start + 1}: expected a variable name like ${{HOME}}"
            " (write '$$' for a literal '$')"
        )
    name = m.group()
    i = m.end()
    if i >= len(text):
        raise InterpolationError(f"unterminated '${{{name}': expected a closing '}}'")
    if text[i] == "}":
        return (environ.get(name, "") if evaluate else ""), i + 1
    op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
    if op is None:
        raise InterpolationError(
            f"invalid expression '${{{name}{text[i]}' at character {start + 1}: expected '}}', ':-', '-',"
            " ':?', '?', ':+' or '+' after the variable name"
        )
    i += len(op)
    is_set = name in environ
    non_empty = is_set and environ[name] != ""
    colon = op.startswith(":")
    present = non_empty if colon else is_set
    kind = op[-1]
    if kind == "-":
        rest, i = _expand(text, i, environ, evaluate=evaluate and not present, nested=True)
        return ((environ[name] if present else rest) if evaluate else ""), i
    if kind == "+":
        rest, i = _expand(text, i, environ, evaluate=evaluate and present, nested=True)
        return ((rest if present else "") if evaluate else ""), i
    # kind == "?"
    rest, i = _expand(text, i, environ, evaluate=evaluate and not present, nested=True)
    if evaluate and not present:
        state = "is not set" if not is_set else "is empty"
        detail = f": {rest}" if rest else ""
        raise InterpolationError(f"required variable {name} {state}{detail}")
    return (environ[name] if evaluate else ""), i
