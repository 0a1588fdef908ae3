"""Values of Podman's inspect answers in every shape the supported versions give them.

Podman 5.0 changed some of them (tests/unit/test_inspect_shapes.py holds recorded 4.3 and
5.x fragments):

- a container's ``Config.Entrypoint`` was one string (the words joined by spaces) in 4.x and
  is a list from 5.0; an image's is a list (or null) in both;
- a container's ``Config.StopSignal`` was a number in 4.x and is a name (``SIGTERM``) from
  5.0; an image's is a name, or a number written as text;
- ``State.Health`` is always there in 4.x (an empty ``Status`` without a healthcheck) and
  absent from 5.0 when the container has no healthcheck; very old services called it
  ``Healthcheck``.

Both families read these (the bubblewrap family gets image configs from Podman's store), so
the readers live here, beside neither.
"""

from __future__ import annotations

from typing import Any


def argv(value: Any) -> list[str]:
    """An Entrypoint or Cmd as a list of words: a list as given, a 4.x string split on spaces
    (Podman joined the words with spaces, so this is the best reading of it), null as []."""
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list | tuple):
        return [str(word) for word in value]
    return [str(value)]


def signal_name(value: Any) -> str | None:
    """A stop signal as a name: ``15``, ``"15"``, ``"TERM"`` and ``"SIGTERM"`` give
    ``SIGTERM``; a name the host does not know (``SIGRTMIN+3``) is kept; 0, '' and null give
    None (the image or container sets none)."""
    import signal as signals  # here: a container's inspect (ps, stop, rm) reads no signal

    if value is None or value == "" or isinstance(value, bool):
        return None
    text = str(value).strip()
    if text.isdigit():
        number = int(text)
        if number == 0:
            return None
        try:
            return signals.Signals(number).name
        except ValueError:
            return text
    name = text.upper()
    name = name if name.startswith("SIG") else f"SIG{name}"
    return name if name in signals.Signals.__members__ else text


def health_status(state: dict[str, Any]) -> str | None:
    """``healthy``, ``unhealthy`` or ``starting`` from a container's ``State``; None when the
    container has no healthcheck (4.x: an empty status; 5.x: no ``Health`` key at all)."""
    for key in ("Health", "Healthcheck"):
        health = state.get(key)
        if isinstance(health, dict) and health.get("Status"):
            return str(health["Status"])
    return None


def health_output(state: dict[str, Any]) -> str | None:
    """What the container's last healthcheck printed (trimmed, at most 200 characters); None
    when none ran or it printed nothing."""
    for key in ("Health", "Healthcheck"):
        health = state.get(key)
        log = health.get("Log") if isinstance(health, dict) else None
        if isinstance(log, list) and log and isinstance(log[-1], dict):
            text = " ".join(str(log[-1].get("Output") or "").split())
            return text[:200] or None
    return None


def image_config(config: dict[str, Any]) -> dict[str, Any]:
    """An image's ``Config`` with Entrypoint and Cmd as lists and StopSignal as a name."""
    out = dict(config)
    for key in ("Entrypoint", "Cmd"):
        if key in out:
            out[key] = argv(out[key]) if out[key] is not None else None
    if "StopSignal" in out:
        out["StopSignal"] = signal_name(out["StopSignal"])
    return out
