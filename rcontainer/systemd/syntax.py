"""systemd's syntax for the values written into a unit or a Quadlet file (systemd.syntax(7)).

A unit file is lines: ``[Section]``, ``Key=Value`` and comments (``#`` or ``;`` first). Every
value rcontainer writes into one goes through a function here, so that no value, whatever it
holds (a profile path, an environment variable, a field the validator never saw), can end its
line early, continue it onto the next, or be read as something other than itself:

- a line ends at ``\\n``, at ``\\r`` and at a NUL byte (systemd reads all three as the end);
- a line whose last character is an unescaped ``\\`` continues on the next line (older systemd
  did this for comments too);
- ``%`` starts a specifier in most values (``%%`` is one ``%``), Quadlet's included: Quadlet
  copies every value into the ``ExecStart=`` it generates, so there ``$`` is doubled as well;
- in a command line (``ExecStart=``) words are split at blanks, quotes group them, ``\\`` starts
  a C escape, ``$`` a variable (``$$`` is one ``$``), and a lone ``;`` separates commands;
  ``Environment=`` splits and unquotes the same way, without variables.

Four kinds of value, one function each: a command line word (``word``, ``command_line``,
``assignment``), free text a person reads (``text``: Description=), a comment (``comment``),
and a value taken as it is up to the end of the line (``raw``: Quadlet's Image=, User=...),
which has no escapes at all, so a value it cannot hold is refused, never written.
"""

from __future__ import annotations

import re

from rcontainer.errors import BadInput

# Control characters: C0 (line ends among them), DEL, C1, and the Unicode line and paragraph
# separators, which systemd does not end a line at but a terminal or an editor may.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_C_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\v": "\\v"}
# What makes a command line word need quotes: blanks, quotes, the escape, the separator.
_SPECIAL = set(" \t\"'\\;")


def _c_escape(ch: str) -> str:
    """One control character as a C escape systemd's unescaping reads back (``\\xNN`` is one
    byte, so characters past ASCII take ``\\uNNNN``)."""
    if ch in _C_ESCAPES:
        return _C_ESCAPES[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x80 else f"\\u{ord(ch):04x}"


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise BadInput(f"{text!r}: a NUL byte cannot be written into a unit file")
    return text


def _shown(text: str) -> str:
    """``text`` with backslashes and control characters escaped: one line, read back by a
    C unescape."""
    return _CONTROL.sub(lambda m: _c_escape(m.group()), text.replace("\\", "\\\\"))


def word(arg: str, *, variables: bool = True) -> str:
    """One word of a command line (systemd.service(5), "Command lines").

    ``%`` is doubled, and ``$`` too where the line expands variables (``variables``); a word
    with blanks, quotes, backslashes, ``;`` or control characters is double-quoted, with C
    escapes inside. A NUL byte, which no argument can hold, is refused.
    """
    out = _no_nul(arg).replace("%", "%%")
    if variables:
        out = out.replace("$", "$$")
    if out and not any(c in _SPECIAL or _CONTROL.match(c) for c in out):
        return out
    escaped = _CONTROL.sub(lambda m: _c_escape(m.group()), out.replace("\\", "\\\\").replace('"', '\\"'))
    return f'"{escaped}"'


def command_line(argv: list[str]) -> str:
    return " ".join(word(a) for a in argv)


def assignment(key: str, value: str) -> str:
    """An ``Environment=`` word, ``KEY=VALUE`` quoted as one word (Environment= expands no
    ``$VAR``, so ``$`` stays as it is)."""
    return word(f"{key}={value}", variables=False)


def text(value: str) -> str:
    """Free text a person reads (Description=): one line, blanks collapsed, specifiers doubled.

    systemd expands specifiers in it and nothing else, so a control character (or a backslash,
    which could end the line as a continuation) is shown as its C escape.
    """
    return re.sub(" {2,}", " ", _shown(value).replace("%", "%%")).strip(" ")


def comment(value: str) -> str:
    """A ``#`` comment line: one line whatever ``value`` holds (control characters and
    backslashes shown as C escapes, so it never ends in a continuation either)."""
    return f"# {_shown(value)}" if value else "#"


def raw(value: str, what: str) -> str:
    """A Quadlet value read as it is up to the end of its line (Image=, User=, HealthCmd=...).

    Such a value has no quotes and no escapes. Quadlet copies it into the ``ExecStart=`` of the
    service it generates, where systemd expands specifiers and variables, so ``%`` and ``$`` are
    doubled; a value with a control character, a trailing backslash or blanks at either end
    would not read back as itself, so it is refused (``what`` names it): a valid profile never
    holds one.
    """
    if _CONTROL.search(value) or value != value.strip(" \t") or value.endswith("\\"):
        raise BadInput(
            f"{what}: {value!r} cannot be written into a unit file as it is"
            " (control characters, blanks at either end or a trailing backslash)"
        )
    return value.replace("%", "%%").replace("$", "$$")


def seconds(value: float) -> str:
    """A time span in seconds (``1.5s``)."""
    return f"{value:g}s"
