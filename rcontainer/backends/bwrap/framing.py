"""The container's output as a k8s-file log, the format Podman's ``k8s-file`` driver writes.

One record per line of output: ``TIMESTAMP STREAM F TEXT``, TIMESTAMP in UTC with nanosecond
digits, STREAM ``stdout`` or ``stderr``, ``F`` for a full line; a line longer than
``MAX_LINE`` bytes is written in ``P`` (partial) records first, as Podman does, so an endless
line without a newline never grows in memory. The log is rotated (``LOG.1``) when it passes its
size cap. The engine's reader (``rcontainer.logs``) reads both families' logs. Bytes arrive in arbitrary
chunks: a line is written once its newline has arrived, or when its stream ends without one.
The supervisor imports this module under ``python -S``: the standard library only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO


def format_line(stream: str, text: str, when: datetime, tag: str = "F") -> str:
    """One k8s-file record (``tag`` F: a full line, P: part of one that continues)."""
    return f"{when.strftime('%Y-%m-%dT%H:%M:%S.%f')}000+00:00 {stream} {tag} {text}\n"


MAX_LINE = 16 * 1024


def split_lines(pending: bytes, chunk: bytes, *, final: bool) -> tuple[list[str], bytes]:
    """The complete lines in ``pending + chunk`` and the bytes still waiting for their newline.

    With ``final`` (the stream has ended) the unterminated rest is a line too. Lines are split
    as bytes and decoded one by one, so a character split between two chunks stays whole;
    bytes that are not UTF-8 become U+FFFD, and CRs at a line's end (of a CRLF) are dropped."""
    *lines, rest = (pending + chunk).split(b"\n")
    if final and rest:
        lines.append(rest)
        rest = b""
    return [raw.decode("utf-8", errors="replace").rstrip("\r") for raw in lines], rest


def _now() -> datetime:
    return datetime.now(UTC)


class LogWriter:
    """Frames the chunks read from a container's stdout and stderr into one k8s-file log.

    ``rotate`` (called when the file passed ``max_bytes``) returns the file to go on with."""

    def __init__(
        self,
        out: TextIO,
        clock: Callable[[], datetime] = _now,
        *,
        max_bytes: int | None = None,
        rotate: Callable[[TextIO], TextIO] | None = None,
    ) -> None:
        self.out = out
        self.clock = clock
        self.max_bytes = max_bytes
        self.rotate = rotate
        self.pending: dict[str, bytes] = {"stdout": b"", "stderr": b""}

    def write(self, stream: str, chunk: bytes, *, final: bool = False) -> list[str]:
        """Write the lines ``chunk`` completes on ``stream`` (all that is left with ``final``,
        at the stream's end); return them. Flushed when any was written, so ``logs -f`` sees
        each line as soon as it is whole."""
        lines, rest = split_lines(self.pending[stream], chunk, final=final)
        while len(rest) > MAX_LINE:  # no newline in sight: write what there is as partials
            cut = MAX_LINE
            while cut > MAX_LINE - 4 and rest[cut] & 0xC0 == 0x80:  # never inside a character
                cut -= 1
            part, rest = rest[:cut], rest[cut:]
            text = part.decode("utf-8", errors="replace").replace("\r", "")
            self.out.write(format_line(stream, text, self.clock(), "P"))
        self.pending[stream] = rest
        for text in lines:
            self.out.write(format_line(stream, text, self.clock()))
        self.out.flush()
        if self.max_bytes and self.rotate and self.out.tell() > self.max_bytes:
            self.out = self.rotate(self.out)
        return lines
