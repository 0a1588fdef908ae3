"""Compose's ``.env`` format, read as its reference loader (compose-go's dotenv) reads it.

``NAME=value`` (or ``NAME: value``) statements; ``export`` before a name is ignored; ``#`` starts a
comment line, and `` #`` ends an unquoted value; a value in double quotes may span lines and
holds escapes (``\\n``, ``\\t``, ``\\"``, ...); in single quotes it is taken as written. A bare
``NAME`` takes its value from the environment (left out when unset). Unquoted and double-quoted
values are interpolated: from the environment first, then from the names defined above them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from rcontainer.profile.interpolate import InterpolationError, interpolate_compose

_SPACE = "\t\v\f\r \x85\xa0"  # not the line break
_ESCAPE = r"\\(?:[abcfnrtv$\"\\]|0[0-9]{0,3})"
_ESCAPES = {"a": "\a", "b": "\b", "c": "\\c", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


class DotenvError(ValueError):
    """A malformed file: ``line`` (1-based) and the reason."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason
        self.file: Path | None = None


def read(path: Path, environ: Mapping[str, str], defined: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables a file defines (OSError when unreadable, DotenvError when malformed).

    Values refer to ``environ`` first, then to ``defined`` (files read before) and the names above.
    """
    from rcontainer.profile.schema import read_small_file

    return parse(read_small_file(path), environ, defined)


def parse(text: str, environ: Mapping[str, str], defined: Mapping[str, str] | None = None) -> dict[str, str]:
    out: dict[str, str] = {}
    text = text.removeprefix("\ufeff")
    i, n = 0, len(text)

    def line_at(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    def lookup(values: dict[str, str]) -> dict[str, str]:
        return {**(defined or {}), **values, **environ}

    while True:
        # the start of the next statement: past blank space and comment lines
        while i < n and (text[i].isspace() or text[i] == "#"):
            if text[i] == "#":
                end = text.find("\n", i)
                i = n if end < 0 else end
            else:
                i += 1
        if i >= n:
            return out
        m = re.match(r"export[" + _SPACE + r"]+", text[i:])
        if m:
            i += m.end()
        start = i
        while i < n and text[i] not in "=:\n":
            c = text[i]
            if not (c in _SPACE or c in "_.-[]" or c.isalnum()):
                first = text[start:].split("\n", 1)[0]
                raise DotenvError(line_at(i), f"unexpected character {c!r} in variable name {first!r}")
            i += 1
        key = text[start:i].rstrip()
        if any(c in _SPACE for c in key):
            raise DotenvError(line_at(start), "a variable name cannot contain a space")
        if i >= n or text[i] == "\n":  # a bare NAME: from the environment
            if key in environ:
                out[key] = environ[key]
            continue
        i += 1
        while i < n and text[i] in _SPACE:
            i += 1
        quote = text[i] if i < n and text[i] in "'\"" else ""
        if not quote:
            end = text.find("\n", i)
            end = n if end < 0 else end
            value = text[i:end].split(" #", 1)[0].rstrip()
            out[key] = _interpolated(value, lookup(out), line_at(i))
            i = end
            continue
        chars: list[str] = []
        j = i + 1
        escaped = False
        while j < n:
            c = text[j]
            if c != quote:
                if not escaped and c == "\\":
                    escaped = True
                elif escaped:
                    escaped = False
                    chars.append("\\" + c)
                else:
                    chars.append(c)
            elif escaped:
                escaped = False
                chars.append(c)
            else:
                break
            j += 1
        else:
            first = text[i:].split("\n", 1)[0]
            raise DotenvError(line_at(i), f"unterminated quoted value {first}")
        value = "".join(chars)
        if quote == '"':
            value = _interpolated(re.sub(_ESCAPE, _unescape, value), lookup(out), line_at(i))
        out[key] = value
        i = j + 1


def _unescape(m: re.Match[str]) -> str:
    seq = m.group()[1:]
    if seq == "$":
        return "$$"  # stays a literal "$" through interpolation
    if seq[0] == "0":  # "\0" and three octal digits; anything else loses its "0", as compose-go's does
        digits = seq[1:]
        if re.fullmatch(r"[0-7]{3}", digits) and int(digits, 8) < 256:
            return chr(int(digits, 8))
        return "\\" + digits
    return _ESCAPES.get(seq, seq)


def _interpolated(value: str, environ: Mapping[str, str], line: int) -> str:
    try:
        return interpolate_compose(value, environ)
    except InterpolationError as exc:
        raise DotenvError(line, str(exc)) from None


def environment(files: list[Path], environ: Mapping[str, str]) -> dict[str, str]:
    """What ``files`` define, read in turn (each may refer to the ones before); ``environ`` wins
    over them in the values they refer to. OSError or DotenvError (with ``.file``) when one fails."""
    values: dict[str, str] = {}
    for file in files:
        try:
            values.update(read(file, environ, values))
        except DotenvError as exc:
            exc.file = file
            raise
    return values
