"""The ``cnn-tune`` command line.

Exit codes: 0 done, 1 the sweep failed, 2 bad input (one line naming the field;
nothing was started), 130 interrupted (the sweep can be resumed).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import traceback
from typing import Sequence

from core import statuses
from core.errors import InputError
from core.metrics import MEASURED, REPORTED_METRICS, metric_mode
from trainables.models import builder, is_reference

EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 1, 2, 130


def _spec_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", help="a shipped experiment's name (see 'cnn-tune list') or a YAML path")
    parser.add_argument(
        "--set",
        dest="overrides",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="override a spec key, e.g. --set search.num_samples=20, or --set search.algorithm=auto and "
        "--set scheduler.name=auto to have the README's decision table choose them (repeatable; values are YAML)",
    )
    parser.add_argument("--name", help="run name (the folder under storage)")
    parser.add_argument("--storage", help="where runs are written: a folder, or s3://bucket/prefix")
    parser.add_argument("--smoke", action="store_true", help="seconds-long run of the same code path")


def _local_ray_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--num-cpus", type=int, help="CPUs of the local Ray instance (default: all)")
    parser.add_argument("--num-gpus", type=int, help="GPUs of the local Ray instance (default: detected; logical GPUs allowed)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnn-tune", description="Distributed hyperparameter tuning of Keras CNNs on Ray Tune.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run", help="run a sweep",
        epilog="After the search: --set final.finalists=K (and final.seeds=S, default 3) trains the top K configurations "
               "again under S other seeds and picks by their mean; --set final.enabled=true retrains the pick and scores "
               "it once on the test split (dataset.test). Two objectives: --set 'metric=[val_accuracy, params]' (or "
               "latency_ms, measured) with optuna, random or grid search and fifo; the report draws the Pareto front, and "
               "--set final.front.max_params=N (or max_latency_ms) retrains its best point within the limit.",
    )
    _spec_arguments(run)
    run.add_argument("--address", help="join a running Ray cluster ('auto' on a cluster node) instead of a local one")
    run.add_argument("--resume", action="store_true", help="continue the sweep with this name and storage")
    _local_ray_arguments(run)
    run.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2, 3], help="Ray Tune's progress output")
    run.add_argument("--dashboard", action="store_true", help="start the local Ray instance's dashboard (127.0.0.1:8265)")

    plan = commands.add_parser("plan", help="forecast a sweep's wall time, CPU/GPU-hours and cost before running it")
    _spec_arguments(plan)
    where = plan.add_mutually_exclusive_group()
    where.add_argument("--address", help="probe and plan on a running Ray cluster ('auto' on a cluster node)")
    where.add_argument("--cluster", metavar="CLUSTER_YAML", help="plan for a cluster.yaml's nodes and price them (probes run here)")
    _local_ray_arguments(plan)

    validate = commands.add_parser("validate", help="check a spec without starting Ray")
    _spec_arguments(validate)

    commands.add_parser("list", help="experiments, spaces, algorithms, schedulers, datasets, models, metrics")

    compare = commands.add_parser("compare", help="several experiments under one budget, several seeds each, side by side")
    compare.add_argument("experiments", nargs="+", help="experiments sharing data, space, model, training and resources")
    compare.add_argument("--budget", required=True, help="trials=N, epochs=N (all trials together) or minutes=N per run")
    compare.add_argument("--seeds", type=int, default=3, help="runs per experiment, search seeds s, s+1, ... (default 3)")
    compare.add_argument("--target", type=float, help="the metric value whose time to reach is compared (default: "
                         "the best any run reached, less --tolerance)")
    compare.add_argument("--tolerance", type=float, default=0.005)
    compare.add_argument("--set", dest="overrides", metavar="KEY=VALUE", action="append", default=[],
                         help="override a key of every experiment's spec")
    compare.add_argument("--name", help="folder of this comparison under storage")
    compare.add_argument("--storage", help="where runs are written")
    compare.add_argument("--address", help="join a running Ray cluster instead of a local one")
    _local_ray_arguments(compare)
    compare.add_argument("--smoke", action="store_true", help="seconds-long runs of the same code path")

    report = commands.add_parser(
        "report", help="report.html and figures of a finished or running sweep",
        description="Writes report.html (figures embedded) into the run's folder: the best trials, which "
        "hyperparameters mattered (each one's fANOVA share of the metric's variance over the trials that "
        "ended with a score, and the metric against the top two in marginals.png; a searcher that "
        "concentrates trials in a region weighs it more), the failed trials, and every figure (README: What a run leaves behind).")
    report.add_argument("run", help="the run's folder (storage/name) or URI (s3://bucket/prefix/name)")

    replay = commands.add_parser("replay", help="what another scheduler would have saved and missed on a finished sweep")
    replay.add_argument("run", help="the run's folder (storage/name) or URI (s3://bucket/prefix/name)")
    replay.add_argument("--scheduler", required=True, help="the scheduler to replay the sweep's curves through")
    replay.add_argument("--set", dest="overrides", metavar="KEY=VALUE", action="append", default=[],
                        help="a scheduler option, e.g. --set scheduler.grace_period=2 (repeatable)")
    replay.add_argument("--orders", type=int, default=100, help="arrival orders: the recorded one, then random ones (default 100)")
    replay.add_argument("--slots", type=int, help="trials at once (default: the most the record shows running at once)")
    replay.add_argument("--seed", type=int, default=0, help="seed of the random orders")
    return parser


def _load(args: argparse.Namespace):
    from experiments.overrides import parse_assignment
    from experiments.spec import load_spec

    overrides = dict(parse_assignment(text) for text in args.overrides)
    if args.name:
        overrides["name"] = args.name
    if args.storage:
        overrides["storage"] = args.storage
    spec = load_spec(args.experiment, overrides)
    return spec.smoke() if args.smoke else spec


def command_list() -> int:
    import search_spaces
    from experiments import importance, spec as spec_module
    from experiments.algorithms import ALGORITHMS
    from experiments.auto import AUTO, LISTED
    from experiments.schedulers import SCHEDULERS
    from trainables.datasets import DATASETS
    from trainables.models import MODELS

    sections = {
        "experiments": {name: spec_module.describe(name) for name in spec_module.experiment_names()},
        "spaces": {name: search_spaces.describe(name) for name in search_spaces.space_names()},
        "algorithms": {AUTO: LISTED["algorithms"], **{name: ALGORITHMS.describe(name) for name in ALGORITHMS.names()}},
        "schedulers": {AUTO: LISTED["schedulers"], **{name: SCHEDULERS.describe(name) for name in SCHEDULERS.names()}},
        "datasets": {name: DATASETS.describe(name) for name in DATASETS.names()},
        "models": {name: MODELS.describe(name) for name in MODELS.names()},
        "metrics": {**{name: f"reported every epoch; {metric_mode(name)}imised" for name in REPORTED_METRICS},
                    **{name: f"second objective, metric: [val_accuracy, {name}]: {text}; minimised"
                       for name, text in MEASURED.items()}},
        "report": {"importance": importance.__doc__.splitlines()[0]},
    }
    for title, entries in sections.items():
        print(f"{title}:")
        width = max(map(len, entries))
        for name, text in entries.items():
            print(f"  {name:<{width}}  {text}")
    return 0


def command_validate(args: argparse.Namespace) -> int:
    spec = _load(args)
    if is_reference(spec.model):
        builder(spec.model)  # imports it here, where the sweep would run from: the rest needs the data
    space = spec.search_space
    print(
        f"{spec.name}: ok - {spec.search.algorithm} search x {spec.scheduler.name}, "
        f"{len(space.searched())} searched hyperparameters, {spec.train.max_epochs} epochs, "
        f"metric {spec.objective} ({spec.objective_mode})"
        + (f" against {spec.second_objective} ({metric_mode(spec.second_objective)}): a Pareto front"
           if spec.second_objective else "")
    )
    if spec.auto:
        print(spec.auto.line())
    return 0


def command_plan(args: argparse.Namespace) -> int:
    from experiments.plan import describe, plan_run

    spec = _load(args)
    print(describe(plan_run(spec, address=args.address, cluster=args.cluster, num_cpus=args.num_cpus, num_gpus=args.num_gpus), spec))
    return 0


def command_compare(args: argparse.Namespace) -> int:
    from experiments.compare import Budget, compare
    from experiments.overrides import parse_assignment

    budget = Budget.parse(args.budget)
    overrides = dict(parse_assignment(text) for text in args.overrides)
    table = compare(
        args.experiments, budget, args.seeds, name=args.name, storage=args.storage, target=args.target,
        tolerance=args.tolerance, overrides=overrides, smoke=args.smoke, address=args.address,
        num_cpus=args.num_cpus, num_gpus=args.num_gpus,
    )
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return 0


def command_report(args: argparse.Namespace) -> int:
    from experiments.report import write_report
    from experiments.results import load_results
    from experiments.storage import location_of_run

    location = location_of_run(args.run)
    location.fetch()
    if not (location.local / "results.csv").is_file():
        raise InputError(f"run: no results.csv in {args.run}; give the folder of one run (storage/name)")
    path = write_report(load_results(location.local))
    location.publish()
    print(f"{path}{' (uploaded to ' + location.uri + ')' if location.remote else ''}")
    return 0


def command_replay(args: argparse.Namespace) -> int:
    from experiments.overrides import parse_assignment
    from experiments.replay import replay_run

    print(replay_run(args.run, args.scheduler, dict(parse_assignment(t) for t in args.overrides), args.orders, args.slots, args.seed))
    return 0


def command_run(args: argparse.Namespace) -> int:
    spec = _load(args)
    from experiments.finalists import describe
    from experiments.front import FrontLimitUnmet
    from experiments.results import SweepInterrupted
    from experiments.runner import location_of, run_spec

    try:
        result = run_spec(
            spec,
            address=args.address,
            resume=args.resume,
            num_cpus=args.num_cpus,
            num_gpus=args.num_gpus,
            verbose=args.verbose,
            dashboard=args.dashboard,
        )
    except InputError:
        raise
    except (KeyboardInterrupt, SweepInterrupted):
        print(
            f"\nInterrupted. Results so far are in {location_of(spec).uri}; continue with:\n"
            f"  {shlex.join(['cnn-tune', *(a for a in args.argv if a != '--resume'), '--resume'])}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except FrontLimitUnmet as error:  # the sweep ran and is recorded; the final step had nothing to take
        print(f"cnn-tune: the final step did not run: {error}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:  # the sweep itself failed: the traceback, then one line to read, exit 1
        traceback.print_exc()
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        print(f"cnn-tune: the sweep failed: {type(error).__name__}: {first_line}", file=sys.stderr)
        return EXIT_FAILED
    summary = result.summary
    counts = statuses.counted(summary["status_counts"])
    print(f"\n{summary['trials']} trials ({counts}) in {summary['running_s']:.0f} s, ended: {summary['end_reason']}; "
          f"results in {result.run_dir}")
    best = result.best
    if best is None:
        print("No trial produced a usable result.", file=sys.stderr)
        return EXIT_FAILED
    print(f"Best trial {best['trial_id']} at epoch {best['epoch']}: {spec.objective} = {best['metrics'][spec.objective]:.4f}")
    print("Best configuration:", json.dumps(best["config"], sort_keys=True))
    if result.front is not None:
        second = summary["second_objective"]
        print(f"Pareto front, {spec.objective} against {second}: " + ", ".join(
            f"{row.trial_id} ({row[spec.objective]:.4f}, {row[second]:.4g})" for _, row in result.front.iterrows()))
    finalists = result.finalists
    if finalists:
        print(describe(finalists))
    final = result.final
    if final and final.get("front"):
        print(f"Final point: {final['front']['why']} ({final['front']['trial_id']})")
    if final:
        print(
            f"Retrained on {final['train_images']} images for {final['epochs']} epochs: test accuracy "
            f"{final['test_accuracy']:.4f} on {final['test_images']} unseen images ({result.run_dir / final['model']})"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        if args.command == "list":
            return command_list()
        if args.command == "validate":
            return command_validate(args)
        if args.command == "report":
            return command_report(args)
        if args.command == "compare":
            return command_compare(args)
        if args.command == "plan":
            return command_plan(args)
        if args.command == "replay":
            return command_replay(args)
        return command_run(args)
    except InputError as error:
        print(f"cnn-tune: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
