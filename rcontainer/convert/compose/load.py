"""Reading a Compose file: YAML, the line of each key (for messages), and text checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rcontainer.convert.loss import shown
from rcontainer.errors import BadInput


class Lines:
    """Line numbers of keys in the Compose file, for error messages."""

    def __init__(self, root: Any) -> None:
        self.root = root

    def of(self, *path: str | int) -> int | None:
        import yaml

        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for key in path:
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if k.value == key:
                        node, line = v, k.start_mark.line + 1
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def bad(file: Path, lines: Lines | None, path: tuple[str | int, ...], expected: str, got: Any) -> BadInput:
    """``FILE:LINE: KEY.PATH: expected ..., got ...``: how import describes a bad value."""
    from rcontainer.profile.schema import found  # one way to describe a bad value, as profiles do

    line = lines.of(*path) if lines else None
    where = f"{shown(file)}:{line}" if line else shown(file)
    key = shown(".".join(str(p) for p in path))
    return BadInput(f"{where}: {f'{key}: ' if key else ''}expected {expected}, got {found(got)}")


def read_compose(path: Path) -> tuple[dict[str, Any], Lines]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        from rcontainer.errors import NotFound

        raise NotFound(f"no Compose file {shown(path)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise BadInput(f"{shown(path)}: cannot read: {reason}") from None
    try:
        data = yaml.safe_load(text)
        lines = Lines(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown(path)}:{mark.line + 1}:{mark.column + 1}" if mark else shown(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise BadInput(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise BadInput(
            f"{shown(path)}: expected a Compose file with a 'services' mapping at the top level",
            hint="the old version-1 format (services at the top level) is not supported",
        )
    _join_surrogate_pairs(data, set())
    return data, lines


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
