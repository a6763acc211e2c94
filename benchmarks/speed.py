"""Time to a good model on one machine: a trial against a bare Keras loop, start-up, checkpoints,
early stopping, threads per trial, the quickstart sweep.

Protocol, fixed before the first run (run on a quiet machine; every step is a whole process):
- loop (issue 11, item 1): benchmarks/experiments/speed.yaml, the untuned seed CNN (128 units,
  lr 1e-3, batch 32) for 8 epochs on mnist-5k's 4,000 training / 1,000 validation images with
  2 threads. (a) the bare loop a user writes: `model.fit(x, y, epochs=8, validation_data=...)`
  on float32 arrays in one process, TensorFlow limited to 2 threads; (b) `cnn-tune run
  speed.yaml`, one trial with 2 CPUs. Order a, b, a, b, ...; 3 repeats. Statistic: steady epoch
  seconds (epochs 2-8: the first epoch traces and is dropped; median within a run), ratio b/a
  per repeat, median [min-max] over repeats. Goal: <= 1.05.
- startup (item 3): from the same runs, seconds from process start to the end of the first epoch
  minus that run's steady epoch: the fixed cost of imports, data, Ray, the actor and tracing.
  Reported for a and b; no goal.
- checkpoints (item 2): the quickstart sweep as shipped (random + ASHA, checkpoint policy by
  default): seconds trials spent writing checkpoints (each trial reports `checkpoint_s`) over
  the trials' wall seconds. 1 run per repeat of `quickstart` below. Goal: <= 0.02.
- schedulers (item 4): benchmarks/experiments/schedulers.yaml, 27 random configurations, up to
  9 epochs (rungs 1, 3, 9), 1,600 training images, 1 CPU per trial. FIFO, ASHA (grace 1, factor
  3), HyperBand (factor 3) see the same draws within a repeat; BOHB (factor 3) draws its own.
  3 repeats with search seeds 0, 1, 2; order rotated each repeat. Statistic per repeat: wall
  time over FIFO's and best validation accuracy minus FIFO's (points); median [min-max]. Goal:
  ASHA or HyperBand <= 0.30 of FIFO's time with a gap within 0.3 points.
- halving (item 4, the workload the issue names; written 2026-12-03 before its first run):
  benchmarks/experiments/halving.yaml, 81 random configurations of the quickstart space, up to
  27 epochs (ASHA rungs 1, 3, 9, 27), the same 1,600 training / 400 validation images, 1 CPU per
  trial, 2 at once. FIFO and ASHA (grace 1, factor 3) see the same draws within a repeat; 3
  repeats with search seeds 0, 1, 2; order FIFO, ASHA in even repeats, ASHA, FIFO in odd ones.
  Statistic and goal as for schedulers (ASHA <= 0.30 of FIFO's time, gap within 0.3 points:
  with 400 validation images one image is 0.25 points).
- threads (item 5, the premise of `cpu: auto`): benchmarks/experiments/parallel.yaml (8
  configurations x 5 epochs) with 1 CPU per trial (2 at once) and with 2 CPUs per trial (1 at
  once); alternated, 3 repeats; ratio wall(1 CPU) / wall(2 CPUs). Premise holds below 1.
- quickstart: `cnn-tune run quickstart` on the code at --before (the landed code this work
  starts from) and now; alternated, 3 repeats; ratio now/before.
A goal is "met" only when the whole [min-max] interval is on its side of the goal.
Amended 2026-12-07, before any run under it: the interval is the bootstrap one (benchmarks/README.md).

    python benchmarks/speed.py [--parts loop,schedulers,halving,threads,quickstart] [--repeats 3] [--before REV]
    python benchmarks/speed.py --smoke    # the loop part on 300 images for 3 epochs, once; records nothing
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from benchmarks.common import ROOT, checkout, cnn_tune, plain_fits, python, record, run_sweep, shown, spread, timed_process, verdict  # noqa: E402

EXPERIMENTS = ROOT / "benchmarks" / "experiments"
SCHEDULERS = {
    "fifo": ["--set", "scheduler.name=fifo"],
    "asha": ["--set", "scheduler={name: asha, grace_period: 1, reduction_factor: 3}"],
    "hyperband": ["--set", "scheduler={name: hyperband, reduction_factor: 3}"],
    "bohb": ["--set", "scheduler={name: bohb, reduction_factor: 3}", "--set", "search.algorithm=bohb"],
}


SMOKE = ["--set", "dataset.limit=300", "--set", "train.max_epochs=3"]


def bare_loop(threads: int, smoke: bool) -> None:
    """The loop a user writes, on the same images as speed.yaml; prints epoch end times from process start."""
    started = float(os.environ["SPEED_STARTED"])
    from trainables import backend

    backend.configure(cpus=threads, gpus=0)
    import experiments

    spec = experiments.validate(str(EXPERIMENTS / "speed.yaml"), **({"dataset": {"limit": 300}, "train": {"max_epochs": 3}} if smoke else {}))
    (ends,) = plain_fits(spec, [{"hidden_units": 128, "learning_rate": 1e-3}], started)
    print(json.dumps(ends))


def steady(ends: list[float]) -> tuple[float, float]:
    """(steady epoch seconds, start-up seconds) from epoch end times since process start."""
    epoch = statistics.median(b - a for a, b in zip(ends[1:], ends[2:]))
    return epoch, ends[0] - epoch


def loop_part(repeats: int, smoke: bool) -> dict:
    ratios, bare_start, trial_start = [], [], []
    for repeat in range(repeats):
        env = {"SPEED_STARTED": repr(time.time())}
        _, out = timed_process(python(__file__, "--bare-loop", *(["--smoke"] if smoke else [])), env=env)
        bare_epoch, bare_fixed = steady(json.loads(out.strip().splitlines()[-1]))
        _, _, history, _, started = run_sweep(EXPERIMENTS / "speed.yaml", *(SMOKE if smoke else []))
        ends = list(history.sort_values("epoch").time_total_s)
        first_end = pd.Timestamp(history.timestamp.iloc[0]).timestamp() - started
        trial_epoch = statistics.median(b - a for a, b in zip(ends[1:], ends[2:]))
        ratios.append(trial_epoch / bare_epoch)
        bare_start.append(bare_fixed)
        trial_start.append(first_end - trial_epoch)
        print(json.dumps({"part": "loop", "repeat": repeat, "bare_epoch_s": bare_epoch, "trial_epoch_s": trial_epoch,
                          "bare_startup_s": bare_fixed, "cnn_tune_startup_s": trial_start[-1]}), flush=True)
    return {"epoch_ratio": spread(ratios), "bare_startup_s": spread(bare_start), "cnn_tune_startup_s": spread(trial_start)}


def schedulers_part(repeats: int, part: str = "schedulers", names: tuple[str, ...] = tuple(SCHEDULERS)) -> dict:
    """FIFO (``names[0]``) against each other scheduler on ``<part>.yaml``, the order rotated each repeat."""
    runs: list[dict] = []
    for repeat in range(repeats):
        order = names[repeat % len(names):] + names[: repeat % len(names)]
        runs.append({})
        for name in order:
            seconds, table, history, _, _ = run_sweep(EXPERIMENTS / f"{part}.yaml", "--set", f"search.seed={repeat}", *SCHEDULERS[name])
            runs[-1][name] = {"wall_s": seconds, "best": float(table.best_val_accuracy.max()), "trials": len(table), "epochs": len(history)}
        print(json.dumps({"part": part, "repeat": repeat, **runs[-1]}), flush=True)
    out = {}
    for name in names[1:]:
        out[name] = {"time_over_fifo": spread([r[name]["wall_s"] / r["fifo"]["wall_s"] for r in runs]),
                     "gap_points": spread([100 * (r["fifo"]["best"] - r[name]["best"]) for r in runs])}
    out["fifo_wall_s"] = spread([r["fifo"]["wall_s"] for r in runs])
    return out


def paired(repeats: int, part: str, first: list[str], second: list[str], code_first: Path | None = None) -> dict:
    """Whole processes ``first`` and ``second`` alternated; the ratio second/first per repeat.
    ``code_first``: a checkout ``first`` runs from (Ray's workers import the driver's working directory first)."""
    ratios, a, b = [], [], []
    env_first = {"PYTHONPATH": str(code_first)} if code_first else None
    for repeat in range(repeats):
        with tempfile.TemporaryDirectory() as storage:
            a.append(timed_process([*first, "--storage", storage], env=env_first, cwd=code_first)[0])
        with tempfile.TemporaryDirectory() as storage:
            b.append(timed_process([*second, "--storage", storage])[0])
        ratios.append(b[-1] / a[-1])
        print(json.dumps({"part": part, "repeat": repeat, "first_s": a[-1], "second_s": b[-1]}), flush=True)
    return {"ratio": spread(ratios), "first_s": spread(a), "second_s": spread(b)}


def checkpoint_share(run_dir: Path) -> float:
    """Seconds trials spent writing checkpoints over the trials' wall seconds (from Tune's result.json files)."""
    spent, wall = 0.0, 0.0
    for result in run_dir.glob("*/result.json"):
        last = json.loads(result.read_text().strip().splitlines()[-1])
        spent, wall = spent + last.get("checkpoint_s", 0.0), wall + last["time_total_s"]
    return spent / wall


def quickstart_part(repeats: int, before: str) -> dict:
    with checkout(before) as worktree:
        command = cnn_tune("run", "quickstart", "--verbose", "0", "--name", "quickstart")
        times = paired(repeats, "quickstart", command, command, code_first=worktree)
        shares = [checkpoint_share(run_sweep(ROOT / "experiments" / "quickstart.yaml")[3]) for _ in range(repeats)]
    return {**times, "checkpoint_share": spread(shares)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="loop,schedulers,halving,threads,quickstart")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--before", default="9ab6815", help="git revision of the code to compare the quickstart with")
    parser.add_argument("--smoke", action="store_true", help="the loop part on 300 images, 3 epochs, once; records nothing")
    parser.add_argument("--bare-loop", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_loop:
        bare_loop(threads=2, smoke=args.smoke)
        return
    parts, figures, said = ("loop",) if args.smoke else args.parts.split(","), {}, []
    repeats = 1 if args.smoke else args.repeats
    if "loop" in parts:
        figures["loop"] = loop = loop_part(repeats, args.smoke)
        said.append(f"trial/bare epoch {verdict(loop['epoch_ratio'], 1.05)}; start-up bare {loop['bare_startup_s']['median']:.1f} s, "
                    f"cnn-tune {loop['cnn_tune_startup_s']['median']:.1f} s")
    if "schedulers" in parts:
        figures["schedulers"] = found = schedulers_part(repeats)
        said.append("time/FIFO " + ", ".join(f"{name} {verdict(found[name]['time_over_fifo'], 0.30)} gap {verdict(found[name]['gap_points'], 0.3)} pts"
                                            for name in ("asha", "hyperband", "bohb")) + f" (FIFO {found['fifo_wall_s']['median']:.0f} s)")
    if "halving" in parts:
        figures["halving"] = found = schedulers_part(repeats, "halving", ("fifo", "asha"))
        said.append(f"81 configs x 27 epochs: time/FIFO asha {verdict(found['asha']['time_over_fifo'], 0.30)} "
                    f"gap {verdict(found['asha']['gap_points'], 0.3)} pts (FIFO {found['fifo_wall_s']['median']:.0f} s)")
    if "threads" in parts:
        grid = cnn_tune("run", str(EXPERIMENTS / "parallel.yaml"), "--verbose", "0", "--name", "threads")
        figures["threads"] = found = paired(repeats, "threads", [*grid, "--set", "resources.cpu=2"], [*grid, "--set", "resources.cpu=1"])
        said.append(f"1 CPU x 2 trials / 2 CPUs x 1 trial {verdict(found['ratio'], 1.0)}")
    if "quickstart" in parts:
        figures["quickstart"] = found = quickstart_part(repeats, args.before)
        said.append(f"quickstart now/before {shown(found['ratio'])} "
                    f"({found['first_s']['median']:.0f} s -> {found['second_s']['median']:.0f} s); "
                    f"checkpoint share {verdict(found['checkpoint_share'], 0.02)}")
    record("speed", figures, f"{repeats} repeats: " + "; ".join(said), smoke=args.smoke)


if __name__ == "__main__":
    main()
