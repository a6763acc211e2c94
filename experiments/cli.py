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
from experiments.arguments import build_parser
from trainables.models import builder, is_reference

EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 1, 2, 130


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
