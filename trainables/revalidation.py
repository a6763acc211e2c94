"""A finalist trained again under another seed, free of Ray: how much of its search score was luck.

A sweep picks the best of many noisy scores, so the winner's score is optimistic: it won
partly on its training seed, its validation images and the epoch it peaked at. Trained
again with another seed (and, with k folds, another partition of the pool), it shows
what the configuration itself is worth.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from trainables import backend
from trainables.cnn import CnnTrial, TrainSettings
from trainables.data import PreparedData
from trainables.hyperparameters import Hyperparameters


def revalidate(
    config: dict[str, Any],
    data: PreparedData,
    settings: TrainSettings,
    epochs: int,
    seed: int,
    folds: tuple[tuple[np.ndarray, np.ndarray], ...] | None = None,
) -> dict[str, Any]:
    """Train ``config`` for ``epochs`` as its trial did, from training seed ``seed`` and on ``folds``
    (None: the search's own), and return the last epoch's metrics: the score of the model the
    final retrain, which trains as many epochs, stands for. Early stopping is off, as in the retrain."""
    backend.configure(settings.cpus, settings.gpus)
    data = dataclasses.replace(data, folds=folds) if folds is not None else data
    settings = dataclasses.replace(settings, seed=seed, early_stopping=None, measure_latency=False)  # only its score is read
    trial = CnnTrial(Hyperparameters.from_config(config), data, settings)
    metrics: dict[str, Any] = {}
    while trial.epoch < epochs and not trial.diverged:
        metrics = trial.run_epoch()
    return metrics
