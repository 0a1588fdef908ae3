"""``$`` in Compose text: what Compose does with it, and how a profile must spell it.

Compose (its reference loader, compose-go) and profiles interpolate the same expressions
(``$VAR``, ``${VAR}``, ``${VAR:-default}``, ...; ``$$`` for a literal ``$``) with one difference:
Compose keeps any other ``$`` as it is (``$1``, ``$(date)``, ``$@``), where a profile refuses it
(so that a shell expansion meant for the container is never silently lost). So a Compose value
becomes profile text with those lone dollars doubled (``profile_text``); a value the importer
resolved itself becomes profile text with every dollar doubled (``literal``).

``resolve`` interpolates at import time, for the few values the importer must read to translate
(a duration, a port with no host port, the file an ``extends`` names, ...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rcontainer.convert.loss import shown
from rcontainer.errors import BadInput
from rcontainer.profile import dotenv
from rcontainer.profile.interpolate import (
    InterpolationError,
    Recording,
    interpolate_compose,
    lone_dollars_doubled,
)

_NAME = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def profile_text(text: str) -> str:
    """Compose text spelled for a profile: each lone ``$`` (not ``$$``, ``$NAME`` or ``${``) doubled."""
    return lone_dollars_doubled(text)


def literal(text: str) -> str:
    """A value already resolved, spelled for a profile: every ``$`` doubled."""
    return text.replace("$", "$$")


def resolve(text: str, environ: Mapping[str, str]) -> str:
    """``text`` interpolated as Compose does; ValueError (the reason) for a malformed expression."""
    if "$" not in text:
        return text
    try:
        return interpolate_compose(text, environ)
    except InterpolationError as exc:
        raise ValueError(str(exc)) from None


def unset(text: str, environ: Mapping[str, str]) -> list[str]:
    """The variables ``text`` reads while unset, with no default: each becomes an empty string."""
    if "$" not in text:
        return []
    seen = Recording(environ)
    try:
        interpolate_compose(text, seen)
    except InterpolationError:
        return []  # a malformed expression is refused where the value is read
    return seen.missed


def names(value: Any) -> set[str]:
    """The variables that ``value`` (text, or a list or mapping holding text) refers to."""
    if isinstance(value, str):
        if "$" not in value:
            return set()
        text = re.sub(r"\$\$", "", value)
        return {m.group(1) for m in _NAME.finditer(text)}
    if isinstance(value, dict):
        return set().union(*(names(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(names(v) for v in value)) if value else set()
    return set()


def has_variable(value: Any) -> bool:
    """``value`` is text with an expression in it (a lone or doubled ``$`` is none)."""
    return isinstance(value, str) and bool(names(value) or "${" in value.replace("$$", ""))


def split_outside(text: str, sep: str) -> list[str]:
    """``text`` split at each ``sep`` that is not inside a ``${...}`` expression."""
    if "${" not in text:
        return text.split(sep)
    parts: list[str] = []
    depth = 0
    start = i = 0
    while i < len(text):
        if text.startswith("$$", i):
            i += 2
            continue
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        c = text[i]
        if c == "}" and depth:
            depth -= 1
        elif c == sep and not depth:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


def project_environment(
    folder: Path, environ: Mapping[str, str], env_files: list[Path] | None
) -> tuple[dict[str, str], dict[str, str]]:
    """The variables Compose interpolates from (``environ`` over the project's env files), and
    what the env files define. The env files are ``.env`` in ``folder`` unless others are named."""
    if env_files is None:
        default = folder / ".env"
        env_files = [default] if default.is_file() else []
    try:
        values = dotenv.environment(env_files, environ)
    except OSError as exc:
        raise BadInput(f"cannot read env file {shown(exc.filename)}: {exc.strerror or exc}") from None
    except dotenv.DotenvError as exc:
        raise BadInput(f"{shown(exc.file)}:{exc.line}: {shown(exc.reason)}") from None
    return {**values, **environ}, values
