"""The report's figures, one function each, drawn from a run's tables."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from core import statuses  # noqa: E402
from experiments.tables import TOP_TRIALS, Sweep, best_so_far, best_trial_ids  # noqa: E402

STATUS_COLORS = {
    statuses.COMPLETED: "tab:green",
    statuses.STOPPED_EARLY: "tab:orange",
    statuses.DIVERGED: "tab:red",
    statuses.ERRORED: "tab:gray",
    statuses.RUNNING: "tab:blue",
}


def save(figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def history_figure(sweep: Sweep, top: int = TOP_TRIALS):
    """The seed's two panels, loss and accuracy, train vs validation, for the best trials."""
    result = sweep.result
    history = result.history
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(11, 4))
    for index, trial_id in enumerate(best_trial_ids(result, top)):
        rows = history[history.trial_id == trial_id].sort_values("epoch")
        color = f"C{index}"
        for axis, metric in ((loss_axis, "loss"), (accuracy_axis, "accuracy")):
            axis.plot(rows.epoch, rows[metric], color=color, linestyle="--", label=f"{trial_id} train")
            axis.plot(rows.epoch, rows[f"val_{metric}"], color=color, label=f"{trial_id} validation")
    for axis, title in ((loss_axis, "Loss"), (accuracy_axis, "Accuracy")):
        axis.set_title(title)
        axis.set_xlabel("epoch")
        axis.grid(alpha=0.3)
        axis.legend(fontsize="small")
    figure.suptitle(f"{result.summary['name']}: best {top} trials, train (dashed) vs validation")
    return figure


def best_so_far_figure(sweep: Sweep):
    """The sweep's own metric, best of all trials so far, against time and against epochs spent."""
    curve = best_so_far(sweep.history, sweep.metric, sweep.mode)
    figure, (by_time, by_epochs) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    by_time.step(curve.seconds, curve.best, where="post")
    by_epochs.step(curve.epochs, curve.best, where="post")
    by_time.set_xlabel("wall-clock seconds")
    by_epochs.set_xlabel("epochs spent (all trials)")
    by_time.set_ylabel(f"best {sweep.metric} so far")
    for axis in (by_time, by_epochs):
        axis.grid(alpha=0.3)
    figure.suptitle("Best so far")
    return figure


def learning_curves_figure(sweep: Sweep):
    """Every trial's validation curve, coloured by how it ended; a cross where it was cut short."""
    history, trials = sweep.history, sweep.trials.set_index("trial_id")
    figure, axis = plt.subplots(figsize=(8, 5))
    for trial_id, rows in history.groupby("trial_id"):
        rows = rows.sort_values("epoch")
        status = trials.status.get(trial_id, statuses.RUNNING)
        color = STATUS_COLORS.get(status, "black")
        axis.plot(rows.epoch, rows[sweep.metric], color=color, alpha=0.7, linewidth=1, gid=f"trial:{trial_id}")
        if status in (statuses.STOPPED_EARLY, statuses.DIVERGED):
            axis.plot(rows.epoch.iloc[-1], rows[sweep.metric].iloc[-1], marker="x", color=color, markersize=8)
    for status, color in STATUS_COLORS.items():
        if (trials.status == status).any():
            axis.plot([], [], color=color, label=status)
    axis.set_xlabel("epoch")
    axis.set_ylabel(sweep.metric)
    axis.set_title(f"Learning curves of {len(trials)} trials (x: stopped by the scheduler or early stopping, or diverged)")
    axis.grid(alpha=0.3)
    axis.legend(fontsize="small")
    return figure


def _axis(values: pd.Series) -> tuple[np.ndarray, list[str] | None, bool]:
    """A hyperparameter's values on an axis: (positions, labels for words, on a log10 scale?).

    Numbers stay numbers, on a log scale when they span decades; words become ranks."""
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.astype(float).to_numpy()
        if (numbers > 0).all() and numbers.max() / numbers.min() > 50:
            return np.log10(numbers), None, True
        return numbers, None, False
    labels = sorted(values.astype(str).unique())
    return np.array([labels.index(v) for v in values.astype(str)], dtype=float), labels, False


def hyperparameters_figure(sweep: Sweep):
    """One panel per hyperparameter: its value against the trial's best metric."""
    names = sweep.hyperparameters or ["(nothing varied)"]
    columns = min(3, len(names))
    figure, axes = plt.subplots(math.ceil(len(names) / columns), columns, figsize=(4 * columns, 3.2 * math.ceil(len(names) / columns)), squeeze=False)
    trials = sweep.trials
    for axis, name in zip(axes.flat, names):
        if name in trials:
            x, labels, log = _axis(trials[name])
            axis.scatter(x, trials[f"best_{sweep.metric}"], c=[STATUS_COLORS.get(s, "black") for s in trials.status], s=18)
            if labels:
                axis.set_xticks(range(len(labels)), labels, rotation=30)
            axis.set_xlabel(f"log10 {name}" if log else name)
        axis.set_ylabel(f"best {sweep.metric}")
        axis.grid(alpha=0.3)
    for axis in list(axes.flat)[len(names):]:
        axis.set_visible(False)
    return figure


def parallel_coordinates_figure(sweep: Sweep):
    """Each trial a line across its hyperparameters and its score, coloured by the score."""
    trials = sweep.trials.dropna(subset=[f"best_{sweep.metric}"])
    names = sweep.hyperparameters
    axes_values = []
    for name in names:
        x = _axis(trials[name])[0]
        span = x.max() - x.min()
        axes_values.append((x - x.min()) / span if span else np.full_like(x, 0.5))
    score = trials[f"best_{sweep.metric}"].astype(float).to_numpy()
    span = score.max() - score.min() if len(score) else 0
    axes_values.append((score - score.min()) / span if span else np.full_like(score, 0.5))
    figure, axis = plt.subplots(figsize=(max(6, 1.6 * (len(names) + 1)), 4.5))
    colours = plt.cm.viridis((score - score.min()) / span if span else np.full_like(score, 0.5))
    matrix = np.vstack(axes_values) if axes_values else np.empty((0, 0))
    for index in range(len(trials)):
        axis.plot(range(len(axes_values)), matrix[:, index], color=colours[index], alpha=0.6)
    axis.set_xticks(range(len(names) + 1), [*names, f"best {sweep.metric}"], rotation=20)
    axis.set_yticks([])
    axis.set_title("Parallel coordinates (each axis scaled to its range; brighter is better)" if sweep.mode == "max"
                   else "Parallel coordinates (each axis scaled to its range; brighter is a higher loss)")
    return figure


FIGURES = {
    "best_so_far": best_so_far_figure,
    "learning_curves": learning_curves_figure,
    "parallel_coordinates": parallel_coordinates_figure,
    "hyperparameters": hyperparameters_figure,
    "history": history_figure,
}
