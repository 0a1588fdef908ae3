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
            out.append((loader.construct_document(node), node))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown(path)}:{mark.line + 1}:{mark.column + 1}" if mark else shown(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise BadInput(f"{where}: not valid YAML: {problem}") from None
    finally:
        loader.dispose()
    return out


_LOADER: Any = None


def _yaml_loader() -> Any:
    """A safe YAML loader that reads Compose's ``!reset`` and ``!override`` tags."""
    global _LOADER
    if _LOADER is None:
        import yaml

        class ComposeLoader(yaml.SafeLoader):
            pass

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

        ComposeLoader.add_constructor("!reset", reset)
        ComposeLoader.add_constructor("!override", override)
        _LOADER = ComposeLoader
    return _LOADER


def not_compose(path: Path) -> BadInput:
    return BadInput(
        f"{shown(path)}: expected a Compose file with a 'services' mapping at the top level",
        hint="the old version-1 format (services at the top level) is not supported",
    )
