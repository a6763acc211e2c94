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

Simulated cluster (part ``cluster``; written 2026-12-07 before its first run): the product's Tuner
(benchmarks/scale.py's sweep: random search, FIFO, 1 CPU per trial, a 1.46 MB checkpoint per
trial) on a ``ray.cluster_utils.Cluster`` on this machine, every node on 127.0.0.1, with the CNN
replaced by a sleep of the steady epoch Tt measured (``--epoch-s``; the timings part's median
when both parts run), 5 epochs a trial, 4 trials per slot (4 waves). Slots: 8 (4 nodes x 2
logical CPUs), 32 (4 x 8) and 64 (8 x 8). 128 and 256 slots do not fit this machine: each
sleeping trial is a Ray worker process (its peak RSS is recorded as ``peak_worker_mb``), and 256
of them need more than its 23.5 GB. Order: 8, 32, 64, then reversed; 3 repeats. Figure: ideal
over makespan, ideal = trials x 5 x epoch / slots, makespan = Tuner.fit's wall (actor start-up
included: here all of them start on 2 cores). Goal (issue 13): >= 0.9 at 256 slots; each measured
size is judged against 0.9 and 256 stays unmeasured.

    python benchmarks/parallel.py [--parts timings,cluster] [--repeats 5] [--epoch-s S]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, PeakMemory, plain_fits, python, record, run_sweep, shown, spread, timed_process, verdict  # noqa: E402

EXPERIMENT = ROOT / "benchmarks" / "experiments" / "scaling.yaml"
CORES = os.cpu_count() or 1
WAYS = ("T1", "T2", "Tt", "Ts")
EPOCHS, WAVES = 5, 4
CLUSTER = {8: (4, 2), 32: (4, 8), 64: (8, 8)}  # slots: (nodes, logical CPUs per node)


def plain_loop(threads: int, smoke: bool) -> None:
    """The loop a user writes by hand: every configuration in turn in one process, TensorFlow at
    ``threads``; prints each configuration's epoch end times (seconds since the process started)."""
    started = float(os.environ["PARALLEL_STARTED"])
    from trainables import backend

    backend.configure(cpus=threads, gpus=0)
    import experiments

    spec = experiments.validate(str(EXPERIMENT))
    spec = spec.smoke() if smoke else spec
    domains = spec.search_space.domains
    configs = [{"hidden_units": width, "learning_rate": rate}
               for width in domains["hidden_units"].options for rate in domains["learning_rate"].options]
    print(json.dumps(plain_fits(spec, configs, started)))


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
    steady = steady_seconds(ends)
    return {"wall_s": seconds, "steady_s": steady, "trial_epochs": len(history), "steady_epoch_s": steady / (len(history) - len(ends)),
            "driver_mb": peak.driver / 2**20, "worker_mb": peak.worker / 2**20}


def ratios(run: dict) -> dict:
    """The six figures of one repeat (the protocol above)."""
    t1, t2, tt, ts = (run[way] for way in WAYS)
    return {
        "efficiency": t1["wall_s"] / (CORES * tt["wall_s"]), "speedup": t2["wall_s"] / tt["wall_s"], "overhead": ts["wall_s"] / t2["wall_s"],
        "steady_efficiency": t1["steady_s"] / tt["steady_s"], "steady_speedup": t2["steady_s"] / (tt["steady_s"] / CORES),
        "steady_overhead": ts["steady_s"] / t2["steady_s"],
    }


def timings_part(repeats: int, smoke: bool) -> tuple[dict, str]:
    steps = {"T1": lambda: plain(1, smoke), "T2": lambda: plain(CORES, smoke), "Tt": lambda: tuned(1, smoke), "Ts": lambda: tuned(CORES, smoke)}
    runs = []
    for repeat in range(repeats):
        order = WAYS[repeat % len(WAYS):] + WAYS[: repeat % len(WAYS)]
        run = {way: steps[way]() for way in order}
        runs.append({**run, **ratios(run)})
        print(json.dumps({"part": "timings", "repeat": repeat, "order": order, **runs[-1]}), flush=True)
    figures = {name: spread([run[name] for run in runs]) for name in ratios(runs[0])}
    figures.update({f"{way}_s": spread([run[way]["wall_s"] for run in runs]) for way in WAYS})
    figures["Tt_epoch_s"] = spread([run["Tt"]["steady_epoch_s"] for run in runs])
    figures.update({f"peak_{part}_mb": spread([run["Tt"][f"{part}_mb"] for run in runs]) for part in ("driver", "worker")})
    figures["work"] = f"16 configurations x 5 epochs, seed CNN, 1,600 training images (mnist-5k), {CORES} cores"
    said = (
        f"efficiency T1/(N*Tt) {verdict(figures['efficiency'], 0.85, at_least=True)}, steady {shown(figures['steady_efficiency'])}; "
        f"user speed-up T2/Tt {shown(figures['speedup'])}, steady {shown(figures['steady_speedup'])}; "
        f"overhead Ts/T2 {shown(figures['overhead'])}, steady {verdict(figures['steady_overhead'], 1.05)}; "
        + ", ".join(f"{way} {figures[f'{way}_s']['median']:.0f} s" for way in WAYS)
        + f"; Tt steady epoch {figures['Tt_epoch_s']['median']:.2f} s, peak RSS driver {figures['peak_driver_mb']['median']:.0f} MB, "
        f"trial worker {figures['peak_worker_mb']['median']:.0f} MB"
    )
    return figures, said


def cluster_part(epoch_s: float, repeats: int, smoke: bool) -> tuple[dict, str]:
    """Ideal over makespan of sleeping trials on a simulated cluster (the protocol above)."""
    from benchmarks.scale import measure

    sizes, epochs = ({2: (2, 1)}, 2) if smoke else (CLUSTER, EPOCHS)
    runs: dict[int, list[dict]] = {slots: [] for slots in sizes}
    for repeat in range(repeats):
        for slots in sorted(sizes, reverse=bool(repeat % 2)):
            nodes, cpus = sizes[slots]
            found = measure(WAVES * slots, cpus, nodes, reports=epochs, sleep_s=epoch_s)
            runs[slots].append({"ideal_over_makespan": 1 / found["over_minimum"], "peak_worker_mb": found["peak_worker_mb"],
                                "nodes_used": found["nodes_used"], "loop_s": found["loop_s"]})
            print(json.dumps({"part": "cluster", "repeat": repeat, "slots": slots, **runs[slots][-1]}), flush=True)
    figures = {slots: {key: spread([run[key] for run in done]) for key in done[0]} for slots, done in runs.items()}
    said = f"cluster, sleep {epoch_s:.2f} s x {epochs} epochs, {WAVES} trials per slot: " + "; ".join(
        f"{slots} slots ({sizes[slots][0]} nodes, all used: {found['nodes_used']['min'] == sizes[slots][0]}) ideal/makespan "
        f"{verdict(found['ideal_over_makespan'], 0.9, at_least=True)}, worker {found['peak_worker_mb']['median']:.0f} MB"
        for slots, found in figures.items()
    )
    return {"epoch_s": epoch_s, **{f"{slots}_slots": found for slots, found in figures.items()}}, said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="timings,cluster")
    parser.add_argument("--repeats", type=int, default=5, help="of the timings (the cluster part runs 3 times)")
    parser.add_argument("--epoch-s", type=float, help="the cluster's sleep per epoch (default: the timings part's Tt steady epoch)")
    parser.add_argument("--smoke", action="store_true", help="256 images, 2 configurations, 2 epochs, 1 repeat; "
                        "the cluster: 2 slots on 2 nodes, 8 trials x 2 epochs; records nothing")
    parser.add_argument("--plain", type=int, metavar="THREADS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain:
        plain_loop(args.plain, args.smoke)
        return
    parts, figures, said = args.parts.split(","), {}, []
    if "timings" in parts:
        repeats = 1 if args.smoke else args.repeats
        figures["timings"], line = timings_part(repeats, args.smoke)
        said.append(f"{repeats} repeats on {CORES} cores: {line}")
    if "cluster" in parts:
        epoch_s = args.epoch_s or figures["timings"]["Tt_epoch_s"]["median"]
        figures["cluster"], line = cluster_part(epoch_s, 1 if args.smoke else 3, args.smoke)
        said.append(line)
    record("parallel", figures, "; ".join(said), smoke=args.smoke)


if __name__ == "__main__":
    main()
