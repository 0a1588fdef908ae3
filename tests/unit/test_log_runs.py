"""``logs --all``: which kept log belongs to which run, and when each run started."""

from __future__ import annotations

from pathlib import Path

from rcontainer.container import Record
from rcontainer.engine import cleanup


def _t(at: str, frm: str | None, to: str) -> dict:
    return {"at": at, "from": frm, "to": to, "by": "rcontainer"}


def test_each_kept_log_is_matched_with_the_create_that_began_its_run(tmp_path: Path):
    log = tmp_path / "app.log"
    for path in (log, cleanup.previous_log(log, 1), cleanup.previous_log(log, 2)):
        path.write_text("")
    rec = Record(
        name="app",
        log_path=str(log),
        transitions=[
            _t("T1", None, "created"),
            _t("T2", "created", "running"),
            _t("T3", "running", "stopped"),
            _t("T4", "stopped", "running"),  # a restart is the same run
            _t("T5", "running", "removed"),
            _t("T6", "removed", "created"),  # run 2: never started
            _t("T7", "created", "removed"),
            _t("T8", "removed", "created"),
            _t("T9", "created", "running"),
        ],
    )
    runs = cleanup.runs(rec)
    assert [r.log for r in runs] == [cleanup.previous_log(log, 2), cleanup.previous_log(log, 1), log]
    assert [(r.created_at, r.started_at) for r in runs] == [("T1", "T2"), ("T6", None), ("T8", "T9")]


def test_runs_the_record_forgot_have_no_times(tmp_path: Path):
    # rm --purge --keep-logs, then up: the logs stayed, the transitions did not
    log = tmp_path / "app.log"
    cleanup.previous_log(log, 1).write_text("")
    log.write_text("")
    rec = Record(name="app", log_path=str(log), transitions=[_t("T8", None, "created")])
    runs = cleanup.runs(rec)
    assert [(r.log, r.created_at, r.started_at) for r in runs] == [
        (cleanup.previous_log(log, 1), None, None),
        (log, "T8", None),
    ]
