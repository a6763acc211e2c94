"""A sweep's report: one ``report.html`` that embeds its PNGs, drawn from what the sweep wrote to disk.

Everything is read from the run's files, so a sweep still running can be reported
on (from another shell, or another machine reading its bucket). The PNGs land beside
the results and the page embeds them, so it opens from disk, or from an e-mail
attachment, with nothing missing.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from core import statuses
from experiments.figures import FIGURES, save
from experiments.figures.front import front_figure
from experiments.results import SweepResult
from experiments.tables import FAILED, Sweep

FAILED_ROWS = 50  # of a sweep with thousands of failed trials, the errored (with their messages) first; results.csv has them all


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, classes="table", float_format=lambda v: f"{v:.4g}", na_rep="")


def _embedded(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<figure><img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}"><figcaption>{html.escape(path.name)}</figcaption></figure>'


def _finalists(record: dict, final: dict | None) -> list[str]:
    """The re-validated finalists, and how optimistic the chosen one's search score was."""
    metric = record["metric"]

    def runs(scores: list) -> str:
        return ", ".join("failed" if score is None else f"{score:.4f}" for score in scores)

    table = pd.DataFrame([
        {"trial_id": one["trial_id"], "epochs": one["epochs"], f"search {metric}": one["search"], "re-validated mean": one["mean"],
         "std": one["std"], "runs": runs(one["scores"]), "chosen": "yes" if one["trial_id"] == record["chosen"] else ""}
        for one in record["finalists"]
    ])
    parts = [f"<h2>Finalists</h2><p>The top {len(table)} configurations trained again with training seeds "
             f"{', '.join(map(str, record['training_seeds']))} (validation partitions: {html.escape(record['partitions'])}); "
             f"the final configuration is the one with the best mean.</p>", _table(table)]
    gap = (final or {}).get("optimism")
    if gap:
        revalidated = "n/a" if gap["revalidated"] is None else f"{gap['revalidated']:.4f}"
        parts.append(f"<p><b>Optimism:</b> {metric} {gap['search']:.4f} in the search, {revalidated} re-validated, "
                     f"{gap['test']:.4f} on the test split.</p>")
    return parts


def _front(sweep: Sweep, folder: Path) -> list[str]:
    """The Pareto front of a sweep of two objectives: its figure, and its points' configurations."""
    second, front = sweep.result.summary["second_objective"], sweep.result.front
    shown = ["trial_id", sweep.metric, second, "epoch", *(name for name in sweep.hyperparameters if name in front)]
    return [f"<h2>Pareto front: {sweep.metric} against {second}</h2><p>The {len(front)} trials no other beats on both "
            f"(best epoch's {sweep.metric}, measured {second}), from the cheapest.</p>",
            _embedded(save(front_figure(sweep), folder / "front.png")), _table(front[shown]) if len(front) else "<p>None yet.</p>",
            *([f"<p><b>Final point:</b> {html.escape(chosen['why'])} ({chosen['trial_id']}).</p>"]
              if (chosen := (sweep.result.final or {}).get("front")) else [])]


def draw_figures(result: SweepResult) -> list[Path]:
    """The report's PNGs in the run's folder (none of them shows the final retrain)."""
    sweep, folder = Sweep(result), Path(result.run_dir)
    return [save(draw(sweep), folder / f"{name}.png") for name, draw in FIGURES.items()]


def write_report(result: SweepResult, top: int = 10, pictures: list[Path] | None = None) -> Path:
    """report.html and its PNGs in the run's folder (``pictures``: those ``draw_figures`` drew already);
    returns the HTML's path."""
    sweep, folder = Sweep(result), Path(result.run_dir)
    pictures = pictures if pictures is not None else draw_figures(result)
    summary, trials = result.summary, sweep.trials
    score = f"best_{sweep.metric}"
    ranked = trials[~trials.status.isin(FAILED)].sort_values(score, ascending=sweep.mode == "min")
    shown = ["trial_id", "status", *sweep.hyperparameters, score, "best_epoch", "epochs", "wall_s"]
    failed = trials[trials.status.isin(FAILED)].sort_values("status", key=lambda status: status != statuses.ERRORED, kind="stable")
    counts = statuses.counted(summary["status_counts"])
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
    if result.plan:
        from experiments.plan import against_actual

        parts.append(f"<p>{html.escape(against_actual(result.plan, summary))}</p>")
    if result.finalists:
        parts += _finalists(result.finalists, final)
    if result.front is not None:
        parts += _front(sweep, folder)
    parts += [f"<h2>Top {min(top, len(ranked))} trials</h2>", _table(ranked[shown].head(top))]
    importance = result.importance
    parts += ["<h2>Which hyperparameters mattered</h2>", f"<p>{html.escape(importance.attrs['note'])}</p>"]
    parts += [_table(importance)] if len(importance) else []
    parts += ["<h2>Diverged and errored trials</h2>",
              _table(failed[["trial_id", "status", *sweep.hyperparameters, "epochs", "error"]].head(FAILED_ROWS)) if len(failed) else "<p>None.</p>"]
    if len(failed) > FAILED_ROWS:
        parts.append(f"<p>The first {FAILED_ROWS} of {len(failed)}; results.csv lists them all.</p>")
    parts += ["<h2>Figures</h2>", *map(_embedded, pictures)]
    style = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
             "img{max-width:100%}table{border-collapse:collapse;font-size:90%}"
             "td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}")
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(summary['name'])} - cnn-tune report</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")
    path = folder / "report.html"
    path.write_text(page)
    return path
