"""Pictures and tables of a sweep, drawn from what it wrote to disk.

Everything is read from the run's files, so a sweep still running can be reported
on (from another shell, or another machine reading its bucket). ``write_report``
writes the PNGs beside the results and one ``report.html`` that embeds them, so
the page opens from disk, or from an e-mail attachment, with nothing missing.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from experiments.results import SweepResult  # noqa: E402

TOP_TRIALS = 3
STATUS_COLORS = {
    "completed": "tab:green",
    "stopped_early": "tab:orange",
    "diverged": "tab:red",
    "errored": "tab:gray",
    "running": "tab:blue",
}


@dataclass(frozen=True)
class Sweep:
    """A run's tables, with the objective's name and direction."""

    result: SweepResult

    @property
    def metric(self) -> str:
        return self.result.summary["metric"]

    @property
    def maximise(self) -> bool:
        return self.result.summary["mode"] == "max"

    @property
    def trials(self) -> pd.DataFrame:
        return self.result.dataframe

    @property
    def history(self) -> pd.DataFrame:
        history = self.result.history.copy()
        history["time"] = pd.to_datetime(history.timestamp, format="ISO8601")
        return history.sort_values("time")

    @property
    def hyperparameters(self) -> list[str]:
        """The hyperparameters that varied: results.csv holds them between 'stopped_by' and 'epochs'."""
        columns = list(self.trials.columns)
        space = columns[columns.index("stopped_by") + 1 : columns.index("epochs")]
        return [name for name in space if self.trials[name].nunique() > 1]


def best_trial_ids(result: SweepResult, top: int = TOP_TRIALS) -> list[str]:
    metric, mode = result.summary["metric"], result.summary["mode"]
    table = result.dataframe.dropna(subset=[f"best_{metric}"])
    table = table[~table.status.isin(["diverged", "errored"])]
    return table.sort_values(f"best_{metric}", ascending=mode == "min").trial_id.head(top).tolist()


def _save(figure, path: Path) -> Path:
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


def best_so_far(history: pd.DataFrame, metric: str, maximise: bool) -> pd.DataFrame:
    """The best value reached by any trial, after each result in arrival order, with the
    wall-clock seconds since the first trial started, the epochs spent and the trials started until then."""
    history = history.sort_values("time")
    values = history[metric].astype(float).replace([np.inf, -np.inf], np.nan)
    values = values.where(~history.get("diverged", pd.Series(False, index=history.index)).astype(bool))
    running = values.cummax() if maximise else values.cummin()
    start = history.time.iloc[0] - pd.to_timedelta(float(history.time_total_s.iloc[0]), unit="s")
    return pd.DataFrame(
        {
            "seconds": (history.time - start).dt.total_seconds().to_numpy(),
            "epochs": np.arange(1, len(history) + 1),
            "trials": (~history.trial_id.duplicated()).cumsum().to_numpy(),
            "best": running.to_numpy(),
        }
    )


def best_so_far_figure(sweep: Sweep):
    curve = best_so_far(sweep.history, f"val_{sweep.metric.removeprefix('val_')}", sweep.maximise)
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
        status = trials.status.get(trial_id, "running")
        color = STATUS_COLORS.get(status, "black")
        axis.plot(rows.epoch, rows[sweep.metric], color=color, alpha=0.7, linewidth=1, gid=f"trial:{trial_id}")
        if status in ("stopped_early", "diverged"):
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
    axis.set_title("Parallel coordinates (each axis scaled to its range; brighter is better)" if sweep.maximise
                   else "Parallel coordinates (each axis scaled to its range; brighter is a higher loss)")
    return figure


FIGURES = {
    "best_so_far": best_so_far_figure,
    "learning_curves": learning_curves_figure,
    "parallel_coordinates": parallel_coordinates_figure,
    "hyperparameters": hyperparameters_figure,
    "history": history_figure,
}


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, classes="table", float_format=lambda v: f"{v:.4g}", na_rep="")


def _embedded(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<figure><img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}"><figcaption>{html.escape(path.name)}</figcaption></figure>'


def write_report(result: SweepResult, top: int = 10) -> Path:
    """report.html and its PNGs in the run's folder; returns the HTML's path."""
    sweep, folder = Sweep(result), Path(result.run_dir)
    pictures = [_save(draw(sweep), folder / f"{name}.png") for name, draw in FIGURES.items()]
    summary, trials = result.summary, sweep.trials
    score = f"best_{sweep.metric}"
    ranked = trials[~trials.status.isin(["diverged", "errored"])].sort_values(score, ascending=not sweep.maximise)
    shown = ["trial_id", "status", *sweep.hyperparameters, score, "best_epoch", "epochs", "wall_s"]
    failed = trials[trials.status.isin(["diverged", "errored"])]
    counts = ", ".join(f"{n} {s}" for s, n in summary["status_counts"].items() if n)
    best = summary["best"]
    final = result.final
    parts = [
        f"<h1>{html.escape(summary['name'])}</h1>",
        f"<p>{summary['trials']} trials ({counts}); state: {summary['state']}; {summary['epochs_total']} epochs in "
        f"{summary['wall_s']:.0f} s. Metric: {sweep.metric} ({summary['mode']}).</p>",
    ]
    if best:
        config = ", ".join(f"{k}={v}" for k, v in sorted(best["config"].items()))
        parts.append(f"<p><b>Best:</b> {best['trial_id']} at epoch {best['epoch']}: {sweep.metric} = "
                     f"{best['metrics'][sweep.metric]:.4f} ({html.escape(config)})</p>")
    if final:
        parts.append(f"<p><b>Final:</b> retrained on {final['train_images']} images for {final['epochs']} epochs, "
                     f"test accuracy {final['test_accuracy']:.4f} on {final['test_images']} unseen images.</p>")
    parts += [f"<h2>Top {min(top, len(ranked))} trials</h2>", _table(ranked[shown].head(top))]
    parts += ["<h2>Diverged and errored trials</h2>",
              _table(failed[["trial_id", "status", *sweep.hyperparameters, "epochs", "error"]]) if len(failed) else "<p>None.</p>"]
    parts += ["<h2>Figures</h2>", *map(_embedded, pictures)]
    style = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
             "img{max-width:100%}table{border-collapse:collapse;font-size:90%}"
             "td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}")
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(summary['name'])} - cnn-tune report</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")
    path = folder / "report.html"
    path.write_text(page)
    return path
