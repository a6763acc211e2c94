"""Between-epoch rules on crafted numbers: schedules, early stopping, divergence, running best."""

import dataclasses
import json
import math

import pytest

from trainables.hyperparameters import Hyperparameters
from trainables.training import Divergence, EarlyStopping, RunningBest, learning_rate_at


@pytest.mark.parametrize(
    "schedule, epoch, expected",
    [
        ({"lr_schedule": "constant"}, 7, 0.1),
        ({"lr_schedule": "step", "lr_decay": 0.1, "lr_step_epochs": 2}, 0, 0.1),
        ({"lr_schedule": "step", "lr_decay": 0.1, "lr_step_epochs": 2}, 1, 0.1),
        ({"lr_schedule": "step", "lr_decay": 0.1, "lr_step_epochs": 2}, 2, 0.01),
        ({"lr_schedule": "step", "lr_decay": 0.1, "lr_step_epochs": 2}, 5, 0.001),
        ({"lr_schedule": "exponential", "lr_decay": 0.5}, 3, 0.0125),
        ({"lr_schedule": "cosine", "lr_min": 0.0}, 0, 0.1),
        ({"lr_schedule": "cosine", "lr_min": 0.0}, 5, 0.05),
        ({"lr_schedule": "cosine", "lr_min": 0.02}, 10, 0.02),
    ],
)
def test_learning_rate_schedules(schedule, epoch, expected):
    hp = Hyperparameters(learning_rate=0.1, **schedule)
    assert learning_rate_at(hp, epoch, max_epochs=10) == pytest.approx(expected)


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    rule = EarlyStopping(monitor="val_loss", patience=2)
    losses = [1.0, 0.8, 0.85, 0.9, 0.7]
    decisions = [rule.update(epoch, {"val_loss": loss}) for epoch, loss in enumerate(losses, start=1)]
    assert decisions == [False, False, False, True, False]
    assert rule.best == 0.7 and rule.best_epoch == 5


def test_early_stopping_respects_min_delta_and_direction():
    rule = EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.01)
    assert rule.update(1, {"val_accuracy": 0.90}) is False
    assert rule.update(2, {"val_accuracy": 0.905}) is True  # within min_delta: no improvement
    assert rule.best_epoch == 1


def test_divergence_on_nan_or_explosion():
    divergence = Divergence(num_classes=10, factor=10)
    healthy = {"loss": 1.0, "accuracy": 0.7, "val_loss": 1.2, "val_accuracy": 0.6}
    assert not divergence.diverged(healthy)
    assert not divergence.diverged({**healthy, "loss": 22.9})  # under 10x the untrained loss, ln(10) = 2.303
    assert divergence.diverged({**healthy, "loss": 23.1})
    assert divergence.diverged({**healthy, "loss": math.nan})
    assert divergence.diverged({**healthy, "val_loss": math.inf})
    assert divergence.diverged({**healthy, "loss": 30_000.0})


def test_divergence_baseline_is_the_untrained_loss_known_without_scoring_a_model():
    assert Divergence(num_classes=4).baseline == pytest.approx(math.log(4))  # a uniform softmax's cross-entropy
    # strong L1 on the initial weights: Keras adds hundreds to every loss of a healthy trial
    regularised = Divergence(num_classes=10, factor=10, penalty=600.0)
    assert regularised.baseline == pytest.approx(math.log(10) + 600)
    assert not regularised.diverged({"loss": 450.0, "accuracy": 0.3, "val_loss": 420.0, "val_accuracy": 0.3})


def test_divergence_baseline_measured_by_an_older_version_is_read_back():
    stored = json.loads(json.dumps(Divergence(num_classes=10).state()))
    assert stored == {"baseline": pytest.approx(math.log(10))}  # the checkpoint's format is unchanged
    older = {"baseline": 2.41}  # the untrained model's validation loss, as older versions measured it
    divergence = dataclasses.replace(Divergence(num_classes=10, penalty=5.0), **older)  # as CnnTrial.restore does
    assert divergence.baseline == 2.41 and divergence.diverged({"loss": 24.2, "val_loss": 1.0})


@pytest.mark.parametrize("classes", [10, 4])
def test_divergence_reports_chance_level(classes):
    chance = {"loss": math.log(classes), "accuracy": 1 / classes, "val_loss": math.log(classes), "val_accuracy": 1 / classes}
    assert Divergence(num_classes=classes).report() == pytest.approx(chance)


def test_a_curve_that_peaks_then_falls_reports_its_peak_as_best_val_accuracy():
    running = RunningBest()
    curve = [(0.5, 1.4), (0.8, 0.7), (0.9, 0.5), (0.85, 0.6), (0.7, 0.9)]  # (val_accuracy, val_loss) per epoch
    reports = [
        running.update({"loss": loss, "accuracy": accuracy, "val_loss": loss, "val_accuracy": accuracy})
        for accuracy, loss in curve
    ]
    assert [r["best_val_accuracy"] for r in reports] == [0.5, 0.8, 0.9, 0.9, 0.9]
    assert [r["best_val_loss"] for r in reports] == [1.4, 0.7, 0.5, 0.5, 0.5]  # losses: the minimum
    assert reports[-1] == {"best_loss": 0.5, "best_accuracy": 0.9, "best_val_loss": 0.5, "best_val_accuracy": 0.9}


def test_running_best_survives_its_state_and_a_diverged_epoch_replaces_it():
    running = RunningBest()
    running.update({"loss": 0.3, "accuracy": 0.95, "val_loss": 0.4, "val_accuracy": 0.9})
    restored = RunningBest(**json.loads(json.dumps(running.state())))  # as trial.json holds it
    assert restored.update({"loss": 0.9, "accuracy": 0.6, "val_loss": 1.0, "val_accuracy": 0.5})["best_val_accuracy"] == 0.9
    chance = Divergence(num_classes=10).report()
    after = restored.update(chance, diverged=True)
    assert after == {f"best_{name}": value for name, value in chance.items()}
