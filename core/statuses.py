"""How a trial ends, why it was stopped, and how a sweep ends: the words the record and the report share."""

from __future__ import annotations

RUNNING = "running"
COMPLETED = "completed"
STOPPED_EARLY = "stopped_early"
DIVERGED = "diverged"
ERRORED = "errored"

STATUSES = (RUNNING, COMPLETED, STOPPED_EARLY, DIVERGED, ERRORED)
# Never the best trial and never retrained: their metrics say nothing about the configuration's quality.
FAILED = frozenset({DIVERGED, ERRORED})

# stopped_by, for a trial stopped before its last epoch
BY_EARLY_STOPPING = "early_stopping"
BY_TARGET = "target"
BY_BUDGET = "budget"
BY_SCHEDULER = "scheduler"

# summary.json's state
SWEEP_RUNNING = "running"
SWEEP_FINISHED = "finished"
SWEEP_INTERRUPTED = "interrupted"

# summary.json's end_reason: why a sweep ended (only the last one is not a normal end)
END_SAMPLES = "num_samples reached"
END_SEARCHER_EXHAUSTED = "searcher exhausted"
END_TIME_BUDGET = "time budget"
END_EPOCHS_BUDGET = "epochs budget"
END_INTERRUPTED = "interrupted"


def counted(status_counts: dict[str, int]) -> str:
    """``2 completed, 1 diverged``: the statuses that occur, as the summary counts them."""
    return ", ".join(f"{n} {status}" for status, n in status_counts.items() if n)


def ended(status: str) -> bool:
    """Whether a trial with this status has ended (and must not be trained again on resume)."""
    return status != RUNNING
