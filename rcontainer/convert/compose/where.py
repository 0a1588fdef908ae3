"""Where a Compose key was written: its file and line, for messages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rcontainer.convert.loss import shown
from rcontainer.errors import BadInput


class Lines:
    """Line numbers of keys in a Compose file (in any of its YAML documents), for messages."""

    def __init__(self, *roots: Any) -> None:
        self.roots = [r for r in roots if r is not None]

    def of(self, *path: str | int) -> int | None:
        best: tuple[int, int | None] = (-1, None)  # (how deep the path was found, its line)
        for root in reversed(self.roots):  # the last document that writes a key defines it
            depth, line = self._find(root, path)
            if depth > best[0]:
                best = (depth, line)
        return best[1]

    @staticmethod
    def _find(node: Any, path: tuple[str | int, ...]) -> tuple[int, int | None]:
        import yaml

        line = node.start_mark.line + 1
        for depth, key in enumerate(path):
            if isinstance(node, yaml.MappingNode):
                for k, v in reversed(node.value):  # after '<<' merged keys: the key written last
                    if k.value == key:
                        node, line = v, k.start_mark.line + 1
                        break
                else:
                    return depth, line
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                return depth, line
        return len(path), line


@dataclass(frozen=True)
class Where:
    """Where a service's key was written: the file, its lines, the service's path in it."""

    file: Path
    lines: Lines | None
    service: tuple[str, ...]  # ("services", NAME): the name it has in that file


def bad(file: Path, lines: Lines | None, path: tuple[str | int, ...], expected: str, got: Any) -> BadInput:
    """``FILE:LINE: KEY.PATH: expected ..., got ...``: how import describes a bad value."""
    from rcontainer.profile.schema import found  # one way to describe a bad value, as profiles do

    return BadInput(f"{located(file, lines, path)}expected {expected}, got {found(got)}")


def located(file: Path, lines: Lines | None, path: tuple[str | int, ...]) -> str:
    """``FILE:LINE: KEY.PATH: ``, the start of a message about a key."""
    line = lines.of(*path) if lines else None
    where = f"{shown(file)}:{line}" if line else shown(file)
    key = shown(".".join(str(p) for p in path))
    return f"{where}: {f'{key}: ' if key else ''}"


def own_keys(spec: Any, file: Path, lines: Lines, name: str) -> dict[str, Where]:
    """Where each key of a service definition was written: all in ``file``, under ``name``."""
    here = Where(file, lines, ("services", name))
    return {str(k): here for k in spec} if isinstance(spec, dict) else {}
