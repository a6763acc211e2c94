"""A compact progress display: one line per finished trial and a heartbeat.

Ray's own display prints a box per trial start and end, which floods a terminal
or a notebook for a sweep of hundreds of trials; this one stays a line per trial.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from ray import tune

from experiments.results import SweepRecord

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

    def _best(self) -> str:
        best = self.record.best()
        if not best:
            return "no result yet"
        return f"best {self.record.metric} {best['metrics'].get(self.record.metric, float('nan')):.4f} ({best['trial_id']})"

    def _trial_line(self, trial) -> None:
        record = self.record.trials.get(trial.trial_id)
        if record is None:
            return
        status = record.status + (f" ({record.stopped_by})" if record.stopped_by else "")
        last = record.last
        score = f"{self.record.metric} {float(last[self.record.metric]):.4f}" if last else "no epoch"
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
        done = sum(1 for t in trials if t.status in ("TERMINATED", "ERROR"))
        self._print(f"{running} running, {done} finished of {self.total or '?'}; {self._best()}")

    def on_experiment_end(self, trials, **info) -> None:
        self._print(f"done: {len(trials)} trials; {self._best()}")
