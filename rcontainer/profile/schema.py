"""The profile schema, written once as data: it validates and normalises, and it prints itself.

The schema is a tree of small type objects (``Str``, ``Int``, ``Bool``, ``Enum``, ``Map``,
``List``, ``Kinds``, ``Obj`` and a few scalar parsers such as memory sizes and durations),
each with a description. ``PROFILE.validate`` turns a located YAML tree (``Node``) into the
normalised ``data`` dict of a profile, reporting every problem it finds instead of stopping
at the first; ``json_schema()`` turns the same tree into a draft 2020-12 JSON Schema for
editors (``python -m rcontainer.profile.schema > profiles/profile.schema.json``).

Rules every type follows, so that a new field is safe by default:

- **Whole-string patterns.** Every pattern is applied with ``re.fullmatch``: ``$`` alone would
  match before a final newline, so ``"web\\n"`` would pass ``^[a-z]+$``. Patterns are kept as
  text and compiled (by ``re``'s cache) when a value is first checked against them: loading a
  profile compiles those of the fields it has, not all ~30 (~1 ms of every ``up``).
- **One line, no control characters.** A string is single-line unless its type says otherwise:
  ``Str`` (and every scalar given as text) refuses control characters: C0 (newline, carriage
  return, tab, NUL, ESC, ...), DEL, C1, and U+2028/U+2029, which YAML and Python read as line
  breaks. Such a value would add lines to a generated unit file or drive the terminal that
  prints it. Only fields whose content may span lines opt in with ``Str(control=True)``:
  command and entrypoint, label and annotation values, build arguments; environment values
  (``EnvScalar``, ``SecretStr``) accept them too. A NUL byte is refused everywhere, as no
  argument, environment value or file name can carry one. Mapping keys are always single-line.
- **Bounded numbers.** Every number has a maximum (the ``MAX_*`` constants below), checked at
  validate time, and a numeral with more than ``MAX_DIGITS`` digits is refused before ``int()``
  reads it; the JSON Schema carries the same bounds.
- **Secrets are never quoted.** Environment values may be secrets: problems with them name the
  variable (and the file it came from), never the value.

Nothing here imports yaml: the loader builds the ``Node`` tree.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rcontainer.container import PROJECT_MAX, PROJECT_PATTERN
from rcontainer.profile.problems import Problem
from rcontainer.values import Value

# ---------------------------------------------------------------------------------------------
# The located tree the loader builds, and the validation context


class Node:
    """A YAML value with where it came from.

    ``value`` is a ``dict[str, Node]`` for a mapping (with ``keys`` giving each key's own
    node, for problems about keys), a ``list[Node]`` for a sequence, or a Python scalar.
    """

    __slots__ = ("value", "file", "line", "column", "keys", "yaml11")

    def __init__(
        self,
        value: Any,
        file: str,
        line: int | None,
        column: int | None,
        keys: dict[str, Node] | None = None,
    ) -> None:
        self.value = value
        self.file = file
        self.line = line
        self.column = column
        self.keys = keys
        # (text, YAML 1.1's value, YAML 1.2's) of a plain scalar the two YAML versions read apart
        self.yaml11: tuple[str, Any, Any] | None = None

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Node({self.value!r} @ {self.file}:{self.line}:{self.column})"

    @property
    def folder(self) -> Path:
        """The folder of the file this value came from: relative paths resolve against it."""
        return Path(self.file).parent.absolute()


PathT = tuple[str | int, ...]
_SIMPLE_KEY = r"[A-Za-z0-9_-]+"

# Characters no single-line value may hold (see the module docstring). The same text is a
# regular expression for Python and for JSON Schema (ECMA-262) alike.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NUL = re.compile(r"\x00")
_CONTROL_NAMES = {
    "\x00": "a NUL byte",
    "\t": "a tab",
    "\n": "a newline",
    "\r": "a carriage return",
    "\x1b": "an escape character (ESC)",
    "\x7f": "a DEL character",
    "\u2028": "a line separator (U+2028)",
    "\u2029": "a paragraph separator (U+2029)",
}


def control_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character ``text`` may not hold, described with its position; None when clean.

    Single-line text may hold no control character at all; ``multiline`` text no NUL byte.
    """
    m = (_NUL if multiline else CONTROL).search(text)
    if m is None:
        return None
    ch = m.group()
    name = _CONTROL_NAMES.get(ch, f"a control character (U+{ord(ch):04X})")
    return f"{name} at character {m.start() + 1}"


def has_nul(text: str) -> bool:
    return "\x00" in text


def format_path(path: PathT) -> str:
    """``("network", "ports", 1)`` -> ``network.ports[1]``; odd keys as ``labels["a.b"]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(_SIMPLE_KEY, part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


class Ctx:
    """Collects problems during loading and validation."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[str] = []  # what loads but may not be meant: FILE:LINE: key: what, each once

    def warn(self, node: Node, path: PathT | str, message: str) -> None:
        where = f"{node.file}:{node.line}" if node.line else node.file
        key = path if isinstance(path, str) else format_path(path)
        text = f"{where}: {key or '(profile)'}: {message}"
        if text not in self.warnings:
            self.warnings.append(text)

    def text_expected(self, node: Node, path: PathT, got: Any) -> None:
        """Warn when ``node`` (where text is expected, read as ``got``) is a plain scalar that
        YAML 1.1 and YAML 1.2 (Compose's) read apart: ``yes``, ``1000:50``, ``0755``..."""
        if node.yaml11 is None:
            return
        text, old, new = node.yaml11
        self.warn(
            node,
            path,
            f"{text} is {_reading(old)} in YAML 1.1 and {_reading(new)} in YAML 1.2 (as Compose reads"
            f" it); rcontainer reads {_reading(got)}: quote it ('{text}') to mean the text",
        )

    def add(self, node: Node | None, path: PathT | str, message: str, *, file: str = "") -> None:
        p = path if isinstance(path, str) else format_path(path)
        if node is None:
            self.problems.append(Problem(file, None, None, p, message))
        else:
            self.problems.append(Problem(node.file, node.line, node.column, p, message))


def _as_text(value: Any) -> str:
    """A scalar as env values and strings take it: true/false, or the number's text."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _reading(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"the text {str(value)!r}"


class _Invalid:
    def __repr__(self) -> str:  # pragma: no cover
        return "INVALID"


INVALID: Any = _Invalid()  # returned by a type after it reported a problem


def has_invalid(value: Any) -> bool:
    """Whether a validated value, or anything in it, is INVALID."""
    if value is INVALID:
        return True
    if isinstance(value, dict):
        return any(has_invalid(v) for v in value.values())
    if isinstance(value, list):
        return any(has_invalid(v) for v in value)
    return False


def found(value: Any) -> str:
    """How a problem describes the value it found (``repr`` escapes control characters)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, int) and value.bit_length() > 64:
        return "an integer too large to show"  # repr() of a huge int is slow, or refused
    return repr(value)


def kind_of(value: Any) -> str:
    """How a problem describes a value that may be a secret: its kind, never its content."""
    if isinstance(value, dict | list | None):
        return found(value)
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return "a string" if isinstance(value, str) else "another type"


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    import difflib  # here, as in the other suggestions: only a mistake needs one (~1 ms)

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "expected one of: " + ", ".join(choices)


# ---------------------------------------------------------------------------------------------
# Types

_STRING_OR_VAR = {"type": "string", "pattern": r"\$"}  # an interpolated value, typed after expansion


class Type:
    """A schema type: validates a node, normalises its value, and describes itself."""

    expected = "a value"

    def __init__(self, description: str = "", *, default: Any = None, required: bool = False) -> None:
        self.description = description
        self.default = default
        self.required = required

    def absent(self) -> Any:
        """The value when the key is missing or null."""
        return self.default() if callable(self.default) else copy.deepcopy(self.default)

    def validate(self, node: Node | None, path: PathT, ctx: Ctx) -> Any:
        if node is None or node.value is None:
            return self.absent()
        return self.check(node, path, ctx)

    def check(self, node: Node, path: PathT, ctx: Ctx) -> Any:
        raise NotImplementedError

    def fail(self, node: Node, path: PathT, ctx: Ctx, expected: str | None = None) -> Any:
        ctx.add(node, path, f"expected {expected or self.expected}, got {found(node.value)}")
        return INVALID

    def refuse_control(
        self, text: str, node: Node, path: PathT, ctx: Ctx, *, multiline: bool = False
    ) -> bool:
        """Report (and return True) when ``text`` holds a character it may not (module docstring)."""
        bad = control_character(text, multiline=multiline)
        if bad is None:
            return False
        rule = "no NUL byte" if multiline else "no control characters"
        ctx.add(node, path, f"expected {self.expected} ({rule}), got {found(text)}: {bad}")
        return True

    def json(self) -> dict[str, Any]:
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:
        out = dict(self.json())
        if self.description:
            out = {"description": self.description, **out}
        default = self.absent()
        if default is not None and not callable(self.default) and "default" not in out:
            out["default"] = default
        return out


class Str(Type):
    """A string; numbers are accepted and turned into strings.

    Single-line unless ``control`` is set: see the module docstring.
    """

    def __init__(
        self,
        description: str = "",
        *,
        pattern: str | None = None,
        expected: str = "a string",
        max_length: int | None = None,
        absolute: bool = False,
        bools: bool = False,
        control: bool = False,
        default: Any = None,
        required: bool = False,
    ) -> None:
        super().__init__(description, default=default, required=required)
        self.bools = bools  # accept true/false as "true"/"false" (labels, build args)
        self.pattern = pattern
        self.expected = "an absolute path like '/src'" if absolute and expected == "a string" else expected
        self.max_length = max_length
        self.absolute = absolute
        self.control = control  # newlines, tabs, ESC... allowed (NUL never)

    def check(self, node: Node, path: PathT, ctx: Ctx) -> Any:
        v = node.value
        if isinstance(v, bool) and self.bools:
            v = "true" if v else "false"
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            ctx.text_expected(node, path, v)
            return self.fail(node, path, ctx)
        s = v if isinstance(v, str) else str(v)
        ctx.text_expected(node, path, s)
        if self.refuse_control(s, node, path, ctx, multiline=self.control):
            return INVALID
        if self.pattern and not re.fullmatch(self.pattern, s):
            return self.fail(node, path, ctx)
        if self.max_length is not None and len(s) > self.max_length:
            return self.fail(node, path, ctx, f"{self.expected} of at most {self.max_length} characters")
        if self.absolute:
            if not s.startswith("/"):
                return self.fail(node, path, ctx)
            s = posixpath.normpath(s)
            if s.startswith("//"):
                s = "/" + s.lstrip("/")
        return s

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string"}
        if self.pattern:
            out["pattern"] = self.pattern
        if self.max_length:
            out["maxLength"] = self.max_length
        if self.absolute:
            out["pattern"] = "^/"
        out["not"] = _json_no_control(multiline=self.control)
        return out


def _json_no_control(*, multiline: bool = False) -> dict[str, Any]:
    """``not`` this: found anywhere (a search, in Python's jsonschema and in ECMA-262 alike)."""
    return {"pattern": (_NUL if multiline else CONTROL).pattern}


class HostPath(Str):
    """A path on the host: ``~`` expanded, relative to the folder of the file it is written in."""

    expected = "a path"

    def check(self, node: Node, path: PathT, ctx: Ctx) -> Any:
        s = super().check(node, path, ctx)
        if s is INVALID:
            return s
        if not s:
            return self.fail(node, path, ctx, "a path")
        return checked_host_path(s, node, path, ctx)

    def json(self) -> dict[str, Any]:
        return {"type": "string", "minLength": 1, "not": _json_no_control()}


HOME_POLICIES = ("shared", "isolated", "overlay")


class HomePolicy(HostPath):
    """A dev shell's home: a policy word, or a host folder (``/...``, ``~...``, ``./...``) that
    becomes the home. A bare word that is not a policy is refused rather than read as a
    relative path (``isolate`` is a typo, not a folder)."""

    def __init__(self, description: str) -> None:
        super().__init__(
            description, expected="'shared', 'isolated', 'overlay' or a folder path starting with /, ~ or ."
        )

    def check(self, node: Node, path: PathT, ctx: Ctx) -> Any:
        s = Str.check(self, node, path, ctx)
        if s is INVALID:
            return s
        if s in HOME_POLICIES:
            return s
        if not s.startswith(("/", "~", ".")):
            return self.fail(node, path, ctx)
        return checked_host_path(s, node, path, ctx)

    def json(self) -> dict[str, Any]:
        return {
            "anyOf": [
                {"enum": list(HOME_POLICIES)},
                {"type": "string", "pattern": "^[/~.]", "not": _json_no_control()},
            ]
        }


HOST_INTEGRATIONS = ("user", "cwd", "timezone", "locale", "display", "audio", "ssh-agent")
# what a profile with home: gets when it does not say host: (sockets only when asked)
HOST_DEFAULT = ["user", "cwd", "timezone", "locale"]


def resolve_host_path(text: str, node: Node) -> str:
    """``~`` expanded, relative to the folder of the file ``node`` came from, symlinks resolved."""
    p = Path(os.path.expanduser(text))
    if not p.is_absolute():
        p = node.folder / p
    try:
        return str(p.resolve())
    except (OSError, RuntimeError):  # a symlink loop: keep the normalised path
        return os.path.normpath(p)


def checked_host_path(text: str, node: Node, path: PathT, ctx: Ctx) -> Any:
    """``resolve_host_path``, refusing a result with a control character.

    The text as written was checked already; this catches a symlink, a ``~`` or the profile's
    own folder bringing one in (the resolved path is what reaches mounts and unit files).
    """
    resolved = resolve_host_path(text, node)
    bad = control_character(resolved)
    if bad is None:
        return resolved
    ctx.add(
        node,
        path,
        f"expected a path without control characters, got {found(text)}, which resolves to"
        f" {found(resolved)}: {bad}",
    )
    return INVALID


MAX_FILE_BYTES = 1024 * 1024


def read_small_file(path: str | Path) -> str:
    """A regular text file of at most 1 MiB (never a FIFO or /dev/zero); OSError with a reason."""
    p = Path(path)
    if p.exists() and not p.is_file():
        raise OSError(0, "not a regular file")
    with p.open("rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise OSError(0, f"larger than {MAX_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise OSError(0, "not UTF-8 text") from None


# Bounds of every number in a profile: checked at validate time, and in the JSON Schema.
MAX_DIGITS = 30  # a longer numeral is refused before int() reads it (Python refuses > 4300 digits)
MAX_SECONDS = 86_400  # stop_timeout and healthcheck durations: one day
MAX_RETRIES = 1000  # healthcheck retries and restart on-failure:N
MIN_CPUS = 0.01  # the kernel's smallest CFS quota is 1 ms per 100 ms period
MAX_CPUS = 1024.0
MAX_BYTES = 2**50  # memory and tmpfs sizes: 1 PiB
MAX_PIDS = 2**22  # the kernel's PID_MAX_LIMIT
MAX_RLIMIT = 2**63 - 1  # ulimits (-1 is unlimited)
MAX_SIGNAL = 64  # SIGRTMAX on Linux
ID_LIMIT = 2**32  # uids and gids in user namespace maps are 32-bit: every id stays below this
_INT_TEXT = rf"\s*[-+]?[0-9]{{1,{MAX_DIGITS}}}\s*"


class Int(Type):
    """An integer within ``minimum``..``maximum`` (both required: every number is bounded)."""

    def __init__(
        self,
        description: str = "",
        *,
        minimum: int,
        maximum: int,
        default: Any = None,
        required: bool = False,
    ) -> None:
        super().__init__(description, default=default, required=required)
        self.minimum = minimum
        self.maximum = maximum
        self.expected = f"an integer from {minimum} to {maximum}"

    def check(self, node: Node, path: PathT, ctx: Ctx) -> Any:
        v = node.value
        if isinstance(v, str):
            if self.refuse_control(v, node, path, ctx):
                return INVALID
            if re.fullmatch(_INT_TEXT, v):
                v = int(v)
        if isinstance(v, bool) or not isinstance(v, int):
            return self.fail(node, path, ctx)
        if not self.minimum <= v <= self.maximum:
            return self.fail(node, path, ctx)
        return v

    def json(self) -> dict[str, Any]:
        num = {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}
        digits = len(str(max(abs(self.minimum), abs(self.maximum))))
        text = {"type": "string", "pattern": rf"^\s*[-+]?0*[0-9]{{1,{digits}}}\s*$"}
        return {"anyOf": [num, text, _STRING_OR_VAR]}


class Float(Type):
    """A number within ``minimum``..``maximum``; NaN and infinities are refused."""

    def __init__(self, description: str = "", *, minimum: float, maximum: float, default: Any = None) -> None:
        super().__init__(description, default=default)
        self.minimum = minimum
        self.maximum = maximum
        self.expected = f"a number from {minimum:g} to {maximum:g}"

    def check(self, node: Node, path: PathT, ctx: Ctx) -> Any:
        v = node.value
        if isinstance(v, str):
            if self.refuse_control(v, node, path, ctx):
                return INVALID
            if len(v) > MAX_DIGITS:
                return self.fail(node, path, ctx)
            try:
                v = float(v)
            except ValueError:
                return self.fail(node, path, ctx)
        if isinstance(v, bool) or not isinstance(v, int | float) or v != v:
            return self.fail(node, path, ctx)
        # compared before float(): a huge YAML integer would overflow it
        if not self.minimum <= v <= self.maximum:
            return self.fail(node, path, ctx)
        return float(v)

    def json(self) -> dict[str, Any]:
        num = {"type": "number", "minimum": self.minimum, "maximum": self.maximum}
        return {"anyOf": [num, _STRING_OR_VAR]}


_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}


class Bool(Type):
    expected = "true or false"

    def check(self, node: Node, path: PathT, ctx: Ctx) -> Any:
        v = node.value
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and self.refuse_control(v, node, path, ctx):
            return INVALID
        if isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE:
            return v.strip().lower() in _TRUE
        return self.fail(node, path, ctx)

    def json(self) -> dict[str, Any]:
        return {"anyOf": [{"type": "boolean"}, _STRING_OR_VAR]}


class Enum(Type):
    def __init__(
        self,
        description: str,
        values: tuple[str, ...],
        *,
        default: Any = None,
        required: bool = False,
    ) -> None:
        super().__init__(description, default=default, required=required)
        self.values = values
        self.expected = "one of " + ", ".join(repr(v) for v in values)

    def check(self, node: Node, path: PathT, ctx: Ctx) -> Any:
        v = node.value
        if isinstance(v, str):
            if v in self.values:
                return v
            low = v.lower()
            if low in self.values:
                return low
            import difflib

            close = difflib.get_close_matches(v, list(self.values), n=1, cutoff=0.6)
            if close:
                ctx.add(node, path, f"expected {self.expected}, got {found(v)}; did you mean {close[0]!r}?")
                return INVALID
        return self.fail(node, path, ctx)

    def json(self) -> dict[str, Any]:
        return {"enum": list(self.values)}


class Scalar(Type):
    """A scalar parsed by a function: ``parse(value) -> normalised`` raising ValueError."""

    def __init__(
        self,
        description: str,
        parse: Callable[[Any], Any],
        *,
        expected: str,
        json_schema: dict[str, Any],
        default: Any = None,
        required: bool = False,
    ) -> None:
        super().__init__(description, default=default, required=required)
        self.parse = parse
        self.expected = expected
        self._json = json_schema

    def check(self, node: Node, path: PathT, ctx: Ctx) -> Any:
        v = node.value
        if isinstance(v, dict | list):
            return self.fail(node, path, ctx)
        if isinstance(v, str) and self.refuse_control(v, node, path, ctx):
            return INVALID
        try:
            return self.parse(v)
        except OverflowError:
            ctx.add(node, path, f"expected {self.expected}, got {found(v)}; the value is too large")
            return INVALID
        except ValueError as exc:
            extra = f"; {exc}" if str(exc) else ""
            ctx.add(node, path, f"expected {self.expected}, got {found(v)}{extra}")
            return INVALID

    def json(self) -> dict[str, Any]:
        return self._json


class List(Type):
    """A list of ``item``; with ``single``, one scalar is accepted as a list of one."""

    def __init__(
        self,
        description: str,
        item: Type,
        *,
        single: bool = False,
        unique: bool = False,
        default: Any = list,
        required: bool = False,
    ) -> None:
        super().__init__(description, default=default, required=required)
        self.item = item
        self.single = single
        self.unique = unique
        self.expected = f"a list of {_strip_article(item.expected)}"

    def check(self, node: Node, path: PathT, ctx: Ctx) -> Any:
        v = node.value
        if self.single and not isinstance(v, list | dict):
            return [self.item.check(node, path, ctx)]
        if not isinstance(v, list):
            return self.fail(node, path, ctx)
        out = []
        for i, item in enumerate(v):
            if item.value is None:
                ctx.add(item, (*path, i), f"expected {self.item.expected}, got nothing")
                continue
            value = self.item.validate(item, (*path, i), ctx)
            if self.unique and value in out:
                continue
            out.append(value)
        return out

    def json(self) -> dict[str, Any]:
        arr = {"type": "array", "items": self.item.json_schema()}
        return {"anyOf": [arr, self.item.json()]} if self.single else arr

    def json_schema(self) -> dict[str, Any]:
        out = super().json_schema()
        if out.get("default") == []:
            del out["default"]
        return out


def _strip_article(text: str) -> str:
    for article in ("a ", "an "):
        if text.startswith(article):
            word = text[len(article) :]
            return word if word.endswith("s") or " " in word else word + "s"
    return text


class Map(Type):
    """A mapping of string keys (checked by ``key_pattern``) to ``value``; ``x-`` keys are kept.

    Keys are single-line whatever the pattern says: no control characters.

    With ``pairs``, the Compose list form ``["KEY=VALUE", ...]`` is accepted too.
    """

    expected = "a mapping"

    def __init__(
        self,
        description: str,
        value: Type,
        *,
        key_pattern: str | None = None,
        key_expected: str = "",
        keys: tuple[str, ...] | None = None,
        pairs: bool = False,
        default: Any = dict,
    ) -> None:
        super().__init__(description, default=default)
        self.value = value
        self.key_pattern = key_pattern
        self.key_expected = key_expected
        self.keys = keys
        self.pairs = pairs
        if pairs:
            self.expected = "a mapping or a list of 'KEY=VALUE' strings"

    def check(self, node: Node, path: PathT, ctx: Ctx) -> Any:
        v = node.value
        if self.pairs and isinstance(v, list):
            entries = {}
            keynodes = {}
            for i, item in enumerate(v):
                if not isinstance(item.value, str) or "=" not in item.value:
                    ctx.add(item, (*path, i), f"expected a 'KEY=VALUE' string, got {_found_pair(item.value)}")
                    continue
                key, _, value = item.value.partition("=")
                entries[key] = Node(value, item.file, item.line, item.column)
                keynodes[key] = item
            v = entries
            node = Node(entries, node.file, node.line, node.column, keynodes)
        if not isinstance(v, dict):
            return self.fail(node, path, ctx)
        out = {}
        for key, child in v.items():
            keynode = (node.keys or {}).get(key, child)
            if self.keys is not None and key not in self.keys:
                ctx.add(keynode, (*path, key), f"unknown name {key!r}; {did_you_mean(key, self.keys)}")
                continue
            bad = control_character(key)
            if bad is not None:
                ctx.add(
                    keynode,
                    (*path, key),
                    f"expected {self.key_expected or 'a key'} (no control characters),"
                    f" got {found(key)}: {bad}",
                )
                continue
            if self.key_pattern and not re.fullmatch(self.key_pattern, key):
                ctx.add(keynode, (*path, key), f"expected {self.key_expected}, got {found(key)}")
                continue
            if child.value is None and self.value.absent() is None:
                ctx.add(child, (*path, key), f"expected {self.value.expected}, got nothing")
                continue
            out[key] = self.value.validate(child, (*path, key), ctx)
        return out

    def json(self) -> dict[str, Any]:
        obj: dict[str, Any] = {"type": "object", "additionalProperties": self.value.json_schema()}
        if self.keys is not None:
            obj["propertyNames"] = {"enum": list(self.keys)}
        elif self.key_pattern:
            obj["propertyNames"] = {"pattern": self.key_pattern, "not": _json_no_control()}
        else:
            obj["propertyNames"] = {"not": _json_no_control()}
        if self.pairs:
            return {"anyOf": [obj, {"type": "array", "items": {"type": "string", "pattern": "="}}]}
        return obj

    def json_schema(self) -> dict[str, Any]:
        out = super().json_schema()
        if out.get("default") == {}:
            del out["default"]
        return out


def _found_pair(value: Any) -> str:
    # a value without '=' may be a secret pasted in the wrong form: never quote it
    return "a string without '='" if isinstance(value, str) else kind_of(value)


class Obj(Type):
    """A mapping with fixed keys; unknown keys are problems, ``x-`` keys are ignored.

    ``optional`` objects are ``None`` when absent; others are filled with their defaults.
    ``check_fn(out, node, path, ctx)`` runs cross-field checks on a valid result.
    """

    expected = "a mapping"

    def __init__(
        self,
        description: str,
        fields: dict[str, Type],
        *,
        optional: bool = False,
        internal: tuple[str, ...] = (),
        check_fn: Callable[[dict[str, Any], Node, PathT, Ctx], Any] | None = None,
        required: bool = False,
    ) -> None:
        super().__init__(description, default=None, required=required)
        self.fields = fields
        self.optional = optional
        self.internal = internal  # validated for the editor schema, handled by the loader
        self.check_fn = check_fn

    def absent(self) -> Any:
        if self.optional:
            return None
        return {k: t.absent() for k, t in self.fields.items() if k not in self.internal}

    def check(self, node: Node, path: PathT, ctx: Ctx) -> Any:
        v = node.value
        if not isinstance(v, dict):
            return self.fail(node, path, ctx)
        names = list(self.fields)
        for key in v:
            if key not in self.fields and not key.startswith("x-"):
                keynode = (node.keys or {}).get(key, v[key])
                ctx.add(keynode, (*path, key), f"unknown key {key!r}; {did_you_mean(key, names)}")
        out: dict[str, Any] = {}
        before = len(ctx.problems)
        for key, t in self.fields.items():
            child = v.get(key)
            if t.required and (child is None or child.value is None):
                ctx.add(node, path, f"missing required key {key!r} ({t.expected})")
                out[key] = INVALID
                continue
            value = t.validate(child, (*path, key), ctx)
            if key not in self.internal:
                out[key] = value
        if self.check_fn and len(ctx.problems) == before and not has_invalid(out):
            return self.check_fn(out, node, path, ctx)
        return out

    def json(self) -> dict[str, Any]:
        props = {k: t.json_schema() for k, t in self.fields.items()}
        out: dict[str, Any] = {
            "type": "object",
            "properties": props,
            "patternProperties": {"^x-": {}},
            "additionalProperties": False,
        }
        required = [k for k, t in self.fields.items() if t.required]
        if required:
            out["required"] = required
        return out

    def json_schema(self) -> dict[str, Any]:
        out = self.json()
        return {"description": self.description, **out} if self.description else out


class Kinds(Type):
    """Alternatives chosen by the YAML kind of the value: a scalar, a list or a mapping.

    ``then`` post-processes each alternative's result into the common normalised form.
    """

    def __init__(
        self,
        description: str,
        *,
        scalar: Type | None = None,
        seq: Type | None = None,
        mapping: Type | None = None,
        then: dict[str, Callable[[Any, Node, PathT, Ctx], Any]] | None = None,
        expected: str,
        default: Any = None,
        required: bool = False,
        secret: bool = False,
    ) -> None:
        super().__init__(description, default=default, required=required)
        self.alternatives = {"scalar": scalar, "seq": seq, "mapping": mapping}
        self.then = then or {}
        self.expected = expected
        self.secret = secret  # the value may hold secrets: describe its kind, never quote it

    def fail(self, node: Node, path: PathT, ctx: Ctx, expected: str | None = None) -> Any:
        if not self.secret:
            return super().fail(node, path, ctx, expected)
        ctx.add(node, path, f"expected {expected or self.expected}, got {kind_of(node.value)}")
        return INVALID

    def check(self, node: Node, path: PathT, ctx: Ctx) -> Any:
        v = node.value
        kind = "mapping" if isinstance(v, dict) else "seq" if isinstance(v, list) else "scalar"
        t = self.alternatives[kind]
        if t is None:
            return self.fail(node, path, ctx)
        value = t.check(node, path, ctx)
        if kind not in self.then:
            return value
        if has_invalid(value):
            return INVALID
        return self.then[kind](value, node, path, ctx)

    def json(self) -> dict[str, Any]:
        alts = [t.json() for t in self.alternatives.values() if t is not None]
        return alts[0] if len(alts) == 1 else {"anyOf": alts}


# ---------------------------------------------------------------------------------------------
# Scalar parsers

_SIZE = r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([bkmgt]?)(i?b?)\s*$"
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(value: Any) -> int:
    """``512m``, ``1g``, ``1GiB``, ``100k`` or a number of bytes (units are binary, as Docker)."""
    if isinstance(value, bool):
        raise ValueError("")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError("")
        return value
    if not isinstance(value, str):
        raise ValueError("")
    m = re.fullmatch(_SIZE, value, re.IGNORECASE)
    if not m or (m.group(3) and not m.group(2) and m.group(3).lower() != "b"):
        raise ValueError("")
    unit = m.group(2).lower()
    if m.group(3).lower() == "ib" and unit in ("", "b"):
        raise ValueError("")
    result = int(float(m.group(1)) * _UNITS[unit])
    if result <= 0:
        raise ValueError("")
    return result


_DURATION_PART = r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(us|µs|ms|s|m|h)"
_DURATION_UNITS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: Any) -> float:
    """Compose durations: ``30s``, ``1m30s``, ``500ms``, ``1h``; a bare number is seconds."""
    if isinstance(value, bool):
        raise ValueError("")
    if isinstance(value, int | float):
        if value < 0 or value != value or value == float("inf"):
            raise ValueError("")
        return float(value)
    if not isinstance(value, str):
        raise ValueError("")
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if seconds < 0 or seconds != seconds or seconds == float("inf"):
            raise ValueError("")
        return seconds
    pos = 0
    total = 0.0
    while pos < len(text):
        m = re.compile(_DURATION_PART).match(text, pos)  # a scan: each part from where the last ended
        if not m:
            raise ValueError("")
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    if not text or total == float("inf"):
        raise ValueError("")
    return total


def parse_signal(value: Any) -> str:
    """``SIGTERM``, ``TERM``, ``term`` or ``15`` -> ``SIGTERM``."""
    import signal  # here: only a profile with stop_signal reads one

    if isinstance(value, bool):
        raise ValueError("")
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,3}", value.strip()):
        value = int(value.strip())
    if isinstance(value, int):
        try:
            return signal.Signals(value).name
        except ValueError:
            raise ValueError("") from None
    if not isinstance(value, str):
        raise ValueError("")
    name = value.strip().upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    if name not in signal.Signals.__members__:
        raise ValueError("")
    return signal.Signals[name].name


# Linux capabilities (capabilities(7)), without the CAP_ prefix.
CAPABILITIES = (
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
    "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
)  # fmt: skip


def parse_capability(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("")
    name = value.strip().upper()
    if name.startswith("CAP_"):
        name = name[4:]
    if name == "ALL" or name in CAPABILITIES:
        return name
    import difflib

    close = difflib.get_close_matches(name, CAPABILITIES, n=1, cutoff=0.7)
    raise ValueError(f"did you mean {close[0]!r}?" if close else "see capabilities(7)")


PROTOCOLS = ("tcp", "udp", "sctp")  # what Podman publishes

_RESTART = r"(no|always|unless-stopped|on-failure)(?::([0-9]+))?"


def parse_restart(value: Any) -> str:
    if value is False:  # YAML 1.1 reads an unquoted `no` as false
        return "no"
    if not isinstance(value, str):
        raise ValueError("")
    m = re.fullmatch(_RESTART, value.strip())
    if not m or (m.group(2) is not None and m.group(1) != "on-failure"):
        raise ValueError("")
    if m.group(2) is not None and (len(m.group(2)) > MAX_DIGITS or int(m.group(2)) > MAX_RETRIES):
        raise ValueError(f"at most {MAX_RETRIES} retries")
    return value.strip()


def parse_port(value: Any) -> dict[str, Any]:
    """``[HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp|sctp]``; IPv6 host IPs in brackets."""
    if not isinstance(value, str):
        raise ValueError("")
    text = value.strip()
    protocol = "tcp"
    if "/" in text:
        text, _, protocol = text.rpartition("/")
        protocol = protocol.lower()
        if protocol not in PROTOCOLS:
            raise ValueError("")
    parts = text.rsplit(":", 2)
    if len(parts) == 2:
        host_ip, host, cont = "", parts[0], parts[1]
    elif len(parts) == 3:
        host_ip, host, cont = parts
        host_ip = _parse_ip(
            host_ip.removeprefix("[").removesuffix("]") if host_ip.startswith("[") else host_ip
        )
    else:
        raise ValueError("")
    return {"host_ip": host_ip, "host_port": _port(host), "container_port": _port(cont), "protocol": protocol}


def _port(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,5}", text) or not 1 <= int(text) <= 65535:
        raise ValueError("")
    return int(text)


def _parse_ip(text: str) -> str:
    if text == "":
        return ""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ValueError("") from None


def parse_ip(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("")
    return _parse_ip(value.strip())


_VOLUME_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]*"


def parse_octal_mode(value: Any) -> int:
    """tmpfs mode, read as octal: ``1777``, ``"1777"``, ``01777`` or ``"0o1777"``."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("")
    text = str(value).strip().lower().removeprefix("0o")
    if not re.fullmatch(r"0*[0-7]{1,4}", text):
        raise ValueError("")
    return int(text, 8)


def _looks_like_path(source: str) -> bool:
    return source.startswith(("/", "~", ".")) or "/" in source


# ---------------------------------------------------------------------------------------------
# Post-processing of alternatives (the ``then`` of ``Kinds``)


def _split_command(value: str, node: Node, path: PathT, ctx: Ctx) -> Any:
    import shlex  # here: only a command written as one string is split

    try:
        return shlex.split(value)
    except ValueError as exc:
        ctx.add(node, path, f"expected a command line shell-style quoted, got {found(value)}: {exc}")
        return INVALID


def _port_long(value: dict[str, Any], node: Node, path: PathT, ctx: Ctx) -> Any:
    keys = ("host_ip", "host_port", "container_port", "protocol")
    return {k: value[k] for k in keys}


def _volume_short(value: str, node: Node, path: PathT, ctx: Ctx) -> Any:
    expected = "a volume like '/host/dir:/target', './dir:/target:ro' or 'NAME:/target'"
    parts = value.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        ctx.add(node, path, f"expected {expected}, got {found(value)}")
        return INVALID
    source, target = parts[0], parts[1]
    options = parts[2].split(",") if len(parts) == 3 else []
    read_only = False
    selinux = ""
    for opt in options:
        if opt in ("ro", "rw"):
            read_only = opt == "ro"
        elif opt in ("z", "Z"):
            selinux = opt
        else:
            ctx.add(node, path, f"expected volume options 'ro', 'rw', 'z' or 'Z', got {found(opt)}")
            return INVALID
    if not target.startswith("/"):
        ctx.add(node, path, f"expected an absolute target path like '/data', got {found(target)}")
        return INVALID
    if _looks_like_path(source):
        kind, src = "bind", checked_host_path(source, node, path, ctx)
        if src is INVALID:
            return INVALID
    elif re.fullmatch(_VOLUME_NAME, source):
        kind, src = "volume", source
    else:
        ctx.add(node, path, f"expected {expected}, got {found(value)}")
        return INVALID
    return _volume(kind, src, target, read_only, selinux, None, None)


def _volume(
    kind: str,
    source: str | None,
    target: str,
    read_only: bool,
    selinux: str,
    size: int | None,
    mode: int | None,
) -> dict[str, Any]:
    target = posixpath.normpath(target)
    if target.startswith("//"):
        target = "/" + target.lstrip("/")
    return {
        "type": kind,
        "source": source,
        "target": target,
        "read_only": read_only,
        "selinux": selinux,
        "size": size,
        "mode": mode,
    }


def _volume_long(value: dict[str, Any], node: Node, path: PathT, ctx: Ctx) -> Any:
    kind = value["type"]
    src_node = node.value.get("source")
    source = value["source"]
    if kind == "tmpfs":
        if source is not None:
            ctx.add(src_node, (*path, "source"), "expected no source for a tmpfs volume")
            return INVALID
    else:
        if not source:
            ctx.add(node, path, f"missing required key 'source' (a {kind} volume needs one)")
            return INVALID
        if kind == "bind":
            source = checked_host_path(source, src_node, (*path, "source"), ctx)
            if source is INVALID:
                return INVALID
        elif not re.fullmatch(_VOLUME_NAME, source):
            ctx.add(src_node, (*path, "source"), f"expected a volume name like 'data', got {found(source)}")
            return INVALID
        for key in ("size", "mode"):
            if value[key] is not None:
                ctx.add(node.value[key], (*path, key), f"'{key}' applies to tmpfs volumes only, not {kind}")
                return INVALID
    return _volume(
        kind, source, value["target"], value["read_only"], value["selinux"], value["size"], value["mode"]
    )


def _healthcheck_test_list(value: list[str], node: Node, path: PathT, ctx: Ctx) -> Any:
    if not value or value[0] not in ("CMD", "CMD-SHELL", "NONE"):
        ctx.add(
            node,
            path,
            "expected a list starting with 'CMD', 'CMD-SHELL' or 'NONE', like ['CMD', 'wget', '-q', URL],"
            f" got a list starting with {found(value[0]) if value else 'nothing'}",
        )
        return INVALID
    if value[0] != "NONE" and len(value) < 2:
        ctx.add(node, path, f"expected a command after {value[0]!r}")
        return INVALID
    return value


def _ulimit_pair(value: dict[str, Any], node: Node, path: PathT, ctx: Ctx) -> Any:
    if value["soft"] != -1 and value["hard"] != -1 and value["soft"] > value["hard"]:
        ctx.add(node, path, f"expected soft <= hard, got soft {value['soft']} > hard {value['hard']}")
        return INVALID
    if value["hard"] != -1 and value["soft"] == -1:
        ctx.add(node, path, "expected a finite soft limit when the hard limit is finite")
        return INVALID
    return value


def _env_entry(value: dict[str, Any], node: Node, path: PathT, ctx: Ctx) -> Any:
    has_value = "value" in node.value and node.value["value"].value is not None
    has_file = "file" in node.value and node.value["file"].value is not None
    if has_value == has_file:
        ctx.add(node, path, "expected exactly one of 'value' or 'file'")
        return INVALID
    if has_value:
        secret = bool(value["secret"]) if value["secret"] is not None else False
        return EnvValue(value["value"], secret)
    secret = bool(value["secret"]) if value["secret"] is not None else True
    file = value["file"]
    try:
        text = read_small_file(file)
    except OSError as exc:
        ctx.add(node.value["file"], (*path, "file"), f"cannot read value file {file}: {exc.strerror or exc}")
        return INVALID
    if has_nul(text):
        what = "secret file" if secret else "value file"
        ctx.add(node.value["file"], (*path, "file"), f"the {what} {file} holds {NUL_REFUSED}")
        return INVALID
    text = text.removesuffix("\n").removesuffix("\r")
    return EnvValue(text, secret)


# An environment value may be a secret: the problem with a NUL never shows the value.
NUL_REFUSED = "a NUL byte, which no environment value can hold (the value is not shown)"


class EnvValue(Value):
    """An environment value and whether it is secret (the loader splits these apart); its repr
    never shows the value."""

    __slots__ = ("value", "secret")

    def __init__(self, value: str, secret: bool = False) -> None:
        self.value = value
        self.secret = secret

    def __repr__(self) -> str:
        return f"EnvValue(secret={self.secret!r})"


class EnvScalar(Type):
    """A plain env value: str/int/float/bool -> str (bool -> "true"/"false"); never quoted in errors."""

    expected = "a string, number or boolean"

    def check(self, node: Node, path: PathT, ctx: Ctx) -> Any:
        v = node.value
        if isinstance(v, str | bool | int | float):
            ctx.text_expected(node, path, _as_text(v))
        if isinstance(v, bool):
            return EnvValue("true" if v else "false")
        if isinstance(v, str) and has_nul(v):
            ctx.add(node, path, f"expected an environment value, got {NUL_REFUSED}")
            return INVALID
        if isinstance(v, str | int | float):
            return EnvValue(str(v))
        ctx.add(
            node,
            path,
            f"expected {self.expected}, got {found(v) if isinstance(v, dict | list) else 'another type'}",
        )
        return INVALID

    def absent(self) -> Any:
        return EnvValue("")

    def json(self) -> dict[str, Any]:
        return {"type": ["string", "number", "boolean", "null"], "not": _json_no_control(multiline=True)}


class SecretStr(Str):
    """A string that may be a secret: problems describe its type, never its content."""

    def check(self, node: Node, path: PathT, ctx: Ctx) -> Any:
        v = node.value
        if isinstance(v, str | bool | int | float):
            ctx.text_expected(node, path, _as_text(v))
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str) and has_nul(v):
            ctx.add(node, path, f"expected an environment value, got {NUL_REFUSED}")
            return INVALID
        if isinstance(v, str | int | float):
            return str(v)
        ctx.add(
            node,
            path,
            f"expected {self.expected}, got {found(v) if isinstance(v, dict | list) else 'another type'}",
        )
        return INVALID

    def json(self) -> dict[str, Any]:
        return {"type": ["string", "number", "boolean"], "not": _json_no_control(multiline=True)}


# ---------------------------------------------------------------------------------------------
# The profile schema

NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
RUNTIME_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
# Environment variable names: a letter or '_', then letters, digits, '_', '.' or '-' (names such as
# Elasticsearch's discovery.type; Podman and Compose take them, as does Kubernetes).
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]*$"
ARG_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"  # build arguments (ARG in a Containerfile)
HOSTNAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$"
LABEL_KEY_PATTERN = r"^[^=\s]+$"
IDMAP_PATTERN = r"^[0-9]{1,10}:[0-9]{1,10}:[0-9]{1,10}$"
ULIMITS = (
    "as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile",
    "nproc", "rss", "rtprio", "rttime", "sigpending", "stack",
)  # fmt: skip

_SIZE_JSON = {
    "anyOf": [
        {"type": "integer", "minimum": 1, "maximum": MAX_BYTES},
        {"type": "string", "pattern": r"^\s*[0-9]{1,16}(\.[0-9]+)?\s*([bBkKmMgGtT]([iI]?[bB])?)?\s*$"},
        _STRING_OR_VAR,
    ]
}
_DURATION_JSON = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
        {"type": "string", "pattern": r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(us|µs|ms|s|m|h))+$|^[0-9.]+$"},
        _STRING_OR_VAR,
    ]
}


def _size(value: Any) -> int:
    size = parse_size(value)
    if size > MAX_BYTES:
        raise ValueError(f"at most {MAX_BYTES} bytes (1 PiB, '1024t')")
    return size


def _duration(value: Any) -> float:
    seconds = parse_duration(value)
    if seconds > MAX_SECONDS:
        raise ValueError(f"at most {MAX_SECONDS} seconds (one day, '24h')")
    return seconds


def Size(description: str) -> Scalar:  # noqa: N802 - reads as a type in the schema below
    return Scalar(
        description,
        _size,
        expected="a memory size like '512m', '1g' or '1GiB' (or a number of bytes)",
        json_schema=_SIZE_JSON,
    )


def Duration(description: str, default: float | None) -> Scalar:  # noqa: N802
    return Scalar(
        description,
        _duration,
        expected="a duration like '30s', '1m30s' or '500ms' (or a number of seconds)",
        json_schema=_DURATION_JSON,
        default=default,
    )


_IDMAP = r"([0-9]{1,10}):([0-9]{1,10}):([0-9]{1,10})"


def parse_idmap(value: Any) -> str:
    """``CONTAINER_ID:HOST_ID:COUNT``, a range of 32-bit ids; the text is kept as written."""
    m = re.fullmatch(_IDMAP, value) if isinstance(value, str) else None
    if m is None:
        raise ValueError("")
    inside, outside, count = (int(x) for x in m.groups())
    if count < 1:
        raise ValueError("COUNT must be at least 1")
    if inside + count > ID_LIMIT or outside + count > ID_LIMIT:
        raise ValueError(f"every id must stay below 2^32 ({ID_LIMIT})")
    return value


def IdMap(description: str) -> List:  # noqa: N802
    return List(
        description,
        Scalar(
            "",
            parse_idmap,
            expected="a map 'CONTAINER_ID:HOST_ID:COUNT'",
            json_schema={"type": "string", "pattern": IDMAP_PATTERN},
        ),
    )


def _labels(description: str) -> Map:
    return Map(
        description,
        Str(
            "The value (numbers and booleans are turned into strings).", default="", bools=True, control=True
        ),
        key_pattern=LABEL_KEY_PATTERN,
        key_expected="a key without spaces or '='",
        pairs=True,
    )


def _command(description: str) -> Kinds:
    return Kinds(
        description,
        scalar=Str(control=True),  # a quoted argument may span lines
        seq=List("", Str(bools=True, control=True)),
        then={"scalar": _split_command},
        expected="a command line (string) or a list of strings",
    )


PORT = Kinds(
    "A published port: 'HOST_PORT:CONTAINER_PORT', 'HOST_IP:HOST_PORT:CONTAINER_PORT/udp' or a mapping.",
    scalar=Scalar(
        "",
        parse_port,
        expected="a port 1-65535 like '8080:80', '127.0.0.1:8080:80/udp'",
        json_schema={
            "type": "string",
            "pattern": r"^((\[[0-9A-Fa-f:.]+\]|[0-9.]*):)?[0-9]{1,5}:[0-9]{1,5}(/(tcp|udp|sctp|TCP|UDP|SCTP))?$|\$",
        },
    ),
    mapping=Obj(
        "",
        {
            "host_port": Int("Port on the host.", minimum=1, maximum=65535, required=True),
            "container_port": Int("Port in the container.", minimum=1, maximum=65535, required=True),
            "host_ip": Scalar(
                "Host address to listen on; empty for all addresses.",
                parse_ip,
                expected="an IP address like '127.0.0.1' or '::1'",
                json_schema={"type": "string"},
                default="",
            ),
            "protocol": Enum("Protocol.", PROTOCOLS, default="tcp"),
        },
    ),
    then={"mapping": _port_long},
    expected="a port like '8080:80' or a mapping with host_port and container_port",
)

VOLUME = Kinds(
    "A mount: '/host/dir:/target[:ro|rw]', './relative:/target', 'NAME:/target' (a named volume) or a mapping.",
    scalar=Str(),
    mapping=Obj(
        "",
        {
            "type": Enum("What to mount.", ("bind", "volume", "tmpfs"), required=True),
            "source": Str(
                "Host path (bind: '~' expanded, relative to the profile's folder) or volume name; none for tmpfs."
            ),
            "target": Str("Absolute path in the container.", absolute=True, required=True),
            "read_only": Bool("Mount read-only.", default=False),
            "selinux": Enum("SELinux relabelling: 'z' shared, 'Z' private.", ("", "z", "Z"), default=""),
            "size": Size("tmpfs only: maximum size."),
            "mode": Scalar(
                "tmpfs only: permissions, octal like 1777.",
                parse_octal_mode,
                expected="an octal mode like 1777",
                json_schema={
                    # an integer is read as octal digits: 1777 is 0o1777
                    "anyOf": [
                        {"type": "integer", "minimum": 0, "maximum": 7777},
                        {"type": "string", "pattern": "^(0o)?0*[0-7]{1,4}$"},
                    ]
                },
            ),
        },
    ),
    then={"scalar": _volume_short, "mapping": _volume_long},
    expected="a volume like '/host/dir:/target' or a mapping with type, source and target",
)

ENV_VALUE = Kinds(
    "A value, or {value: ..., secret: true}, or {file: PATH} (a secret read from a file).",
    scalar=EnvScalar(),
    mapping=Obj(
        "",
        {
            "value": SecretStr("The value.", control=True),
            "file": HostPath(
                "A file holding the value (relative to the profile's folder); trailing newline stripped."
            ),
            "secret": Bool(
                "Keep the value out of rendered output and logs (default: true for file, false for value)."
            ),
        },
    ),
    then={"mapping": _env_entry},
    expected="a string, number, boolean or a mapping with 'value' or 'file'",
    default=lambda: EnvValue(""),
    secret=True,
)

HEALTHCHECK = Obj(
    "How to tell that the container is healthy (as Compose).",
    {
        "test": Kinds(
            "The check: a shell command line, or a list starting with CMD, CMD-SHELL or NONE.",
            scalar=Str(expected="a command line"),
            seq=List("", Str(bools=True)),
            then={
                "scalar": lambda v, node, path, ctx: ["CMD-SHELL", v],
                "seq": _healthcheck_test_list,
            },
            expected="a command line or a list starting with 'CMD', 'CMD-SHELL' or 'NONE'",
            required=True,
        ),
        "interval": Duration("Time between checks.", 30.0),
        "timeout": Duration("Time a check may take.", 30.0),
        "retries": Int(
            "Consecutive failures before the container is unhealthy.",
            minimum=0,
            maximum=MAX_RETRIES,
            default=3,
        ),
        "start_period": Duration("Grace period after start, when failures do not count.", 0.0),
    },
    optional=True,
)

ULIMIT = Kinds(
    "A limit: one integer (soft = hard) or {soft: N, hard: N}; -1 is unlimited.",
    scalar=Int(minimum=-1, maximum=MAX_RLIMIT),
    mapping=Obj(
        "",
        {
            "soft": Int("Soft limit.", minimum=-1, maximum=MAX_RLIMIT, required=True),
            "hard": Int("Hard limit.", minimum=-1, maximum=MAX_RLIMIT, required=True),
        },
    ),
    then={"scalar": lambda v, node, path, ctx: {"soft": v, "hard": v}, "mapping": _ulimit_pair},
    expected="an integer or a mapping with soft and hard",
)

USERNS = Kinds(
    "User namespace: '' (Podman's default), 'keep-id' (your uid inside), 'auto', 'host', or id maps.",
    scalar=Enum("", ("", "keep-id", "auto", "host")),
    mapping=Obj(
        "",
        {
            "uidmap": IdMap("Lines 'CONTAINER_ID:HOST_ID:COUNT' (ids below 2^32)."),
            "gidmap": IdMap("Lines 'CONTAINER_ID:HOST_ID:COUNT' (ids below 2^32)."),
        },
    ),
    expected="'', 'keep-id', 'auto', 'host' or a mapping with uidmap and gidmap",
    default="",
)

_HOST_IP = Scalar("", parse_ip, expected="an IP address like '10.0.0.5'", json_schema={"type": "string"})


def _addresses(value: list[str], node: Node, path: PathT, ctx: Ctx) -> Any:
    """One address stays one (a profile that gives one resolves as it always has); none is refused."""
    if not value:
        ctx.add(node, path, "expected an IP address like '10.0.0.5' or a list of them, got an empty list")
        return INVALID
    return value[0] if len(value) == 1 else value


NETWORK = Obj(
    "The container's network.",
    {
        "mode": Enum(
            "private: own namespace with outbound access through Podman's default rootless network"
            " (pasta from Podman 5, slirp4netns before); pasta, slirp4netns: that program by name,"
            " where the Podman in use has it (Podman 6 has no slirp4netns); none: loopback only;"
            " host: the host's network.",
            ("private", "none", "pasta", "slirp4netns", "host"),
            default="private",
        ),
        "ports": List("Ports to publish on the host.", PORT),
        "hostname": Str("Host name inside the container.", pattern=HOSTNAME_PATTERN, expected="a host name"),
        "dns": List(
            "DNS servers.",
            Scalar("", parse_ip, expected="an IP address like '1.1.1.1'", json_schema={"type": "string"}),
        ),
        "add_hosts": Map(
            "Extra /etc/hosts entries: host name -> IP address (or a list of addresses, one line each).",
            Kinds(
                "",
                scalar=_HOST_IP,
                seq=List("", _HOST_IP, unique=True),
                then={"seq": _addresses},
                expected="an IP address like '10.0.0.5' or a list of them",
            ),
            key_pattern=HOSTNAME_PATTERN,
            key_expected="a host name",
        ),
    },
)

NETWORK_NAME_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$"  # Podman's own rule for network names
NETWORK_ALIASES = Obj(
    "",
    {
        "aliases": List(
            "More names the other containers on this network reach this one by (its profile name"
            " always works).",
            Str(pattern=HOSTNAME_PATTERN, expected="a host name"),
            unique=True,
        ),
    },
)
NETWORKS = Kinds(
    "Podman networks to join, where the other containers on them reach this one by its profile"
    " name: 'default' is the project's own network (rc-PROJECT), any other name a Podman network"
    " of that name, made when missing. A list of names, or a mapping of names to {aliases: [...]}."
    " Leave it out to get the project's network when the project's folder is brought up, or write"
    " [] for none (Podman's default rootless network).",
    seq=List("", Str(pattern=NETWORK_NAME_PATTERN, expected="a network name"), unique=True),
    mapping=Map(
        "",
        NETWORK_ALIASES,
        key_pattern=NETWORK_NAME_PATTERN,
        key_expected="a network name of letters, digits, '_', '.' and '-'",
    ),
    then={"seq": lambda v, node, path, ctx: {name: {"aliases": []} for name in v}},
    expected="a list of network names or a mapping of network names to {aliases: [...]}",
)

CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")
DEPENDENCY = Obj(
    "",
    {
        "condition": Enum(
            "What the dependency must reach before this container starts: service_started (it"
            " runs), service_healthy (its healthcheck passed) or service_completed_successfully (it"
            " exited with 0).",
            CONDITIONS,
            default="service_started",
        ),
    },
)
DEPENDS_ON = Kinds(
    "Profiles of the same project this one needs (as Compose): up FOLDER starts them first and this"
    " one once their condition holds; down FOLDER stops this one first. A list of names, or a"
    " mapping of names to {condition: ...}.",
    seq=List("", Str(pattern=NAME_PATTERN, expected="a profile name"), unique=True),
    mapping=Map("", DEPENDENCY, key_pattern=NAME_PATTERN, key_expected="a profile name"),
    then={"seq": lambda v, node, path, ctx: {name: {"condition": "service_started"} for name in v}},
    expected="a list of profile names or a mapping of profile names to {condition: ...}",
)

BUILD = Kinds(
    "Build the image from a Containerfile instead of pulling it: a context folder, or a mapping.",
    scalar=HostPath(),
    mapping=Obj(
        "",
        {
            "context": HostPath(
                "The build context folder (relative to the profile's folder).", required=True
            ),
            "containerfile": Str(
                "The Containerfile, relative to the context.", expected="a file name", default="Containerfile"
            ),
            "args": Map(
                "Build arguments.",
                Str(control=True),
                key_pattern=ARG_NAME_PATTERN,
                key_expected="an argument name",
            ),
        },
    ),
    then={"scalar": lambda v, node, path, ctx: {"context": v, "containerfile": "Containerfile", "args": {}}},
    expected="a context folder or a mapping with context, containerfile and args",
)

PROFILE = Obj(
    "An rcontainer profile: one container.",
    {
        "extends": Kinds(
            "Profiles this one builds on (relative to this file's folder); mappings are merged, lists and"
            " scalars replaced.",
            scalar=Str(),
            seq=List("", Str(bools=True)),
            expected="a file name or a list of file names",
        ),
        "name": Str(
            "Container name; defaults to the file name without .yaml.",
            pattern=NAME_PATTERN,
            expected="a name of lowercase letters, digits, '_', '.' and '-'",
            max_length=63,
        ),
        "image": Str(
            "Image reference, e.g. localhost/rcontainer/busybox:latest.", expected="an image reference"
        ),
        "build": BUILD,
        "pull": Enum("When to pull the image.", ("missing", "always", "never", "newer"), default="missing"),
        "command": _command("Command to run (replaces the image's CMD); a string is split as a shell would."),
        "entrypoint": _command("Entrypoint (replaces the image's ENTRYPOINT; [] or '' clears it)."),
        "workdir": Str("Working folder in the container.", absolute=True),
        "user": Str(
            "User (and group) to run as: NAME, UID, NAME:GROUP or UID:GID.",
            pattern=r"^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$",
            expected="a user like '1000', 'nobody' or '1000:1000'",
        ),
        "userns": USERNS,
        "env_file": Kinds(
            "Files of KEY=VALUE lines (relative to this file's folder); 'env' entries win over them.",
            scalar=HostPath(),
            seq=List("", HostPath()),
            then={"scalar": lambda v, node, path, ctx: [v]},
            expected="a file name or a list of file names",
            default=list,
        ),
        "env": Kinds(
            "Environment variables: NAME -> value (or the Compose list form 'NAME=value').",
            mapping=Map("", ENV_VALUE, key_pattern=ENV_NAME_PATTERN, key_expected="a variable name"),
            seq=Map("", ENV_VALUE, key_pattern=ENV_NAME_PATTERN, key_expected="a variable name", pairs=True),
            expected="a mapping of variable names to values",
            default=dict,
            secret=True,
        ),
        "network": Kinds(
            "The network: a mode name, or a mapping.",
            scalar=NETWORK.fields["mode"],
            mapping=NETWORK,
            then={"scalar": lambda v, node, path, ctx: {**NETWORK.absent(), "mode": v}},
            expected="a network mode or a mapping",
            default=NETWORK.absent,
        ),
        "volumes": List("Mounts.", VOLUME),
        "runtime": Str(
            "Runtime class (rcontainer runtimes): default, runc, crun, gvisor, kata, bwrap or your own.",
            pattern=RUNTIME_PATTERN,
            expected="a runtime class name of lowercase letters, digits and '-'",
            default="default",
        ),
        "resources": Obj(
            "Resource limits (need cgroups v2 delegation).",
            {
                "memory": Size("Memory limit, e.g. 512m or 1g."),
                "cpus": Float("CPUs, e.g. 1.5.", minimum=MIN_CPUS, maximum=MAX_CPUS),
                "pids": Int("Maximum number of processes.", minimum=1, maximum=MAX_PIDS),
                "required": Bool(
                    "Refuse to run where the limits cannot be enforced (rootless without cgroups); "
                    "otherwise they are dropped with a notice on every up.",
                    default=False,
                ),
            },
        ),
        "ulimits": Map(
            "Resource limits (setrlimit): name -> limit.",
            ULIMIT,
            keys=ULIMITS,
        ),
        "healthcheck": HEALTHCHECK,
        "restart": Scalar(
            "Restart policy.",
            parse_restart,
            expected="'no', 'on-failure', 'on-failure:N', 'always' or 'unless-stopped'",
            json_schema={
                "anyOf": [
                    {"type": "string", "pattern": "^(no|always|unless-stopped|on-failure(:[0-9]{1,4})?)$"},
                    {"const": False},
                ]
            },
            default="no",
        ),
        "stop_signal": Scalar(
            "Signal that stops the container: a name with or without SIG, or a number.",
            parse_signal,
            expected="a signal like 'SIGTERM', 'TERM' or 15",
            json_schema={
                "anyOf": [{"type": "string"}, {"type": "integer", "minimum": 1, "maximum": MAX_SIGNAL}]
            },
            default="SIGTERM",
        ),
        "stop_timeout": Int(
            "Seconds to wait after the stop signal before SIGKILL.",
            minimum=0,
            maximum=MAX_SECONDS,
            default=10,
        ),
        "read_only": Bool("Mount the image's root filesystem read-only.", default=False),
        "cap_add": List(
            "Capabilities to add (names without CAP_).",
            Scalar(
                "",
                parse_capability,
                expected="a Linux capability like 'NET_ADMIN'",
                json_schema={"type": "string"},
            ),
            unique=True,
        ),
        "cap_drop": List(
            "Capabilities to drop (names without CAP_, or ALL).",
            Scalar(
                "",
                parse_capability,
                expected="a Linux capability like 'NET_RAW'",
                json_schema={"type": "string"},
            ),
            unique=True,
        ),
        "no_new_privileges": Bool("Forbid gaining privileges (setuid binaries).", default=True),
        "allow_sensitive_mounts": Bool(
            "Allow bind mounts of / or of your whole home folder (refused otherwise).",
            default=False,
        ),
        "privileged": Bool("Give the container every capability the user has.", default=False),
        "labels": _labels("Container labels."),
        "annotations": _labels("OCI annotations."),
        "tty": Bool("Allocate a terminal.", default=False),
        "shell": Str(
            "The shell 'rcontainer shell' opens: a program in the container's PATH or an absolute "
            "path (default: bash when the container has it, else sh).",
            pattern=r"^[^\s]+$",
            expected="a program like 'zsh' or '/bin/fish'",
        ),
        "home": HomePolicy(
            "A dev shell's home, mounted at your home's path: 'shared' (your home folder itself), "
            "'isolated' (a folder of its own under rcontainer's data folder, seeded from the image's "
            "/etc/skel, kept across recreates), 'overlay' (your home visible, writes kept in a layer of "
            "the container's own; Podman only) or a host folder."
        ),
        "host": List(
            "Host integration of a dev shell: user (your name, uid and shell), cwd (your working "
            "folder when inside the home), timezone, locale, display (X11/Wayland), audio "
            "(PulseAudio/PipeWire), ssh-agent. Default with home: user, cwd, timezone, locale.",
            Enum("", HOST_INTEGRATIONS),
            unique=True,
            default=None,
        ),
        "networks": NETWORKS,
        "depends_on": DEPENDS_ON,
        "project": Str(
            "The project this profile belongs to; defaults to its folder's name (rcontainer up FOLDER"
            " brings up every profile of a folder as one project).",
            pattern=PROJECT_PATTERN,
            expected="a project name of lowercase letters, digits, '_' and '-'",
            max_length=PROJECT_MAX,
        ),
    },
    internal=("extends",),
)


def json_schema() -> dict[str, Any]:
    """The profile schema as draft 2020-12 JSON Schema, for editors (yaml-language-server)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://rcontainer.invalid/profile.schema.json",
        "title": "rcontainer profile",
        **PROFILE.json_schema(),
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # python -m rcontainer.profile.schema > profiles/profile.schema.json
    import sys

    sys.stdout.write(json_schema_text())
