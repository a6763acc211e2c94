"""A sweep's own record, written as trials report and finish, and read back as a result.

``history.csv`` gets one row per trial-epoch the moment Ray hands it to the driver
(append-only, so a killed driver loses nothing it had seen); ``results.csv`` (one
row per trial) and ``summary.json`` are rewritten whenever a trial finishes and at
most every few seconds otherwise. On ``--resume`` the writer reads them back.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

from experiments.storage import RunLocation
from trainables.training import REPORTED_METRICS, metric_mode

HISTORY_COLUMNS = (
    "trial_id",
    "epoch",
    *REPORTED_METRICS,
    *(f"{name}_std" for name in REPORTED_METRICS),
    "lr",
    "diverged",
    "early_stopped",
    "time_total_s",
    "node_id",
    "gpu_ids",
    "cuda_visible_devices",
    "pid",
    "timestamp",
)
STATUSES = ("running", "completed", "stopped_early", "diverged", "errored")
FLUSH_EVERY_S = 5.0


@dataclass
class TrialRecord:
    trial_id: str
    config: dict[str, Any]
    epochs: dict[int, dict[str, Any]] = field(default_factory=dict)
    status: str = "running"
    stopped_by: str = ""
    error: str = ""
    retries: int = 0

    @property
    def last(self) -> dict[str, Any]:
        return self.epochs[max(self.epochs)] if self.epochs else {}

    def best_epoch(self, metric: str, mode: str) -> dict[str, Any]:
        finite = [row for row in self.epochs.values() if _finite(row.get(metric))]
        if not finite:
            return {}
        pick = max if mode == "max" else min
        return pick(finite, key=lambda row: float(row[metric]))


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _truthy(value: Any) -> bool:
    return value in (True, "True", "true", 1, "1")


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def ended_trials(run_dir: Path) -> frozenset[str]:
    """The trials whose end the record holds (completed, stopped, diverged or errored)."""
    path = run_dir / "results.csv"
    if not path.is_file():
        return frozenset()
    with path.open() as stream:
        return frozenset(row["trial_id"] for row in csv.DictReader(stream) if row["status"] != "running")


class SweepRecord:
    """The trials of one sweep, and the files that describe them."""

    def __init__(self, location: RunLocation, spec_data: dict[str, Any], hyperparameters: list[str]):
        self.location = location
        self.run_dir = location.local
        self.spec_data = spec_data
        self.metric = spec_data["metric"]
        self.mode = spec_data["mode"] or metric_mode(self.metric)
        self.max_epochs = spec_data["train"]["max_epochs"]
        self.stop = spec_data["stop"]
        self.hyperparameters = hyperparameters
        self.trials: dict[str, TrialRecord] = {}
        self.started = time.time()
        self.finished: float | None = None
        self.interrupted = False

    # ---- reading back what an earlier (perhaps killed) driver wrote
    def load(self) -> None:
        summary_path = self.run_dir / "summary.json"
        if summary_path.is_file():
            summary = json.loads(summary_path.read_text())
            self.started = summary.get("started_unix", self.started)
        results_path = self.run_dir / "results.csv"
        if results_path.is_file():
            with results_path.open() as stream:
                for row in csv.DictReader(stream):
                    config = {k: _parse(row[k]) for k in self.hyperparameters if row.get(k, "") != ""}
                    self.trials[row["trial_id"]] = TrialRecord(
                        row["trial_id"],
                        config,
                        status=row["status"],
                        stopped_by=row["stopped_by"],
                        error=row["error"],
                        retries=int(row["retries"] or 0),
                    )
        history_path = self.run_dir / "history.csv"
        if history_path.is_file():
            with history_path.open() as stream:
                for row in csv.DictReader(stream):
                    record = self.trials.setdefault(row["trial_id"], TrialRecord(row["trial_id"], {}))
                    record.epochs[int(row["epoch"])] = {k: _parse(v) for k, v in row.items()}
            self._rewrite_history()

    def _rewrite_history(self) -> None:
        """One row per trial-epoch, in arrival order: a resumed trial's repeated epochs keep their last report."""
        rows = sorted(
            (row for record in self.trials.values() for row in record.epochs.values()), key=lambda row: row["timestamp"]
        )
        with (self.run_dir / ".history.csv.tmp").open("w", newline="") as stream:
            writer = csv.DictWriter(stream, HISTORY_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        os.replace(self.run_dir / ".history.csv.tmp", self.run_dir / "history.csv")

    def arrivals(self) -> list[tuple[str, int, float]]:
        """(trial_id, epoch, metric) of every recorded epoch, in the order the driver received them."""
        rows = [row for record in self.trials.values() for row in record.epochs.values() if _finite(row.get(self.metric))]
        rows.sort(key=lambda row: row["timestamp"])
        return [(row["trial_id"], int(row["epoch"]), float(row[self.metric])) for row in rows]

    # ---- recording
    def add_result(self, trial_id: str, config: dict[str, Any], result: dict[str, Any]) -> None:
        row = {name: result.get(name, "") for name in HISTORY_COLUMNS}
        row["trial_id"] = trial_id
        row["timestamp"] = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        record = self.trials.setdefault(trial_id, TrialRecord(trial_id, {}))
        record.config = {k: v for k, v in config.items() if k in self.hyperparameters}
        record.status = "running"
        epoch = int(result["epoch"])
        repeated = epoch in record.epochs  # a trial restored from an older checkpoint reports it again
        record.epochs[epoch] = row
        if repeated:
            self._rewrite_history()
            return
        history = self.run_dir / "history.csv"
        new = not history.exists()
        with history.open("a", newline="") as stream:
            writer = csv.DictWriter(stream, HISTORY_COLUMNS, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow(row)

    def add_retry(self, trial_id: str) -> None:
        self.trials.setdefault(trial_id, TrialRecord(trial_id, {})).retries += 1

    @property
    def epochs_spent(self) -> int:
        return sum(len(record.epochs) for record in self.trials.values())

    def budget_spent(self, now: float | None = None) -> bool:
        """Whether the sweep's epoch or time budget has run out (so a cut-short trial was cut by it)."""
        epochs, seconds = self.stop.get("epochs_budget"), self.stop.get("time_budget_s")
        if epochs is not None and self.epochs_spent >= epochs:
            return True
        return seconds is not None and (now or time.time()) - self.started >= seconds

    def finish_trial(self, trial_id: str, config: dict[str, Any], error: str | None) -> None:
        record = self.trials.setdefault(trial_id, TrialRecord(trial_id, {}))
        record.config = record.config or {k: v for k, v in config.items() if k in self.hyperparameters}
        last = record.last
        target = self.stop.get("target")
        if error is not None:
            record.status, record.error = "errored", error
        elif _truthy(last.get("diverged")):
            record.status = "diverged"
        elif _truthy(last.get("early_stopped")):
            record.status, record.stopped_by = "stopped_early", "early_stopping"
        elif last and int(last["epoch"]) < self.max_epochs:
            reached = target is not None and _finite(last.get(self.metric)) and (
                float(last[self.metric]) >= target if self.mode == "max" else float(last[self.metric]) <= target
            )
            cut_by = "target" if reached else "budget" if self.budget_spent() else "scheduler"
            record.status, record.stopped_by = "stopped_early", cut_by
        else:
            record.status = "completed"

    # ---- derived files
    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for record in self.trials.values():
            last, best = record.last, record.best_epoch(self.metric, self.mode)
            row = {"trial_id": record.trial_id, "status": record.status, "stopped_by": record.stopped_by}
            row.update({name: record.config.get(name, "") for name in self.hyperparameters})
            row.update(
                epochs=last.get("epoch", 0),
                best_epoch=best.get("epoch", ""),
                **{f"best_{name}": best.get(name, "") for name in REPORTED_METRICS},
                **{f"final_{name}": last.get(name, "") for name in REPORTED_METRICS},
                wall_s=last.get("time_total_s", ""),
                node_id=last.get("node_id", ""),
                retries=record.retries,
                error=record.error,
            )
            rows.append(row)
        return rows

    def best(self) -> dict[str, Any] | None:
        """The trial with the best epoch of all (diverged and errored trials excluded)."""
        candidates = [
            (record, record.best_epoch(self.metric, self.mode))
            for record in self.trials.values()
            if record.status not in ("diverged", "errored")
        ]
        candidates = [(record, epoch) for record, epoch in candidates if epoch]
        if not candidates:
            return None
        pick = max if self.mode == "max" else min
        record, epoch = pick(candidates, key=lambda pair: float(pair[1][self.metric]))
        return {
            "trial_id": record.trial_id,
            "config": record.config,
            "epoch": int(epoch["epoch"]),
            "metrics": {name: float(epoch[name]) for name in REPORTED_METRICS if _finite(epoch.get(name))},
        }

    def summary(self) -> dict[str, Any]:
        counts = {status: 0 for status in STATUSES}
        for record in self.trials.values():
            counts[record.status] += 1
        end = self.finished or time.time()
        return {
            "name": self.spec_data["name"],
            "state": "interrupted" if self.interrupted else "finished" if self.finished else "running",
            "metric": self.metric,
            "mode": self.mode,
            "best": self.best(),
            "trials": len(self.trials),
            "status_counts": counts,
            "epochs_total": sum(len(record.epochs) for record in self.trials.values()),
            "started": datetime.fromtimestamp(self.started, timezone.utc).isoformat(timespec="seconds"),
            "started_unix": self.started,
            "wall_s": round(end - self.started, 2),
            "spec": self.spec_data,
        }

    def flush(self) -> None:
        columns = ["trial_id", "status", "stopped_by", *self.hyperparameters, "epochs", "best_epoch"]
        columns += [f"best_{name}" for name in REPORTED_METRICS] + [f"final_{name}" for name in REPORTED_METRICS]
        columns += ["wall_s", "node_id", "retries", "error"]
        temporary = self.run_dir / ".results.csv.tmp"
        with temporary.open("w", newline="") as stream:
            writer = csv.DictWriter(stream, columns)
            writer.writeheader()
            writer.writerows(self.rows())
        os.replace(temporary, self.run_dir / "results.csv")
        _atomic_write(self.run_dir / "summary.json", json.dumps(self.summary(), indent=2, default=str))
        self.location.publish()


def _parse(text: str) -> Any:
    """A CSV cell back to the number or word it was written from."""
    if text in ("True", "False"):
        return text == "True"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def error_message(trial) -> str:
    """The last line of a failed trial's traceback: the exception and its message."""
    text = trial.get_error() or ""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[-1][:500] if lines else "failed without a message"


class SweepInterrupted(Exception):
    """The sweep was stopped (Ctrl-C) before its end; ``--resume`` continues it."""

    def __init__(self, result: SweepResult):
        super().__init__(f"interrupted; results so far in {result.run_dir}")
        self.result = result


@dataclass
class SweepResult:
    """What a sweep left on disk, for notebooks: ``.dataframe`` (one row per trial) and ``.best``."""

    run_dir: Path

    @cached_property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.run_dir / "summary.json").read_text())

    @cached_property
    def dataframe(self):
        import pandas as pd

        return pd.read_csv(self.run_dir / "results.csv")

    @cached_property
    def history(self):
        import pandas as pd

        return pd.read_csv(self.run_dir / "history.csv")

    @property
    def best(self) -> dict[str, Any] | None:
        return self.summary["best"]

    @property
    def final(self) -> dict[str, Any] | None:
        """The best configuration retrained and scored on the test split, when the spec asked for it."""
        path = self.run_dir / "final.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in self.summary["status_counts"].items() if n)
        best = self.best
        line = f"{best['metrics'].get(self.summary['metric'])} ({self.summary['metric']})" if best else "none"
        return f"SweepResult({self.run_dir}: {self.summary['trials']} trials [{counts}], best {line})"


def load_results(run_dir: str | Path) -> SweepResult:
    return SweepResult(Path(run_dir).expanduser())
