"""The files a profile reads its environment from: ``env_file`` files and the ``.env`` beside it.

An ``env_file`` holds ``KEY=VALUE`` lines for the container, read as Podman reads them (no
interpolation), with what Compose adds: a bare ``KEY`` from the environment, a quoted value
over several lines. The ``.env`` file in the profile's folder gives defaults for the profile's
own ``${...}`` expressions, read in Compose's format (``dotenv``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from rcontainer.profile import schema
from rcontainer.profile.problems import Problem
from rcontainer.profile.schema import Ctx, Node, PathT


def read_env_file(
    path: str, node: Node, where: PathT, ctx: Ctx, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``KEY=VALUE`` lines; ``#`` comments, blank lines, ``export KEY=VALUE``, quotes stripped.

    As Compose reads them: a quoted value may go on over several lines, up to the line that ends
    with its closing quote; a bare ``KEY`` takes its value from ``environ`` (left out when unset).
    """
    try:
        text = schema.read_small_file(path)
    except OSError as exc:
        ctx.add(node, where, f"cannot read env_file {path}: {exc.strerror or exc}")
        return {}
    out: dict[str, str] = {}
    # Lines end at "\n" (or "\r\n") only, as Podman and Compose read them: str.splitlines
    # also breaks at \x0b, \x0c, \x1c-\x1e, \x85 and U+2028, so "A=x\x1cB=y" would define B.
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export ") or stripped.startswith("export\t"):
            stripped = stripped[len("export") :].lstrip()
        key, eq, value = stripped.partition("=")
        key = key.strip()
        if not re.fullmatch(schema.ENV_NAME_PATTERN, key):
            ctx.problems.append(
                Problem(
                    path,
                    number,
                    1,
                    "",
                    "expected a line 'NAME=VALUE' or 'NAME' (NAME of letters, digits, '_', '.' and '-')",
                )
            )
            continue
        if not eq:  # a bare NAME: the value it has where the profile is loaded
            if environ is not None and key in environ:
                out[key] = environ[key]
            continue
        value = value.strip()
        last = line.strip()
        quote = value[:1] if value[:1] in ("'", '"') else ""
        if quote and not (len(value) >= 2 and value[-1] == quote):
            end = _closing_line(lines, number, quote)
            if end is not None:  # a quoted value over several lines
                value = "\n".join([value, *lines[number : end + 1]]).rstrip()
                last = lines[end].strip()
                number = end + 1
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
            if last[-1:] == '"':
                value = value.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
        elif " #" in value or "\t#" in value:
            value = re.split(r"\s#", value, maxsplit=1)[0].rstrip()
        if schema.has_nul(value):
            ctx.problems.append(
                Problem(path, number, 1, "", f"the value of {key} holds {schema.NUL_REFUSED}")
            )
            continue
        out[key] = value
    return out


def _closing_line(lines: list[str], start: int, quote: str) -> int | None:
    """The index of the first line from ``start`` that ends with ``quote`` (not escaped)."""
    for i in range(start, len(lines)):
        text = lines[i].rstrip()
        if text.endswith(quote) and not (quote == '"' and re.search(r"(?<!\\)(\\\\)*\\\"$", text)):
            return i
    return None


def with_dotenv(path: Path, environ: Mapping[str, str], ctx: Ctx) -> Mapping[str, str]:
    """``environ`` over the variables of the ``.env`` file in the profile's folder, if there is one.

    As Compose reads the ``.env`` beside a Compose file: its values are defaults for ``${...}``
    (the environment wins), in Compose's format (``profile.dotenv``).
    """
    from rcontainer.profile import dotenv

    env_path = path.parent / ".env"
    if not env_path.is_file():
        return environ
    try:
        values = dotenv.read(env_path, environ)
    except OSError as exc:
        ctx.problems.append(Problem(str(env_path), None, None, "", f"cannot read: {exc.strerror or exc}"))
        return environ
    except dotenv.DotenvError as exc:
        ctx.problems.append(Problem(str(env_path), exc.line, 1, "", exc.reason))
        return environ
    return {**values, **environ}
