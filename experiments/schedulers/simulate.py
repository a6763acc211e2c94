"""A finished sweep's learning curves replayed through a scheduler (``cnn-tune replay``).

The scheduler is Ray's own, built from the spec as a sweep builds it, and driven in simulated time by the results
the sweep recorded, in the order a sweep with ``slots`` trials at once would have produced them:
each epoch takes the seconds it took in the record; pausing and resuming cost nothing. Arrival
orders are the recorded one, then random permutations of the trials.

A trial goes no further than its recorded curve. Where the record stopped a trial early (its
own scheduler, early stopping, divergence), a scheduler that would have continued it sees it end
there: the answer is exact for a sweep whose trials all ran to the end (FIFO) and says how many
did not.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from core.errors import InputError
from core.metrics import better


@dataclass(frozen=True)
class Curve:
    """One trial as the record has it: what it reported each epoch, and how long each epoch took."""

    trial_id: str
    results: tuple[dict[str, float], ...]
    seconds: tuple[float, ...]


@dataclass(frozen=True)
class Outcome:
    """One replay: epochs trained, the sweep's wall time, the best value of the selected metric and its trial."""

    epochs: int
    seconds: float
    best: float
    best_trial: str
    cut_short: int  # trials the scheduler would have run further than the record goes


def read_curves(history: Any, reported: list[str]) -> list[Curve]:
    """The curves in history.csv (one row per trial-epoch), in the order the trials were made."""
    curves = []
    for trial_id, rows in history.sort_values(["trial_id", "epoch"]).groupby("trial_id", sort=True):
        elapsed = rows.time_total_s.to_numpy(dtype=float)
        seconds = np.diff(elapsed, prepend=0.0).clip(min=0.0)
        results = tuple({name: float(row[name]) for name in reported} for _, row in rows.iterrows())
        curves.append(Curve(str(trial_id), results, tuple(seconds.tolist())))
    if not curves:
        raise InputError("run: its history.csv holds no epoch yet; replay a sweep that trained")
    return curves


def recorded_slots(history: Any) -> int:
    """The most trials the record shows running at once (a trial runs from its start to its last report)."""
    import pandas as pd

    stamps = pd.to_datetime(history.timestamp, utc=True)
    ends = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    frame = history.assign(end=ends, start=ends - history.time_total_s)
    spans = frame.groupby("trial_id").agg(start=("start", "min"), end=("end", "max"))
    events = sorted([(s, 1) for s in spans.start] + [(e, -1) for e in spans.end])
    return max(1, max(itertools.accumulate(step for _, step in events)))


class _Controller:
    """What Ray's schedulers call on Tune's controller: its trials, and stopping or pausing one."""

    def __init__(self, scheduler: Any):
        self.scheduler, self.trials = scheduler, []

    def get_trials(self) -> list:
        return self.trials

    def get_live_trials(self) -> list:
        return [trial for trial in self.trials if not trial.is_finished()]

    def stop_trial(self, trial) -> None:
        """As ``TuneController.stop_trial``: the scheduler hears of a waiting trial's removal."""
        from ray.tune.experiment import Trial

        if trial.status in (Trial.PENDING, Trial.PAUSED):
            self.scheduler.on_trial_remove(self, trial)
        elif trial.status == Trial.RUNNING:
            self.scheduler.on_trial_complete(self, trial, trial.last_result)
        trial.set_status(Trial.TERMINATED)

    def pause_trial(self, trial, should_checkpoint: bool = True) -> None:
        from ray.tune.experiment import Trial

        trial.set_status(Trial.PAUSED)


def replay_once(
    curves: list[Curve], scheduler: Any, selected: str, mode: str, slots: int, order: list[int], max_epochs: int
) -> Outcome:
    """Run ``curves`` (in ``order`` of arrival) through ``scheduler``, ``slots`` trials at once."""
    from ray.tune.experiment import Trial
    from ray.tune.schedulers import TrialScheduler

    controller = _Controller(scheduler)
    curve_of, done = {}, {}
    for index in order:
        trial = Trial("replay", config={}, trial_id=curves[index].trial_id, stub=True)
        controller.trials.append(trial)
        curve_of[trial], done[trial] = curves[index], 0
        scheduler.on_trial_add(controller, trial)
    running: list[tuple[float, int, Any]] = []
    count = itertools.count()
    now, epochs, cut_short, best, best_trial = 0.0, 0, 0, None, ""

    def start(trial) -> None:
        trial.set_status(Trial.RUNNING)
        heapq.heappush(running, (now + curve_of[trial].seconds[done[trial]], next(count), trial))

    while True:
        while len(running) < slots and (waiting := scheduler.choose_trial_to_run(controller)) is not None:
            start(waiting)
        if not running:
            break
        now, _, trial = heapq.heappop(running)
        curve = curve_of[trial]
        result = {**curve.results[done[trial]], "training_iteration": done[trial] + 1, "trial_id": trial.trial_id}
        done[trial] += 1
        epochs += 1
        trial.run_metadata.last_result = result
        if best is None or better(result[selected], best, mode):
            best, best_trial = result[selected], trial.trial_id
        decision = scheduler.on_trial_result(controller, trial, result)
        if decision == TrialScheduler.STOP or done[trial] == len(curve.results):
            cut_short += decision != TrialScheduler.STOP and done[trial] < max_epochs
            controller.stop_trial(trial)
        elif decision == TrialScheduler.PAUSE:
            controller.pause_trial(trial)
        else:
            start(trial)
    return Outcome(epochs, now, float(best), best_trial, cut_short)


def orders(trials: int, count: int, seed: int) -> list[list[int]]:
    """The recorded order first, then ``count - 1`` random permutations."""
    rng = np.random.default_rng(seed)
    return [list(range(trials))] + [rng.permutation(trials).tolist() for _ in range(count - 1)]


def replay(
    curves: list[Curve], build: Callable[[], Any], selected: str, learned: str | None, mode: str, slots: int,
    max_epochs: int, count: int, seed: int = 0,
) -> list[dict[str, Any]]:
    """One row per arrival order: the scheduler's outcome against FIFO's on the same order and slots.
    ``learned``: the metric Tune hands the scheduler (None: it was built with its own)."""
    from ray.tune.schedulers import FIFOScheduler

    rows = []
    for number, order in enumerate(orders(len(curves), count, seed)):
        scheduler = build()
        if learned:
            scheduler.set_search_properties(learned, mode)
        found = replay_once(curves, scheduler, selected, mode, slots, order, max_epochs)
        fifo = replay_once(curves, FIFOScheduler(), selected, mode, slots, order, max_epochs)
        rows.append({"order": number, "epochs": found.epochs, "seconds": found.seconds, "best": found.best,
                     "best_trial": found.best_trial, "cut_short": found.cut_short, "fifo_epochs": fifo.epochs,
                     "fifo_seconds": fifo.seconds, "fifo_best": fifo.best})
    return rows


def summarise(rows: list[dict[str, Any]], mode: str) -> dict[str, Any]:
    """Per-order ratios to FIFO and regrets, as median with the 10th-90th percentiles."""
    epochs = np.array([row["epochs"] / row["fifo_epochs"] for row in rows])
    seconds = np.array([row["seconds"] / row["fifo_seconds"] if row["fifo_seconds"] else 1.0 for row in rows])
    sign = 1.0 if mode == "max" else -1.0
    regret = np.array([sign * (row["fifo_best"] - row["best"]) for row in rows])

    def spread(values: np.ndarray) -> dict[str, float]:
        low, median, high = np.percentile(values, [10, 50, 90])
        return {"median": float(median), "p10": float(low), "p90": float(high)}

    return {"orders": len(rows), "epochs": spread(epochs), "time": spread(seconds), "regret": spread(regret),
            "found_best": float(np.mean(regret <= 0)), "cut_short": int(max(row["cut_short"] for row in rows))}
