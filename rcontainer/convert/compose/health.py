"""The healthcheck."""

from __future__ import annotations

from typing import Any

from rcontainer.convert.compose.service import Service, boolean

TIMINGS = ("interval", "timeout", "retries", "start_period")


def healthcheck(s: Service) -> None:
    hc = s.spec.get("healthcheck")
    if hc is None:
        return
    if not isinstance(hc, dict):
        raise s.bad("healthcheck", "a mapping", hc)
    if boolean(hc.get("disable")) is True:
        s.p["healthcheck"] = {"test": ["NONE"]}
        return
    test = hc.get("test")
    if test is None:
        s.lose("healthcheck", "dropped: without 'test' (the image's own check) profiles cannot tune it")
        return
    if isinstance(test, list):
        if not test or not all(isinstance(x, str | int | float) for x in test):
            raise s.bad(("healthcheck", "test"), "a list starting with CMD, CMD-SHELL or NONE", test)
        test = [str(x) for x in test]
    elif not isinstance(test, str):
        raise s.bad(("healthcheck", "test"), "a command line or a list", test)
    out: dict[str, Any] = {"test": test}
    for key in TIMINGS:
        if hc.get(key) is not None:
            out[key] = hc[key]
    for key in hc:
        if key not in (*TIMINGS, "test", "disable"):
            s.lose(f"healthcheck.{key}", "dropped")
    s.p["healthcheck"] = out
