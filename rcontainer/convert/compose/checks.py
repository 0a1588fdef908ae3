"""What Compose refuses in a whole file, refused here too (with the reason), before any import.

A service that depends on itself or on a cycle of services, on a service that is not there, or
that sets both ``network_mode`` and ``networks``, or shares the network of a service that is not
there. (Duplicate keys, include and extends cycles are refused while the file is read.)
"""

from __future__ import annotations

from typing import Any

from rcontainer.convert.compose.load import Compose
from rcontainer.convert.compose.where import located
from rcontainer.convert.loss import shown
from rcontainer.errors import BadInput


def refuse_invalid(model: Compose) -> None:
    services = model.data["services"]
    names = {str(k) for k in services}
    graph: dict[str, list[str]] = {}
    for name, spec in services.items():
        if not isinstance(spec, dict):
            continue
        name = str(name)
        if spec.get("network_mode") is not None and spec.get("networks"):
            raise BadInput(
                f"{_at(model, name, 'networks')}Compose refuses network_mode together with networks"
                " (give one of them)"
            )
        graph[name] = []
        mode = spec.get("network_mode")
        if isinstance(mode, str) and mode.startswith("service:"):
            if mode[8:] not in names:
                raise BadInput(
                    f"{_at(model, name, 'network_mode')}no service {shown(mode[8:])!r} to share a network with"
                )
            graph[name].append(mode[8:])  # Compose starts it first
        for dep, required in _depends_on(spec.get("depends_on")):
            if dep not in names:
                if required:
                    raise BadInput(f"{_at(model, name, 'depends_on')}no service {shown(dep)!r} to depend on")
                continue
            graph[name].append(dep)
    cycle = _cycle(graph)
    if cycle:
        raise BadInput(
            f"{_at(model, cycle[0], 'depends_on')}dependency cycle: {' -> '.join(shown(n) for n in cycle)}"
        )


def _depends_on(value: Any) -> list[tuple[str, bool]]:
    """(service, required) of each dependency; what is malformed is left for the service's notes."""
    if isinstance(value, list):
        return [(item, True) for item in value if isinstance(item, str)]
    if isinstance(value, dict):
        out = []
        for key, spec in value.items():
            required = not (isinstance(spec, dict) and spec.get("required") is False)
            out.append((str(key), required))
        return out
    return []


def _cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle (its first service repeated at the end), or None."""
    done: set[str] = set()
    for start in graph:
        if start in done:
            continue
        path = [start]
        on_path = {start}
        todo = [iter(graph[start])]
        while todo:
            dep = next(todo[-1], None)
            if dep is None:
                todo.pop()
                node = path.pop()
                done.add(node)
                on_path.discard(node)
            elif dep in on_path:
                return [*path[path.index(dep) :], dep]
            elif dep not in done:
                path.append(dep)
                on_path.add(dep)
                todo.append(iter(graph.get(dep, [])))
    return None


def _at(model: Compose, service: str, key: str) -> str:
    where = model.where.get(service, {}).get(key)
    if where is not None:
        return located(where.file, where.lines, (*where.service, key))
    return located(model.file, model.lines, ("services", service, key))
