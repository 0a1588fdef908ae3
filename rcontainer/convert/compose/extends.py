"""A service's ``extends``: the service it names (in this file or another) merged under it.

As Compose does: ``extends: NAME`` or ``extends: {service: NAME, file: FILE}``, resolved
recursively (a cycle is refused), the base merged with Compose's rules (``merge``), ``!reset``
and ``!override`` in the extending service applying to what it extends. Relative paths in
another file are relative to that file's folder: they are rewritten for this one (``rebase``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rcontainer.convert.compose import merge as merging
from rcontainer.convert.compose.reading import read_documents
from rcontainer.convert.compose.variables import resolve, split_outside
from rcontainer.convert.compose.where import Lines, Where, bad, located, own_keys
from rcontainer.convert.loss import shown
from rcontainer.errors import BadInput

_REMOTE = re.compile(r"^[a-z]+://|^git@")

Chain = tuple[tuple[Path, str], ...]


class Extends:
    """Resolves the ``extends`` of the services of one document."""

    def __init__(self, loader: Any, environ: Mapping[str, str]) -> None:
        self.loader = loader  # documents.Loader: counts the files read
        self.environ = environ
        self.files: dict[Path, tuple[dict[str, Any], Lines]] = {}  # other files: services, lines
        self.done: dict[tuple[Path, str], tuple[Any, dict[str, Where]]] = {}

    def resolve(
        self, services: dict[Any, Any], name: str, file: Path, lines: Lines, folder: Path, chain: Chain
    ) -> tuple[Any, dict[str, Where]]:
        """The service ``name`` of ``services`` (read from ``file``) with what it extends merged in."""
        key = (file.absolute(), name)
        if key in self.done:
            return self.done[key]
        spec = next(v for k, v in services.items() if str(k) == name)
        if not isinstance(spec, dict) or "extends" not in spec:
            return spec, own_keys(spec, file, lines, name)
        at: tuple[str, ...] = ("services", name, "extends")
        ext = merging.strip(spec["extends"])
        other: Any = None
        if isinstance(ext, dict):
            ref, other = ext.get("service"), ext.get("file")
            if not isinstance(ref, str):
                raise bad(file, lines, (*at, "service"), "the name of the service to extend", ref)
            if other is not None and not isinstance(other, str):
                raise bad(file, lines, (*at, "file"), "a Compose file name", other)
        elif isinstance(ext, str):
            ref = ext
        else:
            raise bad(file, lines, at, "a service name or a mapping with 'service' and 'file'", ext)
        ref = self._text(ref, file, lines, at)
        base_file, base_lines, base_folder, base_services = file, lines, folder, services
        if other is not None:
            target = Path(os.path.expanduser(self._text(other, file, lines, (*at, "file"))))
            base_file = target if target.is_absolute() else folder / target
            base_services, base_lines = self._other(base_file, file, lines, at)
            base_folder = base_file.parent.absolute()
        if ref not in (str(k) for k in base_services):
            place = f" in {shown(base_file)}" if other is not None else ""
            raise BadInput(f"{located(file, lines, at)}no service {shown(ref)!r} to extend{place}")
        here = (*chain, key)
        if (base_file.absolute(), ref) in here:
            names = " -> ".join(f"{shown(n)} ({shown(f.name)})" for f, n in (*here, (base_file, ref)))
            raise BadInput(f"{located(file, lines, at)}extends cycle: {names}")
        base, base_where = self.resolve(base_services, ref, base_file, base_lines, base_folder, here)
        base = merging.strip(base) if base is not None else {}
        if not isinstance(base, dict):
            raise bad(base_file, base_lines, ("services", ref), "a mapping of service settings", base)
        if base_folder != folder:
            base = rebase(base, base_folder, folder)
        child = {k: v for k, v in spec.items() if k != "extends"}
        try:
            merged = merging.merge(base, child, ("services", name))
        except merging.MergeError as exc:
            raise BadInput(f"{located(file, lines, exc.path)}{exc}") from None
        merged.pop("extends", None)
        where = {k: w for k, w in base_where.items() if k in merged}
        where.update(own_keys(child, file, lines, name))
        self.done[key] = merged, where
        return merged, where

    def _text(self, value: str, file: Path, lines: Lines, at: tuple[str, ...]) -> str:
        try:
            return resolve(value, self.environ)
        except ValueError as exc:
            raise BadInput(f"{located(file, lines, at)}{shown(exc)}") from None

    def _other(
        self, path: Path, file: Path, lines: Lines, at: tuple[str, ...]
    ) -> tuple[dict[str, Any], Lines]:
        """The services of another Compose file (its documents merged; no include or extends)."""
        key = path.absolute()
        if key not in self.files:
            if not path.is_file():
                raise BadInput(f"{located(file, lines, at)}no Compose file {shown(path)} to extend")
            self.loader.count(path)
            documents = read_documents(path)
            model: dict[str, Any] = {}
            for data, node in documents:
                if isinstance(data, dict):
                    try:
                        model = merging.merge(model, data)
                    except merging.MergeError as exc:
                        raise BadInput(f"{located(path, Lines(node), exc.path)}{exc}") from None
            services = model.get("services")
            self.files[key] = (
                (services if isinstance(services, dict) else {}),
                Lines(*(node for _, node in documents)),
            )
        return self.files[key]


def rebase(spec: dict[str, Any], source: Path, dest: Path) -> dict[str, Any]:
    """A service's relative paths (relative to ``source``) made relative to ``dest``."""

    def move(text: Any) -> Any:
        if not isinstance(text, str) or not text or text.startswith(("/", "~", "$")) or _REMOTE.match(text):
            return text
        rel = os.path.relpath(os.path.normpath(source / text), dest)
        return rel if rel.startswith("..") else f"./{rel}" if rel != "." else "."

    out = dict(spec)
    build = out.get("build")
    if isinstance(build, str):
        out["build"] = move(build)
    elif isinstance(build, dict):
        out["build"] = {**build, "context": move(build.get("context", "."))}
    env_files = out.get("env_file")
    if isinstance(env_files, str):
        out["env_file"] = move(env_files)
    elif isinstance(env_files, list):
        out["env_file"] = [
            {**item, "path": move(item.get("path"))} if isinstance(item, dict) else move(item)
            for item in env_files
        ]
    volumes = out.get("volumes")
    if isinstance(volumes, list):
        moved: list[Any] = []
        for item in volumes:
            if isinstance(item, str):
                parts = split_outside(item, ":")
                if len(parts) > 1 and (parts[0].startswith(".") or "/" in parts[0]):
                    item = ":".join([move(parts[0]), *parts[1:]])
            elif isinstance(item, dict) and item.get("type") == "bind":
                item = {**item, "source": move(item.get("source"))}
            moved.append(item)
        out["volumes"] = moved
    return out
