"""Isolation and privileges: user namespace, capabilities, read-only root, privileged, security_opt."""

from __future__ import annotations

import re

from rcontainer.convert.compose.service import Service, boolean

_NO_NEW_PRIVILEGES = re.compile(r"^no-new-privileges(?:[:=](true|false))?$")


def userns(s: Service) -> None:
    mode = s.get("userns_mode", str, "a user namespace mode")
    if mode is None:
        return
    if mode in ("host", "keep-id", "auto", ""):
        s.p["userns"] = mode
    elif mode.startswith(("keep-id:", "auto:")):
        s.p["userns"] = mode.split(":", 1)[0]
        s.lose("userns_mode", f"{mode!r} → {s.p['userns']!r} (options dropped)")
    else:
        s.lose("userns_mode", f"{mode!r} dropped")


def capabilities(s: Service) -> None:
    for key in ("cap_add", "cap_drop"):
        value = s.spec.get(key)
        if value is not None:
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                raise s.bad(key, "a list of capabilities", value)
            s.p[key] = value


def flags(s: Service) -> None:
    for key in ("read_only", "privileged"):
        if s.spec.get(key) is not None:
            s.p[key] = boolean(s.spec[key])


def security_opt(s: Service) -> None:
    options = s.spec.get("security_opt") or []
    if not isinstance(options, list):
        raise s.bad("security_opt", "a list of options", options)
    for i, opt in enumerate(options):
        if not isinstance(opt, str):
            raise s.bad(("security_opt", i), "a string", opt)
        m = _NO_NEW_PRIVILEGES.match(opt)
        if m:
            s.p["no_new_privileges"] = m.group(1) != "false"
        else:
            s.lose(f"security_opt[{i}]", f"{opt!r} dropped")
