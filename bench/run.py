"""Benchmarks beside the peers, measured alternately in one run.

Run with ``scripts/bench.sh`` (it prepares the rootless user like the tests do). Prints a
table and writes BENCHMARKS.md. Figures are medians of several runs after a warm-up, with
min and max; each ratio compares rcontainer to its peer measured in the same run,
alternating, so machine noise hits both alike. Targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import harness  # noqa: E402

# rcontainer as its console script runs it, plus a report of its peak memory (VmHWM) at exit to
# the file RC_BENCH_HWM names: wait4's ru_maxrss cannot tell it, as a child's starts at the RSS of
# the process that forked it (this runner's) and keeps it across exec.
HWM = Path(tempfile.gettempdir()) / f"rc-bench-hwm-{os.getpid()}"
os.environ["RC_BENCH_HWM"] = str(HWM)
RC = [
    sys.executable,
    "-c",
    "import atexit, os, sys\n"
    "def hwm():\n"
    "    kb = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
    "    open(os.environ['RC_BENCH_HWM'], 'w').write(kb)\n"
    "atexit.register(hwm)\n"
    "from rcontainer.cli import main\n"
    "main(sys.argv[1:])",
]


@dataclass
class Sample:
    seconds: list[float] = field(default_factory=list)
    max_rss_kb: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass
class Row:
    what: str
    ours: Sample
    peer_name: str
    peer: Sample | None
    target: float | None = None  # ours/peer must be <= target
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.ours.median / self.peer.median if self.peer else None

    @property
    def verdict(self) -> str:
        if self.target is None or self.ratio is None:
            return ""
        return "met" if self.ratio <= self.target else f"MISSED (target <= {self.target:g}x)"


def timed(argv: list[str], env: dict | None = None, check: bool = True) -> tuple[float, int]:
    """Wall time and peak RSS (kB) of one command: rcontainer's own (``RC`` reports it), 0 for
    another command (wait4's figure would be this runner's)."""
    HWM.unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, _ = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if check and code != 0:
        raise RuntimeError(f"{argv} exited {code}: {proc.stderr.read().decode()[-500:]}")
    proc.stderr.close()
    try:
        return elapsed, int(HWM.read_text())
    except (OSError, ValueError):
        return elapsed, 0


def measure_pair(
    ours: Callable[[], tuple[float, int]],
    peer: Callable[[], tuple[float, int]] | None,
    runs: int,
    warmup: int = 1,
) -> tuple[Sample, Sample | None]:
    a, b = Sample(), Sample() if peer else None
    for i in range(warmup + runs):
        order = [(ours, a), (peer, b)] if i % 2 == 0 else [(peer, b), (ours, a)]
        for fn, sample in order:
            if fn is None or sample is None:
                continue
            seconds, rss = fn()
            if i >= warmup:
                sample.seconds.append(seconds)
                sample.max_rss_kb = max(sample.max_rss_kb, rss)
    return a, b


def rc(*args: str) -> tuple[float, int]:
    return timed([*RC, *args])


def podman(*args: str) -> tuple[float, int]:
    return timed(["podman", *args], env=harness.podman_env())


def write_profile(folder: Path, name: str, image: str, runtime: str = "default", command=None) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(
        json.dumps(
            {
                "name": name,
                "image": image,
                "pull": "never",
                "runtime": runtime,
                "command": command or ["sleep", "1000"],
                "network": {"mode": "none"},
                "stop_timeout": 0,
            }
        )
    )
    return path


def podman_run_and_exec(image: str, name: str, network: str) -> tuple[float, int]:
    """The peer of a dev shell from nothing: ``podman run -d`` then ``podman exec sh -c true``
    (timed together), then the container removed (not timed)."""
    took = seq(
        lambda: podman("run", "-d", "--name", name, "--network", network, image, "sleep", "1000"),
        lambda: podman("exec", name, "sh", "-c", "true"),
    )()
    podman("rm", "-f", "-t", "0", name)
    return took


def summed(*samples: Sample) -> Sample:
    """Run by run sums of samples taken in the same runs (``up`` then ``down`` of one run)."""
    out = Sample([sum(xs) for xs in zip(*(x.seconds for x in samples), strict=True)])
    out.max_rss_kb = max(x.max_rss_kb for x in samples)
    return out


def seq(*steps: Callable[[], tuple[float, int]]) -> Callable[[], tuple[float, int]]:
    def run() -> tuple[float, int]:
        total, peak = 0.0, 0
        for step in steps:
            s, r = step()
            total += s
            peak = max(peak, r)
        return total, peak

    return run


def bench_cli(rows: list[Row], runs: int) -> None:
    ours, peer = measure_pair(lambda: rc("--help"), lambda: podman("--help"), runs)
    rows.append(Row("`--help`", ours, "`podman --help`", peer))
    ours, peer = measure_pair(lambda: rc("ps"), lambda: podman("ps"), runs)
    rows.append(Row("`ps` (no containers)", ours, "`podman ps`", peer))
    env = {
        **os.environ,
        "_RCONTAINER_COMPLETE": "bash_complete",
        "COMP_WORDS": "rcontainer st",
        "COMP_CWORD": "1",
    }
    ours, _ = measure_pair(lambda: timed(RC, env=env), None, runs)
    rows.append(
        Row(
            "one completion request",
            ours,
            "50 ms budget",
            None,
            note=f"target <= 50 ms: {'met' if ours.median <= 0.05 else 'MISSED'}",
        )
    )
    help_ok = rows[0].ours.median <= 0.1
    rows[0].note = f"target <= 100 ms: {'met' if help_ok else 'MISSED'}"


def bench_up_down(rows: list[Row], runs: int, image: str, work: Path) -> None:
    profile = write_profile(work, "b1", image)
    compose = work / "compose" / "compose.yaml"
    compose.parent.mkdir(exist_ok=True)
    compose.write_text(
        f"services:\n  b1:\n    image: {image}\n    command: [sleep, '1000']\n"
        "    network_mode: none\n    stop_grace_period: 0s\n"
    )
    # up and down alternate with their peers so each measures a fresh create
    up_s, down_s, prun, prm, cup, cdown = Sample(), Sample(), Sample(), Sample(), Sample(), Sample()
    compose_cmd = ["podman-compose", "-f", str(compose), "-p", "benchcompose"]
    for i in range(runs + 1):
        for who in ["rc", "podman", "compose"] if i % 2 == 0 else ["compose", "podman", "rc"]:
            if who == "rc":
                a = rc("up", str(profile))
                b = rc("down", "b1")
                targets = (up_s, down_s)
            elif who == "podman":
                a = podman("run", "-d", "--name", "bench-p1", "--network", "none", image, "sleep", "1000")
                b = podman("rm", "-f", "-t", "0", "bench-p1")
                targets = (prun, prm)
            else:
                a = timed([*compose_cmd, "up", "-d"], env=harness.podman_env())
                b = timed([*compose_cmd, "down", "-t", "0"], env=harness.podman_env())
                targets = (cup, cdown)
            if i > 0:
                for sample, (sec, rss) in zip(targets, (a, b), strict=True):
                    sample.seconds.append(sec)
                    sample.max_rss_kb = max(sample.max_rss_kb, rss)
    both, pboth = summed(up_s, down_s), summed(prun, prm)
    rows.append(
        Row("`up` + `down` (podman class)", both, "`podman run -d` + `podman rm -f -t 0`", pboth, 1.0)
    )
    rows.append(Row("`up` (podman class)", up_s, "`podman run -d`", prun))
    rows.append(Row("`down`", down_s, "`podman rm -f`", prm))
    rows.append(Row("`up` (podman class)", up_s, "`podman-compose up -d`", cup))
    rows.append(Row("`down`", down_s, "`podman-compose down`", cdown))


def bench_bwrap(rows: list[Row], runs: int, image: str, work: Path) -> None:
    profile = write_profile(work, "bw1", image, runtime="bwrap")
    try:
        first = rc("up", str(profile))  # builds the root filesystem cache once
        rc("down", "bw1")
    except RuntimeError as exc:
        rows.append(Row("`up` (bwrap class)", Sample([float("nan")]), "-", None, note=f"not measured: {exc}"))
        return
    del first
    rootfs = next(
        (p for p in (Path(os.environ["RCONTAINER_CACHE_DIR"]) / "rootfs").iterdir() if p.is_dir()), None
    )
    bw, pod, raw = Sample(), Sample(), Sample()
    raw_argv = [
        "bwrap",
        "--unshare-all",
        "--die-with-parent",
        "--ro-bind",
        str(rootfs),
        "/",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "/bin/sh",
        "-c",
        "true",
    ]
    for i in range(runs + 1):
        order = ["bw", "pod", "raw"] if i % 2 == 0 else ["raw", "pod", "bw"]
        for who in order:
            if who == "bw":
                r = seq(lambda: rc("up", str(profile)), lambda: rc("rm", "-f", "bw1"))()
                target = bw
            elif who == "pod":
                r = seq(
                    lambda: podman(
                        "run", "-d", "--name", "bench-p2", "--network", "none", image, "sleep", "1000"
                    ),
                    lambda: podman("rm", "-f", "-t", "0", "bench-p2"),
                )()
                target = pod
            else:
                r = timed(raw_argv)
                target = raw
            if i > 0:
                target.seconds.append(r[0])
                target.max_rss_kb = max(target.max_rss_kb, r[1])
    rows.append(Row("`up` + `rm -f` (bwrap class)", bw, "`podman run -d` + `podman rm -f -t 0`", pod, 1 / 3))
    rows.append(
        Row(
            "`up` + `rm -f` (bwrap class)",
            bw,
            "raw `bwrap ... true`",
            raw,
            note="raw bwrap runs `true` and exits; rcontainer also writes the record, starts a supervisor and removes",
        )
    )


def bench_exec(rows: list[Row], runs: int, image: str, work: Path) -> None:
    """exec of ``true`` into a running container, and a dev shell from nothing (``up`` then
    ``shell -c true``), beside ``podman exec`` into a container of the same image. The
    differences are tens of milliseconds: run it with ``--runs 15`` or more."""
    pm = write_profile(work, "e1", image)
    bw = write_profile(work, "e2", image, runtime="bwrap")
    rc("up", str(pm))
    rc("up", str(bw))
    podman("run", "-d", "--name", "bench-e3", "--network", "none", image, "sleep", "1000")
    peer = lambda: podman("exec", "bench-e3", "true")  # noqa: E731
    ours, theirs = measure_pair(lambda: rc("exec", "e1", "true"), peer, runs)
    rows.append(Row("`exec NAME true` (podman class)", ours, "`podman exec NAME true`", theirs, target=1.0))
    ours, theirs = measure_pair(lambda: rc("exec", "e2", "true"), peer, runs)
    rows.append(Row("`exec NAME true` (bwrap class)", ours, "`podman exec NAME true`", theirs, target=0.5))
    rc("down", "e1")
    rc("down", "e2")
    podman("rm", "-f", "-t", "0", "bench-e3")

    def podman_from_nothing() -> tuple[float, int]:
        return podman_run_and_exec(image, "bench-e4", "none")

    for profile, what in ((pm, "podman class"), (bw, "bwrap class")):

        def from_nothing(profile: Path = profile) -> tuple[float, int]:
            took = seq(lambda: rc("up", str(profile)), lambda: rc("shell", profile.stem, "-c", "true"))()
            rc("down", profile.stem)
            return took

        ours, theirs = measure_pair(from_nothing, podman_from_nothing, runs)
        rows.append(
            Row(
                f"dev shell from nothing: `up` + `shell -c true` ({what})",
                ours,
                "`podman run -d` + `podman exec`",
                theirs,
                note="`toolbox run true`: 1.0 s as published in toolbox issue 1070 (another machine)",
            )
        )


def bench_devshell(rows: list[Row], runs: int, image: str, work: Path) -> None:
    """Dev shells (issue 20): from nothing (image present, no profile, no container) to a prompt
    with ``shell --image IMAGE -c true``, and into an existing box with ``shell NAME -c true``,
    each family, beside ``podman run -d`` + ``podman exec`` and ``podman exec`` measured in the
    same run. Targets: from nothing <= 0.3 s (bwrap), <= 0.5 s (Podman); existing <= podman exec."""
    os.environ.setdefault("RCONTAINER_DATA_DIR", str(work / "xdg" / "data"))
    profiles = Path(os.environ["RCONTAINER_CONFIG_DIR"]) / "profiles"

    def forget(name: str) -> None:
        timed([*RC, "down", name], check=False)
        timed([*RC, "rm", "--purge", name], check=False)
        (profiles / f"{name}.yaml").unlink(missing_ok=True)

    def podman_from_nothing() -> tuple[float, int]:
        return podman_run_and_exec(image, "bench-d1", "host")

    podman("run", "-d", "--name", "bench-d2", "--network", "host", image, "sleep", "1000")
    for runtime, name, goal in (("default", "dsp", 0.5), ("bwrap", "dsb", 0.3)):
        what = "podman class" if runtime == "default" else "bwrap class"
        shell = ("shell", "--image", image, "--name", name, "--runtime", runtime, "-c", "true")

        def from_nothing(name: str = name, shell: tuple[str, ...] = shell) -> tuple[float, int]:
            forget(name)
            return rc(*shell)

        ours, theirs = measure_pair(from_nothing, podman_from_nothing, runs)
        met = "met" if ours.median <= goal else "MISSED"
        rows.append(
            Row(
                f"dev shell from nothing: `shell --image IMAGE -c true` ({what})",
                ours,
                "`podman run -d` + `podman exec`",
                theirs,
                note=f"target <= {goal} s: {met}; `toolbox run true`: 1.0 s (toolbox issue 1070, another machine)",
            )
        )
        rc(*shell)  # the box exists and runs
        ours, theirs = measure_pair(
            lambda name=name: rc("shell", name, "-c", "true"),
            lambda: podman("exec", "bench-d2", "true"),
            runs,
        )
        rows.append(
            Row(
                f"dev shell, existing box: `shell NAME -c true` ({what})",
                ours,
                "`podman exec NAME true`",
                theirs,
                target=1.0,
            )
        )
        forget(name)
    podman("rm", "-f", "-t", "0", "bench-d2")


def bench_ps_many(rows: list[Row], runs: int, image: str, work: Path, count: int = 100) -> None:
    folder = work / "many"
    folder.mkdir(exist_ok=True)
    for i in range(count):
        rc("create", str(write_profile(folder, f"m{i:03d}", image)))
    ours, peer = measure_pair(lambda: rc("ps"), lambda: podman("ps", "-a"), runs)
    rows.append(Row(f"`ps` with {count} containers", ours, "`podman ps -a`", peer, target=1.0))
    for i in range(count):
        rc("rm", "-f", f"m{i:03d}")


def bench_scaling(rows: list[Row], image: str, work: Path) -> None:
    for n in (1, 10, 50):
        folder = work / f"scale{n}"
        folder.mkdir(exist_ok=True)
        profiles = [write_profile(folder, f"s{n}-{i}", image) for i in range(n)]
        ours = seq(
            *[(lambda p=p: rc("up", str(p))) for p in profiles],
            *[(lambda p=p: rc("down", p.stem)) for p in profiles],
        )
        peer = seq(
            *[
                (
                    lambda i=i, n=n: podman(
                        "run", "-d", "--name", f"bench-s{n}-{i}", "--network", "none", image, "sleep", "1000"
                    )
                )
                for i in range(n)
            ],
            *[(lambda i=i, n=n: podman("rm", "-f", "-t", "0", f"bench-s{n}-{i}")) for i in range(n)],
        )
        a, b = measure_pair(ours, peer, runs=1, warmup=0)
        rows.append(Row(f"up+down of {n} containers", a, "`podman run -d` + `rm -f`", b))


def project_folder(work: Path, name: str, image: str, count: int, chain: bool = False) -> Path:
    """A project folder of ``count`` profiles (network none), each depending on the one before
    with ``chain`` (``service_healthy``, a healthcheck that passes at once)."""
    folder = work / name
    folder.mkdir(exist_ok=True)
    for i in range(count):
        data: dict = {
            "name": f"p{i}",
            "image": image,
            "pull": "never",
            "command": ["sleep", "1000"],
            "network": {"mode": "none"},
            "stop_timeout": 0,
        }
        if chain:
            data["healthcheck"] = {"test": "true", "interval": "1s", "retries": 3}
            if i:
                data["depends_on"] = {f"p{i - 1}": {"condition": "service_healthy"}}
        (folder / f"p{i}.yaml").write_text(json.dumps(data))
    return folder


def compose_file(work: Path, name: str, image: str, count: int, chain: bool = False) -> Path:
    lines = ["services:"]
    for i in range(count):
        lines += [
            f"  p{i}:",
            f"    image: {image}",
            "    command: [sleep, '1000']",
            "    network_mode: none",
            "    stop_grace_period: 0s",
        ]
        if chain:
            lines += ["    healthcheck: {test: [CMD, 'true'], interval: 1s, retries: 3}"]
            if i:
                lines += [f"    depends_on: {{p{i - 1}: {{condition: service_healthy}}}}"]
    path = work / name / "compose.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def bench_project(rows: list[Row], runs: int, image: str, work: Path) -> None:
    """``up`` of a project folder: 5 profiles without dependencies (started side by side),
    beside 5 ``podman run -d`` in sequence and ``podman-compose up -d``; and a 3-level chain
    whose links wait for the one before to be healthy, beside ``podman run -d`` and ``podman
    healthcheck run`` in turn (what waiting for healthy takes at least) and podman-compose."""
    for count, chain, label in ((5, False, "5-profile project"), (3, True, "3-level chain, healthchecks")):
        name = f"proj{count}{'c' if chain else ''}"
        folder = project_folder(work, name, image, count, chain)
        compose = compose_file(work, f"{name}-compose", image, count, chain)
        cmd = ["podman-compose", "-f", str(compose), "-p", f"bench{name}"]
        ours_s, seq_s, cup_s = Sample(), Sample(), Sample()
        compose_stuck = False

        def podman_seq(name: str = name, count: int = count, chain: bool = chain) -> tuple[float, int]:
            steps = []
            for i in range(count):
                health = ["--health-cmd", "true", "--health-interval", "1s"] if chain else []
                argv = ["run", "-d", "--name", f"bench-{name}-{i}", "--network", "none", *health, image]
                steps.append(lambda argv=argv: podman(*argv, "sleep", "1000"))
                if chain and i < count - 1:
                    steps.append(lambda i=i: podman("healthcheck", "run", f"bench-{name}-{i}"))
            return seq(*steps)()

        for i in range(runs + 1):
            for who in ["rc", "seq", "compose"] if i % 2 == 0 else ["compose", "seq", "rc"]:
                if who == "rc":
                    r, sample = rc("up", str(folder)), ours_s
                    rc("down", str(folder))
                elif who == "seq":
                    r, sample = podman_seq(), seq_s
                    for j in range(count):
                        podman("rm", "-f", "-t", "0", f"bench-{name}-{j}")
                elif compose_stuck:
                    continue
                else:
                    r, sample = compose_up(cmd), cup_s
                    timed([*cmd, "down", "-t", "0"], env=harness.podman_env())
                    if r is None:  # it waits for a health status nothing produces: stop measuring it
                        compose_stuck = True
                        continue
                if i > 0:
                    sample.seconds.append(r[0])
                    sample.max_rss_kb = max(sample.max_rss_kb, r[1])
        if chain:
            peer_name = f"{count} × (`podman run -d` + `podman healthcheck run`)"
            rows.append(Row(f"`up` of a {label}", ours_s, peer_name, seq_s))
        else:
            rows.append(
                Row(f"`up` of a {label}", ours_s, f"{count} × `podman run -d` in sequence", seq_s, 0.5)
            )
        if compose_stuck:
            cup_s = Sample([float("nan")])
            note = (
                f"not measured: podman-compose waited more than {COMPOSE_LIMIT:.0f} s for a healthy status "
                "(`podman wait --condition=healthy`), which nothing produces here (no systemd timers)"
            )
        else:
            note = "podman-compose 1.0.3 ignores `condition:` (starts in order)" if chain else ""
        rows.append(Row(f"`up` of a {label}", ours_s, "`podman-compose up -d`", cup_s, note=note))


COMPOSE_LIMIT = 60.0


def compose_up(cmd: list[str]) -> tuple[float, int] | None:
    """``podman-compose up -d``'s wall time, None when it has not ended within COMPOSE_LIMIT (a
    newer podman-compose waits for health, which needs Podman's systemd timers): then it and
    what it started are stopped."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, "up", "-d"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=harness.podman_env(),
        start_new_session=True,
    )
    try:
        code = proc.wait(timeout=COMPOSE_LIMIT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None
    if code != 0:
        raise RuntimeError(f"{cmd} up -d exited {code}")
    return time.perf_counter() - start, 0


@dataclass
class Breakdown:
    """Where one command's wall-clock time goes: interpreter start, imports, REST calls, the rest."""

    what: str
    wall: Sample
    interpreter: float
    imports_ms: float
    top_imports: list[tuple[str, float]]
    calls: list[tuple[str, float]]  # (METHOD path, ms) in order

    def cells(self) -> str:
        wall = self.wall.median * 1000
        rest_ms = sum(ms for _, ms in self.calls)
        other = max(0.0, wall - self.interpreter * 1000 - self.imports_ms - rest_ms)
        tops = ", ".join(f"{name} {ms:.0f}" for name, ms in self.top_imports)
        calls = "; ".join(f"{call} {ms:.1f}" for call, ms in self.calls) or "none"
        return (
            f"| {self.what} | {wall:.0f} ms | {self.interpreter * 1000:.0f} ms | {self.imports_ms:.0f} ms ({tops}) "
            f"| {len(self.calls)}: {rest_ms:.0f} ms | {other:.0f} ms | {self.wall.max_rss_kb / 1024:.0f} MB | {calls} |"
        )


def traced(argv: list[str], env: dict | None = None) -> tuple[float, list[tuple[str, float]], list]:
    """One run with ``-X importtime`` and RCONTAINER_TRACE=1: the modules the command imported
    beyond the bare interpreter's (each with what it imported; the three costliest returned), and
    its REST calls. The imports' total is then measured apart, by importing the same modules in a
    fresh interpreter without importtime's bookkeeping (which inflates its own figures)."""
    env = {**(env or os.environ), "RCONTAINER_TRACE": "1", "PYTHONPROFILEIMPORTTIME": "1"}
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    tops, calls, started = [], [], False
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.split("|")
            started = started or name.strip().startswith(("runpy", "rcontainer"))
            if started and not name.startswith("  "):  # top level, with what it imported
                tops.append((name.strip(), int(cumulative) / 1000))
        elif line.startswith("rcontainer: trace: "):
            words = line.removeprefix("rcontainer: trace: ").split()
            path = re.sub(r"[0-9a-f]{64}", "ID", words[1])
            calls.append((f"{words[0]} {path}", float(words[3])))
    names = [name for name, _ in tops]
    code = f"import importlib,time\nt=time.perf_counter()\nfor m in {names!r}: importlib.import_module(m)\nprint(time.perf_counter()-t)"
    clean = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout or 0)
        for _ in range(3)
    ]
    tops.sort(key=lambda t: -t[1])
    return statistics.median(clean) * 1000, calls, tops[:3]


def bench_breakdown(out: list[Breakdown], runs: int, image: str, work: Path) -> None:
    """Each hot path's time taken apart: median wall time and peak RSS over ``runs`` runs, then
    one run under ``-X importtime`` and RCONTAINER_TRACE=1 (the import times it reports are
    inflated by its own bookkeeping; the REST calls' are not)."""
    interpreter = statistics.median(timed([sys.executable, "-c", "pass"])[0] for _ in range(runs))
    pm, bw = write_profile(work, "t1", image), write_profile(work, "t2", image, runtime="bwrap")
    complete = {
        **os.environ,
        "_RCONTAINER_COMPLETE": "bash_complete",
        "COMP_WORDS": "rcontainer exec ",
        "COMP_CWORD": "2",
    }

    def one(what: str, argv: list[str], env: dict | None = None, before=None, after=None) -> None:
        wall = Sample()
        for _ in range(runs):
            if before:
                before()
            seconds, rss = timed([*RC, *argv], env=env)
            wall.seconds.append(seconds)
            wall.max_rss_kb = max(wall.max_rss_kb, rss)
            if after:
                after()
        if before:
            before()
        imports_ms, calls, tops = traced([sys.executable, "-m", "rcontainer", *argv], env)
        if after:
            after()
        out.append(Breakdown(what, wall, interpreter, imports_ms, tops, calls))

    one("`--help`", ["--help"])
    one("one completion request (`exec `)", [], env=complete)
    rc("up", str(pm))
    rc("up", str(bw))
    one("`ps` (2 containers)", ["ps"])
    one("`exec NAME true` (podman class)", ["exec", "t1", "true"])
    one("`exec NAME true` (bwrap class)", ["exec", "t2", "true"])
    one("`down` (podman class)", ["down", "t1"], before=lambda: rc("up", str(pm)))
    one("`up` (podman class, fresh)", ["up", str(pm)], after=lambda: rc("down", "t1"))
    rc("up", str(pm))
    one("`up` (podman class, up to date)", ["up", str(pm)])
    rc("down", "t1")
    rc("rm", "-f", "t2")
    one("`up` (bwrap class, fresh)", ["up", str(bw)], after=lambda: rc("rm", "-f", "t2"))


def bench_pull(rows: list[Row], runs: int, registry: harness.Registry, work: Path) -> None:
    image = big_image(work)
    if image is None:
        rows.append(
            Row(
                "`pull` (large image)",
                Sample([float("nan")]),
                "`podman pull`",
                None,
                note="not measured: debootstrap could not make the image",
            )
        )
        return
    remote = registry.ref("bench/debian:bookworm")
    size = harness.podman("image", "inspect", image, "--format", "{{.Size}}").stdout.strip()
    harness.push(image, remote)
    # drop the local copy too: every pull below must fetch every layer from the registry
    harness.podman("rmi", "-f", image)

    def clean() -> None:
        harness.podman("rmi", "-f", remote, check=False)

    def ours() -> tuple[float, int]:
        clean()
        return rc("pull", "-q", remote)

    def peer() -> tuple[float, int]:
        clean()
        return podman("pull", "-q", "--tls-verify=false", remote)

    a, b = measure_pair(ours, peer, runs)
    rows.append(Row("`pull` (Debian, %.0f MB)" % (int(size) / 1e6), a, "`podman pull`", b, target=1.1))
    clean()


def big_image(work: Path) -> str | None:
    """A Debian root filesystem made with debootstrap, imported once and kept in storage."""
    image = "localhost/rcontainer/bench-debian:bookworm"
    if harness.podman("image", "exists", image, check=False).returncode == 0:
        return image
    tarball = Path(
        os.environ.get("RC_BENCH_ROOTFS", Path.home() / ".cache" / "rcontainer-bench" / "debian.tar")
    )
    if not tarball.exists():
        return None
    harness.podman("import", str(tarball), image)
    return image


def fmt(s: Sample | None) -> str:
    if s is None or not s.seconds:
        return "-"
    if any(x != x for x in s.seconds):
        return "n/a"
    return f"{s.median * 1000:.0f} ms ({min(s.seconds) * 1000:.0f}–{max(s.seconds) * 1000:.0f})"


INTRO = (
    "# Benchmarks\n\nWritten by `scripts/bench.sh` (`--podman 5`: in the Podman 5 bed, scripts/bed.sh), "
    "one section per Podman version. Ratios below 1 mean rcontainer is faster; targets are issue 19's."
)
BREAKDOWN_HEAD = [
    "| command | wall (median) | interpreter | imports (top 3, ms) | REST calls: total | the rest | peak RSS "
    "| REST calls (ms each) |",
    "|---|---|---|---|---|---|---|---|",
]


def render(rows: list[Row], runs: int, info: str, version: str, breakdown: list[Breakdown]) -> str:
    """This run's section (``## Podman VERSION``) under the file's title."""
    lines = [
        INTRO,
        "",
        f"## Podman {version}",
        "",
        f"Measured by `scripts/bench.sh` on {info}. Each figure: median of {runs} runs after a warm-up "
        "(min–max in brackets); rcontainer and its peer run alternately in the same session. "
        "Peak RSS is rcontainer's own process. Ratios below 1 mean rcontainer is faster.",
        "",
        "| rcontainer | median (min–max) | peak RSS | peer | peer median (min–max) | ratio | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None and r.ratio == r.ratio else "-"
        verdict = r.verdict or r.note
        lines.append(
            f"| {r.what} | {fmt(r.ours)} | {r.ours.max_rss_kb / 1024:.0f} MB | {r.peer_name} | "
            f"{fmt(r.peer)} | {ratio} | {verdict} |"
        )
    if breakdown:
        lines += [
            "",
            f"### Where the time goes (Podman {version})",
            "",
            "Wall time and peak RSS: medians of the runs; interpreter: `python -c pass`; imports: the modules "
            "the command imported (found by one run under `python -X importtime`, whose inflated figures name "
            "the top 3) imported again in a fresh interpreter; REST calls: that run's `RCONTAINER_TRACE=1`; the "
            "rest: what is left (rcontainer's own work, a supervisor's start, bwrap, the process's exit).",
            "",
            *BREAKDOWN_HEAD,
            *(b.cells() for b in breakdown),
        ]
    return "\n".join(lines) + "\n"


def sections(text: str) -> dict[str, list[str]]:
    """The ``## Podman X`` sections of a BENCHMARKS.md by major version (a file of an older layout
    has none: its rows are dropped)."""
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("## Podman "):
            current = line.removeprefix("## Podman ").split(".")[0]
            out[current] = []
        if current is not None:
            out[current].append(line)
    return out


def merge(old: str, new: str, update: bool) -> str:
    """The old file with this run's section in place of the same Podman version's section, or
    (``update``) with the rows measured now in place of the same rows (same rcontainer command
    and peer) of that section, new ones appended, and its breakdown replaced when measured now;
    a line under the table says which rows were updated."""
    ((major, fresh),) = sections(new).items()
    known = sections(old)
    if update and major in known:
        fresh = merge_rows(known[major], fresh)
    known[major] = fresh
    body = ["\n".join(lines).strip("\n") for _, lines in sorted(known.items())]
    return "\n\n".join([INTRO, *body]) + "\n"


def merge_rows(old: list[str], new: list[str]) -> list[str]:
    def key(line: str) -> tuple[str, str]:
        cells = line.split(" | ")
        return (cells[0], cells[3]) if len(cells) > 3 else (line, "")

    def split(lines: list[str]) -> tuple[list[str], list[str]]:
        at = next(
            (i for i, line in enumerate(lines) if line.startswith("### Where the time goes")), len(lines)
        )
        return lines[:at], lines[at:]

    old_main, old_breakdown = split(old)
    new_main, new_breakdown = split(new)
    fresh = [line for line in new_main if line.startswith("| ") and not line.startswith("| rcontainer |")]
    by_key = {key(line): line for line in fresh}
    lines, used = [], set()
    for line in old_main:
        if line.startswith("Rows updated on their own"):
            continue
        k = key(line)
        if line.startswith("| ") and k in by_key:
            lines.append(by_key[k])
            used.add(k)
        else:
            lines.append(line)
    while lines and not lines[-1].strip():
        lines.pop()
    last_row = max(i for i, line in enumerate(lines) if line.startswith("| "))
    lines[last_row + 1 : last_row + 1] = [line for line in fresh if key(line) not in used]
    header = next(line for line in new_main if line.startswith("Measured by"))
    kept = [line for line in old_main if line.startswith("| ") and "| rcontainer |" not in line]
    if all(key(line) in by_key for line in kept):  # every row measured now: the section is this run's
        return new_main + (new_breakdown or old_breakdown)
    lines += [
        "",
        "Rows updated on their own (`--only ... --update`): " + header.removeprefix("Measured by "),
        "",
    ]
    return lines + (new_breakdown or old_breakdown)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--output", default=str(REPO / "BENCHMARKS.md"))
    parser.add_argument(
        "--only", nargs="*", help="cli updown bwrap exec devshell ps scaling project pull breakdown"
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="replace only the rows measured now in this Podman version's section, keep the others",
    )
    args = parser.parse_args()
    only = set(
        args.only
        or ["cli", "updown", "bwrap", "exec", "devshell", "ps", "scaling", "project", "pull", "breakdown"]
    )
    work = Path(tempfile.mkdtemp(prefix="rc-bench-"))
    for key, sub in (
        ("RCONTAINER_CONFIG_DIR", "config"),
        ("RCONTAINER_STATE_DIR", "state"),
        ("RCONTAINER_CACHE_DIR", "cache"),
    ):
        os.environ[key] = str(work / "xdg" / sub)
    os.environ["RCONTAINER_SCOPE"] = "pytest-bench"
    os.environ["RCONTAINER_NO_AUTOSTART"] = "1"
    rows: list[Row] = []
    breakdown: list[Breakdown] = []
    harness.remove_scoped_containers("pytest-bench")
    with harness.podman_service() as service, harness.registry(work / "registry") as registry:
        os.environ["CONTAINER_HOST"] = service.url
        image = harness.ensure_busybox_image()
        version = harness.podman("--version").stdout.strip()
        info = f"{os.cpu_count()} cores, {version}, rootless as uid {os.getuid()}"
        version = version.split()[-1]
        steps = [
            ("cli", lambda: bench_cli(rows, args.runs)),
            ("updown", lambda: bench_up_down(rows, args.runs, image, work)),
            ("bwrap", lambda: bench_bwrap(rows, args.runs, image, work)),
            ("exec", lambda: bench_exec(rows, args.runs, image, work)),
            ("devshell", lambda: bench_devshell(rows, args.runs, image, work)),
            ("ps", lambda: bench_ps_many(rows, max(3, args.runs // 2), image, work)),
            ("scaling", lambda: bench_scaling(rows, image, work)),
            ("project", lambda: bench_project(rows, max(3, args.runs // 2), image, work)),
            ("pull", lambda: bench_pull(rows, max(3, args.runs // 2), registry, work)),
            ("breakdown", lambda: bench_breakdown(breakdown, args.runs, image, work)),
        ]
        for key, step in steps:
            if key in only:
                print(f"== {key}", file=sys.stderr, flush=True)
                step()
        harness.remove_scoped_containers("pytest-bench")
    text = render(rows, args.runs, info, version, breakdown)
    print(text)
    existing = REPO / "BENCHMARKS.md"
    text = merge(existing.read_text() if existing.exists() else "", text, args.update)
    Path(args.output).write_text(text)
    shutil.rmtree(work, ignore_errors=True)
    HWM.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
