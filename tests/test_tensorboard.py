"""TensorBoard event files as cnn-tune writes them (experiments/tensorboard.py), read back by TensorFlow's own reader."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from experiments.tensorboard import TensorBoardFiles


def trial_in(tmp_path, monkeypatch, trial_id: str):
    """A trial whose driver-side folder is under ``tmp_path`` (that of a Ray session, which the fast tier does not start)."""
    from ray.train._internal import storage as ray_storage
    from ray.train._internal.storage import StorageContext
    from ray.tune.experiment import Trial

    monkeypatch.setattr(ray_storage, "_get_ray_train_session_dir", lambda: str(tmp_path / "session"))

    storage = StorageContext(storage_path=str(tmp_path), experiment_dir_name="sweep", trial_dir_name=trial_id)
    config = {"learning_rate": np.float64(0.01), "hidden_units": 64, "optimizer": "adam"}
    return Trial("train_cnn", config=config, evaluated_params=config, trial_id=trial_id, stub=True, storage=storage)


def read(trial):
    from tensorflow.compat.v1.train import summary_iterator

    (path,) = Path(trial.local_path).glob("events.out.tfevents.*")
    return list(summary_iterator(str(path)))


def test_each_result_is_readable_as_scalars_at_its_iteration_while_the_trial_runs(tmp_path, monkeypatch):
    """Every number of a result under ray/tune/ (NaN and what Tune's logger leaves out skipped), readable
    before the trial ends; the hyperparameters and last numbers for the HParams view once it ends."""
    trial, files = trial_in(tmp_path, monkeypatch, "a"), TensorBoardFiles()
    files.on_trial_start(0, [trial], trial)
    for epoch in (1, 2):
        result = {"epoch": epoch, "val_accuracy": 0.5 + epoch / 10, "val_loss": math.nan, "diverged": False,
                  "node_id": "n1", "config": {"hidden_units": 64}, "pid": 1, "training_iteration": epoch}
        files.on_trial_result(0, [trial], trial, result)
    running = read(trial)
    assert running[0].file_version == "brain.Event:2"
    scalars = {(event.step, value.tag): value.simple_value for event in running[1:] for value in event.summary.value}
    assert scalars == {
        (step, tag): value
        for step in (1, 2)
        for tag, value in (("ray/tune/epoch", step), ("ray/tune/val_accuracy", np.float32(0.5 + step / 10)), ("ray/tune/diverged", 0.0))
    }
    files.on_trial_complete(0, [trial], trial)
    ended = read(trial)
    plugins = {value.metadata.plugin_data.plugin_name for event in ended[len(running):] for value in event.summary.value}
    assert plugins == {"hparams"} and len(ended) == len(running) + 3


def test_cnn_tune_takes_the_place_of_tunes_own_tensorboard_logger(tmp_path):
    """Tune adds its TBXLoggerCallback unless one is given: every sweep cnn-tune builds gives its own."""
    from ray.tune.logger import TBXLoggerCallback

    import experiments
    from experiments.runner import location_of
    from experiments.tuner import build_tuner

    spec = experiments.validate("quickstart", storage=str(tmp_path), resources={"cpu": 1})
    location = location_of(spec)
    location.local.mkdir(parents=True)
    tuner = build_tuner(spec, None, location, resume=False, verbose=0, trainable=lambda config: None)
    loggers = [callback for callback in tuner._local_tuner._run_config.callbacks if isinstance(callback, TBXLoggerCallback)]
    assert [type(callback) for callback in loggers] == [TensorBoardFiles]
