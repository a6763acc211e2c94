"""The final answer of a sweep: the best configuration, retrained and scored once on unseen data.

The search picks a configuration by its validation score, which is optimistic; the
test split is touched exactly once, here, after the search is over.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ray

from experiments.results import SweepResult
from experiments.spec import Spec
from experiments.storage import RunLocation
from trainables.cnn import TrainSettings, fit_final
from trainables.data import PreparedData


def run_final(
    spec: Spec, data: PreparedData, settings: TrainSettings, result: SweepResult, location: RunLocation
) -> dict[str, Any] | None:
    """Write ``best_model.keras`` and ``final.json`` beside the results; None if no trial succeeded."""
    best = result.best
    if best is None:
        return None
    epochs = spec.final.epochs or best["epoch"]
    task = ray.remote(num_cpus=spec.resources.cpu, num_gpus=spec.resources.gpu)(fit_final)
    outcome = ray.get(task.remote(best["config"], data, settings, epochs))
    run_dir = Path(result.run_dir)
    (run_dir / "best_model.keras").write_bytes(outcome.pop("model"))
    final = {
        "trial_id": best["trial_id"],
        "config": best["config"],
        "epochs": epochs,
        "validation": {spec.metric: best["metrics"].get(spec.metric)},
        "test_accuracy": outcome["test_accuracy"],
        "test_loss": outcome["test_loss"],
        "train_images": int(len(data.pool.y)),
        "test_images": int(len(data.test.y)),
        "test_split": spec.dataset.test,
        "history": outcome["history"],
        "model": "best_model.keras",
    }
    (run_dir / "final.json").write_text(json.dumps(final, indent=2))
    location.publish()
    return final
