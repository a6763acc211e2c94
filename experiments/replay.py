"""``cnn-tune replay RUN --scheduler NAME``: what a scheduler would have saved, and missed, on a finished sweep.

Reads the run's record (its spec and history.csv), replays the curves through the scheduler
(``experiments.schedulers.simulate``) over arrival orders, writes one row per order to
``replay-<scheduler>.csv`` beside the record, and returns the summary to print.
"""

from __future__ import annotations

from typing import Any

from core.errors import InputError
from core.metrics import REPORTED_METRICS, running_best

REFUSED = {
    "pbt": "PBT changes a trial's hyperparameters as it trains: the record holds no curve for what it would make",
    "bohb": "BOHB's scheduler runs with its own searcher, which would choose configurations the record never saw",
}


def replay_spec(recorded: dict[str, Any], name: str, options: dict[str, Any]):
    """The sweep's spec with the scheduler replaced; the searcher plays no part in a replay."""
    from experiments.schedulers import SCHEDULERS
    from experiments.spec import load_spec

    if name not in SCHEDULERS.names():
        raise InputError(f"--scheduler: unknown {name!r}; one of {', '.join(SCHEDULERS.names())}")
    if name in REFUSED:
        raise InputError(f"--scheduler: {name} cannot be replayed: {REFUSED[name]}")
    for key in options:
        if not key.startswith("scheduler."):
            raise InputError(f"--set: {key}: a replay takes scheduler options only (scheduler.KEY=VALUE)")
    search = {"algorithm": "random", "num_samples": recorded["search"]["num_samples"]}
    return load_spec(recorded, {"scheduler": {"name": name}, "search": search, **options})


def replay_run(run: str, name: str, options: dict[str, Any], count: int, slots: int | None, seed: int) -> str:
    import pandas as pd

    from experiments.results import load_results
    from experiments.schedulers import scheduler as scheduler_named
    from experiments.schedulers.simulate import read_curves, recorded_slots, replay, summarise
    from experiments.storage import location_of_run

    if count < 1:
        raise InputError(f"--orders: {count}; at least 1 (the recorded order)")
    if slots is not None and slots < 1:
        raise InputError(f"--slots: {slots}; at least 1")
    location = location_of_run(run)
    location.fetch()
    if not (location.local / "history.csv").is_file() or not (location.local / "summary.json").is_file():
        raise InputError(f"run: no history.csv and summary.json in {run}; give the folder of one run (storage/name)")
    sweep = load_results(location.local)
    spec = replay_spec(sweep.summary["spec"], name, options)
    chosen = scheduler_named(name)
    history = sweep.history
    reported = [c for c in history.columns if c in REPORTED_METRICS or c in {running_best(m) for m in REPORTED_METRICS}]
    curves = read_curves(history, reported)
    slots = slots or recorded_slots(history)
    learned = None if chosen.reads_last_value else spec.search_context().metric
    rows = replay(curves, lambda: chosen.build(spec.scheduler_context()), spec.objective, learned, spec.objective_mode,
                  slots, spec.train.max_epochs, count, seed)
    path = location.local / f"replay-{name}.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    location.publish()
    found = summarise(rows, spec.objective_mode)
    complete = sum(len(curve.results) == spec.train.max_epochs for curve in curves)

    def spread(figure: dict[str, float], digits: int) -> str:
        return f"{figure['median']:.{digits}f} (10-90%: {figure['p10']:.{digits}f}-{figure['p90']:.{digits}f})"

    options_said = ", ".join(f"{k}={v}" for k, v in spec.scheduler.model_dump().items() if k != "name")
    lines = [
        f"{name} ({options_said or 'defaults'}) replayed on {len(curves)} recorded trials ({complete} ran all "
        f"{spec.train.max_epochs} epochs), {slots} at once, {found['orders']} arrival orders:",
        f"  epochs: {spread(found['epochs'], 2)} of FIFO's {rows[0]['fifo_epochs']}",
        f"  time:   {spread(found['time'], 2)} of FIFO's on the same order",
        f"  {spec.objective}: regret {spread(found['regret'], 4)} against the record's best {rows[0]['fifo_best']:.4f}; "
        f"the record's best found in {found['found_best']:.0%} of orders",
    ]
    if found["cut_short"]:
        lines.append(f"  up to {found['cut_short']} trials would have gone on past the end of their recorded curve "
                     "(the record stopped them): the epochs and time are a lower bound")
    lines.append(f"  one row per order: {location.uri.rstrip('/')}/{path.name}")
    return "\n".join(lines)
