"""SIGKILL the CLI at random moments; records stay readable and the next up converges."""

from __future__ import annotations

import os

from tests.stress import kill_stress


def test_sigkill_at_random_moments_loses_nothing(scope, busybox_profile, isolated_dirs):
    trials = int(os.environ.get("RC_STRESS_TRIALS", "8"))
    profile = busybox_profile("app", command=["sleep", "600"], stop_timeout=0)
    report = kill_stress.run(trials, profile, scope, isolated_dirs["RCONTAINER_STATE_DIR"], seed=trials)
    print(
        f"\nkill stress: {report.trials} trials, {report.killed} killed mid-command, by op {report.by_op}, "
        f"{len(report.failures)} failures"
    )
    assert report.trials == trials
    assert report.failures == []
