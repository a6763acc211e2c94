"""The ``cnn-tune`` command line's grammar: its commands, their options and their help."""

from __future__ import annotations

import argparse


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
