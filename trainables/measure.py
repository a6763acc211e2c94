"""What a trial's model costs to keep and to run: its parameter count and its inference time per image.

A sweep may trade its metric against either (``metric: [val_accuracy, params]``). Both are
measured on the trial's own model, once per trial: the count is exact, and the time is what
this model takes on the trial's validation images with the trial's threads, not an estimate
from its layer sizes.
"""

from __future__ import annotations

import time

import numpy as np

LATENCY_IMAGES = 64  # images per timed batch (all the validation images, where there are fewer)
WARM_UP = 2  # untimed calls first: the first one traces the predict step
TIMED = 5  # timed calls; their median is kept, so one interrupted call does not count


def parameter_count(model) -> int:
    return int(model.count_params())


def latency_ms(model, images: np.ndarray) -> float:
    """Milliseconds per image of the model's traced predict step on one batch of ``images``
    (float32, as the evaluation pipeline scales them): the median of ``TIMED`` calls after
    ``WARM_UP``, divided by the batch's images."""
    eager = model.run_eagerly
    model.run_eagerly = False  # a trial short enough to train eagerly (backend.runs_eagerly) is still served traced
    try:
        for _ in range(WARM_UP):
            model.predict_on_batch(images)
        seconds = []
        for _ in range(TIMED):
            started = time.perf_counter()
            model.predict_on_batch(images)
            seconds.append(time.perf_counter() - started)
    finally:
        model.run_eagerly = eager
    return 1000 * float(np.median(seconds)) / len(images)
