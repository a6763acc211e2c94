"""The figures of how trials trained: the best trials' history, the best so far, every learning
curve, and where trials stopped."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D

from core import statuses
from experiments.figures.base import STATUS_COLORS, plt
from experiments.tables import TOP_TRIALS, Sweep, best_so_far, best_trial_ids

CURVES = 50  # the most learning curves drawn as lines: all of a sweep this small, else a selection
BEST_CURVES = 5  # of a larger sweep, the best trials' curves, drawn bold; the rest of CURVES at random
DENSITY_BINS = 60  # metric bins of the density (epochs get one bin each)
ENDS = {  # how a trial ended, in the order the stops figure stacks them
    statuses.COMPLETED: STATUS_COLORS[statuses.COMPLETED],
    f"stopped by {statuses.BY_SCHEDULER}": "tab:orange",
    f"stopped by {statuses.BY_EARLY_STOPPING}": "tab:brown",
    f"stopped by {statuses.BY_TARGET}": "gold",
    f"stopped by {statuses.BY_BUDGET}": "tab:pink",
    **{status: STATUS_COLORS[status] for status in (statuses.DIVERGED, statuses.ERRORED, statuses.RUNNING)},
}


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


def _density(figure, axis, history: pd.DataFrame, metric: str, mode: str) -> None:
    """Every trial-epoch counted in a cell of (epoch, metric), on a log scale so the few trials that
    trained longest still show; the worst 0.5% (diverging values) lie outside rather than squash the rest."""
    values = history[metric].astype(float).to_numpy()
    finite = np.isfinite(values)
    epochs, values = history.epoch.to_numpy()[finite], values[finite]
    low, high = np.percentile(values, [0.5, 100] if mode == "max" else [0, 99.5])
    if low == high:
        low, high = low - 0.5, high + 0.5
    edges = np.arange(epochs.min() - 0.5, epochs.max() + 1.5), np.linspace(low, high, DENSITY_BINS + 1)
    counts = np.histogram2d(epochs, values, bins=edges)[0]
    mesh = axis.pcolormesh(*edges, np.ma.masked_equal(counts.T, 0), cmap="Purples", norm=LogNorm(vmin=1))
    figure.colorbar(mesh, ax=axis, label="trial-epochs in the cell")
    axis.set_ylim(low - 0.03 * (high - low), high + 0.03 * (high - low))  # the best curves clear of the frame


def learning_curves_figure(sweep: Sweep):
    """Validation curves coloured by how each trial ended, a cross where one was cut short. Past CURVES
    trials, one line each would be a blot (and slow to draw): the density of all trial-epochs, the best
    trials bold, and a fixed random sample of the others, so the figure is the same each time it is drawn."""
    history, trials = sweep.history, sweep.trials.set_index("trial_id")
    reported = sorted(history.trial_id.unique())
    figure, axis = plt.subplots(figsize=(9, 5))
    best: list[str] = []
    title = f"Learning curves of {len(trials)} trials"
    if len(reported) > CURVES:
        best = best_trial_ids(sweep.result, BEST_CURVES)
        others = sorted(set(reported) - set(best))
        drawn = [*np.random.default_rng(0).choice(others, CURVES - len(best), replace=False), *best]
        _density(figure, axis, history, sweep.metric, sweep.mode)
        title += f": all {len(history)} trial-epochs as a density, the best {len(best)} in black, {CURVES - len(best)} others at random"
    else:
        drawn = reported
    ends = []
    for trial_id, rows in history[history.trial_id.isin(drawn)].sort_values("epoch").groupby("trial_id"):
        status = trials.status.get(trial_id, statuses.RUNNING)
        color = "black" if trial_id in best else STATUS_COLORS.get(status, "black")
        faint = bool(best) and trial_id not in best
        axis.plot(rows.epoch, rows[sweep.metric], color=color, alpha=0.4 if faint else 0.8, linewidth=0.8 if faint else 1.5,
                  gid=f"trial:{trial_id}", zorder=3 if trial_id in best else 2)
        if status in (statuses.STOPPED_EARLY, statuses.DIVERGED):
            ends.append((rows.epoch.iloc[-1], rows[sweep.metric].iloc[-1], STATUS_COLORS[status]))
    if ends:
        x, y, colors = zip(*ends)
        axis.scatter(x, y, marker="x", c=colors, s=40, zorder=4)
    handles = [Line2D([], [], color=color, label=status) for status, color in STATUS_COLORS.items() if (trials.status == status).any()]
    handles += [Line2D([], [], color="black", linewidth=1.5, label=f"best {len(best)}")] if best else []
    axis.legend(handles=handles, fontsize="small", loc="lower right" if sweep.mode == "max" else "upper right")
    axis.set_xlabel("epoch")
    axis.set_ylabel(sweep.metric)
    axis.set_title(f"{title}\n(x: stopped by the scheduler or early stopping, or diverged)", fontsize="medium")
    axis.grid(alpha=0.3)
    return figure


def stops_figure(sweep: Sweep):
    """How many epochs each trial trained, stacked by how it ended: where a scheduler's rungs cut
    trials, where they diverged or errored, how many ran to the end."""
    trials = sweep.trials
    stopped_by = trials.stopped_by.fillna("").astype(str)
    ended = trials.status.where(stopped_by == "", "stopped by " + stopped_by)
    shown = sorted(set(ended), key=lambda kind: list(ENDS).index(kind) if kind in ENDS else len(ENDS))
    epochs = trials.epochs.astype(int)
    figure, axis = plt.subplots(figsize=(8, 4))
    axis.hist([epochs[ended == kind] for kind in shown], bins=np.arange(-0.5, epochs.max() + 1.5), stacked=True,
              label=shown, color=[ENDS.get(kind, "black") for kind in shown])
    axis.set_xlabel("epochs trained")
    axis.set_ylabel("trials")
    axis.set_title(f"Where the {len(trials)} trials stopped")
    axis.grid(alpha=0.3, axis="y")
    axis.legend(fontsize="small")
    return figure
