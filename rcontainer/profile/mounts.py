"""Host paths a bind mount must not take without the profile saying so.

Checked when a profile is loaded (``loader``) and, since a folder can be swapped for a symlink
later, again before every start (``rcontainer.engine.binds``).
"""

from __future__ import annotations

import os
from pathlib import Path


def sensitive_reason(source: str) -> str | None:
    """Why mounting this (already resolved) host path is dangerous, or None."""
    home = Path(os.path.expanduser("~")).resolve()
    path = Path(source)
    if path == Path("/"):
        return "the whole host filesystem"
    if path == home or path in home.parents:
        return f"your whole home folder ({home})" if path == home else f"{path}, which holds your home folder"
    return None
