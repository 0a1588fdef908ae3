"""What is wrong with a profile: ``Problem`` (one located finding) and ``ProfileError`` (all of them).

Kept apart from the schema so that ``rcontainer.profile`` can export them without importing
the schema (``python -m rcontainer.profile.schema`` runs that module as a script).
"""

from __future__ import annotations

import re
from typing import Any

from rcontainer.errors import BadInput
from rcontainer.values import Value

# as schema.CONTROL (this module does not import the schema); compiled (by re's cache) when a
# problem is first printed, not by every command that loads a valid profile (~0.3 ms)
_CONTROL = r"[\x00-\x1f\x7f-\x9f\u2028\u2029]"


class Problem(Value):
    """One thing wrong with a profile, located in the file it came from (1-based line/column);
    ``path`` is its key path in the profile, e.g. "network.ports[1]" ("" for the whole file)."""

    __slots__ = ("file", "line", "column", "path", "message")

    def __init__(self, file: str, line: int | None, column: int | None, path: str, message: str) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message

    def __hash__(self) -> int:  # kept in sets to say each once
        return hash((self.file, self.line, self.column, self.path, self.message))

    def __str__(self) -> str:
        """One line for a terminal: any control character (in a file name, say) shown escaped."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return re.sub(_CONTROL, lambda m: repr(m.group())[1:-1], text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
        }


class ProfileError(BadInput):
    """A profile is invalid; ``problems`` lists everything wrong with it (exit status 2)."""

    def __init__(self, problems: list[Problem], *, hint: str | None = None) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid profile", hint=hint)
