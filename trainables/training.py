"""What happens between epochs: learning-rate schedules, early stopping, divergence.

Plain Python, free of Keras and Ray, so each rule is tested on crafted numbers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from trainables.hyperparameters import Hyperparameters

REPORTED_METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")


def metric_mode(metric: str) -> str:
    """Accuracies are maximised, losses minimised."""
    return "max" if metric.endswith("accuracy") else "min"


def learning_rate_at(hp: Hyperparameters, epoch: int, max_epochs: int) -> float:
    """The learning rate for ``epoch`` (0-based) under the trial's schedule."""
    if hp.lr_schedule == "step":
        return hp.learning_rate * hp.lr_decay ** (epoch // hp.lr_step_epochs)
    if hp.lr_schedule == "exponential":
        return hp.learning_rate * hp.lr_decay**epoch
    if hp.lr_schedule == "cosine":
        progress = epoch / max(1, max_epochs)
        return hp.lr_min + 0.5 * (hp.learning_rate - hp.lr_min) * (1 + math.cos(math.pi * progress))
    return hp.learning_rate


@dataclass
class EarlyStopping:
    """Keras's rule, kept outside the fit loop so it survives checkpoints and folds."""

    monitor: str = "val_loss"
    patience: int = 5
    min_delta: float = 0.0
    restore_best_weights: bool = True
    best: float | None = None
    best_epoch: int = 0
    wait: int = 0

    def update(self, epoch: int, metrics: dict[str, float]) -> tuple[bool, bool]:
        """(improved, stop) after ``epoch`` (1-based)."""
        value = metrics[self.monitor]
        sign = 1 if metric_mode(self.monitor) == "max" else -1
        improved = self.best is None or sign * (value - self.best) > self.min_delta
        if improved:
            self.best, self.best_epoch, self.wait = value, epoch, 0
        else:
            self.wait += 1
        return improved, self.wait >= self.patience

    def state(self) -> dict:
        return asdict(self)


@dataclass
class Divergence:
    """Decides when a trial has diverged, and what it reports then.

    Diverged: a loss is NaN or infinite, or exceeds ``factor`` times the loss of the
    untrained model (with L1/L2 that baseline includes the penalty, so strong
    regularisation alone is not mistaken for divergence). The seed's learning rate
    of 1 sends Adam's loss from 2.3 to about 30,000 in its first epoch.

    A diverged trial reports the worst values it saw, and never better than chance
    (accuracy 0, loss ln(classes)): searchers must learn the region is bad, but an
    infinite loss would swamp a Gaussian process.
    """

    num_classes: int
    factor: float = 10.0
    baseline: float | None = None
    worst: dict[str, float] = field(default_factory=dict)

    def diverged(self, metrics: dict[str, float]) -> bool:
        losses = [metrics["loss"], metrics["val_loss"]]
        if not all(math.isfinite(loss) for loss in losses):
            return True
        return self.baseline is not None and max(losses) > self.factor * self.baseline

    def update(self, metrics: dict[str, float]) -> None:
        for name in REPORTED_METRICS:
            worse = max if metric_mode(name) == "min" else min
            self.worst[name] = worse(self.worst.get(name, metrics[name]), metrics[name])

    def report(self) -> dict[str, float]:
        chance_loss = math.log(self.num_classes)
        return {
            name: 0.0 if metric_mode(name) == "max" else max(chance_loss, self.worst.get(name, chance_loss))
            for name in REPORTED_METRICS
        }

    def state(self) -> dict:
        return {"baseline": self.baseline, "worst": self.worst}
