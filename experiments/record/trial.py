"""One trial as the record knows it, and the rules that say how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from core import statuses
from core.metrics import best_of, reached
from experiments.record.csvio import finite, truthy


@dataclass
class TrialRecord:
    trial_id: str
    config: dict[str, Any]
    epochs: dict[int, dict[str, Any]] = field(default_factory=dict)  # this lineage's rows, by epoch
    superseded: list[dict[str, Any]] = field(default_factory=list)  # rows trained before PBT replaced its weights
    status: str = statuses.RUNNING
    stopped_by: str = ""
    error: str = ""
    retries: int = 0

    def add(self, row: dict[str, Any]) -> bool:
        """Keep ``row``; True when it replaces a row of the same epoch (a trial restored from its own
        older checkpoint trains that epoch again). A row restored from another trial's checkpoint
        (PBT's exploit) starts a new lineage: the rows trained before stay, superseded."""
        if row.get("restored_from"):
            self.superseded.extend(self.epochs.values())
            self.epochs = {}
        epoch = int(row["epoch"])
        repeated = epoch in self.epochs
        self.epochs[epoch] = row
        return repeated

    @property
    def trained(self) -> int:
        """Epochs this trial trained (each recorded once)."""
        return len(self.epochs) + len(self.superseded)

    @property
    def last(self) -> dict[str, Any]:
        return self.epochs[max(self.epochs)] if self.epochs else {}

    def best_epoch(self, metric: str, mode: str) -> dict[str, Any]:
        finite_rows = [row for row in self.epochs.values() if finite(row.get(metric))]
        return best_of(finite_rows, lambda row: float(row[metric]), mode) if finite_rows else {}


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
