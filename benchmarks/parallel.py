"""Parallel efficiency and memory: cnn-tune against the plain sequential Keras loop, same work.

(a) the seed CNN, 8 configurations x 5 epochs, one after another in one process using all cores;
(b) `cnn-tune run benchmarks/experiments/parallel.yaml`: the same 8 x 5, one CPU per trial.
Both are whole processes (start-up, imports, data loading included), alternated, repeated.
Reports b/a (its ideal is s/2, where s is TensorFlow's own 2-thread speed-up, which this script
does not measure; the "perfect 0.5" it printed before 2026-12-07 was wrong), and the peak
resident memory of b's driver and of one trial worker, with the driver's growth per recorded
trial-epoch.

    python benchmarks/parallel.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, PeakMemory, cnn_tune, python, record, shown, spread, timed_process  # noqa: E402

EXPERIMENT = ROOT / "benchmarks" / "experiments" / "parallel.yaml"


def plain_loop(limit: int | None, epochs: int) -> None:
    """The loop a user writes by hand: every configuration in turn, TensorFlow's default threads."""
    from trainables import backend

    backend.configure(cpus=None, gpus=0)
    import keras

    import experiments
    from experiments.tuner import prepare_data, train_settings
    from trainables.cnn import build_model
    from trainables.hyperparameters import Hyperparameters

    spec = experiments.validate(str(EXPERIMENT), dataset={"limit": limit})
    spec = spec.smoke() if limit else spec
    data, settings = prepare_data(spec), train_settings(spec)
    (train, val), = data.folds
    x_train, y_train, x_val, y_val = data.pool.take(train).x, data.pool.y[train], data.pool.take(val).x, data.pool.y[val]
    for width in spec.search_space.domains["hidden_units"].options:
        for rate in spec.search_space.domains["learning_rate"].options:
            keras.utils.set_random_seed(0)
            hp = Hyperparameters(hidden_units=width, learning_rate=rate, batch_size=32)
            model = build_model(hp, settings, data.input_shape, data.num_classes)
            for _ in range(epochs):
                model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=0)
                model.evaluate(x_val, y_val, batch_size=1024, verbose=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="256 images, 2 configurations, 2 epochs, 1 repeat; records nothing")
    parser.add_argument("--plain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    limit, epochs, repeats = (256, 2, 1) if args.smoke else (None, 5, args.repeats)
    if args.plain:
        plain_loop(limit, epochs)
        return

    extra = ["--smoke"] if args.smoke else []  # 256 images, 2 grid points, 2 epochs
    plain, tuned, memory = [], [], []
    for repeat in range(repeats):
        seconds, _ = timed_process(python(__file__, "--plain", *extra))
        plain.append(seconds)
        with tempfile.TemporaryDirectory() as storage:
            peak = PeakMemory()
            command = cnn_tune("run", str(EXPERIMENT), "--storage", storage, "--name", "parallel", "--verbose", "0", *extra)
            seconds, _ = timed_process(command, watch=peak)
            run_dir = next(Path(storage).iterdir())
            rows = len((run_dir / "history.csv").read_text().splitlines()) - 1
        tuned.append(seconds)
        memory.append({"driver_mb": peak.driver / 2**20, "worker_mb": peak.worker / 2**20, "trial_epochs": rows})
        print(json.dumps({"repeat": repeat, "plain_s": plain[-1], "cnn_tune_s": tuned[-1], **memory[-1]}), flush=True)

    ratios = [b / a for a, b in zip(plain, tuned)]
    figures = {
        "plain_loop_s": spread(plain),
        "cnn_tune_s": spread(tuned),
        "ratio_cnn_tune_over_plain": spread(ratios),
        "peak_driver_mb": spread([m["driver_mb"] for m in memory]),
        "peak_trial_worker_mb": spread([m["worker_mb"] for m in memory]),
        "work": "8 configurations x 5 epochs, seed CNN, 4,000 training images (mnist-5k)",
    }
    summary = (
        f"cnn-tune / plain loop = {shown(figures['ratio_cnn_tune_over_plain'])} (the ideal, s/2 where s is TensorFlow's "
        f"own 2-thread speed-up, is not measured here); plain {statistics.median(plain):.0f} s, cnn-tune {statistics.median(tuned):.0f} s; "
        f"peak RSS driver {statistics.median(m['driver_mb'] for m in memory):.0f} MB, "
        f"trial worker {statistics.median(m['worker_mb'] for m in memory):.0f} MB"
    )
    record("parallel", figures, summary, smoke=args.smoke)


if __name__ == "__main__":
    main()
