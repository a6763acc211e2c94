"""The columns of a sweep's record, named in one place for the writer and every reader.

``history.csv`` has one row per trial-epoch; ``results.csv`` one row per trial, with the
sweep's hyperparameters between ``RESULT_HEAD`` and ``RESULT_TAIL``. Any column not named
here is a hyperparameter, so a column added to the record cannot pass for one.
"""

from __future__ import annotations

from typing import Iterable

from core.metrics import MEASURED, REPORTED_METRICS, running_best

TRIAL_ENDS = "trial_ends.csv"  # a results.csv row appended as each trial ends: what results.csv is compacted from

HISTORY_COLUMNS = (
    "trial_id",
    "epoch",
    *REPORTED_METRICS,
    *(f"{name}_std" for name in REPORTED_METRICS),
    *(running_best(name) for name in REPORTED_METRICS),
    *MEASURED,
    "lr",
    "diverged",
    "early_stopped",
    "restored_from",
    "time_total_s",
    "node_id",
    "gpu_ids",
    "cuda_visible_devices",
    "devices",
    "pid",
    "timestamp",
)

RESULT_HEAD = ("trial_id", "status", "stopped_by")
RESULT_TAIL = (
    "epochs",
    "best_epoch",
    *(f"best_{name}" for name in REPORTED_METRICS),
    *(f"final_{name}" for name in REPORTED_METRICS),
    *MEASURED,
    "wall_s",
    "node_id",
    "retries",
    "error",
)


def result_columns(hyperparameters: Iterable[str]) -> list[str]:
    """results.csv's columns for a sweep over ``hyperparameters``."""
    return [*RESULT_HEAD, *hyperparameters, *RESULT_TAIL]


def hyperparameter_columns(columns: Iterable[str]) -> list[str]:
    """The hyperparameters among results.csv's ``columns``: every column the schema does not name."""
    named = set(RESULT_HEAD) | set(RESULT_TAIL)
    return [column for column in columns if column not in named]
