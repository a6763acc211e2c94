"""Early stopping, replayed (issue 13, P2): what each scheduler saves and misses on recorded curves.

Protocol (written 2026-12-06 before the first run; run on a quiet machine):
- Workload: benchmarks/experiments/halving.yaml, 81 random configurations of the quickstart space
  (search seed 0), up to 27 epochs on 1,600 training / 400 validation images of mnist-5k, FIFO,
  1 CPU a trial (2 at once on this 2-core machine): recorded once, every trial to epoch 27.
  The same workload as speed.py's halving part, whose 3 live runs of ASHA against FIFO (rows in
  BENCHMARKS.md) confirm the replay on real training.
- Compared: `cnn-tune replay` of that record through ASHA (grace 1, factor 3), ASHA (grace 3,
  factor 3), ASHA (grace 1, factor 4), HyperBand (factor 3) and median stopping (grace 3), each
  over 1,000 arrival orders (the recorded one, then random permutations, seed 0) with 2 trials at
  once, against FIFO on the same order.
- Statistic per scheduler over the orders: simulated time and epochs over FIFO's, regret (the
  record's best val_accuracy less the best the scheduler trained to, in points); median and
  10th-90th percentiles.
- Goal (issue 13): some ASHA setting at <= 0.25 of FIFO's time with a 90th-percentile regret of
  <= 0.2 points; "met" only when its 90th-percentile time is also <= 0.25.

    python benchmarks/replay.py [--run FOLDER] [--orders 1000]
    python benchmarks/replay.py --smoke    # 6 trials x 3 epochs on 200 digits images, one CPU, 20 orders; records nothing
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from benchmarks.common import ROOT, record, run_sweep  # noqa: E402
from experiments.cli import main as cli  # noqa: E402
from experiments.schedulers.simulate import summarise  # noqa: E402

WORKLOAD = ROOT / "benchmarks" / "experiments" / "halving.yaml"
SMOKE = ["--set", "dataset={name: digits, limit: 200, validation: 0.2, seed: 0}", "--set", "search.num_samples=6",
         "--set", "train.max_epochs=3", "--num-cpus", "1"]  # one trial actor: a check, not a figure
SCHEDULERS = {
    "asha g1 f3": ["asha", "--set", "scheduler.grace_period=1", "--set", "scheduler.reduction_factor=3"],
    "asha g3 f3": ["asha", "--set", "scheduler.grace_period=3", "--set", "scheduler.reduction_factor=3"],
    "asha g1 f4": ["asha", "--set", "scheduler.grace_period=1", "--set", "scheduler.reduction_factor=4"],
    "hyperband f3": ["hyperband", "--set", "scheduler.reduction_factor=3"],
    "median g3": ["median", "--set", "scheduler.grace_period=3"],
}
GOAL_TIME, GOAL_REGRET = 0.25, 0.2


def replayed(run_dir: Path, label: str, orders: int) -> dict:
    """One scheduler's replay through the command line's own entry, in this process: a replay times
    nothing, and five child processes cost the smoke test about 20 CPU-seconds of imports."""
    name, *options = SCHEDULERS[label]
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli(["replay", str(run_dir), "--scheduler", name, *options, "--orders", str(orders), "--slots", "2"]) == 0
    found = summarise(pd.read_csv(run_dir / f"replay-{name}.csv").to_dict("records"), "max")
    points = {key: 100 * value for key, value in found["regret"].items()}
    return {"time": found["time"], "epochs": found["epochs"], "regret_points": points, "orders": found["orders"],
            "cut_short": found["cut_short"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, help="a recorded FIFO sweep of the workload to replay (default: record one)")
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--smoke", action="store_true", help="6 trials x 3 epochs on 200 digits images, one CPU, 20 orders; records nothing")
    args = parser.parse_args()
    orders = 20 if args.smoke else args.orders
    run_dir, recorded_s = args.run, None
    if run_dir is None:
        recorded_s, table, history, run_dir, _ = run_sweep(WORKLOAD, *(SMOKE if args.smoke else []))
        print(f"recorded {len(table)} trials, {len(history)} epochs in {recorded_s:.0f} s: {run_dir}", flush=True)
    history = pd.read_csv(run_dir / "history.csv")
    trials, epochs = history.trial_id.nunique(), int(history.epoch.max())
    figures = {"run": str(run_dir), "recorded_s": recorded_s, "orders": orders, "trials": trials, "epochs": epochs}
    said = []
    for label in SCHEDULERS:
        figures[label] = found = replayed(run_dir, label, orders)
        print(json.dumps({"scheduler": label, **found}), flush=True)
        said.append(f"{label} time {found['time']['median']:.2f} [{found['time']['p10']:.2f}-{found['time']['p90']:.2f}] "
                    f"regret {found['regret_points']['median']:.2f} (p90 {found['regret_points']['p90']:.2f}) pts")
    asha = [label for label in SCHEDULERS if label.startswith("asha")]
    met = [label for label in asha if figures[label]["time"]["p90"] <= GOAL_TIME and figures[label]["regret_points"]["p90"] <= GOAL_REGRET]
    verdict = f"met by {', '.join(met)}" if met else "missed"
    summary = (f"{trials} configs x {epochs} epochs, FIFO recorded once, {orders} orders, 2 at once, time/FIFO median [p10-p90]: "
               + "; ".join(said) + f"; goal ASHA time <= {GOAL_TIME} with p90 regret <= {GOAL_REGRET} pts: {verdict}")
    if args.smoke:
        shutil.rmtree(run_dir.parent, ignore_errors=True)
    record("replay", figures, summary, smoke=args.smoke)


if __name__ == "__main__":
    main()
