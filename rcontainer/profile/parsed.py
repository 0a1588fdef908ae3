"""A cache of parsed YAML files, as Python keeps compiled modules in ``__pycache__``.

Importing PyYAML costs about 9 ms, more than reading a profile with it; ``up`` of a profile that
has not changed, the most common command there is, needs the same tree as last time. So the
located tree (``schema.Node``: values, lines, columns, the YAML 1.1 readings) of a file that
parsed without a problem is kept in ``$XDG_CACHE_HOME/rcontainer/parsed``, named by a hash of
everything the tree depends on: the text, this format, the Python version and the modification
times of the converter (``loader.py``) and of PyYAML. A changed file, converter or PyYAML has
another name, so an entry is never stale, only unused; the folder keeps the newest ``KEEP``.
Nothing here can change what a profile means: a missing, unreadable or damaged entry is a
parse, as without the cache. Only the tree is kept: interpolation, ``extends`` and validation
run every time, as they read the environment and the host.

Secrets never reach the cache: a file that says ``secret`` anywhere (an environment value
``{value: ..., secret: true}`` is a secret written in the profile itself) is parsed every time,
as is one whose keys spell it with YAML escapes. Variables (``${TOKEN}``) are kept as written;
their values are read at every load.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
from pathlib import Path
from typing import Any

from rcontainer import paths
from rcontainer.profile.schema import Node

FORMAT = 1
KEEP = 256  # entries kept; each is a few kilobytes
CONVERTER = os.path.join(os.path.dirname(__file__), "loader.py")  # what turns YAML into Nodes


_VERSIONS: list[str] = []  # _versions(), once per process (a project reads several files)


def _versions() -> str:
    """What, besides the text, decides the tree: this format, Python, the converter, PyYAML."""
    if not _VERSIONS:
        _VERSIONS.append(_find_versions())
    return _VERSIONS[0]


def _find_versions() -> str:
    from importlib.machinery import PathFinder

    parts = [str(FORMAT), sys.version]
    spec = PathFinder.find_spec("yaml")
    for origin in (CONVERTER, spec.origin if spec is not None else None):
        try:
            st = os.stat(origin) if origin else None
        except OSError:
            st = None
        parts.append(f"{st.st_mtime_ns}:{st.st_size}" if st else "-")
    return "\n".join(parts)


def entry(text: str) -> Path:
    digest = hashlib.sha256(f"{_versions()}\n\0{text}".encode("utf-8", "surrogatepass")).hexdigest()
    return paths.cache_dir() / "parsed" / digest[:40]


def load(text: str, file: str) -> Node | None:
    """The tree of ``text`` (read from ``file``) as parsed before, or None."""
    try:
        with open(entry(text), "rb") as fh:
            if os.fstat(fh.fileno()).st_uid != os.getuid():
                return None  # not ours: parse instead
            return _node(marshal.loads(fh.read()), file)
    except Exception:  # noqa: BLE001 - missing, unreadable or damaged, whichever way: parse instead
        return None


def store(text: str, tree: Node) -> None:
    """Keep ``tree``, parsed from ``text`` without a problem, unless it may hold a secret; a
    failure to write is no failure."""
    from rcontainer.files import ensure_dir

    if "secret" in text.lower() or _says_secret(tree):
        return
    path = entry(text)
    with contextlib.suppress(OSError, ValueError):
        ensure_dir(path.parent)
        # a name of its own: two threads of a project's ``up`` may keep the same text at once
        tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(marshal.dumps(_plain(tree)))
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _prune(path.parent)


def _prune(folder: Path) -> None:
    """Keep the ``KEEP`` most recently written entries."""
    entries = list(os.scandir(folder))
    if len(entries) <= KEEP:
        return
    entries.sort(key=lambda e: e.stat().st_mtime_ns, reverse=True)
    for old in entries[KEEP // 2 :]:
        with contextlib.suppress(OSError):
            os.unlink(old.path)


def _says_secret(node: Node) -> bool:
    """Whether a key anywhere in the tree (escapes decoded) mentions a secret."""
    value = node.value
    if isinstance(value, dict):
        return any("secret" in key.lower() or _says_secret(child) for key, child in value.items())
    if isinstance(value, list):
        return any(_says_secret(child) for child in value)
    return False


def _plain(node: Node) -> tuple[Any, ...]:
    """A node as plain values marshal writes: (value, line, column, keys, yaml11); a mapping's
    value and keys are dicts of such tuples, a list's a list of them."""
    value = node.value
    if isinstance(value, dict):
        value = {k: _plain(v) for k, v in value.items()}
    elif isinstance(value, list):
        value = [_plain(v) for v in value]
    keys = {k: _plain(v) for k, v in node.keys.items()} if node.keys is not None else None
    return (value, node.line, node.column, keys, node.yaml11)


def _node(plain: tuple[Any, ...], file: str) -> Node:
    value, line, column, keys, yaml11 = plain
    if isinstance(value, dict):
        value = {k: _node(v, file) for k, v in value.items()}
    elif isinstance(value, list):
        value = [_node(v, file) for v in value]
    node = Node(
        value, file, line, column, {k: _node(v, file) for k, v in keys.items()} if keys is not None else None
    )
    node.yaml11 = yaml11
    return node
