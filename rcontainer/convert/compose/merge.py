"""Merging Compose definitions, as Compose does for ``extends``, ``include`` and several documents.

The rules are those of Compose's reference loader (compose-go's ``override`` package): mappings
merge key by key, a later scalar replaces an earlier one, lists are appended, with exceptions
(``command``, ``entrypoint`` and ``healthcheck.test`` are replaced; ``environment``, ``labels``
and a few more merge as ``KEY=VALUE`` lists). Afterwards ``unique`` keeps one entry per key
in the lists where Compose does (one variable per name, one mount per target, ...): the later
definition, at the place of the first.

The YAML tags ``!reset`` (drop the earlier value, and this one) and ``!override`` (replace the
earlier value instead of merging) are read as ``RESET`` and ``Override``; ``strip`` removes them
from a definition that merges with nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rcontainer.convert.compose.variables import split_outside

KeyPath = tuple[str, ...]


class _Reset:
    def __repr__(self) -> str:
        return "RESET"


RESET: Any = _Reset()  # a value tagged !reset


class Override:
    """A value tagged ``!override``."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Override({self.value!r})"


def strip(value: Any) -> Any:
    """``value`` without tags: ``!reset`` entries left out, ``!override`` values unwrapped."""
    if isinstance(value, Override):
        return strip(value.value)
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if v is not RESET}
    if isinstance(value, list):
        return [strip(v) for v in value if v is not RESET]
    return value


class MergeError(ValueError):
    """Two definitions that cannot merge (a mapping and a list, say): ``path`` says where."""

    def __init__(self, path: KeyPath) -> None:
        super().__init__(f"cannot override {'.'.join(path)}")
        self.path = path


def merge(base: Any, over: Any, path: KeyPath = ()) -> Any:
    """``over`` merged onto ``base`` (neither is changed); ``path`` locates them (``services.NAME...``)."""
    if isinstance(over, Override):
        return strip(over.value)
    special = _special(path)
    if special is not None:
        return special(base, strip(over), path)
    if over is None:
        return base
    if isinstance(base, dict):
        if not isinstance(over, dict):
            raise MergeError(path)
        return _merge_mappings(base, over, path)
    if isinstance(base, list):
        if not isinstance(over, list):
            raise MergeError(path)
        return [*base, *strip(over)]
    return strip(over)


def _merge_mappings(base: dict[Any, Any], over: dict[Any, Any], path: KeyPath) -> dict[Any, Any]:
    out = dict(base)
    for key, value in over.items():
        if value is RESET:
            out.pop(key, None)
        elif key in out:
            out[key] = merge(out[key], value, (*path, str(key)))
        else:
            out[key] = strip(value)
    return out


def _to_list(value: Any) -> list[Any]:
    """A Compose mapping as its ``KEY=VALUE`` list (sorted, a null value as a bare ``KEY``)."""
    if isinstance(value, dict):
        items = []
        for key, val in value.items():
            if val is None:
                items.append(str(key))
            elif isinstance(val, list):
                items += [f"{key}={go_text(v)}" for v in val]
            else:
                items.append(f"{key}={go_text(val)}")
        return sorted(items)
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return [value]
    return []


def go_text(value: Any) -> str:
    """A scalar as Compose (Go's ``%v``) writes it: ``true``, ``1``, ``0.5``, ``1e+06``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def _go_float(value: float) -> str:
    """Go's shortest ``%g``: exponent form below 1e-4 and from 1e+06 (e.g. ``1e+06``, ``1.5e-05``)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    exponent = f"{value:e}".partition("e")[2]
    digits = repr(abs(value)).replace(".", "").split("e")[0].lstrip("0").rstrip("0") or "0"
    exp = int(exponent)
    sign = "-" if value < 0 or (value == 0 and str(value).startswith("-")) else ""
    if exp < -4 or exp >= 6:
        rest = f".{digits[1:]}" if len(digits) > 1 else ""
        return f"{sign}{digits[0]}{rest}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    text = repr(abs(value))
    if "e" in text:  # Python writes 1e-04 as 0.0001 already; only exotic cases get here
        text = f"{abs(value):f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return f"{sign}{text}"


def _to_mapping(value: Any) -> dict[Any, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return {item: None for item in value if isinstance(item, str | int | float)}
    return {}


def _sequence(base: Any, over: Any, path: KeyPath) -> Any:
    return [*_to_list(base), *_to_list(over)]


def _replace(base: Any, over: Any, path: KeyPath) -> Any:
    return over


def _extra_hosts(base: Any, over: Any, path: KeyPath) -> Any:
    first = _to_list(base)
    return [*first, *(v for v in _to_list(over) if v not in first)]


def _build(base: Any, over: Any, path: KeyPath) -> Any:
    def mapping(value: Any) -> Any:
        return {"context": value} if isinstance(value, str) else value

    b, o = mapping(base), mapping(over)
    if isinstance(b, dict) and isinstance(o, dict):
        return _merge_mappings(b, o, path)
    return o if o is not None else b


def _mappings(base: Any, over: Any, path: KeyPath) -> Any:
    return _merge_mappings(_to_mapping(base), _to_mapping(over), path)


def _logging(base: Any, over: Any, path: KeyPath) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        if "driver" in base and "driver" in over and base["driver"] != over["driver"]:
            return over
        return _merge_mappings(base, over, path)
    return over if over is not None else base


# Service keys (after "services", NAME) that do not merge plainly.
_SPECIAL: dict[KeyPath, Callable[[Any, Any, KeyPath], Any]] = {
    ("annotations",): _sequence,
    ("build",): _build,
    ("command",): _replace,
    ("depends_on",): _mappings,
    ("dns",): _sequence,
    ("dns_opt",): _sequence,
    ("dns_search",): _sequence,
    ("entrypoint",): _replace,
    ("env_file",): _sequence,
    ("label_file",): _sequence,
    ("environment",): _sequence,
    ("extra_hosts",): _extra_hosts,
    ("healthcheck", "test"): _replace,
    ("labels",): _sequence,
    ("logging",): _logging,
    ("networks",): _mappings,
    ("sysctls",): _sequence,
    ("tmpfs",): _sequence,
    ("deploy", "labels"): _sequence,
    ("ulimits", "*"): _replace,
    ("build", "args"): _sequence,
    ("build", "labels"): _sequence,
    ("build", "additional_contexts"): _sequence,
    ("build", "extra_hosts"): _extra_hosts,
}


def _special(path: KeyPath) -> Callable[[Any, Any, KeyPath], Any] | None:
    if len(path) >= 3 and path[0] == "services":
        rest = path[2:]
        for pattern, merger in _SPECIAL.items():
            if len(pattern) == len(rest) and all(p in ("*", r) for p, r in zip(pattern, rest, strict=True)):
                return merger
    if len(path) == 3 and path[0] in ("volumes", "networks") and path[2] == "labels":
        return _sequence
    return None


# ---------------------------------------------------------------------------------------------
# One entry per key


def unique(service: dict[str, Any]) -> dict[str, Any]:
    """``service`` with one entry per key in the lists where Compose keeps one (the later entry)."""
    out = dict(service)
    for key, index in _UNIQUE.items():
        value = out.get(key)
        if isinstance(value, list):
            out[key] = _unique(value, index)
    build = out.get("build")
    if isinstance(build, dict) and isinstance(build.get("args"), list):
        out["build"] = {**build, "args": _unique(build["args"], _key_of_pair)}
    return out


def _unique(items: list[Any], index: Callable[[Any], str | None]) -> list[Any]:
    out: list[Any] = []
    seen: dict[str, int] = {}
    for item in items:
        key = index(item)
        if key is None:  # not an entry Compose would accept: left for the importer to refuse
            out.append(item)
        elif key in seen:
            out[seen[key]] = item
        else:
            seen[key] = len(out)
            out.append(item)
    return out


def _key_of_pair(item: Any) -> str | None:
    return item.partition("=")[0] if isinstance(item, str) else None


def _volume_target(item: Any) -> str | None:
    if isinstance(item, dict):
        target = item.get("target")
        return target if isinstance(target, str) else None
    if isinstance(item, str):
        parts = split_outside(item, ":")
        return parts[1] if len(parts) > 1 else parts[0]
    return None


def _port_key(item: Any) -> str | None:
    if isinstance(item, bool):
        return None
    if isinstance(item, int | str):
        return str(item)
    if isinstance(item, dict):
        host = item.get("host_ip", "0.0.0.0")
        return f"{host}:{item.get('published')}:{item.get('target')}/{item.get('protocol', 'tcp')}"
    return None


def _text(item: Any) -> str | None:
    return str(item) if isinstance(item, str | int) and not isinstance(item, bool) else None


_UNIQUE: dict[str, Callable[[Any], str | None]] = {
    "annotations": _key_of_pair,
    "cap_add": _key_of_pair,
    "cap_drop": _key_of_pair,
    "dns": _key_of_pair,
    "dns_opt": _key_of_pair,
    "dns_search": _key_of_pair,
    "environment": _key_of_pair,
    "env_file": lambda item: (
        item if isinstance(item, str) else _text((item or {}).get("path")) if isinstance(item, dict) else None
    ),
    "expose": _text,
    "labels": _key_of_pair,
    "links": _key_of_pair,
    "ports": _port_key,
    "profiles": _key_of_pair,
    "sysctls": _key_of_pair,
    "tmpfs": _key_of_pair,
    "volumes": _volume_target,
}
