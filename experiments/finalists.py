"""Finalist re-validation: the sweep's top configurations trained again under other seeds.

The search's winner won a contest of noisy scores, so its own score is the most optimistic
number of the sweep. Re-running the top K configurations with S other training seeds (and,
with k folds, other partitions of the pool) and picking by their mean guards the final answer
against a lucky trial, and the gap between the two scores says how lucky the winner was.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from core import statuses
from core.metrics import sign
from core.schema import hyperparameter_columns
from experiments.record.csvio import parse, read_rows
from experiments.results import SweepResult
from experiments.spec import Spec
from trainables.cnn import TrainSettings
from trainables.data import PreparedData, partition

FINALISTS = "finalists.json"


def top_configs(result: SweepResult, k: int, epochs: int | None, limit: tuple[str, float] | None = None) -> list[dict[str, Any]]:
    """The ``k`` best distinct configurations of the sweep, each with its trial, its search score and
    the epochs it is re-trained for (``epochs``, or the epoch its trial peaked at, as the final retrain).
    ``limit``: (a measured cost, the most it may be), ``final.front``'s: only configurations within it."""
    metric, mode = result.summary["metric"], result.summary["mode"]
    score = f"best_{metric}"
    rows = [row for row in read_rows(result.run_dir / "results.csv")
            if row["status"] not in statuses.FAILED and row[score] not in ("", "nan")
            and (limit is None or float(row[limit[0]] or "inf") <= limit[1])]
    rows.sort(key=lambda row: -sign(mode) * float(row[score]))
    names = hyperparameter_columns(rows[0]) if rows else []
    chosen: list[dict[str, Any]] = []
    for row in rows:
        config = {name: parse(row[name]) for name in names if row[name] != ""}
        if config not in (finalist["config"] for finalist in chosen):  # a grid's repeats are one configuration
            chosen.append({"trial_id": row["trial_id"], "config": config, "search": float(row[score]),
                           "epochs": epochs or int(row["best_epoch"])})
        if len(chosen) == k:
            break
    return chosen


def revalidation_seeds(spec: Spec) -> list[tuple[int, int]]:
    """(training seed, partition seed) of each re-run: neither the search's own."""
    return [(spec.train.seed + i, spec.dataset.seed + i) for i in range(1, spec.final.seeds + 1)]


def pick(finalists: list[dict[str, Any]], mode: str) -> dict[str, Any]:
    """The finalist with the best mean re-validated score; one whose every re-run failed comes last,
    and equal means go to the better search score."""
    def key(finalist: dict[str, Any]) -> tuple[bool, float, float]:
        mean = finalist["mean"]
        return (mean is not None, sign(mode) * (mean if mean is not None else 0.0), sign(mode) * finalist["search"])

    return max(finalists, key=key)


def run_finalists(spec: Spec, data: PreparedData, settings: TrainSettings, result: SweepResult) -> dict[str, Any] | None:
    """Re-validate the top ``final.finalists`` configurations (within ``final.front``'s limit, if set), write
    ``finalists.json`` and return it (None when no trial produced a score). The re-runs are Ray tasks with a trial's resources."""
    import ray

    from trainables.revalidation import revalidate

    limit = spec.final.front.limit if spec.final.front else None
    finalists = top_configs(result, spec.final.finalists, spec.final.epochs, limit)
    if not finalists:
        return None
    seeds = revalidation_seeds(spec)
    folds = len(data.folds)
    task = ray.remote(num_cpus=spec.resources.cpu, num_gpus=spec.resources.gpu, max_retries=0)(revalidate)
    shared = ray.put(data)
    runs = {
        (i, training_seed): task.remote(
            finalist["config"], shared, settings, finalist["epochs"], training_seed,
            partition(data.pool.y, folds, spec.dataset.validation, partition_seed) if folds > 1 else None,
        )
        for i, finalist in enumerate(finalists)
        for training_seed, partition_seed in seeds
    }
    for (i, _), run in runs.items():
        finalist = finalists[i]
        try:
            finalist.setdefault("scores", []).append(float(ray.get(run)[spec.objective]))
        except ray.exceptions.RayTaskError as error:
            finalist.setdefault("scores", []).append(None)
            finalist.setdefault("errors", []).append(str(error).strip().splitlines()[-1][:300])
    for finalist in finalists:
        scored = [score for score in finalist["scores"] if score is not None and math.isfinite(score)]
        finalist["mean"] = float(np.mean(scored)) if scored else None
        finalist["std"] = float(np.std(scored, ddof=1)) if len(scored) > 1 else None
    record = {
        "metric": spec.objective,
        "mode": spec.objective_mode,
        "training_seeds": [training for training, _ in seeds],
        "partitions": "re-drawn with seeds " + ", ".join(str(p) for _, p in seeds) if folds > 1 else "the search's",
        "search_winner": finalists[0]["trial_id"],
        "limit": dict([limit]) if limit else None,
        "chosen": pick(finalists, spec.objective_mode)["trial_id"],
        "finalists": finalists,
    }
    (Path(result.run_dir) / FINALISTS).write_text(json.dumps(record, indent=2))
    return record


def chosen_finalist(record: dict[str, Any]) -> dict[str, Any]:
    return next(finalist for finalist in record["finalists"] if finalist["trial_id"] == record["chosen"])


def describe(record: dict[str, Any]) -> str:
    """One line: how many finalists were re-run, which one was chosen and on what evidence."""
    chosen = chosen_finalist(record)
    mean = "every re-run failed" if chosen["mean"] is None else f"{chosen['mean']:.4f} on average"
    return (f"Re-validated the top {len(record['finalists'])} with {len(record['training_seeds'])} other seeds each: chose "
            f"{chosen['trial_id']}, {record['metric']} {mean} (search: {chosen['search']:.4f})")
