"""The final answer of a sweep: the chosen configuration, retrained and scored once on unseen data.

The search picks a configuration by its validation score, which is optimistic; the
test split is touched exactly once, here, after the search (and any re-validation of
its finalists, ``experiments.finalists``) is over.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import ray

from experiments.finalists import chosen_finalist
from experiments.results import SweepResult
from experiments.spec import Spec
from experiments.storage import RunLocation
from trainables.cnn import TrainSettings, fit_final
from trainables.data import PreparedData


def start_final(
    spec: Spec, data: PreparedData, settings: TrainSettings, result: SweepResult, location: RunLocation,
    finalists: dict[str, Any] | None = None, front: dict[str, Any] | None = None,
) -> Callable[[], dict[str, Any] | None]:
    """Start retraining the chosen configuration in a worker; the function returned waits for it, then writes
    ``best_model.keras`` and ``final.json`` beside the results and returns the latter (None if no trial
    succeeded). The driver may work in between: the report's figures do not need the final model.
    ``finalists``: the re-validation's record, whose pick is retrained instead of the search's best;
    ``front``: the point of the front ``final.front`` chose (``experiments.front.front_choice``),
    retrained where no re-validation picked among the configurations within its limit."""
    best = result.best
    if best is None:
        return lambda: None
    if finalists:
        finalist = chosen_finalist(finalists)
        trial_id, config, epochs, score = finalist["trial_id"], finalist["config"], finalist["epochs"], finalist["search"]
    else:
        point = front or best
        trial_id, config, score = point["trial_id"], point["config"], point["metrics"].get(spec.objective)
        epochs = spec.final.epochs or point["epoch"]
    final = {
        "trial_id": trial_id, "config": config, "epochs": epochs, "validation": {spec.objective: score},
        "train_images": int(len(data.pool.y)), "test_images": int(len(data.test.y)), "test_split": spec.dataset.test,
        "model": "best_model.keras", **({"front": front} if front else {}),
    }
    task = ray.remote(num_cpus=spec.resources.cpu, num_gpus=spec.resources.gpu)(fit_final)
    pending = task.remote(config, data, settings, epochs)

    def finish() -> dict[str, Any]:
        outcome = ray.get(pending)
        run_dir = Path(result.run_dir)
        (run_dir / "best_model.keras").write_bytes(outcome.pop("model"))
        final.update(test_accuracy=outcome["test_accuracy"], test_loss=outcome["test_loss"], history=outcome["history"])
        if finalists:
            final["optimism"] = optimism(spec.objective, score, finalist, outcome)
        (run_dir / "final.json").write_text(json.dumps(final, indent=2))
        location.publish()
        return final

    return finish


def optimism(metric: str, search: float, finalist: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
    """The chosen configuration's score three ways: in the search (one seed, its best epoch, picked
    because it was high), re-validated (the mean of other seeds), and on the test split."""
    test = outcome[f"test_{metric.removeprefix('val_')}"]
    mean = finalist["mean"]
    return {
        "metric": metric,
        "search": search,
        "revalidated": mean,
        "revalidated_std": finalist["std"],
        "test": test,
        "search_minus_revalidated": search - mean if mean is not None else None,
        "search_minus_test": search - test,
    }
