"""One finding of ``rcontainer doctor``, and how much it matters when it is not ok."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ERROR = "error"
WARNING = "warning"
INFO = "info"


@dataclass
class Check:
    name: str
    ok: bool
    severity: str  # ERROR, WARNING or INFO: how much it matters when not ok
    detail: str
    fix: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def failed(self) -> bool:
        """A failure that should make ``doctor`` exit with CHECK_FAILED."""
        return not self.ok and self.severity == ERROR
