"""Container logs, read from the k8s-file format both runtime families write.

Podman's ``k8s-file`` log driver writes where the create request says; the bubblewrap
supervisor writes the same format. Each line: ``TIMESTAMP STREAM TAG MESSAGE`` where TAG is
``F`` (full line) or ``P`` (partial: the message continues on the next line).
The files live in the XDG state dir, so logs outlive the container.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rcontainer.errors import BadInput
from rcontainer.values import Value

# patterns as text, compiled (by re's cache) where they are used: ``up`` imports this module
# (log rotation) and reads no log line, size or duration
_LINE = r"^(\S+) (stdout|stderr) ([FP]) ?(.*)$"
_SIZE = r"([0-9]{1,12})([kmg]?)"

MAX_SIZE_ENV = "RCONTAINER_LOG_MAX_SIZE"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def max_bytes() -> int:
    """The size a container's log may reach before it is rotated (``RCONTAINER_LOG_MAX_SIZE``,
    e.g. ``20m``; default 20 MiB): a container printing without end must not fill the disk."""
    text = os.environ.get(MAX_SIZE_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_BYTES
    m = re.fullmatch(_SIZE, text, re.IGNORECASE)
    if not m or int(m.group(1)) == 0:
        raise BadInput(f"{MAX_SIZE_ENV}={text!r}: expected a size like 512k, 20m or 1g")
    return int(m.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2).lower()]


_DURATION = r"^(\d+(?:\.\d+)?)(s|m|h|d)$"


class LogLine(Value):
    __slots__ = ("time", "stream", "text")

    def __init__(self, time: datetime, stream: str, text: str) -> None:
        self.time = time
        self.stream = stream
        self.text = text


def parse_time(ts: str) -> datetime:
    # 2026-11-30T14:13:22.123456789+00:00: Python's fromisoformat takes at most 6 fraction digits
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$", ts)
    if not m:
        raise ValueError(ts)
    frac = (m.group(2) or "0")[:6].ljust(6, "0")
    tz = m.group(3) or "+00:00"
    tz = "+00:00" if tz == "Z" else tz
    return datetime.fromisoformat(f"{m.group(1)}.{frac}{tz}")


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """``--since``: a duration back from now (``10s``, ``5m``, ``2h``, ``1d``) or a timestamp."""
    now = now or datetime.now(UTC)
    m = re.match(_DURATION, value.strip())
    if m:
        amount, unit = float(m.group(1)), m.group(2)
        return now - timedelta(seconds=amount * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(
            f"--since {value!r}: expected a duration like 10s, 5m, 2h, 1d or an ISO timestamp"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _records(lines: Iterator[str], pending: dict[str, str] | None = None) -> Iterator[LogLine]:
    """Log lines from k8s-file records; ``pending`` holds the partial (P) text of each stream
    between calls, so a long line split across two reads of a growing file stays whole."""
    pending = {} if pending is None else pending
    line = re.compile(_LINE)
    for raw in lines:
        m = line.match(raw.rstrip("\n"))
        if not m:
            continue
        ts, stream, tag, msg = m.groups()
        if tag == "P":
            pending[stream] = pending.get(stream, "") + msg
            continue
        try:
            when = parse_time(ts)
        except ValueError:
            continue
        yield LogLine(when, stream, pending.pop(stream, "") + msg)


def rotated(path: Path) -> Path:
    """Where the older part of a log rotated at its size cap is kept (read before ``path``)."""
    return path.with_name(path.name + ".old")


def _file_lines(path: Path) -> Iterator[str]:
    with contextlib.suppress(FileNotFoundError), path.open(encoding="utf-8", errors="replace") as fh:
        yield from fh


def read(path: Path, *, since: datetime | None = None, tail: int | None = None) -> list[LogLine]:
    """The log's lines, the part rotated away at its size cap (``LOG.old``) first."""
    raw = itertools.chain(_file_lines(rotated(path)), _file_lines(path))
    lines = (r for r in _records(raw) if since is None or r.time >= since)
    if tail is not None:
        return list(deque(lines, maxlen=tail)) if tail > 0 else []
    return list(lines)


def follow(
    path: Path,
    *,
    since: datetime | None = None,
    tail: int | None = None,
    keep_going=lambda: True,
    interval: float = 0.2,
) -> Iterator[LogLine]:
    """The existing lines (as ``read``), then new ones as they are written, until
    ``keep_going()`` turns false (the container stopped) and the file has no more."""
    yield from read(path, since=since, tail=tail)
    size = path.stat().st_size if path.exists() else 0
    buf = ""
    partial: dict[str, str] = {}
    while True:
        now = path.stat().st_size if path.exists() else 0
        if now < size:  # rotated (or started afresh at its size cap): read the new file from its start
            size, buf = 0, ""
        if now > size:
            with path.open(encoding="utf-8", errors="replace") as fh:
                fh.seek(size)
                chunk = fh.read()
                size = fh.tell()
            buf += chunk
            *complete, buf = buf.split("\n")
            yield from _records(iter(complete), partial)
            continue
        if not keep_going():
            return
        time.sleep(interval)


def merged(lines: dict[str, list[LogLine]]) -> list[tuple[str, LogLine]]:
    """Several containers' lines (by label) in time order: a project's logs."""
    return sorted(
        ((label, line) for label, ls in lines.items() for line in ls), key=lambda pair: pair[1].time
    )


def follow_all(streams: dict[str, Iterator[LogLine]]) -> Iterator[tuple[str, LogLine]]:
    """Several followed logs (by label) as their lines come, each read in a thread of its own,
    until every one has ended."""
    found: queue.Queue[tuple[str, LogLine | BaseException | None]] = queue.Queue()

    def pump(label: str, lines: Iterator[LogLine]) -> None:
        try:
            for line in lines:
                found.put((label, line))
            found.put((label, None))
        except BaseException as exc:  # noqa: BLE001 - raised again in the reading thread
            found.put((label, exc))

    for label, lines in streams.items():
        threading.Thread(target=pump, args=(label, lines), name=f"logs-{label}", daemon=True).start()
    left = len(streams)
    while left:
        label, item = found.get()
        if isinstance(item, BaseException):
            raise item
        if item is None:
            left -= 1
            continue
        yield label, item
