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
import shutil
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

RC = [sys.executable, "-m", "rcontainer"]
if shutil.which("rcontainer") and Path(shutil.which("rcontainer")).parent == Path(sys.executable).parent:
    RC = [shutil.which("rcontainer")]


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
    """Wall time and peak RSS (kB) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if check and code != 0:
        raise RuntimeError(f"{argv} exited {code}: {proc.stderr.read().decode()[-500:]}")
    proc.stderr.close()
    return elapsed, usage.ru_maxrss


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
            "100 ms budget",
            None,
            note=f"target <= 100 ms: {'met' if ours.median <= 0.1 else 'MISSED'}",
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
    rows.append(Row("`up` (podman class)", up_s, "`podman run -d`", prun, target=1.5))
    rows.append(Row("`down`", down_s, "`podman rm -f`", prm))
    rows.append(Row("`up` (podman class)", up_s, "`podman-compose up -d`", cup, target=0.5))
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
                r = rc("up", str(profile))
                rc("rm", "-f", "bw1")
                target = bw
            elif who == "pod":
                r = podman("run", "-d", "--name", "bench-p2", "--network", "none", image, "sleep", "1000")
                podman("rm", "-f", "-t", "0", "bench-p2")
                target = pod
            else:
                r = timed(raw_argv)
                target = raw
            if i > 0:
                target.seconds.append(r[0])
                target.max_rss_kb = max(target.max_rss_kb, r[1])
    rows.append(Row("`up` (bwrap class)", bw, "`podman run -d`", pod, target=1 / 3))
    rows.append(
        Row(
            "`up` (bwrap class)",
            bw,
            "raw `bwrap ... true`",
            raw,
            note="raw bwrap runs `true` and exits; rcontainer also writes the record and starts a supervisor",
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
        took = seq(
            lambda: podman("run", "-d", "--name", "bench-e4", "--network", "none", image, "sleep", "1000"),
            lambda: podman("exec", "bench-e4", "sh", "-c", "true"),
        )()
        podman("rm", "-f", "-t", "0", "bench-e4")
        return took

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
        took = seq(
            lambda: podman("run", "-d", "--name", "bench-d1", "--network", "host", image, "sleep", "1000"),
            lambda: podman("exec", "bench-d1", "sh", "-c", "true"),
        )()
        podman("rm", "-f", "-t", "0", "bench-d1")
        return took

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
    rows.append(Row(f"`ps` with {count} containers", ours, "`podman ps -a`", peer, target=1.5))
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


def render(rows: list[Row], runs: int, info: str) -> str:
    lines = [
        "# Benchmarks",
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
    return "\n".join(lines) + "\n"


def merge(old: str, new: str) -> str:
    """The old table with the rows measured now in place of the same rows (same rcontainer
    command and peer), new ones appended; a line under the table says which were updated."""

    def key(line: str) -> tuple[str, str]:
        cells = line.split(" | ")
        return (cells[0], cells[3]) if len(cells) > 3 else (line, "")

    fresh = [
        line for line in new.splitlines() if line.startswith("| ") and not line.startswith("| rcontainer |")
    ]
    if not old.strip():
        return new
    by_key = {key(line): line for line in fresh}
    lines, used = [], set()
    for line in old.splitlines():
        if line.startswith("Rows updated on their own"):
            continue
        k = key(line)
        if line.startswith("| ") and k in by_key:
            lines.append(by_key[k])
            used.add(k)
        else:
            lines.append(line)
    last_row = max(i for i, line in enumerate(lines) if line.startswith("| "))
    added = [line for line in fresh if key(line) not in used]
    lines[last_row + 1 : last_row + 1] = added
    header = next(line for line in new.splitlines() if line.startswith("Measured by"))
    lines += ["", "Rows updated on their own (`--only ... --update`): " + header.removeprefix("Measured by ")]
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--output", default=str(REPO / "BENCHMARKS.md"))
    parser.add_argument("--only", nargs="*", help="cli updown bwrap exec devshell ps scaling pull")
    parser.add_argument(
        "--update",
        action="store_true",
        help="replace only the rows measured now in the existing output file, keep the others",
    )
    args = parser.parse_args()
    only = set(args.only or ["cli", "updown", "bwrap", "exec", "devshell", "ps", "scaling", "pull"])
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
    harness.remove_scoped_containers("pytest-bench")
    with harness.podman_service() as service, harness.registry(work / "registry") as registry:
        os.environ["CONTAINER_HOST"] = service.url
        image = harness.ensure_busybox_image()
        version = harness.podman("--version").stdout.strip()
        info = f"{os.cpu_count()} cores, {version}, rootless as uid {os.getuid()}"
        steps = [
            ("cli", lambda: bench_cli(rows, args.runs)),
            ("updown", lambda: bench_up_down(rows, args.runs, image, work)),
            ("bwrap", lambda: bench_bwrap(rows, args.runs, image, work)),
            ("exec", lambda: bench_exec(rows, args.runs, image, work)),
            ("devshell", lambda: bench_devshell(rows, args.runs, image, work)),
            ("ps", lambda: bench_ps_many(rows, max(3, args.runs // 2), image, work)),
            ("scaling", lambda: bench_scaling(rows, image, work)),
            ("pull", lambda: bench_pull(rows, max(3, args.runs // 2), registry, work)),
        ]
        for key, step in steps:
            if key in only:
                print(f"== {key}", file=sys.stderr, flush=True)
                step()
        harness.remove_scoped_containers("pytest-bench")
    text = render(rows, args.runs, info)
    print(text)
    if args.update:
        existing = REPO / "BENCHMARKS.md"
        text = merge(existing.read_text() if existing.exists() else "", text)
    Path(args.output).write_text(text)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
