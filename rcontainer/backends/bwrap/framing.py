"""The container's output as a k8s-file log, the format Podman's ``k8s-file`` driver writes.

One record per line of output: ``TIMESTAMP STREAM F TEXT``, TIMESTAMP in UTC with nanosecond
digits, STREAM ``stdout`` or ``stderr``, ``F`` for a full line (this writer never splits a
line, so it never writes ``P``, the partial tag Podman uses for long lines). The engine's
reader (``rcontainer.logs``) reads both families' logs. Bytes arrive in arbitrary
chunks: a line is written once its newline has arrived, or when its stream ends without one.
The supervisor imports this module under ``python -S``: the standard library only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO


def format_line(stream: str, text: str, when: datetime) -> str:
    """One k8s-file record."""
    return f"{when.strftime('%Y-%m-%dT%H:%M:%S.%f')}000+00:00 {stream} F {text}\n"


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
    """Frames the chunks read from a container's stdout and stderr into one k8s-file log."""

    def __init__(self, out: TextIO, clock: Callable[[], datetime] = _now) -> None:
        self.out = out
        self.clock = clock
        self.pending: dict[str, bytes] = {"stdout": b"", "stderr": b""}

    def write(self, stream: str, chunk: bytes, *, final: bool = False) -> list[str]:
        """Write the lines ``chunk`` completes on ``stream`` (all that is left with ``final``,
        at the stream's end); return them. Flushed when any was written, so ``logs -f`` sees
        each line as soon as it is whole."""
        lines, self.pending[stream] = split_lines(self.pending[stream], chunk, final=final)
        for text in lines:
            self.out.write(format_line(stream, text, self.clock()))
        if lines:
            self.out.flush()
        return lines
