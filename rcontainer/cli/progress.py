"""Pull and build progress on stderr, as Podman shows it.

A build's own output (its steps and what their commands print) streams as it comes, as
``podman build`` prints it. A pull draws one progress bar on a terminal when the registry's
stream says how many bytes have come (``[=====>    ] 1.2 MB / 2.1 MB``), else a line per
layer; when stderr is not a terminal a pull shows nothing (the command's result line is its
summary).
"""

from __future__ import annotations

import sys
from typing import TextIO

BAR_WIDTH = 30
DONE = frozenset({"Download complete", "Pull complete", "Already exists"})


def size_text(n: float) -> str:
    """Bytes in decimal units, like ``podman images``: 812 B, 2.1 MB."""
    if n < 1000:
        return f"{n:.0f} B"
    for unit in ("kB", "MB"):
        n /= 1000
        if n < 1000:
            return f"{n:.1f} {unit}"
    return f"{n / 1000:.1f} GB"


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``[=======>      ] 1.2 MB / 2.1 MB``."""
    filled = width * done // total if total else width
    arrow = ">" if 0 < filled < width else ""
    inner = ("=" * max(filled - len(arrow), 0) + arrow).ljust(width)
    return f"[{inner}] {size_text(done)} / {size_text(total)}"


class StderrProgress:
    """The ``Progress`` the CLI hands the engine. ``terminal``: stderr is one (a pull's layers
    are drawn only then); a build's output is written either way."""

    def __init__(self, *, terminal: bool, stream: TextIO | None = None) -> None:
        self.terminal = terminal
        self.stream = stream or sys.stderr
        self.layers: dict[str, list[int]] = {}  # layer -> [bytes done, total]
        self._bar_shown = False

    def output(self, text: str) -> None:
        self._end_bar()
        self.stream.write(text)
        self.stream.flush()

    def layer(self, layer: str, status: str, done: int | None = None, total: int | None = None) -> None:
        if not self.terminal:
            return
        if total:
            self.layers[layer] = [min(done or 0, total), total]
        elif status in DONE and layer in self.layers:
            self.layers[layer][0] = self.layers[layer][1]
        elif status in ("Pulling fs layer", "Waiting", "Verifying Checksum", "Extracting"):
            return  # the bar says it: nothing of its own to show
        elif status not in DONE:
            self._end_bar()
            self.stream.write(f"  {status} {layer}\n")
            self.stream.flush()
            return
        if self.layers:
            self._draw()

    def _draw(self) -> None:
        done = sum(d for d, _ in self.layers.values())
        total = sum(t for _, t in self.layers.values())
        count = len(self.layers)
        finished = sum(1 for d, t in self.layers.values() if d >= t)
        self.stream.write(f"\r  {bar(done, total)}  {finished}/{count} layers\x1b[K")
        self.stream.flush()
        self._bar_shown = True

    def _end_bar(self) -> None:
        if self._bar_shown:
            self.stream.write("\n")
            self.stream.flush()
            self._bar_shown = False

    def close(self) -> None:
        """End the bar's line before anything else is printed."""
        self._end_bar()
