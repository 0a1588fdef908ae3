"""Mounts: volumes (short and long syntax) and tmpfs."""

from __future__ import annotations

import re
from typing import Any

from rcontainer.convert.compose.service import Service
from rcontainer.convert.compose.variables import split_outside

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


def _named(s: Service, name: str) -> str:
    """A volume's name in Podman: the top-level volume's ``name`` when it sets one."""
    spec = s.top_volumes.get(name)
    if isinstance(spec, dict) and isinstance(spec.get("name"), str):
        return spec["name"]
    return name


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
    if source.startswith((".", "/", "~", "$")) or "/" in source:
        source = s.path(source)
        if not source.startswith(("/", "~", "$", ".")):
            source = f"./{source}"
    elif _VOLUME_NAME.match(source):
        source = _named(s, source)
    else:
        raise s.bad(("volumes", i), "a path or a volume name as source", item)
    return ":".join([source, target, *([",".join(kept)] if kept else [])])


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
        vol["source"] = s.path(source)
    elif kind == "volume":
        if source is None:
            source = f"{s.p['name']}-anon-{i}"
            s.lose(where, f"anonymous volume at {target} → named volume {source!r}")
        if not isinstance(source, str):
            raise s.bad(("volumes", i, "source"), "a volume name", source)
        vol["source"] = _named(s, source)
    vol["target"] = target
    if item.get("read_only"):
        vol["read_only"] = True
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
            elif key == "tmpfs" and opt in ("size", "mode"):
                vol[opt] = val
            elif key == "bind" and opt == "create_host_path" and val:
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
