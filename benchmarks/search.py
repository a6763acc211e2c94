"""Search efficiency: random search against HyperOpt TPE, BayesOpt and Optuna on the seed's space.

`cnn-tune compare` runs each algorithm 3 times (search seeds 0, 1, 2) with 30 trials x 3 epochs
on the bundled MNIST subset. Reported: trials, epochs and seconds until the best validation
accuracy first reaches a target (the best any run reached, less 0.01), and the best reached.
Goal: the best model-based searcher needs at most half of random search's trials to the target.

    python benchmarks/search.py [--seeds 3] [--trials 30]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, record  # noqa: E402

ALGORITHMS = ("random", "hyperopt", "bayesopt", "optuna")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--tolerance", type=float, default=0.01)
    parser.add_argument("--storage", default=str(ROOT / "benchmarks" / "runs"))
    parser.add_argument("--smoke", action="store_true", help="random vs hyperopt, 2 trials one at a time, 1 seed, smoke data; records nothing")
    args = parser.parse_args()

    from experiments.compare import Budget, compare

    algorithms = ALGORITHMS[:2] if args.smoke else ALGORITHMS  # smoke: random and one model-based searcher
    experiments = [str(ROOT / "benchmarks" / "experiments" / f"search-{name}.yaml") for name in algorithms]
    seeds, trials = (1, 2) if args.smoke else (args.seeds, args.trials)
    started = time.perf_counter()
    table = compare(experiments, Budget("trials", trials), seeds, storage=args.storage, tolerance=args.tolerance,
                    name=f"search-{time.strftime('%Y%m%d-%H%M%S')}", smoke=args.smoke, verbose=0,
                    num_cpus=1 if args.smoke else None)  # smoke: one trial actor a run, a check and not a figure
    wall = time.perf_counter() - started
    table["algorithm"] = list(algorithms)
    rows = table.set_index("algorithm")
    random_trials = rows.loc["random", "trials_to_target_median"]
    model_based = rows.drop(index="random")
    best = model_based.trials_to_target_median.idxmin()
    ratio = model_based.trials_to_target_median.min() / random_trials
    print(rows[["best_median", "best_min", "best_max", "reached_target", "trials_to_target_median",
                "epochs_to_target_median", "seconds_to_target_median"]].to_string(float_format=lambda v: f"{v:.4g}"))
    summary = (
        f"target val_accuracy {rows.target.iloc[0]:.4f}: trials to reach it (median of {seeds}) "
        + ", ".join(f"{name} {rows.loc[name, 'trials_to_target_median']:g} ({rows.loc[name, 'reached_target']})" for name in algorithms)
        + f"; best model-based ({best}) / random = {ratio:.2f} (goal <= 0.5); best reached "
        + ", ".join(f"{name} {rows.loc[name, 'best_median']:.4f}" for name in algorithms)
        + f"; {wall / 60:.0f} min in all"
    )
    record("search", {"rows": rows.reset_index().to_dict("records"), "wall_s": wall}, summary, smoke=args.smoke)


if __name__ == "__main__":
    main()
