"""Controller overhead and driver memory: 500 trials that only sleep, through the product's Tuner.

Each trial reports 3 times, sleeping 0.2 s before each report; 2 run at once (1 CPU each on a
2-CPU local Ray). The Tuner is the one `cnn-tune run` builds (reused actors, per-epoch
checkpoint settings, result writing, progress lines, stop rules); only the CNN is replaced by
the sleep. Theoretical minimum: 500 x 3 x 0.2 s / 2 = 150 s. Reports wall time over that
minimum (for the tuning loop and for the whole process), the driver's peak resident memory
and, from its growth per recorded trial-epoch, the largest sweep it could keep in 2 GB.

    python benchmarks/overhead.py [--trials 500] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import PeakMemory, python, record, spread, timed_process  # noqa: E402

REPORTS, SLEEP_S, CONCURRENT = 3, 0.2, 2


def sleeper(config: dict) -> None:
    from ray import tune

    for epoch in range(1, REPORTS + 1):
        time.sleep(SLEEP_S)
        metrics = {"loss": 1.0 / epoch, "accuracy": 0.5, "val_loss": 1.0 / epoch, "val_accuracy": config["learning_rate"]}
        tune.report({"epoch": epoch, **metrics, **{f"best_{name}": value for name, value in metrics.items()},
                     "lr": config["learning_rate"],
                     "diverged": False, "early_stopped": False, "node_id": "", "gpu_ids": ""})


def child(trials: int) -> None:
    """One whole sweep; prints the tuning loop's seconds and the driver's memory before and after."""
    import psutil

    import experiments
    from experiments.ray_start import ray_session
    from experiments.runner import location_of
    from experiments.tuner import build_tuner

    with tempfile.TemporaryDirectory() as storage:
        spec = experiments.validate(
            "quickstart", name="overhead", storage=storage, search={"num_samples": trials},
            scheduler={"name": "fifo"}, train={"max_epochs": REPORTS}, resources={"cpu": 1},
        )
        location = location_of(spec)
        location.local.mkdir(parents=True)
        with ray_session(None, CONCURRENT, 0):
            tuner = build_tuner(spec, None, location, resume=False, verbose=1, trainable=sleeper)
            before = psutil.Process().memory_info().rss
            started = time.perf_counter()
            tuner.fit()
            loop = time.perf_counter() - started
            after = psutil.Process().memory_info().rss
            rows = len((location.local / "history.csv").read_text().splitlines()) - 1
    print(json.dumps({"loop_s": loop, "rss_before": before, "rss_after": after, "trial_epochs": rows}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="20 trials, 1 repeat; records nothing")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    trials, repeats = (20, 1) if args.smoke else (args.trials, args.repeats)
    minimum = trials * REPORTS * SLEEP_S / CONCURRENT
    runs = []
    for repeat in range(repeats):
        peak = PeakMemory()
        seconds, out = timed_process(python(__file__, "--child", str(trials)), watch=peak)
        measured = json.loads(out.strip().splitlines()[-1])
        growth = (measured["rss_after"] - measured["rss_before"]) / max(1, measured["trial_epochs"])
        runs.append({**measured, "process_s": seconds, "peak_driver_mb": peak.driver / 2**20, "bytes_per_trial_epoch": growth})
        print(json.dumps({"repeat": repeat, **runs[-1]}), flush=True)

    loop_ratio = [r["loop_s"] / minimum for r in runs]
    process_ratio = [r["process_s"] / minimum for r in runs]
    per_epoch = statistics.median(r["bytes_per_trial_epoch"] for r in runs)
    base = statistics.median(r["rss_before"] for r in runs)
    capacity = (2 * 2**30 - base) / per_epoch if per_epoch > 0 else float("inf")
    figures = {
        "trials": trials, "theoretical_minimum_s": minimum,
        "loop_over_minimum": spread(loop_ratio), "process_over_minimum": spread(process_ratio),
        "peak_driver_mb": spread([r["peak_driver_mb"] for r in runs]),
        "driver_bytes_per_trial_epoch": spread([r["bytes_per_trial_epoch"] for r in runs]),
        "trial_epochs_in_2gb": capacity,
    }
    summary = (
        f"{trials} sleeping trials, 2 at once: tuning loop {statistics.median(loop_ratio):.2f}x the theoretical minimum "
        f"(min {min(loop_ratio):.2f}, max {max(loop_ratio):.2f}; whole process {statistics.median(process_ratio):.2f}x; "
        f"goal <= 1.2); driver peak {statistics.median(r['peak_driver_mb'] for r in runs):.0f} MB, "
        f"{per_epoch / 1024:.1f} KiB per trial-epoch: about {capacity:,.0f} trial-epochs fit in 2 GB"
    )
    record("overhead", "python benchmarks/overhead.py", figures, summary, smoke=args.smoke)


if __name__ == "__main__":
    main()
