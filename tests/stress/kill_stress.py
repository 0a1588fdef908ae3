"""Kill the CLI with SIGKILL at random moments during up, stop and rm; check nothing is lost.

After every kill: every record parses, ``ps`` agrees with Podman, and the next ``up``
converges to a running container. Used small by the test suite and large on demand::

    RC_STRESS_TRIALS=200 scripts/test.sh tests/stress -q -s
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests import harness


@dataclass
class StressReport:
    trials: int = 0
    killed: int = 0  # trials where the CLI was really killed before it finished
    failures: list[str] = field(default_factory=list)
    by_op: dict[str, int] = field(default_factory=dict)


def _rc(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rcontainer", *args], capture_output=True, text=True, timeout=timeout
    )


def _records_parse(state_dir: Path) -> list[str]:
    bad = []
    for path in state_dir.rglob("*.json"):
        try:
            json.loads(path.read_text())
        except ValueError as exc:
            bad.append(f"{path}: {exc}")
    return bad


def _podman_states(scope: str) -> dict[str, str]:
    out = harness.podman(
        "ps", "-a", "--filter", f"label=io.rcontainer.scope={scope}", "--format", "json"
    ).stdout
    return {c["Labels"]["io.rcontainer.name"]: c["State"] for c in json.loads(out or "[]")}


def _agrees(scope: str) -> str | None:
    result = _rc("ps", "--json")
    if result.returncode != 0:
        return f"ps failed: {result.stderr.strip()}"
    ours = {row["name"]: row["state"] for row in json.loads(result.stdout)}
    theirs = _podman_states(scope)
    mapping = {
        "running": "running",
        "created": "created",
        "paused": "paused",
        "exited": "stopped",
        "stopped": "stopped",
        "configured": "created",
    }
    theirs = {k: mapping.get(v.lower(), v) for k, v in theirs.items()}
    for name, st in theirs.items():
        if ours.get(name) not in (st, "paused" if st == "running" else st):
            detail = _rc("ps", "--all", "--json").stdout
            return f"ps says {name} is {ours.get(name)}, Podman says {st}; ps --all: {detail}"
    if set(ours) - set(theirs):
        return f"ps shows containers Podman does not have: {sorted(set(ours) - set(theirs))}"
    if len(theirs) > 1:
        return f"more than one container for one profile: {theirs}"
    return None


def run(trials: int, profile: Path, scope: str, state_dir: Path, seed: int = 0) -> StressReport:
    rng = random.Random(seed)
    report = StressReport()
    for i in range(trials):
        op = rng.choice(["up", "stop", "rm", "up-changed"])
        args = {
            "up": ["up", str(profile)],
            "stop": ["stop", "-t", "0", "app"],
            "rm": ["rm", "-f", "app"],
            "up-changed": ["up", "--force-recreate", str(profile)],
        }[op]
        report.by_op[op] = report.by_op.get(op, 0) + 1
        proc = subprocess.Popen(
            [sys.executable, "-m", "rcontainer", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.0, 0.8))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            report.killed += 1
        proc.wait()
        report.trials += 1
        bad = _records_parse(state_dir)
        if bad:
            report.failures.append(f"trial {i} ({op}): unreadable records: {bad}")
            continue
        # A request the killed CLI sent may still be finishing inside Podman (a create goes on
        # after its client died): compare once things settle, up to three looks.
        for _ in range(3):
            problem = _agrees(scope)
            if problem is None:
                break
            time.sleep(0.5)
        if problem:
            report.failures.append(f"trial {i} ({op}): {problem}")
        up = _rc("up", str(profile))
        if up.returncode != 0:
            report.failures.append(f"trial {i} ({op}): the next up failed: {up.stderr.strip()}")
            continue
        states = _podman_states(scope)
        if list(states.values()) != ["running"]:
            report.failures.append(f"trial {i} ({op}): after up, Podman has {states}")
    return report
