"""``include``: other Compose files whose services, volumes, networks, secrets and configs join this one.

As Compose does: each entry is a file name or ``{path, project_directory, env_file}`` (``path``
may list a file and its overrides). The included file is loaded with its own project folder
(by default its own folder) and its own variables (the environment over its ``.env``); a
service defined both there and here merges, this file's definition over the included one. An
include cycle is refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rcontainer.convert.compose import merge as merging
from rcontainer.convert.compose.extends import rebase
from rcontainer.convert.compose.variables import project_environment, resolve
from rcontainer.convert.compose.where import Lines, Where, bad, located, own_keys
from rcontainer.convert.loss import shown
from rcontainer.errors import BadInput

RESOURCES = ("services", "volumes", "networks", "secrets", "configs")


def apply_includes(
    loader: Any,
    data: dict[str, Any],
    file: Path,
    lines: Lines,
    folder: Path,
    environ: Mapping[str, str],
    chain: tuple[Path, ...],
    where: dict[str, dict[str, Where]],
) -> None:
    """Import into ``data`` (a document of ``file``) what its ``include`` names; ``where`` learns
    where each imported service key was written. ``loader`` is the ``documents.Loader``."""
    includes = merging.strip(data.pop("include"))
    if not isinstance(includes, list):
        raise bad(file, lines, ("include",), "a list of Compose files", includes)

    def text(value: Any, at: tuple[str | int, ...], expected: str) -> str:
        if not isinstance(value, str) or not value:
            raise bad(file, lines, at, expected, value)
        try:
            return os.path.expanduser(resolve(value, environ))
        except ValueError as exc:
            raise BadInput(f"{located(file, lines, at)}{shown(exc)}") from None

    for i, entry in enumerate(includes):
        at: tuple[str | int, ...] = ("include", i)
        if isinstance(entry, str):
            entry = {"path": entry}
        if not isinstance(entry, dict):
            raise bad(file, lines, at, "a Compose file name or a mapping with 'path'", entry)
        given = entry.get("path")
        items = given if isinstance(given, list) and given else [given]
        paths = [folder / text(p, (*at, "path"), "a Compose file name (or a list of them)") for p in items]
        for path in paths:
            if not path.is_file():
                raise BadInput(f"{located(file, lines, at)}no Compose file {shown(path)} to include")
        looped = [p for p in chain if p.resolve() == paths[0].resolve()]
        if looped:
            names = " -> ".join(shown(p.name) for p in (*chain[chain.index(looped[0]) :], paths[0]))
            raise BadInput(f"{located(file, lines, at)}include cycle: {names}")
        project = entry.get("project_directory")
        if project is None:
            project_dir = paths[0].parent.absolute()
        else:
            project_dir = folder / text(project, (*at, "project_directory"), "a folder")
        env_files = _env_files(entry.get("env_file"), file, lines, at, folder, text)
        try:
            env, _ = project_environment(project_dir, environ, env_files)
        except BadInput as exc:
            raise BadInput(f"{located(file, lines, at)}{exc.message}") from None
        model, imported_where, _ = loader.load(paths, project_dir, env, chain)
        _import(model, data, imported_where, file, lines, project_dir, folder, where)


def _env_files(
    value: Any, file: Path, lines: Lines, at: tuple[str | int, ...], folder: Path, text: Any
) -> list[Path] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    out = []
    for j, item in enumerate(items):
        name = text(
            item, (*at, "env_file", j) if isinstance(value, list) else (*at, "env_file"), "an env file name"
        )
        if name != "/dev/null":
            out.append(folder / name)
    return out


def _import(
    model: dict[str, Any],
    data: dict[str, Any],
    imported_where: dict[str, dict[str, Where]],
    file: Path,
    lines: Lines,
    project_dir: Path,
    folder: Path,
    where: dict[str, dict[str, Where]],
) -> None:
    for key in RESOURCES:
        source = model.get(key)
        if not isinstance(source, dict):
            continue
        target = data.get(key)
        if target is None:
            target = data[key] = {}
        if not isinstance(target, dict):
            raise bad(file, lines, (key,), f"a mapping of {key}", target)
        for name, value in source.items():
            if key == "services" and isinstance(value, dict) and project_dir != folder:
                value = rebase(value, project_dir, folder)
            if name not in target:
                target[name] = value
                if key == "services":
                    where[str(name)] = dict(imported_where.get(str(name), {}))
                continue
            local = target[name]
            try:
                target[name] = merging.merge(value, local, (key, str(name)))
            except merging.MergeError as exc:
                raise BadInput(f"{located(file, lines, exc.path)}{exc}") from None
            if key == "services":
                where[str(name)] = {
                    **imported_where.get(str(name), {}),
                    **own_keys(local, file, lines, str(name)),
                }
