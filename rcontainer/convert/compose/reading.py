"""Reading the YAML documents of a Compose file, with Compose's ``!reset`` and ``!override`` tags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rcontainer.convert.compose import merge as merging
from rcontainer.convert.loss import shown
from rcontainer.errors import BadInput


def read_documents(path: Path) -> list[tuple[Any, Any]]:
    """(data, YAML node) of each document of the file at ``path``; BadInput when unreadable."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        from rcontainer.errors import NotFound

        raise NotFound(f"no Compose file {shown(path)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise BadInput(f"{shown(path)}: cannot read: {reason}") from None
    loader = _yaml_loader()(text)
    out = []
    try:
        while loader.check_node():
            node = loader.get_node()
            _check_size(node, path)
            out.append((loader.construct_document(node), node))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown(path)}:{mark.line + 1}:{mark.column + 1}" if mark else shown(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise BadInput(f"{where}: not valid YAML: {problem}") from None
    except RecursionError:
        raise BadInput(f"{shown(path)}: not valid YAML: nested too deeply") from None
    finally:
        loader.dispose()
    return out


MAX_VALUES = 100_000  # after expanding aliases: no "billion laughs" document


def _check_size(root: Any, path: Path) -> None:
    """Refuse a document that holds itself (a recursive alias) or, aliases expanded, more than
    ``MAX_VALUES`` values: merging copies what aliases share."""
    import yaml

    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Any) -> int:
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            return 1
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in active:
            line = node.start_mark.line + 1
            raise BadInput(f"{shown(path)}:{line}: a value that contains itself (a recursive YAML alias)")
        active.add(id(node))
        children = (
            [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
        )
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_VALUES:
                raise BadInput(
                    f"{shown(path)}: too large: more than {MAX_VALUES} values after expanding aliases"
                )
        active.discard(id(node))
        sizes[id(node)] = total
        return total

    size(root)


class OctalInt(int):
    """An integer written in octal (``0755``, ``0o755``): a file mode, most likely."""


_LOADER: Any = None

# Plain scalars as Compose's YAML library (go-yaml, YAML 1.2 core schema) reads them: only
# true/false are booleans (yes, no, on, off are text), no base 60 ("22:22" is text), 0x, 0o and
# 0b prefixes, and a leading 0 for octal as go-yaml keeps it.
_BOOL = r"^(?:true|True|TRUE|false|False|FALSE)$"
_NULL = r"^(?:~|null|Null|NULL|)$"
_INT = r"^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)$"
_FLOAT = r"^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"


def _yaml_loader() -> Any:
    """A safe YAML loader that reads plain scalars as Compose does, refuses duplicate keys and
    reads Compose's ``!reset`` and ``!override`` tags."""
    global _LOADER
    if _LOADER is None:
        import re

        import yaml

        class ComposeLoader(yaml.SafeLoader):
            yaml_implicit_resolvers: dict[Any, Any] = {}

            def construct_mapping(self, node: Any, deep: bool = False) -> Any:
                if isinstance(node, yaml.MappingNode):
                    seen: dict[str, int] = {}
                    for key, _ in node.value:
                        if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                            continue
                        if key.value in seen:
                            raise yaml.constructor.ConstructorError(
                                None,
                                None,
                                f"duplicate key {key.value!r} (first defined at line {seen[key.value]})",
                                key.start_mark,
                            )
                        seen[key.value] = key.start_mark.line + 1
                return super().construct_mapping(node, deep)

        def resolver(tag: str, pattern: str, first: str | list[str]) -> None:
            ComposeLoader.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(pattern), list(first))

        resolver("bool", _BOOL, "tTfF")
        resolver("null", _NULL, ["~", "n", "N", ""])
        resolver("int", _INT, "-+0123456789")
        resolver("float", _FLOAT, "-+0123456789.")
        resolver("merge", r"^<<$", "<")

        def reset(loader: Any, node: Any) -> Any:
            return merging.RESET

        def override(loader: Any, node: Any) -> Any:
            if isinstance(node, yaml.MappingNode):
                return merging.Override(loader.construct_mapping(node, deep=True))
            if isinstance(node, yaml.SequenceNode):
                return merging.Override(loader.construct_sequence(node, deep=True))
            tag = loader.resolve(yaml.ScalarNode, node.value, (True, False))
            plain = yaml.ScalarNode(tag, node.value, node.start_mark, node.end_mark, node.style)
            return merging.Override(loader.construct_object(plain, deep=True))

        ComposeLoader.add_constructor("tag:yaml.org,2002:int", lambda loader, node: _int(node.value))
        ComposeLoader.add_constructor("tag:yaml.org,2002:float", lambda loader, node: _float(node.value))
        ComposeLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
        ComposeLoader.add_constructor("!reset", reset)
        ComposeLoader.add_constructor("!override", override)
        _LOADER = ComposeLoader
    return _LOADER


def _int(text: str) -> int | float:
    """An integer as go-yaml reads it (Go's base-0 parse); "08" is no octal number: a float then."""
    plain = text.replace("_", "")
    sign = -1 if plain.startswith("-") else 1
    digits = plain.lstrip("+-")
    prefix = digits[:2].lower()
    if prefix in ("0x", "0b"):
        return sign * int(digits[2:], 16 if prefix == "0x" else 2)
    if prefix == "0o" or (len(digits) > 1 and digits[0] == "0"):
        octal = digits[2:] if prefix == "0o" else digits[1:]
        try:
            return OctalInt(sign * int(octal, 8))
        except ValueError:
            return _float(text)
    return sign * int(digits)


def _float(text: str) -> float:
    plain = text.replace("_", "").lower()
    if plain.endswith("inf"):
        return float("-inf") if plain.startswith("-") else float("inf")
    if plain.endswith("nan"):
        return float("nan")
    return float(plain)


def not_compose(path: Path) -> BadInput:
    return BadInput(
        f"{shown(path)}: expected a Compose file with a 'services' mapping at the top level",
        hint="the old version-1 format (services at the top level) is not supported",
    )
