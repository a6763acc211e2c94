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
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from experiments.manifest import environment

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
SHARED_MNIST = ROOT.parent / "shared" / "datasets" / "mnist"


def timed_process(
    args: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None, watch: Callable[[int], None] | None = None
) -> tuple[float, str]:
    """Wall seconds of a whole process (start-up, imports and data loading included) and its stdout.

    ``watch(pid)``, if given, runs in a thread while the process runs (to sample its memory)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}, cwd=cwd
    )
    watcher = threading.Thread(target=watch, args=(process.pid,), daemon=True) if watch else None
    if watcher:
        watcher.start()
    stdout, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    if watcher:
        watcher.join()
    if process.returncode != 0:
        sys.stderr.write(stdout[-3000:] + stderr[-3000:])
        raise SystemExit(f"benchmark step failed ({process.returncode}): {shlex.join(args)}")
    return elapsed, stdout


class PeakMemory:
    """Peak resident memory of a process (the driver) and of its largest Ray worker, sampled."""

    def __init__(self, every_s: float = 0.2) -> None:
        self.every_s, self.driver, self.worker = every_s, 0, 0

    def __call__(self, pid: int) -> None:
        import psutil

        try:
            driver = psutil.Process(pid)
            while driver.is_running() and driver.status() != psutil.STATUS_ZOMBIE:
                self.driver = max(self.driver, driver.memory_info().rss)
                for child in driver.children(recursive=True):
                    try:
                        if child.name().startswith("ray::") and "IDLE" not in child.name():
                            self.worker = max(self.worker, child.memory_info().rss)
                    except psutil.Error:
                        pass
                time.sleep(self.every_s)
        except psutil.Error:
            pass


BOOTSTRAP_RESAMPLES = 10_000


def spread(values: Sequence[float]) -> dict[str, Any]:
    """Median with its bootstrap 95% interval (percentile method, 10,000 resamples, seeded so a
    rerun of the same figures gives the same interval), and min, max and every run beside it.

    With 5 or fewer runs the interval is the min-max: too few runs to say more."""
    import numpy as np

    runs = np.asarray(values, dtype=float)
    resampled = np.random.default_rng(0).choice(runs, size=(BOOTSTRAP_RESAMPLES, len(runs)))
    low, high = np.percentile(np.median(resampled, axis=1), [2.5, 97.5])
    return {"median": statistics.median(values), "low": float(low), "high": float(high),
            "min": min(values), "max": max(values), "runs": list(values)}


def shown(found: dict[str, Any], spec: str = ".2f") -> str:
    """"1.02 [0.98-1.04]": a median and its interval, as every summary line prints them
    ("[-0.50 to +0.75]" where a bound is negative)."""
    between = " to " if found["low"] < 0 else "-"
    return f"{found['median']:{spec}} [{found['low']:{spec}}{between}{found['high']:{spec}}]"


def outcome(found: dict[str, Any], goal: float, at_least: bool = False) -> str:
    """Met only when the whole interval is on the goal's side (at or below it; at or above it for
    an ``at_least`` goal), missed when all of it is on the other side, open when it straddles it."""
    met = found["low"] >= goal if at_least else found["high"] <= goal
    missed = found["high"] < goal if at_least else found["low"] > goal
    return "met" if met else "missed" if missed else "open (interval straddles the goal)"


def verdict(found: dict[str, Any], goal: float, at_least: bool = False) -> str:
    """"1.02 [0.98-1.04], goal <= 1.05: met" (">=" for an ``at_least`` goal)."""
    return f"{shown(found)}, goal {'>=' if at_least else '<='} {goal:g}: {outcome(found, goal, at_least)}"


def plain_fits(spec: Any, configs: Sequence[dict[str, Any]], started: float) -> list[list[float]]:
    """The loop a user writes by hand on the images a sweep of ``spec`` trains on: ``model.fit`` of
    the seed CNN for each configuration in turn (batch 32); each one's epoch end times in seconds
    since ``started``. Call after ``trainables.backend.configure``, which must run before Keras loads."""
    import keras

    from experiments.tuner import prepare_data, train_settings
    from trainables.cnn import build_model
    from trainables.hyperparameters import Hyperparameters

    data, settings = prepare_data(spec), train_settings(spec)
    ((train, val),) = data.folds
    x, y, validation = data.pool.take(train).x, data.pool.y[train], (data.pool.take(val).x, data.pool.y[val])
    ends: list[list[float]] = []
    for config in configs:
        keras.utils.set_random_seed(0)
        model = build_model(Hyperparameters(batch_size=32, **config), settings, data.input_shape, 10)
        ends.append([])
        stamp = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: ends[-1].append(time.time() - started))
        model.fit(x, y, batch_size=32, epochs=spec.train.max_epochs, validation_data=validation, verbose=0, callbacks=[stamp])
    return ends


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def cnn_tune(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("cnn-tune")), *args]


def run_sweep(
    experiment: Path, *extra: str, code: Path | None = None, watch: Callable[[int], None] | None = None
) -> tuple[float, Any, Any, Path, float]:
    """Wall seconds, results and history (DataFrames) of one `cnn-tune run`, its folder, and when it
    started (epoch seconds). The folder is kept for the caller to read; it lives in the system's temp.
    ``code``: another checkout to run (Ray's workers import the driver's working directory first);
    ``watch``: as for ``timed_process``."""
    import pandas as pd

    storage = Path(tempfile.mkdtemp(prefix="bench-"))
    started = time.time()
    command = cnn_tune("run", str(experiment), "--storage", str(storage), "--name", "run", "--verbose", "0", *extra)
    seconds, _ = timed_process(command, env={"PYTHONPATH": str(code)} if code else None, cwd=code, watch=watch)
    (run_dir,) = storage.iterdir()  # "run", or "run-smoke" under --smoke
    return seconds, pd.read_csv(run_dir / "results.csv"), pd.read_csv(run_dir / "history.csv"), run_dir, started


@contextmanager
def checkout(revision: str | None) -> Iterator[Path | None]:
    """The code at ``revision`` in a temporary git worktree, removed afterwards; None for no revision."""
    if revision is None:
        yield None
        return
    worktree = Path(tempfile.mkdtemp(prefix="before-")) / "code"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(worktree), revision], check=True, capture_output=True)
    try:
        yield worktree
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=True)


def command_line(variables: str = "") -> str:
    """The command this process was started with, as a user would type it from the repository's root:
    what a row of BENCHMARKS.md names, reduced flags and all (``variables``: the environment it needs, first)."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(ROOT) if script.is_relative_to(ROOT) else script
    return f"{variables + ' ' if variables else ''}{shlex.join(['python', str(shown), *sys.argv[1:]])}"


def record(name: str, figures: dict[str, Any], summary: str, smoke: bool = False, variables: str = "") -> Path | None:
    """Write ``benchmarks/results/<name>-<time>.json`` and append a row to BENCHMARKS.md, under the real
    command line (``command_line``).

    A smoke run only prints its summary: its figures measure nothing worth keeping."""
    command = command_line(variables)
    if smoke:
        print(summary)
        return None
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
    print(f"recorded in {os.path.relpath(path, ROOT)} and {os.path.relpath(BENCHMARKS_MD, ROOT)}")
    return path
