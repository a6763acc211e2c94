"""The writer of a sweep's record: history as Ray hands it over, the per-trial table and the summary.

The hot path only appends, so a result costs the same in the 10,000th trial as in the first:
``history.csv`` gets one row per report the moment Ray hands it to the driver, and
``trial_ends.csv`` one row per trial as it ends (a killed driver loses nothing it had seen).
``results.csv`` (one row per trial) and ``summary.json`` are compacted from what the driver
holds at most every few seconds and at the end; a report that repeats an epoch is appended
too, and ``history.csv`` is compacted to one row per epoch at the end. In memory an ended
trial keeps two rows, its last and best. On ``--resume`` the writer reads it all back.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

from core import statuses
from core.metrics import MEASURED, REPORTED_METRICS, best_of, metric_mode, objectives
from core.schema import HISTORY_COLUMNS, TRIAL_ENDS, result_columns
from experiments.record.csvio import append_row, atomic_write, finite, parse, parse_row, read_rows, upgrade_header, write_rows
from experiments.record.front import recorded_front
from experiments.record.trial import EndRules, TrialRecord, classify_end, current_rows
from experiments.storage import RunLocation

FLUSH_EVERY_S = 5.0
FLUSH_COST_RATIO = 50  # compactions are also apart by this many times the last one's cost


class SweepRecord:
    """The trials of one sweep, and the files that describe them."""

    def __init__(self, location: RunLocation, spec_data: dict[str, Any], hyperparameters: list[str]):
        self.location = location
        self.run_dir = location.local
        self.spec_data = spec_data
        self.metric, self.second = objectives(spec_data["metric"])  # the second: a measured cost, or None
        self.mode = metric_mode(self.metric)
        self.stop = spec_data["stop"]
        self.rules = EndRules(self.metric, self.mode, spec_data["train"]["max_epochs"], self.stop.get("target"))
        self.hyperparameters = hyperparameters
        self.history_columns, self.end_columns = list(HISTORY_COLUMNS), result_columns(hyperparameters)  # load() may add to them
        self.trials: dict[str, TrialRecord] = {}
        self.epochs_spent = 0  # epochs trained by every trial, each counted once
        self.ended = 0
        self.repeated = False  # history.csv holds a report that a later one replaced
        self.started = time.time()  # the sweep's first start
        self.session_started = self.started  # this driver's start
        self.running_before = 0.0  # seconds the sweep ran under earlier drivers
        self.finished: float | None = None
        self.end_reason = ""

    def _trial(self, trial_id: str) -> TrialRecord:
        return self.trials.setdefault(trial_id, TrialRecord(trial_id, {}))

    # ---- reading back what an earlier (perhaps killed) driver wrote
    def load(self) -> None:
        summary_path = self.run_dir / "summary.json"
        self.session_started = time.time()
        if summary_path.is_file():
            summary = json.loads(summary_path.read_text())
            self.started = summary.get("started_unix", self.started)
            self.running_before = summary.get("running_s", 0.0)
        self.history_columns = upgrade_header(self.run_dir / "history.csv", HISTORY_COLUMNS)
        self.end_columns = upgrade_header(self.run_dir / TRIAL_ENDS, result_columns(self.hyperparameters))
        # the table as last compacted, then the ends logged since
        for row in [*read_rows(self.run_dir / "results.csv"), *read_rows(self.run_dir / TRIAL_ENDS)]:
            config = {k: parse(row[k]) for k in self.hyperparameters if row.get(k, "") != ""}
            self.trials[row["trial_id"]] = TrialRecord(
                row["trial_id"],
                config,
                status=row["status"],
                stopped_by=row["stopped_by"],
                error=row["error"],
                retries=int(row["retries"] or 0),
            )
        history = read_rows(self.run_dir / "history.csv")
        for row in history:
            self.repeated |= self._trial(row["trial_id"]).add(parse_row(row))
        self.compact_history()
        for record in self.trials.values():
            self.epochs_spent += record.trained
            if statuses.ended(record.status):
                self.ended += 1
                record.close(self.metric, self.mode)

    def compact_history(self) -> None:
        """One row per trial-epoch, in arrival order: a repeated epoch keeps its last report."""
        if self.repeated:
            rows = current_rows(read_rows(self.run_dir / "history.csv"))
            write_rows(self.run_dir / "history.csv", self.history_columns, rows)
            self.repeated = False

    def arrivals(self, metric: str) -> list[tuple[str, int, float]]:
        """(trial_id, epoch, value of ``metric``) of every recorded epoch, in the order the driver received them."""
        rows = [row for row in current_rows(read_rows(self.run_dir / "history.csv")) if finite(row.get(metric))]
        return [(row["trial_id"], int(row["epoch"]), float(row[metric])) for row in rows]

    # ---- recording
    def add_result(self, trial_id: str, config: dict[str, Any], result: dict[str, Any]) -> None:
        row = {name: result.get(name, "") for name in HISTORY_COLUMNS}
        row["trial_id"] = trial_id
        row["timestamp"] = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        record = self._trial(trial_id)
        record.config = {k: v for k, v in config.items() if k in self.hyperparameters}
        record.status = statuses.RUNNING
        repeated = record.add(row)
        self.repeated |= repeated
        self.epochs_spent += not repeated
        append_row(self.run_dir / "history.csv", self.history_columns, row)

    def add_retry(self, trial_id: str) -> None:
        self._trial(trial_id).retries += 1

    def running_s(self, now: float | None = None) -> float:
        """Seconds the sweep has run, summed over every driver that ran it (downtime excluded)."""
        return self.running_before + (now or time.time()) - self.session_started

    def spent_budget(self, now: float | None = None) -> str:
        """The budget that has run out (``epochs budget``, ``time budget``), or ``""``."""
        epochs, seconds = self.stop.get("epochs_budget"), self.stop.get("time_budget_s")
        if epochs is not None and self.epochs_spent >= epochs:
            return statuses.END_EPOCHS_BUDGET
        if seconds is not None and self.running_s(now) >= seconds:
            return statuses.END_TIME_BUDGET
        return ""

    def budget_spent(self, now: float | None = None) -> bool:
        """Whether the sweep's epoch or time budget has run out (so a cut-short trial was cut by it)."""
        return bool(self.spent_budget(now))

    def finish_trial(self, trial_id: str, config: dict[str, Any], error: str | None) -> None:
        record = self._trial(trial_id)
        record.config = record.config or {k: v for k, v in config.items() if k in self.hyperparameters}
        record.status, record.stopped_by = classify_end(record, error, self.rules, self.budget_spent)
        if error is not None:
            record.error = error
        self.ended += 1
        record.close(self.metric, self.mode)
        append_row(self.run_dir / TRIAL_ENDS, self.end_columns, self.row(record))

    # ---- derived files
    def row(self, record: TrialRecord) -> dict[str, Any]:
        """The trial's row of results.csv."""
        last, best = record.last, record.best_epoch(self.metric, self.mode)
        row = {"trial_id": record.trial_id, "status": record.status, "stopped_by": record.stopped_by}
        row.update({name: record.config.get(name, "") for name in self.hyperparameters})
        row.update(
            epochs=last.get("epoch", 0),
            best_epoch=best.get("epoch", ""),
            **{f"best_{name}": best.get(name, "") for name in REPORTED_METRICS},
            **{f"final_{name}": last.get(name, "") for name in REPORTED_METRICS},
            **{name: last.get(name, "") for name in MEASURED},
            wall_s=last.get("time_total_s", ""),
            node_id=last.get("node_id", ""),
            retries=record.retries,
            error=record.error,
        )
        return row

    def best(self) -> dict[str, Any] | None:
        """The trial with the best epoch of all (diverged and errored trials excluded)."""
        candidates = [
            (record, record.best_epoch(self.metric, self.mode))
            for record in self.trials.values()
            if record.status not in statuses.FAILED
        ]
        candidates = [(record, epoch) for record, epoch in candidates if epoch]
        if not candidates:
            return None
        record, epoch = best_of(candidates, lambda pair: float(pair[1][self.metric]), self.mode)
        return {
            "trial_id": record.trial_id,
            "config": record.config,
            "epoch": int(epoch["epoch"]),
            "metrics": {name: float(epoch[name]) for name in REPORTED_METRICS if finite(epoch.get(name))},
        }

    def state(self) -> str:
        if not self.finished:
            return statuses.SWEEP_RUNNING
        return statuses.SWEEP_INTERRUPTED if self.end_reason == statuses.END_INTERRUPTED else statuses.SWEEP_FINISHED

    def summary(self) -> dict[str, Any]:
        counts = {status: 0 for status in statuses.STATUSES}
        for record in self.trials.values():
            counts[record.status] += 1
        end = self.finished or time.time()
        return {
            "name": self.spec_data["name"],
            "state": self.state(),
            "end_reason": self.end_reason,
            "metric": self.metric,
            "mode": self.mode,
            "best": self.best(),
            "second_objective": self.second,
            "front": recorded_front(self.trials.values(), self.metric, self.mode, self.second) if self.second else None,
            "trials": len(self.trials),
            "status_counts": counts,
            "epochs_total": self.epochs_spent,
            "started": datetime.fromtimestamp(self.started, timezone.utc).isoformat(timespec="seconds"),
            "started_unix": self.started,
            "wall_s": round(end - self.started, 2),
            "running_s": round(self.running_s(end), 2),
            "spec": self.spec_data,
        }

    def flush(self) -> None:
        """Compact results.csv and summary.json (and, once the sweep ended, history.csv) from what the driver holds."""
        if self.finished:
            self.compact_history()
        write_rows(self.run_dir / "results.csv", result_columns(self.hyperparameters), map(self.row, self.trials.values()))
        atomic_write(self.run_dir / "summary.json", json.dumps(self.summary(), indent=2, default=str))
        self.location.publish()
