"""A compact progress display: one line per finished trial and a heartbeat.

Ray's own display prints a box per trial start and end, which floods a terminal
or a notebook for a sweep of hundreds of trials; this one stays a line per trial.
Every number comes from the sweep's record, so the lines agree with summary.json:
the best is a trial's best epoch, and each trial's line shows that epoch beside its last.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from ray import tune

from core import statuses
from experiments.record.trial import TrialRecord
from experiments.record.writer import SweepRecord

HEARTBEAT_S = 30.0


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class ProgressCallback(tune.Callback):
    def __init__(self, record: SweepRecord, stream: TextIO | None = None):
        self.record = record
        self.stream = stream
        self.total: int | None = None
        self.last_heartbeat = time.time()

    def _print(self, text: str) -> None:
        elapsed = time.time() - self.record.started
        print(f"[{elapsed:6.0f}s] {text}", file=self.stream or sys.stdout, flush=True)

    def setup(self, total_num_samples: int | None = None, **info: Any) -> None:
        self.total = total_num_samples

    def _best(self, best: dict[str, Any] | None) -> str:
        if not best:
            return "no result yet"
        value = best["metrics"].get(self.record.metric, float("nan"))
        return f"best {self.record.metric} {value:.4f} ({best['trial_id']} at epoch {best['epoch']})"

    def _score(self, record: TrialRecord) -> str:
        """The last epoch's value and, where another epoch was better, that one: what the best line names."""
        metric, last = self.record.metric, record.last
        if not last:
            return "no epoch"
        best = record.best_epoch(metric, self.record.mode)
        better = f" (best {float(best[metric]):.4f} at epoch {best['epoch']})" if best and best["epoch"] != last["epoch"] else ""
        return f"{metric} {float(last[metric]):.4f}{better}"

    def _trial_line(self, trial) -> None:
        record = self.record.trials.get(trial.trial_id)
        if record is None:
            return
        status = record.status + (f" ({record.stopped_by})" if record.stopped_by else "")
        last = record.last
        score = self._score(record)
        config = " ".join(f"{k}={_short(v)}" for k, v in sorted(record.config.items()))
        error = f"  {record.error}" if record.error else ""
        self._print(f"{trial.trial_id} {status} at epoch {last.get('epoch', 0)}: {score}  {config}{error}")

    def on_trial_complete(self, iteration, trials, trial, **info) -> None:
        self._trial_line(trial)

    def on_trial_error(self, iteration, trials, trial, **info) -> None:
        self._trial_line(trial)

    def on_step_end(self, iteration, trials, **info) -> None:
        if time.time() - self.last_heartbeat < HEARTBEAT_S:
            return
        self.last_heartbeat = time.time()
        running = sum(1 for t in trials if t.status == "RUNNING")
        self._print(f"{running} running, {self.record.ended} finished of {self.total or '?'}; {self._best(self.record.best())}")

    def on_experiment_end(self, trials, **info) -> None:
        """The trials the record counts, as summary.json does: Tune's list also holds trials it
        created but never started (pending when a budget ran out or the sweep was stopped)."""
        summary = self.record.summary()
        counts = statuses.counted(summary["status_counts"])
        self._print(f"done: {summary['trials']} trials ({counts}), ended: {summary['end_reason']}; {self._best(summary['best'])}")
