"""What a trial reports, and which way is better for each metric: the one place that says so."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Literal, Sequence, TypeVar

from core.errors import InputError, UnknownName

Mode = Literal["min", "max"]
T = TypeVar("T")

REPORTED_METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")
# Measured once per trial on its model, reported with every epoch; minimised. A sweep may trade
# its metric against one of them (``metric: [val_accuracy, params]``): its second objective.
MEASURED = {
    "params": "the trained model's parameter count",
    "latency_ms": "inference milliseconds per image on the trial's threads (median of timed batches)",
}


def reported(metric: str) -> str:
    """``metric`` if a trial reports it, else an ``UnknownName`` listing those it does."""
    if metric not in REPORTED_METRICS:
        raise UnknownName("metric", metric, list(REPORTED_METRICS))
    return metric


def objectives(metric: str | Sequence[str]) -> tuple[str, str | None]:
    """(the metric the sweep selects on, the measured second objective or None) of a spec's ``metric``:
    one reported name, or a list of that and one of ``MEASURED``."""
    if isinstance(metric, str):
        return reported(metric), None
    if not isinstance(metric, Sequence) or len(metric) != 2 or metric[0] in MEASURED:
        raise InputError(f"write one metric, or it and a measured cost: [{REPORTED_METRICS[-1]}, {' or '.join(MEASURED)}], "
                         f"got {metric!r}")
    first, second = metric
    if second not in MEASURED:
        raise UnknownName("second objective", second, list(MEASURED))
    return reported(first), second


def running_best(metric: str) -> str:
    """The name a trial reports its best ``metric`` so far under: what searchers and schedulers learn from."""
    return f"best_{metric}"


def metric_mode(metric: str) -> Mode:
    """Accuracies are maximised; losses and the measured costs (``MEASURED``) minimised."""
    return "max" if metric.endswith("accuracy") else "min"


def sign(mode: str) -> int:
    """+1 where larger is better, -1 where smaller is: ``sign * value`` is always maximised."""
    return 1 if mode == "max" else -1


def better(value: Any, other: Any, mode: str, margin: float = 0.0) -> Any:
    """Whether ``value`` beats ``other`` by more than ``margin`` in ``mode`` (element-wise on arrays)."""
    return sign(mode) * (value - other) > margin


def reached(value: Any, target: Any, mode: str) -> Any:
    """Whether ``value`` is at least as good as ``target`` in ``mode`` (element-wise on arrays)."""
    return value >= target if mode == "max" else value <= target


def best_of(items: Iterable[T], key: Callable[[T], float], mode: str) -> T:
    """The item whose ``key`` is best in ``mode`` (the first of equals)."""
    return (max if mode == "max" else min)(items, key=key)
