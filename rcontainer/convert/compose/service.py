"""One Compose service being imported: what every field group's handler reads and writes.

A handler (``network.network``, ``volumes.volumes``, ...) reads its keys from ``spec``, writes
profile fields into ``p`` and reports what it could not carry over with ``lose``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rcontainer.convert.compose.merge import go_text
from rcontainer.convert.compose.variables import has_variable, literal, resolve, unset
from rcontainer.convert.compose.where import Lines, Where, bad, located
from rcontainer.convert.loss import Loss, shown
from rcontainer.errors import BadInput
from rcontainer.profile.interpolate import unset_warning

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # a name a profile's ${...} can name
_TRUE = ("true", "y", "yes", "on")
_FALSE = ("false", "n", "no", "off")


def compose_project(name: str) -> str:
    """A project name as Compose normalises it: lowercase letters, digits, '_' and '-'."""
    return re.sub(r"[^a-z0-9_-]", "", name.lower()).lstrip("_-")


def boolean(value: Any) -> Any:
    """A Compose boolean field's value: Compose reads yes/no/on/off/y/n too (as YAML 1.1 did).

    Anything else (a variable, a wrong value) is returned as it is, for the profile to judge.
    """
    if isinstance(value, str) and not has_variable(value):
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
    return value


class Service:
    def __init__(
        self,
        service: str,
        spec: dict[str, Any],
        *,
        file: Path,
        output_dir: Path,
        lines: Lines | None,
        top_volumes: dict[str, Any],
        where: dict[str, Where] | None = None,
        environ: Mapping[str, str] | None = None,
        project: str = "",
        top_networks: dict[str, Any] | None = None,
        services: tuple[str, ...] = (),
    ) -> None:
        self.service = service
        self.spec = spec
        self.file = file
        self.compose_dir = file.parent.absolute()
        self.output_dir = output_dir.absolute()
        self.lines = lines
        self.top_volumes = top_volumes
        self.where = where or {}  # the keys written elsewhere than at services.NAME of ``file``
        self.environ = environ if environ is not None else {}  # for what must be read when imported
        self.project = project or compose_project(file.parent.absolute().name)  # names its volumes
        self.top_networks = top_networks or {}  # the file's top-level networks
        self.services = services  # every service of the file, for network_mode: service:NAME
        self.losses: list[Loss] = []
        self.p: dict[str, Any] = {}  # the profile, in the order handlers write it

    def lose(self, key: str, what: str) -> None:
        self.losses.append(Loss(self.service, key, what))

    def bad(self, key: str | tuple[str | int, ...], expected: str, got: Any) -> BadInput:
        return bad(*self._located(key), expected, got)

    def at(self, key: str | tuple[str | int, ...]) -> str:
        """``FILE:LINE: services.NAME.KEY: ``, to start a message about ``key``."""
        return located(*self._located(key))

    def _located(self, key: str | tuple[str | int, ...]) -> tuple[Path, Lines | None, tuple[str | int, ...]]:
        path = (key,) if isinstance(key, str) else key
        file, lines, service = self.file, self.lines, ("services", self.service)
        here = self.where.get(str(path[0])) if path else None
        if here is not None:  # written in an included or extended file
            file, lines, service = here.file, here.lines, here.service
        return file, lines, (*service, *path)

    def get(self, key: str, types: type | tuple[type, ...], expected: str) -> Any:
        """``spec[key]`` when it is one of ``types`` (a bool only when asked for), None when unset."""
        value = self.spec.get(key)
        if value is None:
            return None
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            raise self.bad(key, expected, value)
        if not isinstance(value, types):
            raise self.bad(key, expected, value)
        return value

    def resolved(self, key: str | tuple[str | int, ...], value: Any, *, note: bool = True) -> Any:
        """``value`` with its variables interpolated now, as Compose would (from ``environ``).

        For a value the importer must read to translate it: the profile then holds the value,
        no longer the variable, which ``note`` says.
        """
        if not has_variable(value):
            return value
        path = (key,) if isinstance(key, str) else key
        try:
            out = resolve(value, self.environ)
        except ValueError as exc:
            raise BadInput(f"{self.at(path)}{shown(exc)}") from None
        if note:
            self.noted(path, value, out)
        return out

    def noted(self, key: str | tuple[str | int, ...], value: str, out: str) -> None:
        """Report that the profile holds ``out``, what ``value`` was when imported."""
        path = (key,) if isinstance(key, str) else key
        shown_path = f"{path[0]}{''.join(f'[{p}]' if isinstance(p, int) else f'.{p}' for p in path[1:])}"
        self.lose(shown_path, f"{value} → {out!r} (variables resolved when imported)")

    def unset_variables(self) -> list[str]:
        """A warning for each variable the service reads while unset, without a default (as
        Compose warns): ``FILE:LINE: services.NAME.KEY: the "VAR" variable is not set ...``."""
        out: list[str] = []

        def walk(value: Any, at: tuple[str | int, ...]) -> None:
            if isinstance(value, str):
                out.extend(f"{self.at(at)}{unset_warning(name)}" for name in unset(value, self.environ))
            elif isinstance(value, dict):
                for k, v in value.items():
                    if not str(k).startswith("x-"):
                        walk(v, (*at, str(k)))
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    walk(v, (*at, i))

        for key, value in self.spec.items():
            if not str(key).startswith("x-"):
                walk(value, (str(key),))
        return list(dict.fromkeys(out))

    def path(self, text: str, key: str | tuple[str | int, ...] | None = None) -> str:
        """A Compose path (relative to the Compose file) as a profile path (relative to the profile).

        A path that starts with a variable is kept for the profile to interpolate, unless its
        value now is a relative path and the profile is written elsewhere: relative to the
        Compose file in Compose, it would be relative to the profile. Then the profile gets the
        path it is now (noted, under ``key``).
        """
        if text.startswith("$") and has_variable(text) and key is not None:
            value = self.resolved(key, text, note=False)
            if value and not value.startswith(("/", "~")) and self.output_dir != self.compose_dir:
                out = self.path(value)
                self.noted(key, text, out)
                return literal(out)
            return text
        if text.startswith(("/", "~", "$")):
            return text
        absolute = os.path.normpath(self.compose_dir / text)
        rel = os.path.relpath(absolute, self.output_dir)
        if rel.split(os.sep)[:3] == [os.pardir] * 3:
            return absolute  # far apart: an absolute path reads better than ../../../
        return rel if rel.startswith("..") else f"./{rel}" if rel != "." else "."

    def pairs(self, value: Any, where: tuple[str, ...], *, from_env: bool) -> dict[str, Any]:
        """A Compose list (``KEY=VALUE``) or mapping; a key without value comes from the environment."""
        out: dict[str, Any] = {}
        if isinstance(value, list):
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise self.bad((*where, i), "a 'KEY=VALUE' string", item)
                key, eq, val = item.partition("=")
                out[key] = val if eq else None
        elif isinstance(value, dict):
            for key, val in value.items():
                if isinstance(val, dict | list):
                    raise self.bad((*where, str(key)), "a string, number or boolean", val)
                out[str(key)] = val
        else:
            raise self.bad(".".join(where), "a mapping or a list of 'KEY=VALUE' strings", value)
        for key, val in list(out.items()):
            if val is None:
                if not from_env:
                    out[key] = ""
                elif _VARIABLE.fullmatch(key):
                    out[key] = f"${{{key}}}"
                    self.lose(
                        f"{'.'.join(where)}.{key}",
                        f"taken from your environment as ${{{key}}} (empty when unset; Compose leaves it out)",
                    )
                elif key in self.environ:  # a name like a.b: no profile expression can name it
                    out[key] = literal(self.environ[key])
                    self.lose(f"{'.'.join(where)}.{key}", "taken from your environment when imported")
                else:
                    del out[key]
                    self.lose(f"{'.'.join(where)}.{key}", "left out: not set when imported (as Compose does)")
            elif isinstance(val, bool | float):
                out[key] = go_text(val)  # as Compose writes it: true, 1, 1e+06
        return out
