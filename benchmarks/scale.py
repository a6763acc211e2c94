"""Scale: sweeps of 500, 2,000 and 10,000 sleeping trials through the product's Tuner, 16 at once.

Protocol (written before the first run):
- Workload: each trial sleeps 1/3 s before each of its 3 reports (1-second trials, as in Ray's own
  scalability figure: 10,000 one-second trials on a 16-CPU node in 715 s, 1.14x the 625 s minimum)
  and hands Tune a checkpoint of 1.46 MB (the quickstart's seed CNN at 64 hidden units: weights and
  Adam's two moments) with its second report, as a trial does at an ASHA rung. Random search over
  the quickstart space, FIFO, 1 CPU per trial on a local Ray of 16 logical CPUs (16 at once; this
  machine has 2 cores). The Tuner is the one `cnn-tune run` builds (reused actors, the record,
  progress lines, stop rules, checkpoint settings); only the CNN is replaced by the sleep.
- Sizes and order: 500 and 2,000 trials, 3 runs each, alternated (500, 2,000, 500, ...), then 10,000
  once (about 20 minutes a run: one run, so its figures are single values, not medians).
- Each run is a whole process. Inside it: the tuning loop's wall time (Tuner.fit), the driver's CPU
  seconds during it, and write_report's time on the finished sweep. Outside: the process's wall
  time and the driver's peak resident memory (sampled every 0.2 s). After it: the size on disk of
  the record (results.csv, history.csv, trial_ends.csv, summary.json) and of the whole run folder.
- Figures per size: loop wall over the theoretical minimum (trials x 3 x 1/3 s / 16); wall overhead
  per result, (loop - minimum) / results, in ms; driver CPU ms per result; driver peak MB; report s.
  Statistic: median [min-max] over the runs of a size.
- Goals (issue 12): at 10,000 trials, loop <= 1.15x the minimum, driver peak <= 1 GB, report <= 30 s,
  and a flat cost per result: driver CPU ms per result at 10,000 trials <= 1.2x the 500-trial median.

    python benchmarks/scale.py [--sizes 500 2000 10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import PeakMemory, python, record, spread, timed_process, verdict  # noqa: E402

REPORTS, SLEEP_S, CHECKPOINT_BYTES = 3, 1 / 3, 1_460_000
RECORD = ("results.csv", "history.csv", "trial_ends.csv", "summary.json")


def sleeper(config: dict) -> None:
    from ray import tune

    for epoch in range(1, REPORTS + 1):
        time.sleep(SLEEP_S)
        metrics = {"loss": 1.0 / epoch, "accuracy": 0.5, "val_loss": 1.0 / epoch, "val_accuracy": config["learning_rate"]}
        result = {"epoch": epoch, **metrics, **{f"best_{name}": value for name, value in metrics.items()},
                  "lr": config["learning_rate"], "diverged": False, "early_stopped": False, "node_id": "", "gpu_ids": ""}
        if epoch != 2:
            tune.report(result)
            continue
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "weights.bin").write_bytes(bytes(CHECKPOINT_BYTES))
            tune.report(result, checkpoint=tune.Checkpoint.from_directory(folder))


def size_of(folder: Path, names: tuple[str, ...] | None = None) -> int:
    files = [folder / name for name in names] if names else [path for path in folder.rglob("*") if path.is_file()]
    return sum(path.stat().st_size for path in files if path.is_file())


def child(trials: int, cpus: int) -> None:
    """One whole sweep; prints what only the driver itself can measure."""
    import psutil

    import experiments
    from experiments.capacity import live_nodes
    from experiments.ray_start import ray_session
    from experiments.report import write_report
    from experiments.results import SweepResult
    from experiments.runner import environment_defaults, location_of, tune_environment
    from experiments.tuner import build_tuner

    with tempfile.TemporaryDirectory() as storage:
        spec = experiments.validate(
            "quickstart", name="scale", storage=storage, search={"num_samples": trials},
            scheduler={"name": "fifo"}, train={"max_epochs": REPORTS}, resources={"cpu": 1},
        )
        location = location_of(spec)
        location.local.mkdir(parents=True)
        with ray_session(None, cpus, 0), environment_defaults(tune_environment(spec, live_nodes(), [])):
            tuner = build_tuner(spec, None, location, resume=False, verbose=1, trainable=sleeper)
            driver = psutil.Process()
            cpu_before, started = sum(driver.cpu_times()[:2]), time.perf_counter()
            tuner.fit()
            loop, cpu = time.perf_counter() - started, sum(driver.cpu_times()[:2]) - cpu_before
        started = time.perf_counter()
        write_report(SweepResult(location.local))
        report = time.perf_counter() - started
        rows = len((location.local / "history.csv").read_text().splitlines()) - 1
        print(json.dumps({"loop_s": loop, "driver_cpu_s": cpu, "report_s": report, "results": rows,
                          "record_bytes": size_of(location.local, RECORD), "run_bytes": size_of(location.local)}))


def measure(trials: int, cpus: int) -> dict:
    peak = PeakMemory()
    seconds, out = timed_process(python(__file__, "--child", str(trials), "--cpus", str(cpus)), watch=peak)
    measured = json.loads(out.strip().splitlines()[-1])
    minimum = trials * REPORTS * SLEEP_S / cpus
    return {"trials": trials, **measured, "process_s": seconds, "peak_driver_mb": peak.driver / 2**20,
            "over_minimum": measured["loop_s"] / minimum,
            "overhead_ms_per_result": (measured["loop_s"] - minimum) * 1000 / measured["results"],
            "driver_cpu_ms_per_result": measured["driver_cpu_s"] * 1000 / measured["results"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 10000])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each size but the largest, which runs once")
    parser.add_argument("--cpus", type=int, default=16, help="logical CPUs of the local Ray: trials at once")
    parser.add_argument("--smoke", action="store_true", help="12 trials on 4 logical CPUs, once; records nothing")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.cpus)
        return
    sizes, repeats, cpus = ([12], 1, 4) if args.smoke else (sorted(args.sizes), args.repeats, args.cpus)
    order = [size for _ in range(repeats) for size in sizes[:-1]] + [sizes[-1]]
    runs: dict[int, list[dict]] = {size: [] for size in sizes}
    for size in order:
        runs[size].append(measure(size, cpus))
        print(json.dumps(runs[size][-1]), flush=True)

    keys = ("over_minimum", "overhead_ms_per_result", "driver_cpu_ms_per_result", "peak_driver_mb", "report_s", "record_bytes", "run_bytes")
    figures = {size: {key: spread([run[key] for run in done]) for key in keys} for size, done in runs.items()}
    smallest, largest = figures[sizes[0]], figures[sizes[-1]]
    flat = largest["driver_cpu_ms_per_result"]["median"] / smallest["driver_cpu_ms_per_result"]["median"]
    figures["flatness"] = flat

    def line(size: int) -> str:
        found = figures[size]
        return (f"{size:,} trials (n={len(runs[size])}): {found['over_minimum']['median']:.2f}x the minimum "
                f"[{found['over_minimum']['min']:.2f}-{found['over_minimum']['max']:.2f}], "
                f"{found['overhead_ms_per_result']['median']:.1f} ms wall and {found['driver_cpu_ms_per_result']['median']:.1f} ms "
                f"driver CPU per result, driver peak {found['peak_driver_mb']['median']:.0f} MB, report {found['report_s']['median']:.1f} s, "
                f"record {found['record_bytes']['median'] / 2**20:.1f} MB, run folder {found['run_bytes']['median'] / 2**20:.0f} MB")

    summary = "; ".join(line(size) for size in sizes) + (
        f". At {sizes[-1]:,} trials: loop over minimum {verdict(largest['over_minimum'], 1.15)}; driver peak MB "
        f"{verdict(largest['peak_driver_mb'], 1024)}; report s {verdict(largest['report_s'], 30)}; driver CPU per result "
        f"over the {sizes[0]:,}-trial median {flat:.2f}, goal <= 1.2: {'met' if flat <= 1.2 else 'missed'}"
    )
    record("scale", shlex.join(["python", "benchmarks/scale.py", *sys.argv[1:]]), figures, summary, smoke=args.smoke)


if __name__ == "__main__":
    main()
