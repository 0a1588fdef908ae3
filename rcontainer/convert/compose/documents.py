"""The documents of Compose files, merged as Compose merges them: several documents in one file,
the files an ``include`` names, the services an ``extends`` names.

Each file is read once (``read_documents``): its YAML documents with the line of every key, the
tags ``!reset`` and ``!override`` read as ``merge.RESET`` and ``merge.Override``. ``Loader.load``
then follows Compose's reference loader: for each document, its includes are loaded and
imported (a service defined both there and here merges, this file's definition over the
included one), its services' ``extends`` resolved, and the document merged over the ones before.
Relative paths in another file are rewritten to stay right from the Compose file's folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rcontainer.convert.compose import merge as merging
from rcontainer.convert.compose.extends import Extends
from rcontainer.convert.compose.include import apply_includes
from rcontainer.convert.compose.reading import not_compose, read_documents
from rcontainer.convert.compose.where import Lines, Where, located
from rcontainer.convert.loss import shown
from rcontainer.errors import BadInput

MAX_FILES = 100  # files one Compose file may pull in (include and extends): no runaway chains

Services = dict[str, dict[str, Where]]  # service -> key -> where it was written


class Loader:
    """Loads a Compose file with what it includes and extends (one instance per import)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.files = 0
        self.service_env: dict[str, Mapping[str, str]] = {}  # the variables each service was read with

    def load(
        self, paths: list[Path], folder: Path, environ: Mapping[str, str], chain: tuple[Path, ...]
    ) -> tuple[dict[str, Any], Services, Lines]:
        """The merged model of ``paths`` (a file and its overrides), relative to ``folder``.

        Returns the model, where each service key was written, and the lines of the first file.
        ``chain`` holds the files that include this one (an include cycle is refused).
        """
        model: dict[str, Any] = {}
        where: Services = {}
        first_lines = Lines()
        for n, path in enumerate(paths):
            self.count(path)
            documents = read_documents(path)
            if n == 0:
                first_lines = Lines(*(node for _, node in documents))
            for data, node in documents:
                if data is None and len(documents) > 1:
                    continue  # an empty document (a trailing '---')
                lines = Lines(node)
                if not isinstance(data, dict):
                    raise not_compose(path)
                doc_where: Services = {}
                own = data.get("services")
                local = {str(k) for k in own} if isinstance(own, dict) else set()
                if data.get("include") is not None:
                    apply_includes(self, data, path, lines, folder, environ, (*chain, path), doc_where)
                services = data.get("services")
                if isinstance(services, dict):
                    extends = Extends(self, environ)
                    for name in list(services):
                        services[name], keys = extends.resolve(services, str(name), path, lines, folder, ())
                        doc_where[str(name)] = {**keys, **doc_where.get(str(name), {})}
                        if str(name) in local or str(name) not in self.service_env:
                            self.service_env[str(name)] = environ
                try:
                    model = merging.merge(model, data)
                except merging.MergeError as exc:
                    raise BadInput(f"{located(path, lines, exc.path)}{exc}") from None
                for name, keys in doc_where.items():
                    where.setdefault(name, {}).update(keys)
        services = model.get("services")
        if isinstance(services, dict):
            for name, spec in services.items():
                if isinstance(spec, dict):
                    services[name] = merging.unique(spec)
        return model, where, first_lines

    def count(self, path: Path) -> None:
        self.files += 1
        if self.files > MAX_FILES:
            raise BadInput(f"{shown(path)}: more than {MAX_FILES} files included or extended")
