"""The checks across fields that follow the schema (the loader's step 5): what a dev shell's
``home:`` and ``host:`` allow together, bind mounts of ``/`` or the whole home, and what the
runtime class's family declares it cannot do (``Capabilities.unsupported``, applied generically).

Each reports into the loader's ``Ctx`` at the node that wrote the value (``at``).
"""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, Any

from rcontainer.profile import schema
from rcontainer.profile.mounts import sensitive_reason
from rcontainer.profile.schema import INVALID, Ctx, Node

if TYPE_CHECKING:
    from rcontainer.backends.base import Unsupported


def at(tree: Node, *keys: str | int) -> Node:
    """The node at ``keys`` in ``tree``, or the deepest existing ancestor (to locate problems)."""
    node = tree
    for key in keys:
        v = node.value
        if isinstance(v, dict) and isinstance(key, str) and key in v and v[key] is not None:
            node = v[key]
        elif isinstance(v, list) and isinstance(key, int) and 0 <= key < len(v):
            node = v[key]
        else:
            break
    return node


def dev_shell(data: dict[str, Any], tree: Node, ctx: Ctx) -> None:
    """``home:`` and ``host:``: a home gets the default host integration unless ``host:`` says
    otherwise; ``host: [user]`` is your uid inside (Podman's keep-id), so it cannot go with
    another ``userns`` or a ``user``; a home folder given as a path is a bind of that folder,
    held to the sensitive-mount guard (``home: shared`` is the explicit way to your home)."""
    home, host = data.get("home"), data.get("host")
    if home not in (None, INVALID) and host is None:
        data["host"] = list(schema.HOST_DEFAULT)
        host = data["host"]
    if isinstance(host, list) and "user" in host:
        userns = data.get("userns")
        if userns not in ("", "keep-id", INVALID):
            ctx.add(
                at(tree, "userns"),
                "userns",
                f"host: [user] runs the shell as your own uid (userns keep-id), not with userns {userns!r}; "
                "drop userns or user from host:",
            )
        if data.get("user") not in (None, INVALID):
            ctx.add(
                at(tree, "user"),
                "user",
                "host: [user] runs the container as you; drop user:, or user from host:",
            )
    if isinstance(home, str) and home not in schema.HOME_POLICIES:
        why = sensitive_reason(home)
        if why and data.get("allow_sensitive_mounts") is not True:
            fix = "say home: shared" if why.startswith("your whole home") else "name a folder of its own"
            ctx.add(
                at(tree, "home"),
                "home",
                f"home folder {home} is {why}; {fix}, or set allow_sensitive_mounts: true if you mean it",
            )


def sensitive_mounts(data: dict[str, Any], tree: Node, ctx: Ctx) -> None:
    """Bind sources are resolved (``~``, relative paths, ``..``, symlinks) before this check, so a
    symlink to ``/`` is caught too. Mounting ``/`` or the whole home needs an explicit opt-in."""
    volumes = data["volumes"]
    if volumes is INVALID or data.get("allow_sensitive_mounts") is True:
        return
    for i, vol in enumerate(volumes):
        if vol is INVALID or vol["type"] != "bind":
            continue
        why = sensitive_reason(vol["source"])
        if why:
            ctx.add(
                at(tree, "volumes", i),
                ("volumes", i),
                f"bind-mounts {why} (resolved from the profile as {vol['source']}); mount a sub-folder, "
                "or set allow_sensitive_mounts: true if you mean it",
            )


def runtime(data: dict[str, Any], tree: Node, ctx: Ctx) -> None:
    from rcontainer import runtimes
    from rcontainer.backends import capabilities
    from rcontainer.errors import BadInput, NotFound

    name = data["runtime"]
    if name is INVALID:
        return
    try:
        rclass = runtimes.get(name)
    except NotFound as exc:
        hint = f"; {exc.hint}" if exc.hint else ""
        ctx.add(at(tree, "runtime"), "runtime", f"{exc.message}{hint}")
        return
    except BadInput as exc:
        ctx.add(at(tree, "runtime"), "runtime", f"cannot check the runtime class: {exc.message}")
        return
    _unsupported(capabilities(rclass.family).unsupported, name, data, tree, ctx)


def _unsupported(
    rules: tuple[Unsupported, ...], runtime: str, data: dict[str, Any], tree: Node, ctx: Ctx
) -> None:
    """Refuse what the runtime class's family declares it cannot do (``Capabilities.unsupported``).

    Rules on the same path are asked in turn about each of its values (each item, for a
    ``[]`` path), so the problems of one value are reported together, in the table's order."""
    for path, group in groupby(rules, key=lambda rule: rule.path):
        same = list(group)
        for keys, value in _values(data, path):
            node = at(tree, *keys)
            written = _written(tree, keys)
            for rule in same:
                if not rule.when(value):
                    continue
                default = (
                    f" (the default is {value!r}; {rule.default_fix})"
                    if rule.default_fix and not written
                    else ""
                )
                ctx.add(
                    node if written else at(tree, "runtime"),
                    keys,
                    rule.reason.format(value=value, runtime=runtime, default=default),
                )


def _values(data: dict[str, Any], path: str) -> list[tuple[tuple[str | int, ...], Any]]:
    """The valid values at a rule's ``path`` (``a.b``, ``a[]`` for each item of list ``a``),
    each with its keys."""
    found: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    for part in path.split("."):
        name, each = part.removesuffix("[]"), part.endswith("[]")
        found = [
            (keys + (name,), value[name])
            for keys, value in found
            if isinstance(value, dict) and name in value
        ]
        if each:
            found = [
                (keys + (i,), item)
                for keys, items in found
                if isinstance(items, list)
                for i, item in enumerate(items)
            ]
        found = [(keys, value) for keys, value in found if value is not INVALID]
    return found


def _written(tree: Node, keys: tuple[str | int, ...]) -> bool:
    """Whether the profile wrote the value at ``keys`` rather than leaving it to its default: a
    mapping on the way that lacks the next key, or a null on the way, means a default; a
    scalar on the way (such as ``network: host``) wrote what lies below it."""
    node = tree
    for key in keys:
        value = node.value
        if isinstance(value, dict) and isinstance(key, str):
            if key not in value:
                return False
            node = value[key]
        elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
            node = value[key]
        else:
            return value is not None
    return True
