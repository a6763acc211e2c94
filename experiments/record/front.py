"""A two-objective sweep's Pareto front as the record keeps it: each trial's selected metric against its measured cost."""

from __future__ import annotations

from typing import Any, Iterable

from core import statuses
from core.metrics import metric_mode
from core.pareto import pareto_front
from experiments.record.csvio import finite
from experiments.record.trial import TrialRecord


def recorded_front(records: Iterable[TrialRecord], metric: str, mode: str, second: str) -> list[dict[str, Any]]:
    """The trials no other beats on both ``metric`` (at its best epoch, as the sweep selects) and ``second``,
    from the cheapest: each as ``best`` is written (trial, config, epoch, the two values). Diverged and
    errored trials are left out, as from ``best``."""
    points = []
    for record in records:
        epoch = record.best_epoch(metric, mode)
        if record.status not in statuses.FAILED and epoch and finite(epoch.get(second)):
            points.append((record, epoch))
    front = pareto_front(points, lambda point: float(point[1][metric]), lambda point: float(point[1][second]),
                         (mode, metric_mode(second)))
    return [
        {"trial_id": record.trial_id, "config": record.config, "epoch": int(epoch["epoch"]),
         "metrics": {metric: float(epoch[metric]), second: epoch[second]}}  # a count stays a whole number
        for record, epoch in front
    ]
