"""Parallel scaling (issue 13, P1): what a machine's cores buy with cnn-tune, against the plain loop.

Protocol, written 2026-12-07 before the first run (replaces the 8-configuration b/a ratio, whose
rows stay in BENCHMARKS.md):
- Workload: benchmarks/experiments/scaling.yaml, the seed CNN, 16 configurations (4 widths x 4
  learning rates, batch 32) x 5 epochs on 2,000 images of mnist-5k (1,600 training / 400
  validation): the halving workload's images, so that 4 timings x 5 repeats fit in about 40 minutes.
- Four timings of the same work, each a whole process (imports, data, Ray included), N = the
  machine's cores: T1 the plain loop (every configuration in turn, one process) with TensorFlow
  at 1 thread; T2 the plain loop at N threads; Tt `cnn-tune run scaling.yaml`, 1 CPU per trial (N
  at once); Ts the same with `resources.cpu=N` (one trial at a time, N threads).
- Order: rotated each repeat (T1 T2 Tt Ts, then T2 Tt Ts T1, ...); 5 repeats.
- Figures per repeat, whole process: efficiency T1/(N*Tt) (ideal 1.0), user speed-up T2/Tt,
  framework overhead Ts/T2 (ideal 1.0). Steady state, from epoch seconds with each
  configuration's first epoch (tracing) dropped, so start-up and idle slots are excluded:
  efficiency sum(T1 epochs)/sum(Tt epochs) (N trials at once fill N slots, so this is T1/(N*Tt)
  over steady epochs), speed-up sum(T2 epochs)/(sum(Tt epochs)/N), overhead sum(Ts)/sum(T2).
  Also Tt's peak resident memory of the driver and of one trial worker (sampled every 0.2 s).
- Statistic: median with its bootstrap 95% interval over repeats (benchmarks/README.md).
- Goals (issue 13): whole-process efficiency >= 0.85; steady-state Ts/T2 <= 1.05.

    python benchmarks/parallel.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, PeakMemory, python, record, run_sweep, shown, spread, timed_process, verdict  # noqa: E402

EXPERIMENT = ROOT / "benchmarks" / "experiments" / "scaling.yaml"
CORES = os.cpu_count() or 1
WAYS = ("T1", "T2", "Tt", "Ts")


def plain_loop(threads: int, smoke: bool) -> None:
    """The loop a user writes by hand: every configuration in turn in one process, TensorFlow at
    ``threads``; prints each configuration's epoch end times (seconds since the process started)."""
    started = float(os.environ["PARALLEL_STARTED"])
    from trainables import backend

    backend.configure(cpus=threads, gpus=0)
    import keras

    import experiments
    from experiments.tuner import prepare_data, train_settings
    from trainables.cnn import build_model
    from trainables.hyperparameters import Hyperparameters

    spec = experiments.validate(str(EXPERIMENT))
    spec = spec.smoke() if smoke else spec
    data, settings = prepare_data(spec), train_settings(spec)
    ((train, val),) = data.folds
    x, y, validation = data.pool.take(train).x, data.pool.y[train], (data.pool.take(val).x, data.pool.y[val])
    domains = spec.search_space.domains
    ends: list[list[float]] = []
    for width in domains["hidden_units"].options:
        for rate in domains["learning_rate"].options:
            keras.utils.set_random_seed(0)
            model = build_model(Hyperparameters(hidden_units=width, learning_rate=rate, batch_size=32), settings, data.input_shape, 10)
            ends.append([])
            stamp = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: ends[-1].append(time.time() - started))
            model.fit(x, y, batch_size=32, epochs=spec.train.max_epochs, validation_data=validation, verbose=0, callbacks=[stamp])
    print(json.dumps(ends))


def steady_seconds(ends: list[list[float]]) -> float:
    """Seconds of every configuration's epochs but its first, from each configuration's epoch end times."""
    return sum(b - a for config in ends for a, b in zip(config, config[1:]))


def plain(threads: int, smoke: bool) -> dict:
    env = {"PARALLEL_STARTED": repr(time.time())}
    seconds, out = timed_process(python(__file__, "--plain", str(threads), *(["--smoke"] if smoke else [])), env=env)
    return {"wall_s": seconds, "steady_s": steady_seconds(json.loads(out.strip().splitlines()[-1]))}


def tuned(cpus: int, smoke: bool) -> dict:
    peak = PeakMemory()
    seconds, _, history, _, _ = run_sweep(EXPERIMENT, "--set", f"resources.cpu={cpus}", *(["--smoke"] if smoke else []), watch=peak)
    ends = [list(trial.sort_values("epoch").time_total_s) for _, trial in history.groupby("trial_id")]
    return {"wall_s": seconds, "steady_s": steady_seconds(ends), "trial_epochs": len(history),
            "driver_mb": peak.driver / 2**20, "worker_mb": peak.worker / 2**20}


def ratios(run: dict) -> dict:
    """The six figures of one repeat (the protocol above)."""
    t1, t2, tt, ts = (run[way] for way in WAYS)
    return {
        "efficiency": t1["wall_s"] / (CORES * tt["wall_s"]), "speedup": t2["wall_s"] / tt["wall_s"], "overhead": ts["wall_s"] / t2["wall_s"],
        "steady_efficiency": t1["steady_s"] / tt["steady_s"], "steady_speedup": t2["steady_s"] / (tt["steady_s"] / CORES),
        "steady_overhead": ts["steady_s"] / t2["steady_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="256 images, 2 configurations, 2 epochs, 1 repeat; records nothing")
    parser.add_argument("--plain", type=int, metavar="THREADS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain:
        plain_loop(args.plain, args.smoke)
        return
    steps = {"T1": lambda: plain(1, args.smoke), "T2": lambda: plain(CORES, args.smoke),
             "Tt": lambda: tuned(1, args.smoke), "Ts": lambda: tuned(CORES, args.smoke)}
    repeats, runs = (1 if args.smoke else args.repeats), []
    for repeat in range(repeats):
        order = WAYS[repeat % len(WAYS):] + WAYS[: repeat % len(WAYS)]
        run = {way: steps[way]() for way in order}
        runs.append({**run, **ratios(run)})
        print(json.dumps({"repeat": repeat, "order": order, **runs[-1]}), flush=True)

    figures = {name: spread([run[name] for run in runs]) for name in ratios(runs[0])}
    figures.update({f"{way}_s": spread([run[way]["wall_s"] for run in runs]) for way in WAYS})
    figures.update({f"peak_{part}_mb": spread([run["Tt"][f"{part}_mb"] for run in runs]) for part in ("driver", "worker")})
    figures["work"] = f"16 configurations x 5 epochs, seed CNN, 1,600 training images (mnist-5k), {CORES} cores"
    summary = (
        f"{repeats} repeats on {CORES} cores: efficiency T1/(N*Tt) {verdict(figures['efficiency'], 0.85, at_least=True)}, "
        f"steady {shown(figures['steady_efficiency'])}; user speed-up T2/Tt {shown(figures['speedup'])}, "
        f"steady {shown(figures['steady_speedup'])}; overhead Ts/T2 {shown(figures['overhead'])}, "
        f"steady {verdict(figures['steady_overhead'], 1.05)}; "
        + ", ".join(f"{way} {figures[f'{way}_s']['median']:.0f} s" for way in WAYS)
        + f"; Tt peak RSS driver {figures['peak_driver_mb']['median']:.0f} MB, trial worker {figures['peak_worker_mb']['median']:.0f} MB"
    )
    record("parallel", figures, summary, smoke=args.smoke)


if __name__ == "__main__":
    main()
