"""Restarts and stops: restart (or deploy.restart_policy), stop_signal, stop_grace_period."""

from __future__ import annotations

import math

from rcontainer.convert.compose.service import Service

# deploy.restart_policy.condition -> profile restart.
CONDITIONS = {"none": "no", "on-failure": "on-failure", "any": "always"}


def restart(s: Service) -> None:
    policy = s.spec.get("restart")
    if policy is False:
        policy = "no"
    if policy is not None:
        if not isinstance(policy, str):
            raise s.bad("restart", "no, always, on-failure[:N] or unless-stopped", policy)
        s.p["restart"] = policy
        return
    policy = (s.spec.get("deploy") or {}).get("restart_policy")
    if isinstance(policy, dict):
        at = ("deploy", "restart_policy")
        condition = s.resolved((*at, "condition"), policy.get("condition", "any"))
        mapped = CONDITIONS.get(condition) if isinstance(condition, str) else None
        if mapped is None:
            raise s.bad((*at, "condition"), "none, on-failure or any", condition)
        attempts = s.resolved((*at, "max_attempts"), policy.get("max_attempts"))
        if isinstance(attempts, str) and attempts.strip().isdigit():  # Compose reads it as a number
            attempts = int(attempts)
        if mapped == "on-failure" and type(attempts) is int and attempts > 0:
            mapped = f"on-failure:{attempts}"
        s.p["restart"] = mapped
        for key in policy:
            if key not in ("condition", "max_attempts"):
                s.lose(f"deploy.restart_policy.{key}", "dropped")


def stop(s: Service) -> None:
    if s.spec.get("stop_signal") is not None:
        s.p["stop_signal"] = s.spec["stop_signal"]
    grace = s.resolved("stop_grace_period", s.spec.get("stop_grace_period"))
    if grace is not None:
        from rcontainer.profile.schema import parse_duration

        try:
            seconds = parse_duration(grace)
        except ValueError:
            raise s.bad("stop_grace_period", "a duration like '10s' or '1m30s'", grace) from None
        s.p["stop_timeout"] = math.ceil(seconds)
        if seconds != math.ceil(seconds):
            s.lose("stop_grace_period", f"{grace} → {math.ceil(seconds)} s (whole seconds)")
