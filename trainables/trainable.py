"""The Ray Tune function trainable: a ``CnnTrial`` run epoch by epoch, reported, and checkpointed when needed."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from typing import Any

from trainables import backend
from trainables.cnn import CnnTrial, TrainSettings
from trainables.data import PreparedData
from trainables.hyperparameters import Hyperparameters


def checkpoint_due(settings: TrainSettings, epoch: int, ended: bool, since_last_s: float) -> bool:
    """Whether the trial checkpoints the report of ``epoch``: the sweep's one checkpoint policy.

    Nothing reads a checkpoint but Tune. At the epochs where the scheduler may pause the trial or hand
    its weights to another, Tune saves the trial as the checkpoint it reported last, and resumes a
    trial paused on its last report from it too: there, always. Otherwise only to bound what a
    failure or a killed driver costs, so not once the trial has ended: every ``checkpoint_every``
    epochs if set, and once ``checkpoint_interval_s`` seconds of training passed since the last one.
    """
    if epoch in settings.checkpoint_epochs:
        return True
    every, interval_s = settings.checkpoint_every, settings.checkpoint_interval_s
    return not ended and (
        (every is not None and epoch % every == 0) or (interval_s is not None and since_last_s >= interval_s)
    )


def train_cnn(
    config: dict[str, Any], data: PreparedData, settings: TrainSettings, ended: frozenset[str] = frozenset()
) -> None:
    """Ray Tune function trainable: one report per epoch, with a checkpoint when ``checkpoint_due``.

    ``ended``: trials the sweep's record shows as finished. A driver killed between a trial's
    end and Tune's next snapshot of the experiment leaves that trial "running" in the snapshot;
    on resume it returns at once instead of training again.
    """
    import ray
    from ray import tune

    if tune.get_context().get_trial_id() in ended:
        return
    backend.configure(settings.cpus, settings.gpus, trial_worker=True)

    logging.getLogger("ray.train").setLevel(logging.WARNING)  # not a line per checkpoint

    trial_id = tune.get_context().get_trial_id()
    trial = CnnTrial(Hyperparameters.from_config(config), data, settings)
    checkpoint = tune.get_checkpoint()
    owner = ""
    if checkpoint:
        with checkpoint.as_directory() as directory:
            owner = trial.restore(directory)
    restored_from = owner if owner and owner != trial_id else ""  # PBT handed it another trial's weights
    placement = {  # where the trial runs: Ray's view, what the process is shown, what the backend trains on
        "node_id": ray.get_runtime_context().get_node_id(),
        "gpu_ids": ",".join(str(gpu) for gpu in ray.get_gpu_ids()),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES", ""),
        "devices": backend.devices(settings.gpus),
    }
    last_checkpoint = time.monotonic()
    checkpoint_s = 0.0  # writing and handing over checkpoints, this session: what the policy costs (benchmarks/speed.py)
    while not trial.finished:
        metrics = {**trial.run_epoch(), **placement, "restored_from": restored_from}
        restored_from = ""
        if checkpoint_due(settings, trial.epoch, trial.finished, time.monotonic() - last_checkpoint):
            started = time.monotonic()
            with tempfile.TemporaryDirectory() as directory:
                trial.save(directory, trial_id)
                # Tune persists the checkpoint inside report(): that part counts from the next report on
                tune.report({**metrics, "checkpoint_s": checkpoint_s + time.monotonic() - started},
                            checkpoint=tune.Checkpoint.from_directory(directory))
            last_checkpoint = time.monotonic()
            checkpoint_s += last_checkpoint - started
        else:
            tune.report({**metrics, "checkpoint_s": checkpoint_s})


def idle_trial(config: dict[str, Any]) -> None:
    """A trial that trains nothing, in a worker that imports what ``train_cnn``'s does: a sweep of them
    costs what Tune itself spends on a sweep (``cnn-tune plan`` times one)."""
    from ray import tune

    tune.report({"epoch": 1})
