"""What happens between epochs: learning-rate schedules, early stopping, divergence, running best.

Plain Python, free of Keras and Ray, so each rule is tested on crafted numbers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from core.metrics import REPORTED_METRICS, better, metric_mode, running_best
from trainables.hyperparameters import Hyperparameters


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
    """Keras's rule, kept outside the fit loop so it survives checkpoints and folds.

    Without Keras's ``restore_best_weights``: a trial's weights are never exported (the final
    step retrains from scratch) and its reports are per epoch, so a copy of the best weights
    would be paid for (a copy per improvement, a second set of weights in every checkpoint)
    and never read.
    """

    monitor: str = "val_loss"
    patience: int = 5
    min_delta: float = 0.0
    best: float | None = None
    best_epoch: int = 0
    wait: int = 0

    def update(self, epoch: int, metrics: dict[str, float]) -> bool:
        """Whether to stop after ``epoch`` (1-based)."""
        value = metrics[self.monitor]
        if self.best is None or better(value, self.best, metric_mode(self.monitor), self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
        else:
            self.wait += 1
        return self.wait >= self.patience

    def state(self) -> dict:
        return asdict(self)


@dataclass
class Divergence:
    """Decides when a trial has diverged, and what it reports then.

    Diverged: a loss is NaN or infinite, or exceeds ``factor`` times ``baseline``, the loss
    of the untrained model: an untrained softmax guesses about uniformly, a cross-entropy
    of ln(classes), and Keras adds the L1/L2 ``penalty`` on the initial weights to every
    loss, so strong regularisation alone is not mistaken for divergence. Known without
    scoring the untrained model; checkpoints of older versions hold the measured loss,
    read back as the baseline. The seed's learning rate of 1 sends Adam's loss from 2.3
    to about 30,000 in its first epoch.

    A diverged trial reports chance level, for training and validation alike: accuracy
    1/classes and loss ln(classes), the scores of a classifier that guesses uniformly.
    That is the worst a working model does, so searchers learn the region is bad, and it
    is on the same scale as real results: the worst loss seen (30,000) or an infinite one
    would be a cliff that swamps a Gaussian process's fit of every other trial.
    """

    num_classes: int
    factor: float = 10.0
    penalty: float = 0.0
    baseline: float | None = None  # None: ln(classes) + penalty

    def __post_init__(self) -> None:
        if self.baseline is None:
            self.baseline = math.log(self.num_classes) + self.penalty

    def diverged(self, metrics: dict[str, float]) -> bool:
        losses = [metrics["loss"], metrics["val_loss"]]
        if not all(math.isfinite(loss) for loss in losses):
            return True
        return max(losses) > self.factor * self.baseline

    def report(self) -> dict[str, float]:
        chance = {"max": 1.0 / self.num_classes, "min": math.log(self.num_classes)}
        return {name: chance[metric_mode(name)] for name in REPORTED_METRICS}

    def state(self) -> dict:
        return {"baseline": self.baseline}


@dataclass
class RunningBest:
    """The best value so far of every reported metric, each in its own direction.

    Searchers and schedulers read a trial's last report, while the sweep selects on its best
    epoch: reported beside the per-epoch values (as ``best_<metric>``), the running best lets
    them judge a trial by what the sweep would pick from it. A diverged epoch replaces it with
    the diverged report, since the sweep never selects a diverged trial.
    """

    best: dict[str, float] = field(default_factory=dict)

    def update(self, metrics: dict[str, float], diverged: bool = False) -> dict[str, float]:
        """Take in one epoch's ``metrics``; returns the running best under its reported names."""
        for name in REPORTED_METRICS:
            value = metrics[name]
            if diverged or name not in self.best or better(value, self.best[name], metric_mode(name)):
                self.best[name] = value
        return {running_best(name): value for name, value in self.best.items()}

    def state(self) -> dict:
        return asdict(self)
