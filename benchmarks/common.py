"""Shared by the benchmark scripts: timing whole processes, repeats, and recording results.

Every figure a benchmark reports is measured in the same run on the same machine;
each script writes its numbers as JSON and appends a row to BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from experiments.manifest import environment

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
SHARED_MNIST = ROOT.parent / "shared" / "datasets" / "mnist"


def timed_process(args: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[float, str]:
    """Wall seconds of a whole process (start-up, imports and data loading included) and its stdout."""
    started = time.perf_counter()
    done = subprocess.run(list(args), capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=cwd)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"benchmark step failed ({done.returncode}): {shlex.join(args)}")
    return elapsed, done.stdout


def spread(values: Sequence[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": list(values)}


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def cnn_tune(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("cnn-tune")), *args]


def record(name: str, command: str, figures: dict[str, Any], summary: str) -> Path:
    """Write ``benchmarks/results/<name>-<time>.json`` and append a row to BENCHMARKS.md."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    env = environment()
    path = RESULTS / f"{name}-{now:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps({"name": name, "date": now.isoformat(), "command": command, "figures": figures, **env}, indent=2))
    hw, versions = env["hardware"], env["versions"]
    machine = f"{hw['cpu']}, {hw['cores']} cores, {hw['memory_gib']} GiB" + (f", {', '.join(hw['gpus'])}" if hw["gpus"] else ", no GPU")
    stack = f"ray {versions['ray']}, tensorflow {versions['tensorflow']}, keras {versions['keras']}"
    if not BENCHMARKS_MD.exists():
        BENCHMARKS_MD.write_text(
            "# Benchmark results\n\nOne row per run, appended by the scripts in `benchmarks/` "
            "(see benchmarks/README.md). JSON with every figure: `benchmarks/results/`.\n\n"
            "| date (UTC) | benchmark | command | machine | versions | result |\n| --- | --- | --- | --- | --- | --- |\n"
        )
    with BENCHMARKS_MD.open("a") as stream:
        stream.write(f"| {now:%Y-%m-%d %H:%M} | {name} | `{command}` | {machine} | {stack} | {summary} |\n")
    print(summary)
    print(f"recorded in {path.relative_to(ROOT)} and BENCHMARKS.md")
    return path
