"""Start-up of the commands people type: CPU time of each, and time to the first line of ``repmon score``.

    python bench/startup.py [--before /path/to/other/checkout] [--runs 5]

Each command runs ``--runs`` times in a fresh process against a temporary config with an
empty SQLite database at the current schema; the figure is the least CPU time (user +
system, ``resource.getrusage`` of the finished child) of the runs, the one least disturbed
by whatever else the machine does. ``repmon score`` gets one Chinese line on stdin and the
time until its answer arrives is measured (wall clock, from the start of the process);
stdin stays open meanwhile, as when a user types.

With ``--before``, the same runs use that checkout's code (``PYTHONPATH``), interleaved with
this one's, so both columns are measured under the same load. This checkout's runs use a
cache folder warmed by one run first (the steady state: the cache is built once per
machine); "cold" is its first run, with an empty cache folder.
"""

from __future__ import annotations

import argparse
import os
import resource
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPMON = Path(sys.executable).with_name("repmon")
COMMANDS = (["--help"], ["status"], ["incidents", "list"])
TEXT = "手镯之家的手镯戴了三天就断了，客服还推脱，太差了\n"


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_command(args: list[str], env: dict[str, str]) -> float:
    """CPU seconds of one ``repmon *args``."""
    before = child_cpu()
    done = subprocess.run([str(REPMON), *args], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"repmon {' '.join(args)} failed:\n{done.stderr}")
    return child_cpu() - before


def first_score(config: Path, env: dict[str, str]) -> tuple[float, float]:
    """(seconds until the first line of ``repmon score`` arrives, CPU seconds of the whole process)."""
    before = child_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen([str(REPMON), "score", "--config", str(config)], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdin and proc.stdout
    proc.stdin.write(TEXT)
    proc.stdin.flush()
    ready, _, _ = select.select([proc.stdout], [], [], 120)
    if not ready:
        proc.kill()
        raise SystemExit("repmon score gave no answer in 120 s")
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    proc.stdin.close()
    proc.wait()
    if '"sentiment"' not in line:
        raise SystemExit(f"repmon score: unexpected output {line!r}: {proc.stderr.read() if proc.stderr else ''}")
    return elapsed, child_cpu() - before


def environment(code: Path, cache: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(code), "REPMON_CACHE_DIR": str(cache)}


def make_config(folder: Path, env: dict[str, str]) -> Path:
    config = folder / "config.yaml"
    config.write_text(f"database: {{url: 'sqlite:///{folder / 'repmon.db'}'}}\n"
                      "brands:\n  - {id: shouzhuo, name: 手镯之家, keywords: {any: [手镯之家]}}\n", encoding="utf-8")
    subprocess.run([str(REPMON), "db", "upgrade", "--config", str(config)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return config


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, default=None, help="another checkout of repmon to compare with")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="repmon-startup-"))
    try:
        trees = {"this checkout": ROOT} | ({"before": args.before.resolve()} if args.before else {})
        envs = {name: environment(code, work / f"cache-{i}") for i, (name, code) in enumerate(trees.items())}
        configs = {}
        for i, (name, env) in enumerate(envs.items()):
            (work / f"db-{i}").mkdir()
            configs[name] = make_config(work / f"db-{i}", env)
        cold = first_score(configs["this checkout"], envs["this checkout"])  # empty cache: builds it

        rows: dict[str, dict[str, float]] = {name: {} for name in trees}
        for _ in range(args.runs):
            for name, env in envs.items():  # interleaved: both see the same load
                for command in COMMANDS:
                    label = "repmon " + " ".join(command)
                    extra = [] if command == ["--help"] else ["--config", str(configs[name])]
                    cpu = run_command([*command, *extra], env)
                    rows[name][label] = min(rows[name].get(label, 1e9), cpu)
                seconds, cpu = first_score(configs[name], env)
                rows[name]["repmon score: first line (s, wall)"] = min(rows[name].get("repmon score: first line (s, wall)", 1e9), seconds)
                rows[name]["repmon score: CPU"] = min(rows[name].get("repmon score: CPU", 1e9), cpu)

        names = list(trees)
        print(f"start-up, least of {args.runs} runs (CPU seconds unless marked); Python {sys.version.split()[0]}")
        print(f"{'':<38}" + "".join(f"{n:>16}" for n in reversed(names)) + ("   before/after" if len(names) == 2 else ""))
        for label in rows[names[0]]:
            values = [rows[n][label] for n in reversed(names)]
            ratio = f"{values[0] / values[1]:>13.1f}×" if len(values) == 2 and values[1] else ""
            print(f"{label:<38}" + "".join(f"{v:>16.3f}" for v in values) + ratio)
        print(f"\nthis checkout, empty cache folder: first score line after {cold[0]:.2f} s, {cold[1]:.2f} s CPU "
              "(builds jieba's dictionary cache and the models' weights once)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
