"""Pictures of a sweep, drawn from what it wrote to disk (so a running sweep can be drawn too)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)

from experiments.results import SweepResult  # noqa: E402

TOP_TRIALS = 3


def best_trial_ids(result: SweepResult, top: int = TOP_TRIALS) -> list[str]:
    metric, mode = result.summary["metric"], result.summary["mode"]
    table = result.dataframe.dropna(subset=[f"best_{metric}"])
    table = table[~table.status.isin(["diverged", "errored"])]
    return table.sort_values(f"best_{metric}", ascending=mode == "min").trial_id.head(top).tolist()


def history_panels(result: SweepResult, path: Path, top: int = TOP_TRIALS) -> Path:
    """The seed's two panels, loss and accuracy, train vs validation, for the best trials."""
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
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
