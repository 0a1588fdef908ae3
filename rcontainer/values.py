"""Plain value classes for what every command loads, instead of dataclasses.

Every command reads records, asks a family what it can do and talks to one backend: the classes
for those are loaded on every call. Importing ``dataclasses`` (which imports ``inspect``) costs
about 8 ms, and making each dataclass another 0.4 ms (it compiles the methods it writes), so a
``ps`` paid 13 ms, a tenth of its time, for classes whose methods are a few lines each
(BENCHMARKS.md, where the time goes). Those classes are written out on ``Value`` instead: each
says its fields in ``__slots__`` and sets them in its own ``__init__``; ``Value`` gives the
equality and the readable repr a dataclass would. Classes that only commands off the hot paths
load stay dataclasses. ``tests/integration/test_hot_paths.py`` checks that ``ps``, ``exec``,
``up``, ``down`` and ``rm`` import no dataclasses.
"""

from __future__ import annotations


class Value:
    """Equality (same class, equal fields) and a repr from ``__slots__``; not hashable."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None  # type: ignore[assignment]  # equal by value and mutable: as a dataclass

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({fields})"
