"""A compact progress display: a line per finished trial, and for a large sweep, after its first
trials, a status line per interval and a line per notable trial (a best so far, a new error).

Ray's own display prints a box per trial start and end, which floods a terminal; a line per trial
floods it too once a sweep runs thousands. Every number comes from the sweep's record, so the lines
agree with summary.json: the best is a trial's best epoch, and each trial's line shows that epoch
beside its last. The environment sets how many trials get a line each and the seconds between
status lines; it is read when this module is imported, so a bad value stops a run before Ray starts.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections import Counter
from typing import Any, TextIO

from ray import tune

from core import statuses
from core.errors import InputError
from core.metrics import reached
from experiments.record.trial import TrialRecord
from experiments.record.writer import SweepRecord


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def setting(name: str, default: float) -> float:
    """A number of 0 or more from the environment variable ``name``, or ``default`` where it is unset."""
    text = os.environ.get(name, "")
    try:
        value = float(text) if text else default
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise InputError(f"{name}: a number of 0 or more, got {text!r}")
    return value


TRIAL_LINES = int(setting("CNN_TUNE_PROGRESS_TRIALS", 50))
STATUS_EVERY_S = setting("CNN_TUNE_PROGRESS_EVERY_S", 60.0)


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


class ProgressCallback(tune.Callback):
    """The lines a person follows a sweep by in a terminal (``verbose=1``)."""

    def __init__(self, record: SweepRecord, stream: TextIO | None = None, trial_lines: int = TRIAL_LINES,
                 every_s: float = STATUS_EVERY_S):
        self.record = record
        self.stream = stream
        self.trial_lines, self.every_s = trial_lines, every_s
        self.total: int | None = None
        self.seen = 0  # trials this driver saw end
        self.best: float | None = None  # the best value a line has named, or an earlier driver recorded
        self.errors: set[str] = set()
        self.last_status = self.started = time.time()
        self.ended_before = self.epochs_before = 0  # what earlier drivers of the sweep recorded

    def _print(self, text: str) -> None:
        elapsed = time.time() - self.record.started
        print(f"[{elapsed:6.0f}s] {text}", file=self.stream or sys.stdout, flush=True)

    def setup(self, total_num_samples: int | None = None, **info: Any) -> None:
        """After the record's own callback, which has read back what an earlier driver recorded."""
        self.total = total_num_samples
        best = self.record.best()
        self.best = best["metrics"].get(self.record.metric) if best else None
        self.last_status = self.started = time.time()
        self.ended_before, self.epochs_before = self.record.ended, self.record.epochs_spent

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

    def _is_best(self, record: TrialRecord) -> bool:
        """Whether the trial's best epoch is at least as good as every ended trial's: equals count, so
        whichever of them summary.json names has had its line."""
        epoch = record.best_epoch(self.record.metric, self.record.mode)
        if record.status in statuses.FAILED or not epoch:
            return False
        value = float(epoch[self.record.metric])
        if self.best is not None and not reached(value, self.best, self.record.mode):
            return False
        self.best = value
        return True

    def _trial_line(self, record: TrialRecord, best: bool) -> None:
        status = record.status + (f" ({record.stopped_by})" if record.stopped_by else "")
        config = " ".join(f"{k}={_short(v)}" for k, v in sorted(record.config.items()))
        mark = ", best so far" if best else ""
        error = f"  {record.error}" if record.error else ""
        self._print(f"{record.trial_id} {status} at epoch {record.last.get('epoch', 0)}: {self._score(record)}{mark}  {config}{error}")

    def _ended(self, trial) -> None:
        """Every trial's line up to ``trial_lines``, then only a best so far's and a new error's."""
        record = self.record.trials.get(trial.trial_id)
        if record is None:
            return
        self.seen += 1
        best = self._is_best(record)
        new_error = bool(record.error) and record.error not in self.errors
        if record.error:
            self.errors.add(record.error)
        if self.seen == self.trial_lines + 1:
            self._print(f"{self.trial_lines} trials ended; from here on a line per best so far or new error, "
                        f"and a status line every {self.every_s:g} s")
        if self.seen <= self.trial_lines or best or new_error:
            self._trial_line(record, best)

    def on_trial_complete(self, iteration, trials, trial, **info) -> None:
        self._ended(trial)

    def on_trial_error(self, iteration, trials, trial, **info) -> None:
        self._ended(trial)

    def _time_left(self, now: float) -> float | None:
        """Seconds until the first of the sweep's limits (its samples, epochs or time budget) is
        reached, at this driver's pace so far."""
        elapsed, stop = now - self.started, self.record.stop
        ended, epochs = self.record.ended - self.ended_before, self.record.epochs_spent - self.epochs_before
        estimates = []
        if self.total and ended:
            estimates.append((self.total - self.record.ended) * elapsed / ended)
        if stop.get("epochs_budget") and epochs:
            estimates.append((stop["epochs_budget"] - self.record.epochs_spent) * elapsed / epochs)
        if stop.get("time_budget_s"):
            estimates.append(stop["time_budget_s"] - self.record.running_s(now))
        return max(0.0, min(estimates)) if estimates else None

    def _status_line(self, running: int, now: float) -> str:
        counts = Counter(record.status for record in self.record.trials.values())
        by_status = statuses.counted({status: counts[status] for status in statuses.STATUSES if statuses.ended(status)})
        ended = f"{self.record.ended} of {self.total or '?'} trials ended ({by_status or 'none yet'})"
        pace = (self.record.ended - self.ended_before) / max(now - self.started, 1e-9) * 60
        left = self._time_left(now)
        return "; ".join([f"{ended}, {running} running", self._best(self.record.best()), f"{pace:.1f} trials/min",
                          *([f"about {_duration(left)} left"] if left is not None else [])])

    def on_step_end(self, iteration, trials, **info) -> None:
        now = time.time()
        if now - self.last_status < self.every_s:
            return
        self.last_status = now
        self._print(self._status_line(sum(1 for t in trials if t.status == "RUNNING"), now))

    def on_experiment_end(self, trials, **info) -> None:
        """The trials the record counts, as summary.json does: Tune's list also holds trials it
        created but never started (pending when a budget ran out or the sweep was stopped)."""
        summary = self.record.summary()
        counts = statuses.counted(summary["status_counts"])
        self._print(f"done: {summary['trials']} trials ({counts}), ended: {summary['end_reason']}; {self._best(summary['best'])}")
