"""Reading a Compose file: YAML, the line of each key (for messages), and text checks.

``read_compose`` gives what Compose itself would load: every YAML document of the file, each
``include`` and ``extends`` resolved and merged as Compose merges them (``merge``), with the
place where each service key was written (``Where``), for messages. Variables stay as they are
written (profiles interpolate them when they load), but for the few values that decide what is
loaded (a file an ``include`` or ``extends`` names): those are interpolated from the environment
over the ``.env`` file beside the Compose file, as Compose does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rcontainer.convert.compose.where import Lines, Where, bad, located
from rcontainer.convert.loss import shown
from rcontainer.errors import BadInput

__all__ = ["Compose", "Lines", "Where", "bad", "not_unicode", "read_compose"]


@dataclass
class Compose:
    """A Compose file loaded as Compose loads it (documents, include and extends merged)."""

    data: dict[str, Any]
    file: Path
    lines: Lines
    environ: Mapping[str, str]  # the variables Compose interpolates from: the environment over .env
    where: dict[str, dict[str, Where]] = field(default_factory=dict)  # service -> key -> where
    # service -> the variables an env file (.env, an include's) gives it, not the environment
    from_env_files: dict[str, dict[str, str]] = field(default_factory=dict)
    project: str = ""  # the project's name, which prefixes its volumes' names


def read_compose(
    path: Path, *, environ: Mapping[str, str] | None = None, env_files: list[Path] | None = None
) -> Compose:
    """The Compose file at ``path``, with its includes and extends, as Compose loads it.

    ``environ`` is the environment (``os.environ`` when None); ``env_files`` replace the
    ``.env`` file beside the Compose file, as ``docker compose --env-file`` does.
    """
    from rcontainer.convert.compose.documents import Loader
    from rcontainer.convert.compose.reading import not_compose
    from rcontainer.convert.compose.variables import project_environment

    if not path.exists() and not path.is_symlink():
        from rcontainer.errors import NotFound

        raise NotFound(f"no Compose file {shown(path)}")
    folder = path.parent.absolute()
    environ = os.environ if environ is None else environ
    env, _ = project_environment(folder, environ, env_files)
    loader = Loader(env)
    data, where, lines = loader.load([path], folder, env, ())
    if not isinstance(data.get("services"), dict):
        raise not_compose(path)
    _join_surrogate_pairs(data, set())
    from_files = {
        name: {k: v for k, v in used.items() if k not in environ} for name, used in loader.service_env.items()
    }
    return Compose(data, path, lines, env, where, from_files, _project(data, folder, env, lines, path))


def _project(data: dict[str, Any], folder: Path, env: Mapping[str, str], lines: Lines, path: Path) -> str:
    """The project's name as Compose finds it: COMPOSE_PROJECT_NAME, the file's ``name``, its folder."""
    from rcontainer.convert.compose.service import compose_project
    from rcontainer.convert.compose.variables import resolve

    if env.get("COMPOSE_PROJECT_NAME"):
        return compose_project(env["COMPOSE_PROJECT_NAME"])
    name = data.get("name")
    if isinstance(name, str) and name:
        try:
            name = compose_project(resolve(name, env))
        except ValueError as exc:
            raise BadInput(f"{located(path, lines, ('name',))}{shown(exc)}") from None
        if name:
            return name
    return compose_project(folder.name)


def _join_surrogate_pairs(node: Any, seen: set[int]) -> None:
    """Join, in place, the surrogate pairs of the document's strings into the characters they encode.

    JSON writes a character beyond U+FFFF as an escape pair (``"\\ud83d\\ude00"``), and YAML 1.2
    reads JSON; PyYAML gives such a pair as two surrogates, which are no characters at all (a
    profile holding them could not be written as UTF-8). A lone surrogate stays: see
    ``not_unicode``.
    """
    if id(node) in seen:  # an alias: done already (and YAML may nest one in itself)
        return
    seen.add(id(node))
    if isinstance(node, dict):
        if not all(_valid(k) for k in node if isinstance(k, str)):
            items = [(_joined(k) if isinstance(k, str) else k, v) for k, v in node.items()]
            node.clear()
            node.update(items)
        for key, value in node.items():
            if isinstance(value, str):
                node[key] = _joined(value)
            else:
                _join_surrogate_pairs(value, seen)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, str):
                node[i] = _joined(value)
            else:
                _join_surrogate_pairs(value, seen)


def not_unicode(file: Path, lines: Lines | None, compose: dict[str, Any], service: str) -> BadInput:
    """The error for a service whose profile holds text UTF-8 cannot encode (a lone surrogate).

    Names the first such key or value of the service (or of the top-level volumes it may name);
    otherwise the text came from a path (the Compose file's folder, say) that is not UTF-8.
    """
    if not _valid(service):
        return bad(file, lines, ("services",), "keys of valid Unicode", service)
    spec = next(v for k, v in compose["services"].items() if str(k) == service)
    places = ((("services", service), spec), (("volumes",), compose.get("volumes")))
    for where, node in places:
        found = _first_not_unicode(node, where, set())
        if found:
            path, text, is_key = found
            return bad(file, lines, path, f"{'keys' if is_key else 'text'} of valid Unicode", text)
    return BadInput(f"{shown(file)}: service {service!r}: its profile cannot be written as UTF-8 text")


def _first_not_unicode(
    node: Any, where: tuple[Any, ...], seen: set[int]
) -> tuple[tuple[Any, ...], str, bool] | None:
    """(where, the text, whether it is a key) of the first text under ``node`` with a surrogate."""
    if isinstance(node, str):
        return None if _valid(node) else (where, node, False)
    if id(node) in seen:
        return None
    seen.add(id(node))
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(key, str) and not _valid(key):
            return where, key, True
        found = _first_not_unicode(value, (*where, key), seen)
        if found:
            return found
    return None


def _valid(text: str) -> bool:
    """UTF-8 can encode ``text`` (it holds no surrogate)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _joined(text: str) -> str:
    """``text`` with its surrogate pairs joined (unchanged when a surrogate stands alone)."""
    if _valid(text):
        return text
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return text
