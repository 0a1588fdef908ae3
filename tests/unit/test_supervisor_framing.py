"""The bubblewrap supervisor's log framing: output chunks in, k8s-file records out.

The supervisor reads a container's stdout and stderr in whatever chunks the pipes give and
writes one ``TIMESTAMP STREAM F TEXT`` record per line, the format ``rcontainer logs`` reads for
both runtime families.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from rcontainer import logs
from rcontainer.backends.bwrap.framing import LogWriter, format_line, split_lines

WHEN = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
STAMP = "2026-01-02T03:04:05.123456000+00:00"


def writer() -> tuple[LogWriter, io.StringIO]:
    out = io.StringIO()
    return LogWriter(out, clock=lambda: WHEN), out


def test_a_record_is_timestamp_stream_full_tag_and_text():
    assert format_line("stdout", "hello world", WHEN) == f"{STAMP} stdout F hello world\n"
    assert format_line("stderr", "", WHEN) == f"{STAMP} stderr F \n"


def test_a_partial_chunk_waits_for_its_newline():
    w, out = writer()
    assert w.write("stdout", b"hel") == []
    assert out.getvalue() == "", "nothing is written before the line is whole"
    assert w.write("stdout", b"lo\nwor") == ["hello"]
    assert w.write("stdout", b"ld\n") == ["world"]
    assert out.getvalue() == f"{STAMP} stdout F hello\n{STAMP} stdout F world\n"


def test_one_chunk_with_many_lines_gives_one_record_each_empty_lines_included():
    w, out = writer()
    assert w.write("stdout", b"a\n\nb\n") == ["a", "", "b"]
    assert out.getvalue().splitlines() == [f"{STAMP} stdout F a", f"{STAMP} stdout F ", f"{STAMP} stdout F b"]


def test_the_last_line_without_a_newline_is_written_when_the_stream_ends():
    w, out = writer()
    w.write("stdout", b"done\nno newline")
    assert out.getvalue() == f"{STAMP} stdout F done\n"
    assert w.write("stdout", b"", final=True) == ["no newline"]
    assert out.getvalue().endswith(f"{STAMP} stdout F no newline\n")


def test_a_stream_ending_after_its_newline_adds_no_empty_record():
    w, out = writer()
    w.write("stderr", b"last\n")
    assert w.write("stderr", b"", final=True) == []
    assert out.getvalue() == f"{STAMP} stderr F last\n"


def test_stdout_and_stderr_are_framed_apart():
    w, out = writer()
    w.write("stdout", b"out-")
    w.write("stderr", b"err-")
    w.write("stderr", b"line\n")
    w.write("stdout", b"line\n")
    assert out.getvalue() == f"{STAMP} stderr F err-line\n{STAMP} stdout F out-line\n"


def test_crlf_line_ends_lose_their_cr():
    assert split_lines(b"", b"dos\r\nunix\n", final=False) == (["dos", "unix"], b"")


def test_a_character_split_between_chunks_stays_whole_and_bad_bytes_are_replaced():
    snow = "☃".encode()
    lines, rest = split_lines(b"", b"a" + snow[:1], final=False)
    assert (lines, rest) == ([], b"a" + snow[:1])
    assert split_lines(rest, snow[1:] + b"\n", final=False) == (["a☃"], b"")
    assert split_lines(b"", b"\xff\xfe ok\n", final=False) == (["\ufffd\ufffd ok"], b"")


def test_logs_reads_back_what_the_supervisor_writes(tmp_path: Path):
    path = tmp_path / "c.log"
    with path.open("a", encoding="utf-8") as fh:
        w = LogWriter(fh)
        w.write("stdout", b"first\nsec")
        w.write("stderr", b"oops\n")
        w.write("stdout", b"ond", final=True)
    read = [(line.stream, line.text) for line in logs.read(path)]
    assert read == [("stdout", "first"), ("stderr", "oops"), ("stdout", "second")]


def test_the_supervisor_needs_no_site_packages_and_not_the_engine():
    """It runs as ``python -S``: everything it imports must be the standard library or the
    bubblewrap package's own light modules."""
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys, rcontainer.backends.bwrap.supervisor\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('yaml', 'podman', 'platformdirs', 'click')"
        " or m.startswith(('rcontainer.engine', 'rcontainer.profile', 'rcontainer.cli')))\n"
        "print(' '.join(bad))\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(root), "LANG": "C.UTF-8"}
    proc = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env, cwd="/"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_an_endless_line_without_newline_is_written_in_partials_not_kept_in_memory(tmp_path: Path):
    from rcontainer.backends.bwrap.framing import MAX_LINE

    path = tmp_path / "c.log"
    with path.open("w") as out:
        w = LogWriter(out)
        for _ in range(10):
            w.write("stdout", "é".encode() * MAX_LINE)  # 2 bytes each: cuts fall inside characters
        assert len(w.pending["stdout"]) <= MAX_LINE, "memory stays bounded"
        w.write("stdout", b"end\n")
    (line,) = logs.read(path)
    assert line.text == "é" * MAX_LINE * 10 + "end", "read back whole, no character cut in two"


def test_the_log_is_rotated_at_its_cap_and_follow_goes_on_in_the_new_file(tmp_path: Path):
    path = tmp_path / "c.log"

    def rotate(current):
        current.close()
        os.replace(path, str(path) + ".old")
        return path.open("a")

    w = LogWriter(path.open("a"), max_bytes=1000, rotate=rotate)
    for i in range(100):
        w.write("stdout", f"line {i}\n".encode())
    assert path.stat().st_size <= 1100 and Path(str(path) + ".old").stat().st_size <= 1100
    assert logs.read(path)[-1].text == "line 99"
    current = len(path.read_text().splitlines())
    texts = [line.text for line in logs.read(path)]
    assert len(texts) > current, "the rotated part is read before the current file"
    assert texts == [f"line {i}" for i in range(100 - len(texts), 100)], "in order, without a gap"


def test_follow_keeps_a_partial_record_across_reads_and_survives_a_rotation(tmp_path: Path):
    path = tmp_path / "c.log"
    path.write_text("")
    stamp = "2026-12-01T00:00:00.000000000+00:00"
    seen: list[str] = []
    steps = iter(
        [
            lambda: path.open("a").write(f"{stamp} stdout P first half, \n"),
            lambda: path.open("a").write(f"{stamp} stdout F second half\n"),
            lambda: path.write_text(f"{stamp} stdout F after rotation\n"),
        ]
    )

    def keep_going() -> bool:
        step = next(steps, None)
        if step is None:
            return len(seen) < 2
        step()
        return True

    for line in logs.follow(path, keep_going=keep_going, interval=0.01):
        seen.append(line.text)
        if len(seen) == 2:
            break
    assert seen == ["first half, second half", "after rotation"]
