"""The events journal: every recorded transition as one JSON line, and following it live.

Every command appends to the scope's ``events.jsonl`` when it records a transition (its own, or
one it noticed); ``rcontainer events`` follows the file and, between reads, looks at the
runtimes so transitions made outside rcontainer show up too.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rcontainer import paths
from rcontainer.files import ensure_dir


def journal_path() -> Path:
    return paths.scope_dir("containers") / "events.jsonl"


def append(event: dict[str, Any]) -> None:
    """Append one event (O_APPEND: concurrent commands never interleave within a line)."""
    path = journal_path()
    ensure_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(event, sort_keys=True) + "\n").encode())
    finally:
        os.close(fd)


def follow(
    look: Callable[[], object], *, interval: float = 0.5, stop: Callable[[], bool] = lambda: False
) -> Iterator[dict[str, Any]]:
    """Events appended from now on; ``look`` (a reconciling ``ps``) runs every few intervals so
    that transitions made outside rcontainer land in the journal."""
    path = journal_path()
    ensure_dir(path.parent)
    path.touch(mode=0o600, exist_ok=True)
    offset = path.stat().st_size
    last_look = 0.0
    while not stop():
        if time.monotonic() - last_look >= interval * 4:
            look()
            last_look = time.monotonic()
        with path.open() as fh:
            fh.seek(offset)
            for line in fh:
                if line.endswith("\n"):
                    offset += len(line.encode())
                    try:
                        yield json.loads(line)
                    except ValueError:
                        continue
        time.sleep(interval)
