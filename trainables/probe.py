"""A trial's costs measured before a sweep, free of Ray: start-up, set-up, epoch times and memory.

``cnn-tune plan`` trains a few configurations for two epochs each, as a trial would (same
data, folds, threads and device), to forecast what the sweep will take.
"""

from __future__ import annotations

import dataclasses
import resource
import sys
import time
from typing import Any

from trainables import backend
from trainables.cnn import CnnTrial, TrainSettings
from trainables.data import PreparedData
from trainables.hyperparameters import Hyperparameters

PROBE_EPOCHS = 2  # the first pays for tracing, the second is what every later epoch costs


def probe(config: dict[str, Any], data: PreparedData, settings: TrainSettings) -> dict[str, Any]:
    """Train ``config`` for ``PROBE_EPOCHS`` epochs and time each step of a trial's life.

    ``startup_s``: importing and configuring the backend, paid once
    per worker process (zero in one that already has). ``setup_s``: building the folds' models and input pipelines and the
    untrained validation pass, paid by every trial. ``epoch_s``: each epoch, validation included.
    Divergence does not stop a probe: its epochs cost the same."""
    started = time.perf_counter()
    fresh = "keras" not in sys.modules
    backend.configure(settings.cpus, settings.gpus, trial_worker=True)
    configured = time.perf_counter()
    settings = dataclasses.replace(settings, early_stopping=None, divergence_factor=float("inf"))
    trial = CnnTrial(Hyperparameters.from_config(config), data, settings)
    built = time.perf_counter()
    epoch_s = []
    for _ in range(PROBE_EPOCHS):
        begun = time.perf_counter()
        trial.run_epoch()
        epoch_s.append(time.perf_counter() - begun)
    return {
        "config": config,
        "startup_s": configured - started if fresh else 0.0,
        "setup_s": built - configured,
        "epoch_s": epoch_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "gpu_peak_mb": _gpu_peak_mb(settings.gpus),
    }


def _gpu_peak_mb(gpus: float) -> float | None:
    """The peak GPU memory this process allocated, where the backend can say (TensorFlow on a GPU)."""
    if not gpus:
        return None
    import keras

    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    devices = tf.config.list_logical_devices("GPU")
    return tf.config.experimental.get_memory_info(devices[0].name)["peak"] / 2**20 if devices else None
