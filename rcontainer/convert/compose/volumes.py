"""Mounts: volumes (short and long syntax) and tmpfs."""

from __future__ import annotations

import re
from typing import Any

from rcontainer.convert.compose.reading import OctalInt
from rcontainer.convert.compose.service import Service, boolean
from rcontainer.convert.compose.variables import has_variable, literal, split_outside

_VOLUME_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_LONG_KEYS = ("type", "source", "target", "read_only")


def volumes(s: Service) -> None:
    out: list[Any] = []
    vols = s.spec.get("volumes")
    if vols is not None:
        if not isinstance(vols, list):
            raise s.bad("volumes", "a list of volumes", vols)
        for i, item in enumerate(vols):
            vol = _volume(s, item, i)
            if vol is not None:
                out.append(vol)
    tmpfs = s.spec.get("tmpfs")
    if tmpfs is not None:
        items = tmpfs if isinstance(tmpfs, list) else [tmpfs]
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise s.bad(("tmpfs", i), "a path like '/run' or '/run:size=64m'", item)
            target, *rest = split_outside(item, ":")
            vol: dict[str, Any] = {"type": "tmpfs", "target": target}
            for opt in filter(None, ":".join(rest).split(",")):
                key, _, val = opt.partition("=")
                if key == "size":
                    if not _unlimited(s, ("tmpfs", i), val):
                        vol["size"] = val
                elif key == "mode":
                    vol["mode"] = val
                elif key in ("ro", "rw"):
                    vol["read_only"] = key == "ro"
                else:
                    s.lose(f"tmpfs[{i}]", f"option {opt!r} dropped")
            out.append(vol)
    if out:
        s.p["volumes"] = out


def _named(s: Service, name: str, at: tuple[str | int, ...] | None = None) -> str:
    """A volume's name in Podman, as Compose names it: the top-level volume's ``name`` when it
    sets one, its key when it is external, else the project's name, '_' and its key (so that two
    projects' ``db-data`` stay apart, and a volume Compose made is the one the profile mounts).

    A name that is a variable is read now (under ``at``, noted) when Compose would rename it.
    """
    if has_variable(name):
        value = s.resolved(at or "volumes", name, note=False)
        named = _named(s, value) if _VOLUME_NAME.match(value) else value
        if named == value:
            return name  # the profile reads it the same way
        s.noted(at or "volumes", name, named)
        return literal(named)
    spec = s.top_volumes.get(name)
    if isinstance(spec, dict):
        if isinstance(spec.get("name"), str):
            return spec["name"]
        external = spec.get("external")
        if isinstance(external, dict):  # the old form, external: {name: NAME}
            return external["name"] if isinstance(external.get("name"), str) else name
        if boolean(external) is True:
            return name
    return f"{s.project}_{name}"


def _volume(s: Service, item: Any, i: int) -> Any:
    if isinstance(item, str):
        return _short(s, item, i)
    if not isinstance(item, dict):
        raise s.bad(("volumes", i), "a volume like './data:/data' or a mapping", item)
    return _long(s, item, i)


def _short(s: Service, item: str, i: int) -> str:
    where = f"volumes[{i}]"
    parts = split_outside(item, ":")  # not at the ":-" of a "${VAR:-default}"
    if len(parts) == 1:
        anon = f"{s.p['name']}-anon-{i}"
        s.lose(where, f"anonymous volume at {item} → named volume {anon!r}")
        return f"{anon}:{item}"
    if len(parts) > 3:
        raise s.bad(("volumes", i), "'SOURCE:TARGET[:OPTIONS]'", item)
    source, target = parts[0], parts[1]
    options = parts[2].split(",") if len(parts) == 3 else []
    kept = []
    for opt in options:
        if opt in ("ro", "rw", "z", "Z"):
            kept.append(opt)
        else:
            s.lose(where, f"option {opt!r} dropped")
    value = s.resolved(("volumes", i), source, note=False) if source.startswith("$") else source
    if value and not _is_path(value) and _VOLUME_NAME.match(value) and value != source:
        source = _named(s, source, ("volumes", i))
    elif _is_path(source):
        source = s.path(source, ("volumes", i))
        if not source.startswith(("/", "~", "$", ".")):
            source = f"./{source}"
    elif _VOLUME_NAME.match(source):
        source = _named(s, source)
    else:
        raise s.bad(("volumes", i), "a path or a volume name as source", item)
    return ":".join([source, target, *([",".join(kept)] if kept else [])])


def _is_path(source: str) -> bool:
    return source.startswith((".", "/", "~", "$")) or "/" in source


def _long(s: Service, item: dict[str, Any], i: int) -> dict[str, Any] | None:
    where = f"volumes[{i}]"
    at = ("volumes", i)
    kind = item.get("type")
    target = item.get("target")
    if not isinstance(target, str):
        raise s.bad(("volumes", i, "target"), "a path in the container", target)
    if kind not in ("bind", "volume", "tmpfs"):
        s.lose(where, f"type {kind!r} dropped: bind, volume and tmpfs only")
        return None
    vol: dict[str, Any] = {"type": kind}
    source = item.get("source")
    if kind == "bind":
        if not isinstance(source, str):
            raise s.bad(("volumes", i, "source"), "a host path", source)
        vol["source"] = s.path(source, ("volumes", i, "source"))
    elif kind == "volume":
        if source is None:
            vol["source"] = f"{s.p['name']}-anon-{i}"
            s.lose(where, f"anonymous volume at {target} → named volume {vol['source']!r}")
        elif isinstance(source, str):
            vol["source"] = _named(s, source, at)
        else:
            raise s.bad(("volumes", i, "source"), "a volume name", source)
    vol["target"] = target
    read_only = boolean(item.get("read_only"))
    if read_only not in (None, False):
        vol["read_only"] = read_only  # true, or a variable the profile reads
    for key, sub in item.items():
        if key in _LONG_KEYS or str(key).startswith("x-"):
            continue
        if not isinstance(sub, dict):
            s.lose(f"{where}.{key}", "dropped")
            continue
        for opt, val in sub.items():
            if key == "bind" and opt == "selinux":
                vol["selinux"] = val
            elif key == "tmpfs" and opt == "size" and _unlimited(s, (*at, "tmpfs", "size"), val):
                pass  # Compose (and Podman) then give tmpfs's own default
            elif key == "tmpfs" and opt == "mode":
                vol["mode"] = _mode(s, f"{where}.tmpfs.mode", val)
            elif key == "tmpfs" and opt == "size":
                vol["size"] = val
            elif key == "bind" and opt == "create_host_path" and boolean(val) not in (None, False):
                s.lose(f"{where}.bind.create_host_path", "dropped: the host path must exist")
            else:
                s.lose(f"{where}.{key}.{opt}", "dropped")
    return vol


def _unlimited(s: Service, at: tuple[str | int, ...], size: Any) -> bool:
    """A tmpfs size of 0: no limit in Compose (no size option), which a profile says by leaving it out."""
    value = s.resolved(at, size, note=False) if isinstance(size, str) else size
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value == 0
    return (
        isinstance(value, str)
        and re.fullmatch(r"\s*0+(\.0*)?\s*[bkmgt]?i?b?\s*", value, re.IGNORECASE) is not None
    )


def _mode(s: Service, where: str, value: Any) -> Any:
    """A tmpfs mode for a profile, which reads a number's digits as octal.

    Compose's YAML reads 0755 or 0o755 as octal: the profile gets the digits 755. Any other
    number Compose takes as written, in decimal (1777 is mode 0o3361): the profile keeps the
    digits, read as octal as surely meant, and says so.
    """
    if isinstance(value, OctalInt):
        return f"{value:o}"
    if isinstance(value, int) and not isinstance(value, bool) and value > 7:
        s.lose(
            where,
            f"{value}: Compose reads it as a decimal number (mode {value:#o}); imported as octal {value}",
        )
    return value
