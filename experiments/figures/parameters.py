"""The figures of which hyperparameters did well: each one against the score, and the best trials
across all of them."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.ticker import NullLocator

from experiments.figures.base import STATUS_COLORS, plt
from experiments.importance import scored_trials
from experiments.tables import Sweep, best_trial_ids

PARALLEL_TOP = 50  # the trials in the parallel coordinates: the best, so their lines can be followed
FEW_VALUES = 8  # up to this many distinct numbers, an axis is ticked at each of them
MARGINAL_BINS = 10  # of a hyperparameter with more values, the marginal's mean score per bin


@dataclass(frozen=True)
class Scale:
    """Where a hyperparameter's values lie on an axis: numbers, as log10 where the space samples them on
    a log scale (or, where it does not say, where they span decades); words, by rank."""

    log: bool
    words: tuple[str, ...] | None
    low: float
    high: float

    @classmethod
    def of(cls, values: pd.Series, log: bool | None = None) -> Scale:
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numbers = values.dropna().astype(float)
            log = bool((numbers > 0).all() and (numbers.max() / numbers.min() > 50 if log is None else log))
            positions = np.log10(numbers) if log else numbers
            return cls._spanning(log, None, positions.min(), positions.max())
        words = tuple(sorted(values.dropna().astype(str).unique()))
        return cls._spanning(False, words, 0, len(words) - 1)

    @classmethod
    def _spanning(cls, log: bool, words: tuple[str, ...] | None, low: float, high: float) -> Scale:
        """A scale over [low, high], widened where that is one point (one value, one trial)."""
        return cls(log, words, low - 0.5, high + 0.5) if low == high else cls(log, words, low, high)

    def positions(self, values: pd.Series) -> np.ndarray:
        if self.words is not None:
            return np.array([self.words.index(v) if v in self.words else np.nan for v in values.astype(str)], dtype=float)
        numbers = values.astype(float).to_numpy()
        return np.log10(numbers) if self.log else numbers

    def unit(self, values: pd.Series) -> np.ndarray:
        """Positions scaled to [0, 1] over the scale's span."""
        return (self.positions(values) - self.low) / (self.high - self.low)

    def on_axis(self, values: pd.Series) -> np.ndarray:
        """Where ``tick`` puts the values: numbers as they are (a log axis spaces them), words by rank."""
        positions = self.positions(values)
        return 10**positions if self.log else positions

    def tick(self, axis, values: pd.Series, along: str = "y", pad: float = 0.0) -> None:
        """Label ``axis``'s x or y axis (``along``), spanning the scale widened by ``pad`` of its width,
        with values: words by name; numbers that repeat (a grid's, a choice's) each by its own when there
        are few; others as matplotlib ticks them."""
        def set_(what: str, *args, **kwargs) -> None:
            getattr(axis, f"set_{along}{what}")(*args, **kwargs)

        if self.log:
            set_("scale", "log")
        low, high = self.low - pad * (self.high - self.low), self.high + pad * (self.high - self.low)
        set_("lim", *(10 ** np.array([low, high]) if self.log else (low, high)))
        distinct = sorted(values.dropna().unique())
        if self.words is not None:
            set_("ticks", range(len(self.words)), self.words, rotation=30 if along == "x" else 0)
        elif len(distinct) <= FEW_VALUES and len(distinct) < values.count():
            getattr(axis, f"{along}axis").set_minor_locator(NullLocator())
            set_("ticks", distinct, [f"{value:.3g}" for value in distinct])


def _against_score(axis, sweep: Sweep, trials: pd.DataFrame, name: str) -> Scale:
    """One panel: each trial's value of ``name`` against its best metric, coloured by how it ended, on an
    axis labelled with the values (log where the space samples on a log scale)."""
    scale = Scale.of(trials[name], sweep.log_scales.get(name))
    axis.scatter(scale.on_axis(trials[name]), trials[f"best_{sweep.metric}"], c=[STATUS_COLORS.get(s, "black") for s in trials.status], s=18)
    scale.tick(axis, trials[name], along="x", pad=0.05)
    axis.set_xlabel(name)
    axis.set_ylabel(f"best {sweep.metric}")
    axis.grid(alpha=0.3)
    return scale


def hyperparameters_figure(sweep: Sweep):
    """One panel per hyperparameter: its value against the trial's best metric."""
    names = sweep.hyperparameters or ["(nothing varied)"]
    columns = min(3, len(names))
    figure, axes = plt.subplots(math.ceil(len(names) / columns), columns, figsize=(4 * columns, 3.2 * math.ceil(len(names) / columns)), squeeze=False)
    for axis, name in zip(axes.flat, names):
        if name in sweep.trials:
            _against_score(axis, sweep, sweep.trials, name)
    for axis in list(axes.flat)[len(names):]:
        axis.set_visible(False)
    return figure


def marginals_figure(sweep: Sweep):
    """The two hyperparameters that mattered most (``SweepResult.importance``): each scored trial's value
    against its score, and the mean score in MARGINAL_BINS bins of the value (at each value, where
    there are few): how the metric moves with the hyperparameter, over the trials that were run."""
    table, trials = sweep.result.importance, scored_trials(sweep)
    shown = table.head(2)
    figure, axes = plt.subplots(1, max(len(shown), 1), figsize=(5.5 * max(len(shown), 1), 4), squeeze=False)
    for axis, (name, share) in zip(axes.flat, zip(shown.hyperparameter, shown.importance)):
        scale = _against_score(axis, sweep, trials, name)
        positions, scores = scale.positions(trials[name]), trials[f"best_{sweep.metric}"].to_numpy(float)
        if scale.words is None and len(np.unique(positions)) > FEW_VALUES:
            edges = np.linspace(scale.low, scale.high, MARGINAL_BINS + 1)
            positions = (edges[:-1] + np.diff(edges) / 2)[np.clip(np.digitize(positions, edges) - 1, 0, MARGINAL_BINS - 1)]
        means = pd.Series(scores).groupby(positions).mean()
        axis.plot(10**means.index if scale.log else means.index, means.to_numpy(), color="black", marker="o", label="mean")
        axis.set_title(f"{name}: importance {share:.2f}")
        axis.legend(fontsize="small")
    if shown.empty:
        axes[0, 0].axis("off")
        axes[0, 0].text(0.5, 0.5, textwrap.fill(table.attrs["note"], 70), ha="center", va="center", transform=axes[0, 0].transAxes)
    figure.suptitle("Which hyperparameters mattered: the top two")
    return figure


def parallel_coordinates_figure(sweep: Sweep):
    """The best PARALLEL_TOP trials, each a line from its hyperparameters to its score, coloured by the
    score, on axes that carry their values: which values the best trials share. A hyperparameter's axis
    spans every trial's values, so it also shows where in the space the best lie."""
    score = f"best_{sweep.metric}"
    trials, logs = sweep.trials, sweep.log_scales
    best = trials.set_index("trial_id").loc[best_trial_ids(sweep.result, PARALLEL_TOP)][::-1]  # the best drawn last, on top
    columns = [(name, trials[name], Scale.of(trials[name], logs.get(name))) for name in sweep.hyperparameters]
    columns.append((score, best[score], Scale.of(best[score])))
    figure, (host, bar) = plt.subplots(1, 2, figsize=(max(7, 1.8 * len(columns)), 5), gridspec_kw={"width_ratios": [40, 1]})
    host.set_xlim(*((0, len(columns) - 1) if len(columns) > 1 else (-1, 1)))
    host.set_ylim(0, 1)
    host.set_xticks(range(len(columns)), [name for name, _, _ in columns], rotation=20)
    host.set_yticks([])
    for spine in host.spines.values():
        spine.set_visible(False)
    for x, (name, values, scale) in enumerate(columns):
        axis = host.twinx()
        axis.spines["right"].set_position(("data", x))
        for side in ("left", "top", "bottom"):
            axis.spines[side].set_visible(False)
        scale.tick(axis, values)
    units = np.column_stack([scale.unit(best[name]) for name, _, scale in columns])
    lines = LineCollection([np.column_stack([range(len(columns)), row]) for row in units], array=best[score].to_numpy(float),
                           cmap="viridis" if sweep.mode == "max" else "viridis_r", norm=Normalize(), linewidth=1.5, alpha=0.8)
    host.add_collection(lines)
    figure.colorbar(lines, cax=bar, label=f"{score} (brighter is better)")
    host.set_title(f"Parallel coordinates of the best {len(best)} of {len(trials)} trials\n"
                   "(each hyperparameter's axis spans every trial's values)", fontsize="medium")
    return figure
