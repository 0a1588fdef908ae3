"""Restarts and stops: restart (or deploy.restart_policy), stop_signal, stop_grace_period."""

from __future__ import annotations

import math

from rcontainer.convert.compose.service import Service

# deploy.restart_policy.condition -> profile restart (Compose takes the restart names too).
CONDITIONS = {
    "none": "no",
    "no": "no",
    "on-failure": "on-failure",
    "any": "always",
    "always": "always",
    "unless-stopped": "unless-stopped",
}


def restart(s: Service) -> None:
    """``restart``, or ``deploy.restart_policy``, which wins in Compose when both are set."""
    policy = s.spec.get("restart")
    if policy is False:
        policy = "no"
    if policy is not None and not isinstance(policy, str):
        raise s.bad("restart", "no, always, on-failure[:N] or unless-stopped", policy)
    deploy = s.spec.get("deploy")
    rule = deploy.get("restart_policy") if isinstance(deploy, dict) else None
    if not isinstance(rule, dict):
        if policy is not None:
            s.p["restart"] = policy
        return
    at = ("deploy", "restart_policy")
    condition = s.resolved((*at, "condition"), rule.get("condition", "any"))
    mapped = CONDITIONS.get(condition) if isinstance(condition, str) else None
    if mapped is None:
        raise s.bad((*at, "condition"), "none, on-failure or any", condition)
    attempts = s.resolved((*at, "max_attempts"), rule.get("max_attempts"))
    if isinstance(attempts, str) and attempts.strip().isdigit():  # Compose reads it as a number
        attempts = int(attempts)
    if mapped == "on-failure" and type(attempts) is int and attempts > 0:
        mapped = f"on-failure:{attempts}"
    s.p["restart"] = mapped
    if policy is not None and policy != mapped:
        s.lose("restart", f"{policy!r} dropped: deploy.restart_policy ({mapped}) wins, as in Compose")
    for key in rule:
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
