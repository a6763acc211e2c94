"""Between-epoch rules on crafted numbers: schedules, early stopping, divergence."""

import math

import pytest

from trainables.hyperparameters import Hyperparameters
from trainables.training import Divergence, EarlyStopping, learning_rate_at


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
    assert decisions == [(True, False), (True, False), (False, False), (False, True), (True, False)]
    assert rule.best == 0.7 and rule.best_epoch == 5


def test_early_stopping_respects_min_delta_and_direction():
    rule = EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.01)
    assert rule.update(1, {"val_accuracy": 0.90}) == (True, False)
    assert rule.update(2, {"val_accuracy": 0.905}) == (False, True)  # within min_delta: no improvement
    assert rule.best_epoch == 1


def test_divergence_on_nan_or_explosion_and_worst_report():
    divergence = Divergence(num_classes=10, factor=10, baseline=2.3)
    healthy = {"loss": 1.0, "accuracy": 0.7, "val_loss": 1.2, "val_accuracy": 0.6}
    assert not divergence.diverged(healthy)
    divergence.update(healthy)
    divergence.update({"loss": 2.5, "accuracy": 0.2, "val_loss": 3.0, "val_accuracy": 0.1})
    assert divergence.diverged({**healthy, "loss": math.nan})
    assert divergence.diverged({**healthy, "val_loss": math.inf})
    assert divergence.diverged({**healthy, "loss": 30_000.0})
    worst = divergence.report()
    assert worst["val_accuracy"] == 0.0 and worst["accuracy"] == 0.0
    assert worst["val_loss"] == 3.0  # the worst it saw, above chance (ln 10 = 2.30)
    assert worst["loss"] == 2.5
    assert all(math.isfinite(v) for v in worst.values())


def test_divergence_reports_no_better_than_chance():
    divergence = Divergence(num_classes=10, baseline=2.3)
    divergence.update({"loss": 0.5, "accuracy": 0.9, "val_loss": 0.6, "val_accuracy": 0.85})
    assert divergence.report() == {
        "loss": pytest.approx(math.log(10)),
        "accuracy": 0.0,
        "val_loss": pytest.approx(math.log(10)),
        "val_accuracy": 0.0,
    }
