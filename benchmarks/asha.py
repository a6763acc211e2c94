"""ASHA savings: the same 16 seeded random configurations, up to 9 epochs, FIFO against ASHA.

Both are whole `cnn-tune run` processes on the bundled MNIST subset, alternated and repeated.
Reports ASHA/FIFO for wall-clock time and for epochs trained, and the gap between their best
validation accuracies (percentage points). Goal: ASHA at most 0.35 of FIFO's time, best within 0.5.

    python benchmarks/asha.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from benchmarks.common import ROOT, cnn_tune, record, spread, timed_process  # noqa: E402

EXPERIMENT = ROOT / "benchmarks" / "experiments" / "asha.yaml"
SCHEDULERS = {
    "fifo": ["--set", "scheduler.name=fifo"],
    "asha": ["--set", "scheduler.name=asha", "--set", "scheduler.grace_period=1", "--set", "scheduler.reduction_factor=3"],
}


def sweep(scheduler: str, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as storage:
        seconds, _ = timed_process(cnn_tune("run", str(EXPERIMENT), "--storage", storage, "--name", scheduler,
                                            "--verbose", "0", *SCHEDULERS[scheduler], *extra))
        run_dir = next(Path(storage).iterdir())
        table = pd.read_csv(run_dir / "results.csv")
        epochs = len(pd.read_csv(run_dir / "history.csv"))
    return {"wall_s": seconds, "epochs": epochs, "best": float(table.best_val_accuracy.max()),
            "configs": sorted(zip(table.hidden_units, table.learning_rate.round(8), table.dropout.round(8)))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="cnn-tune's smoke runs of both; records nothing")
    args = parser.parse_args()
    extra = ["--smoke"] if args.smoke else []
    repeats = 1 if args.smoke else args.repeats
    runs = []
    for repeat in range(repeats):
        fifo, asha = sweep("fifo", extra), sweep("asha", extra)
        assert fifo["configs"] == asha["configs"], "both schedulers must see the same configurations"
        runs.append({"fifo": fifo, "asha": asha})
        print(json.dumps({"repeat": repeat, **{k: {x: v[x] for x in ("wall_s", "epochs", "best")} for k, v in runs[-1].items()}}), flush=True)

    time_ratio = [r["asha"]["wall_s"] / r["fifo"]["wall_s"] for r in runs]
    epoch_ratio = [r["asha"]["epochs"] / r["fifo"]["epochs"] for r in runs]
    gap = [100 * (r["fifo"]["best"] - r["asha"]["best"]) for r in runs]
    figures = {
        "time_ratio_asha_over_fifo": spread(time_ratio),
        "epoch_ratio_asha_over_fifo": spread(epoch_ratio),
        "best_gap_points_fifo_minus_asha": spread(gap),
        "fifo_wall_s": spread([r["fifo"]["wall_s"] for r in runs]),
        "asha_wall_s": spread([r["asha"]["wall_s"] for r in runs]),
        "fifo_best": spread([r["fifo"]["best"] for r in runs]),
        "asha_best": spread([r["asha"]["best"] for r in runs]),
    }
    summary = (
        f"ASHA/FIFO time {statistics.median(time_ratio):.2f} (min {min(time_ratio):.2f}, max {max(time_ratio):.2f}), "
        f"epochs {statistics.median(epoch_ratio):.2f}; best val_accuracy FIFO {statistics.median(f['fifo']['best'] for f in runs):.4f} "
        f"vs ASHA {statistics.median(f['asha']['best'] for f in runs):.4f} (gap {statistics.median(gap):+.2f} points; "
        f"goal: time <= 0.35, gap <= 0.5)"
    )
    record("asha", "python benchmarks/asha.py", figures, summary, smoke=args.smoke)


if __name__ == "__main__":
    main()
