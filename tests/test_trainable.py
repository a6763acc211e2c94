"""The training loop itself, with real Keras on a few hundred real images (no Ray)."""

import math

import numpy as np
import pytest

from trainables import backend
from trainables.cnn import CnnTrial, TrainSettings
from trainables.data import prepare
from trainables.hyperparameters import Hyperparameters
from trainables.training import EarlyStopping

backend.configure(cpus=2, gpus=0)


@pytest.fixture(scope="module")
def data():
    return prepare("mnist-5k", limit=300, seed=0)


def weights(trial):
    return [w for fold in trial.folds for w in fold.model.get_weights()]


def test_checkpoint_restore_resumes_at_the_next_epoch_with_the_same_weights(data, tmp_path):
    settings = TrainSettings(max_epochs=3)
    hp = Hyperparameters(hidden_units=32, optimizer="adam")
    trial = CnnTrial(hp, data, settings)
    first = trial.run_epoch()
    assert first["epoch"] == 1
    trial.save(tmp_path)

    restored = CnnTrial(hp, data, settings)
    restored.restore(tmp_path)
    assert restored.epoch == 1
    assert all(np.array_equal(a, b) for a, b in zip(weights(trial), weights(restored)))
    optimizer_state = [np.asarray(v) for v in trial.folds[0].model.optimizer.variables]
    assert all(np.array_equal(a, np.asarray(b)) for a, b in zip(optimizer_state, restored.folds[0].model.optimizer.variables))
    # the same data order from here on is not promised, but the next epoch number is
    assert restored.run_epoch()["epoch"] == 2


def test_reported_metrics_are_finite_and_complete(data):
    metrics = CnnTrial(Hyperparameters(hidden_units=16), data, TrainSettings(max_epochs=1)).run_epoch()
    for name in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert math.isfinite(metrics[name])
    assert metrics["diverged"] is False and metrics["early_stopped"] is False


def test_k_fold_reports_the_mean_of_its_folds():
    folds = prepare("digits", folds=3, limit=240, seed=0)
    trial = CnnTrial(Hyperparameters(hidden_units=16), folds, TrainSettings(model="lenet5", max_epochs=1))
    assert len(trial.folds) == 3
    metrics = trial.run_epoch()
    per_fold = [fold.evaluate()["accuracy"] for fold in trial.folds]
    assert metrics["val_accuracy"] == pytest.approx(np.mean(per_fold), abs=1e-6)
    assert metrics["val_accuracy_std"] == pytest.approx(np.std(per_fold), abs=1e-6)


def test_learning_rate_of_one_is_marked_diverged_with_worst_metrics(data):
    trial = CnnTrial(Hyperparameters(learning_rate=1.0), data, TrainSettings(max_epochs=5))
    metrics = trial.run_epoch()
    assert metrics["diverged"] is True and trial.finished
    assert metrics["val_accuracy"] == 0.0 and math.isfinite(metrics["val_loss"])


def test_early_stopping_stops_and_restores_the_best_weights(data):
    rule = EarlyStopping(monitor="val_accuracy", patience=1, restore_best_weights=True)
    # a learning rate this small barely moves accuracy: the rule fires within a few epochs
    trial = CnnTrial(Hyperparameters(hidden_units=8, learning_rate=1e-6), data, TrainSettings(max_epochs=10, early_stopping=rule))
    while not trial.finished:
        last = trial.run_epoch()
    assert last["early_stopped"] is True and last["epoch"] < 10
    assert trial.early_stopping.best_epoch < last["epoch"]
    best = trial.folds[0].evaluate()["accuracy"]
    assert best == pytest.approx(trial.early_stopping.best, abs=1e-6)


@pytest.mark.parametrize("model", ["seed-cnn", "lenet5"])
@pytest.mark.parametrize("dataset", ["mnist-5k", "digits"])
def test_models_build_for_every_dataset(model, dataset):
    from trainables.cnn import build_model

    data = prepare(dataset, limit=100)
    net = build_model(Hyperparameters(hidden_units=8, dropout=0.2, l1=0.01), TrainSettings(model=model), data.input_shape, 10)
    assert net.output_shape == (None, 10)
