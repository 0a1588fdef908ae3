"""What a person reads: no Python values, no repeated words, times in one format, progress as Podman shows it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from rcontainer.backends.podman import images as podman_images
from rcontainer.cli.containers import done_text
from rcontainer.cli.looking import _inspect_text
from rcontainer.cli.output import human, key_values, plural
from rcontainer.cli.progress import StderrProgress, bar
from rcontainer.container import Record, State
from rcontainer.engine import queries, store
from rcontainer.engine.core import Engine
from rcontainer.engine.transitions import normal_time
from tests.unit.fake_backend import FakeBackends


def inspect_data(**overrides) -> dict:
    data = {
        "name": "app",
        "state": "running",
        "runtime": "default",
        "family": "podman",
        "container": "rc-app",
        "id": "abc",
        "image": "localhost/x:latest",
        "image_id": "sha256:0123456789abcdef",
        "profile": "/p/app.yaml",
        "pause_method": "signal",
        "pid": None,
        "health": None,
        "ports": [],
        "runtime_details": {},
        "resolved_profile": {"network": {"mode": "none"}},
        "security": {"no_new_privileges": True, "privileged": False, "cap_add": [], "cap_drop": ["NET_RAW"]},
        "log_path": "/l/app.log",
        "transitions": [],
    }
    return data | overrides


def test_inspect_text_shows_no_python_values():
    text = _inspect_text(inspect_data())
    lines = dict(line.split(":", 1) for line in text.splitlines())
    assert lines["pid"].strip() == "-"
    assert lines["health"].strip() == "-"
    assert lines["no_new_privileges"].strip() == "true"
    assert lines["privileged"].strip() == "false"
    assert lines["capabilities"].strip() == "add -, drop NET_RAW"
    for repr_word in ("None", "True", "False", "[", "'"):
        assert repr_word not in text, f"{repr_word!r} in inspect's text"


def test_human_values():
    assert [human(v) for v in (None, True, False, [], ["A", "B"], 3, "x")] == [
        "-",
        "true",
        "false",
        "-",
        "A, B",
        "3",
        "x",
    ]
    assert key_values([("a", None), ("bb", True)]) == "a:  -\nbb: true"


def test_a_transition_result_does_not_repeat_the_state():
    assert done_text("app", "stopped", "stopped") == "app: stopped"
    assert done_text("app", "started", "running") == "app: started (running)"
    assert done_text("app", "down", "removed") == "app: down (removed)"


def test_one_layer_is_one_layer():
    assert plural(1, "layer") == "1 layer"
    assert plural(2, "layer") == "2 layers"
    assert plural(0, "layer") == "0 layers"


def at(seconds_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat(timespec="milliseconds")


def test_uptime_counts_from_the_last_start_not_the_unpause():
    rec = Record(
        name="app",
        state=State.RUNNING,
        transitions=[
            {"at": at(900), "from": None, "to": "created"},
            {"at": at(600), "from": "created", "to": "running"},
            {"at": at(300), "from": "running", "to": "paused"},
            {"at": at(5), "from": "paused", "to": "running"},
        ],
    )
    uptime = queries.row(rec, None)["uptime_seconds"]
    assert 599 <= uptime <= 620
    rec.transitions += [
        {"at": at(4), "from": "running", "to": "stopped"},
        {"at": at(2), "from": "stopped", "to": "running"},
    ]
    assert queries.row(rec, None)["uptime_seconds"] < 10, "a new start resets it"


def test_start_times_are_rfc3339_utc_or_null():
    # what Podman's list gives (seconds since the epoch; year 1 for never), its inspect, and bwrap's
    assert normal_time(1700000000) == "2023-11-14T22:13:20.000+00:00"
    assert normal_time("1700000000") == "2023-11-14T22:13:20.000+00:00"
    assert normal_time(-62135596800) is None
    assert normal_time("-62135596800") is None
    assert normal_time("0001-01-01T00:00:00Z") is None
    assert normal_time("2023-11-14T23:13:20.123456789+01:00") == "2023-11-14T22:13:20.123+00:00"
    assert normal_time("2023-11-14T22:13:20.123+00:00") == "2023-11-14T22:13:20.123+00:00"
    assert normal_time(None) is None and normal_time("") is None


def test_inspect_json_gives_no_exit_code_for_a_running_container_as_ps_does():
    backends = FakeBackends()
    backends.fake.states["c"] = State.RUNNING
    store.save(Record(name="c", family="fake", state=State.RUNNING, backend={"id": "c"}, exit_code=0))
    engine = Engine(backends=backends)  # type: ignore[arg-type]
    assert engine.inspect("c")["exit_code"] is None
    assert engine.ps()[0]["exit_code"] is None


def test_pull_progress_draws_one_bar_with_bytes_on_a_terminal():
    out = io.StringIO()
    progress = StderrProgress(terminal=True, stream=out)
    progress.layer("aaa", "Pulling fs layer")
    progress.layer("aaa", "Downloading", 500_000, 2_000_000)
    progress.layer("bbb", "Downloading", 0, 1_000_000)
    progress.layer("aaa", "Download complete")
    progress.layer("bbb", "Downloading", 1_000_000, 1_000_000)
    progress.close()
    drawn = out.getvalue()
    assert drawn.endswith("3.0 MB / 3.0 MB  2/2 layers\x1b[K\n")
    assert "0.5 MB / 2.0 MB  0/1 layers" not in drawn and "500.0 kB / 2.0 MB  0/1 layers" in drawn
    assert drawn.count("\n") == 1, "one bar, redrawn in place"


def test_pull_progress_is_quiet_when_not_a_terminal_but_build_output_streams():
    out = io.StringIO()
    progress = StderrProgress(terminal=False, stream=out)
    progress.layer("aaa", "Downloading", 1, 2)
    progress.layer("aaa", "Copying blob")
    assert out.getvalue() == ""
    progress.output("STEP 1/2: FROM x\n")
    assert out.getvalue() == "STEP 1/2: FROM x\n"


def test_bar_is_proportional():
    assert bar(0, 10, width=10) == "[          ] 0 B / 10 B"
    assert bar(5, 10, width=10) == "[====>     ] 5 B / 10 B"
    assert bar(10, 10, width=10) == "[==========] 10 B / 10 B"


class FakeApi:
    """Stands for LibpodClient in the pull's stream handling: recorded compat messages."""

    def __init__(self, messages: list[dict]) -> None:
        self.messages = messages
        self.asked: list[tuple] = []

    def stream_lines(self, method, path, params=None, body=None, **kw):
        self.asked.append((method, path, params, kw))
        yield from self.messages

    def get_json(self, path, params=None):
        return {"Id": "f" * 64}


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def output(self, text: str) -> None:
        self.events.append(("output", text))

    def layer(self, layer, status, done=None, total=None) -> None:
        self.events.append((layer, status, done, total))


def test_a_tls_registry_is_pulled_with_byte_counts():
    api = FakeApi(
        [
            {"status": "Pulling from tools/busybox", "id": "latest"},
            {"status": "Pulling fs layer", "progressDetail": {}, "id": "aaa"},
            {"status": "Downloading", "progressDetail": {"current": 10, "total": 20}, "id": "aaa"},
            {"status": "Download complete", "progressDetail": {}, "id": "aaa"},
            {"status": "Status: Downloaded newer image for registry.example/tools/busybox:1"},
        ]
    )
    seen = Recorder()
    assert podman_images.pull(api, "registry.example/tools/busybox:1", seen) == "f" * 64  # type: ignore[arg-type]
    method, path, params, kw = api.asked[0]
    assert (path, params, kw["compat"]) == (
        "/images/create",
        {"fromImage": "registry.example/tools/busybox", "tag": "1"},
        True,
    )
    assert ("aaa", "Downloading", 10, 20) in seen.events


def test_a_compat_pull_error_in_the_stream_fails():
    import pytest

    from rcontainer.errors import NotFound

    api = FakeApi([{"error": "manifest unknown", "errorDetail": {"message": "manifest unknown"}}])
    with pytest.raises(NotFound):
        podman_images.pull(api, "registry.example/tools/absent:1")  # type: ignore[arg-type]


def test_a_failed_build_step_shows_its_output():
    output = "STEP 1/2: FROM x\nSTEP 2/2: RUN make\ncc: error: main.c: no such file\n"
    assert podman_images._failed_step(output) == "\n  STEP 2/2: RUN make\n  cc: error: main.c: no such file"
