"""What the Compose import tests share: write a Compose file, import it, read the profiles back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rcontainer.convert import compose as compose_import
from rcontainer.profile import load_profile


def compose(folder: Path, text: str, name: str = "compose.yaml") -> Path:
    """``text`` written as ``folder/name`` (the folder made when missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def imported(
    path: Path, *, out: Path | None = None, environ: dict[str, str] | None = None, **kwargs: Any
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """(profile data by service, notes) of importing ``path`` into ``out`` (default: ``out`` beside it)."""
    out = out or path.parent / "out"
    result = compose_import.import_compose(
        path, output_dir=out, environ={} if environ is None else environ, force=True, **kwargs
    )
    profiles = {
        svc: load_profile(p, environ={}).data for svc, p in zip(result.profiles, result.written, strict=True)
    }
    return profiles, [str(n) for n in result.losses]
