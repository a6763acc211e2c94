"""One trial as the record knows it, and the rules that say how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from core import statuses
from core.metrics import best_of, reached
from experiments.record.csvio import finite, truthy


@dataclass
class TrialRecord:
    """A trial's rows of its current lineage while it runs; once it ended, only its last and best."""

    trial_id: str
    config: dict[str, Any]
    epochs: dict[int, dict[str, Any]] = field(default_factory=dict)  # this lineage's rows, by epoch
    trained: int = 0  # epochs trained, each counted once (PBT's replaced lineages included)
    status: str = statuses.RUNNING
    stopped_by: str = ""
    error: str = ""
    retries: int = 0

    def add(self, row: dict[str, Any]) -> bool:
        """Keep ``row``; True when it replaces a row of the same epoch (a trial restored from its own
        older checkpoint trains that epoch again). A row restored from another trial's checkpoint
        (PBT's exploit) starts a new lineage: the rows trained before stay in history.csv only."""
        if row.get("restored_from"):
            self.epochs = {}
        epoch = int(row["epoch"])
        repeated = epoch in self.epochs
        self.epochs[epoch] = row
        self.trained += not repeated
        return repeated

    def close(self, metric: str, mode: str) -> None:
        """Drop what an ended trial's table row and the summary no longer read: all but its last and best epochs."""
        kept = {self.last.get("epoch"), self.best_epoch(metric, mode).get("epoch")}
        self.epochs = {epoch: row for epoch, row in self.epochs.items() if epoch in kept}

    @property
    def last(self) -> dict[str, Any]:
        return self.epochs[max(self.epochs)] if self.epochs else {}

    def best_epoch(self, metric: str, mode: str) -> dict[str, Any]:
        finite_rows = [row for row in self.epochs.values() if finite(row.get(metric))]
        return best_of(finite_rows, lambda row: float(row[metric]), mode) if finite_rows else {}


def latest_reports(keys: Iterable[tuple[str, Any, Any]]) -> list[int]:
    """Positions of the history rows the record keeps, from each row's (trial_id, restored_from, epoch):
    a report of an epoch its lineage already reported replaces it; PBT's earlier lineages stay."""
    kept: dict[tuple[str, int, int], int] = {}
    lineage: dict[str, int] = {}
    for position, (trial_id, restored_from, epoch) in enumerate(keys):
        lineage[trial_id] = lineage.get(trial_id, 0) + bool(restored_from)
        kept[(trial_id, lineage[trial_id], int(epoch))] = position
    return sorted(kept.values())


def current_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """History rows as the record keeps them, in the order their reports arrived."""
    return [rows[i] for i in latest_reports((row["trial_id"], row.get("restored_from"), row["epoch"]) for row in rows)]


@dataclass(frozen=True)
class EndRules:
    """What decides a trial's end status: the objective, the epochs a trial may train, the stop target."""

    metric: str
    mode: str
    max_epochs: int
    target: float | None


def classify_end(
    record: TrialRecord, error: str | None, rules: EndRules, budget_spent: Callable[[], bool]
) -> tuple[str, str]:
    """(status, stopped_by) of a trial that has just ended, from its last epoch and how Ray ended it."""
    last = record.last
    if error is not None:
        return statuses.ERRORED, ""
    if truthy(last.get("diverged")):
        return statuses.DIVERGED, ""
    if truthy(last.get("early_stopped")):
        return statuses.STOPPED_EARLY, statuses.BY_EARLY_STOPPING
    if last and int(last["epoch"]) < rules.max_epochs:
        value = last.get(rules.metric)
        if rules.target is not None and finite(value) and reached(float(value), rules.target, rules.mode):
            return statuses.STOPPED_EARLY, statuses.BY_TARGET
        return statuses.STOPPED_EARLY, statuses.BY_BUDGET if budget_spent() else statuses.BY_SCHEDULER
    return statuses.COMPLETED, ""
