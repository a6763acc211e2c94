"""What the Tuner calls back into: the sweep's record, and the spec's stop rules."""

from __future__ import annotations

import time
from typing import Any

from ray import tune

from core import statuses
from core.metrics import reached
from experiments.record.csvio import TEXT_COLUMNS
from experiments.record.writer import FLUSH_COST_RATIO, FLUSH_EVERY_S, SweepRecord
from experiments.results import error_message


# The record each sweep in this driver writes, by run folder. Tune 2.60 restores its stopper from
# a pickle of its own (TuneController's state), apart from the callbacks: a stopper holding the
# record itself would, after a resume, judge the budget on a stale copy.
LIVE_RECORDS: dict[str, SweepRecord] = {}


def recorded_result(row: dict[str, Any]) -> dict[str, Any]:
    """A history row as the numbers Tune's result holds (its epoch also as Tune's iteration count)."""
    numbers = {column: value for column, value in row.items() if column not in TEXT_COLUMNS and value != ""}
    return {**numbers, "training_iteration": row["epoch"]}


class RecordCallback(tune.Callback):
    """Writes the sweep's record as Ray reports; on resume, first reads it back."""

    def __init__(self, record: SweepRecord, scheduler, scheduler_metric: str, searcher: Any = None) -> None:
        self.record = record
        # the same objects Tune uses, also after a restore (they are pickled together)
        self.scheduler, self.scheduler_metric, self.searcher = scheduler, scheduler_metric, searcher
        self.last_flush, self.flush_s, self.total, self.ended = 0.0, 0.0, None, set()

    def setup(self, total_num_samples: int | None = None, **info: Any) -> None:
        self.total = total_num_samples
        self.record.load()
        LIVE_RECORDS[str(self.record.run_dir)] = self.record
        self.record.finished, self.record.end_reason = None, ""
        self.ended = {trial_id for trial_id, trial in self.record.trials.items() if statuses.ended(trial.status)}
        if hasattr(self.scheduler, "replay"):
            self.scheduler.replay(self.record.arrivals(self.scheduler_metric))

    def on_trial_start(self, iteration, trials, trial, **info) -> None:
        """A trial the record holds as ended, which Tune's snapshot still held as running, returns at
        once (train_cnn); Tune then tells its searcher and scheduler the trial's last result as of the
        snapshot. Give Tune the record's last epoch instead, so they learn what the record holds."""
        last_epoch = self.record.trials[trial.trial_id].last if trial.trial_id in self.ended else {}
        if last_epoch:
            trial.update_last_result({**trial.last_result, **recorded_result(last_epoch)})

    def on_trial_result(self, iteration, trials, trial, result, **info) -> None:
        self.record.add_result(trial.trial_id, trial.config, result)
        self.flush_due()

    def on_trial_complete(self, iteration, trials, trial, **info) -> None:
        if trial.trial_id in self.ended:  # ended before a crash; the trainable only returned
            return
        self.ended.add(trial.trial_id)
        self.record.finish_trial(trial.trial_id, trial.config, None)
        self.flush_due()

    def on_trial_error(self, iteration, trials, trial, **info) -> None:
        self.ended.add(trial.trial_id)
        self.record.finish_trial(trial.trial_id, trial.config, error_message(trial))
        self.flush_due()

    def on_trial_recover(self, iteration, trials, trial, **info) -> None:
        self.record.add_retry(trial.trial_id)

    def on_experiment_end(self, trials, **info) -> None:
        """Why the sweep ended. Tune ends an interrupted sweep as it ends a finished one (it marks
        the trials it cut off as terminated, without telling callbacks), so the reason is read
        from what is left: the trials a spent budget cut off end here, labelled by it."""
        self.record.finished = time.time()
        self.record.end_reason = self.end_reason(trials)
        if self.record.end_reason in (statuses.END_TIME_BUDGET, statuses.END_EPOCHS_BUDGET):
            for trial_id, trial in self.record.trials.items():
                if trial_id not in self.ended:
                    self.ended.add(trial_id)
                    self.record.finish_trial(trial_id, {}, None)
        self.flush()

    def end_reason(self, trials) -> str:
        budget = self.record.spent_budget(self.record.finished)
        if budget:
            return budget
        if any(trial.trial_id not in self.ended for trial in trials):
            return statuses.END_INTERRUPTED
        if len(trials) < (self.total or 0):
            exhausted = getattr(self.searcher, "exhausted", False)
            return statuses.END_SEARCHER_EXHAUSTED if exhausted else statuses.END_INTERRUPTED
        return statuses.END_SAMPLES

    def flush_due(self) -> None:
        """Compact the record at a bounded rate: each compaction costs the whole sweep, a result only
        its row. At most every FLUSH_EVERY_S, and apart by FLUSH_COST_RATIO times the last one's cost,
        so that in a large sweep compacting takes at most 2% of the driver's time."""
        if time.time() - self.last_flush > max(FLUSH_EVERY_S, FLUSH_COST_RATIO * self.flush_s):
            self.flush()

    def flush(self) -> None:
        started = time.perf_counter()
        self.record.flush()
        self.flush_s, self.last_flush = time.perf_counter() - started, time.time()


class SweepStopper(tune.Stopper):
    """The spec's stop rules: a trial stops once the metric reaches ``stop.target`` (in the
    metric's direction); the sweep stops once its epochs or its running time (summed over
    every driver that ran it, as the record counts them) reach their budget.

    Ray's own ``time_budget_s`` is not used: a restored Tuner starts it again from zero."""

    def __init__(self, record: SweepRecord, target: float | None) -> None:
        self.run_dir, self.metric, self.mode, self.target = str(record.run_dir), record.metric, record.mode, target

    def __call__(self, trial_id: str, result: dict) -> bool:
        value = result.get(self.metric)
        if self.target is None or value is None:
            return False
        return reached(value, self.target, self.mode)

    def stop_all(self) -> bool:
        record = LIVE_RECORDS.get(self.run_dir)
        return record is not None and record.budget_spent()
