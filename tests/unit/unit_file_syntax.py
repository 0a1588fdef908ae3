"""A reader of unit files as systemd reads them (systemd.syntax(7)), for tests.

It is written from the manual, not from rcontainer's writer, so that a test can ask what
systemd (or Quadlet, which follows the same syntax) would see in a generated file: which
sections and keys, and what each value means once its quoting, escapes and specifiers are
undone.

- Lines end at ``\\n``, ``\\r\\n``, ``\\r`` and NUL (systemd's line reader stops at all of them).
- Blank lines are skipped; a line whose first non-blank character is ``#`` or ``;`` is a comment.
- A line ending in an unescaped backslash continues on the next one (the backslash becomes a
  blank); comment lines inside a continuation are skipped. Older systemd also continued a
  comment that ends in a backslash: ``parse`` refuses such a comment outright.
- ``[Section]`` starts a section; every other line is ``Key=Value``, both stripped of blanks.

Values are then read by kind: ``words`` (command lines, ``Environment=``: quotes, C escapes,
``%%`` and, in command lines, ``$$``), ``specifiers`` (values taken as they are, where only
``%%`` means something) and ``shown`` (free text rcontainer escapes so that it stays readable).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LINE_END = re.compile(r"\r\n|\r|\n|\x00")
BLANKS = " \t"
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "s": " ",
}


class SyntaxProblem(AssertionError):
    """The text is not a unit file systemd would read as intended."""


@dataclass
class UnitFile:
    comments: list[str] = field(default_factory=list)  # the text after "#" or ";"
    entries: list[tuple[str, str, str]] = field(default_factory=list)  # (section, key, value)

    def keys(self) -> list[tuple[str, str]]:
        return [(section, key) for section, key, _ in self.entries]


def _continues(line: str) -> bool:
    """The line ends in a backslash that escapes nothing: it continues on the next line."""
    run = len(line) - len(line.rstrip("\\"))
    return run % 2 == 1


def parse(text: str) -> UnitFile:
    out = UnitFile()
    section: str | None = None
    pending: str | None = None
    for line in LINE_END.split(text):
        start = line.lstrip(BLANKS)
        if start[:1] in ("#", ";"):
            if _continues(start):
                raise SyntaxProblem(f"a comment that older systemd continues on the next line: {line!r}")
            if pending is None:
                out.comments.append(start[1:].removeprefix(" "))
            continue
        if pending is not None:
            line = pending + line
            pending = None
        if _continues(line):
            pending = line[:-1] + " "
            continue
        line = line.strip(BLANKS)
        if not line:
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise SyntaxProblem(f"a bad section header: {line!r}")
            section = line[1:-1]
            continue
        key, eq, value = line.partition("=")
        if not eq:
            raise SyntaxProblem(f"a line that is no Key=Value: {line!r}")
        if section is None:
            raise SyntaxProblem(f"an assignment outside of a section: {line!r}")
        out.entries.append((section, key.strip(BLANKS), value.strip(BLANKS)))
    if pending is not None:
        raise SyntaxProblem("the file ends in a continuation")
    return out


def _unescape(text: str, i: int) -> tuple[str, int]:
    """The C escape at ``text[i]`` (a backslash): its character and the index after it."""
    if i + 1 >= len(text):
        raise SyntaxProblem(f"a lone backslash at the end of {text!r}")
    c = text[i + 1]
    if c in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[c], i + 2
    for lead, digits, base in (("x", 2, 16), ("u", 4, 16), ("U", 8, 16)):
        if c == lead:
            code = text[i + 2 : i + 2 + digits]
            if len(code) != digits:
                raise SyntaxProblem(f"a short \\{lead} escape in {text!r}")
            value = int(code, base)
            if value == 0:
                raise SyntaxProblem(f"a NUL escape in {text!r}")
            return chr(value), i + 2 + digits
    if c in "01234567":
        code = text[i + 1 : i + 4]
        return chr(int(code, 8)), i + 4
    raise SyntaxProblem(f"an unknown escape \\{c} in {text!r}")


def c_unescape(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        if text[i] == "\\":
            ch, i = _unescape(text, i)
            out.append(ch)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def specifiers(text: str, *, variables: bool = False) -> str:
    """``%%`` as ``%`` (any other specifier is a problem: rcontainer writes none), and in a
    command line ``$$`` as ``$`` (a ``$NAME`` or ``${NAME}`` would be expanded: a problem)."""
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "%":
            if text[i + 1 : i + 2] != "%":
                raise SyntaxProblem(f"a specifier %{text[i + 1 : i + 2]} in {text!r}")
            out.append("%")
            i += 2
        elif c == "$" and variables:
            nxt = text[i + 1 : i + 2]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "{" or nxt.isalpha() or nxt == "_":
                raise SyntaxProblem(f"a variable ${nxt}... in {text!r}")
            out.append(c)
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def words(value: str, *, variables: bool = False) -> list[str]:
    """The words of a command line or an ``Environment=`` value, as systemd splits them."""
    out: list[str] = []
    i = 0
    n = len(value)
    while True:
        while i < n and value[i] in BLANKS:
            i += 1
        if i >= n:
            return out
        chars: list[str] = []
        quote: str | None = None
        quoted = False
        while i < n:
            c = value[i]
            if quote is None and c in BLANKS:
                break
            if c == "\\":
                ch, i = _unescape(value, i)
                chars.append(ch)
                continue
            if quote is None and c in "\"'":
                quote = c
                quoted = True
            elif c == quote:
                quote = None
            else:
                chars.append(c)
            i += 1
        if quote is not None:
            raise SyntaxProblem(f"an unterminated quote in {value!r}")
        text = "".join(chars)
        if variables and text == ";" and not quoted:
            raise SyntaxProblem(f"a lone ';' (a command separator) in {value!r}")
        out.append(specifiers(text, variables=variables))


def shown(value: str) -> str:
    """Free text (Description=, comments) as rcontainer escapes it: specifiers, then C escapes."""
    return c_unescape(specifiers(value))
