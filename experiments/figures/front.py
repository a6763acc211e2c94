"""A two-objective sweep's trade-off: every trial's metric against its measured cost, the Pareto front as a step line."""

from __future__ import annotations

from core import statuses
from experiments.figures.base import plt
from experiments.tables import Sweep

AXIS_LABELS = {"params": "model parameters (count)", "latency_ms": "inference latency (ms per image)"}
LOG_SPAN = 10  # a cost that spans this factor or more is drawn on a log axis


def front_figure(sweep: Sweep):
    """Each trial that did not fail as a point (its best epoch's metric, its cost); the front's points ringed and
    joined as a step: the best metric reachable at each cost."""
    second = sweep.result.summary["second_objective"]
    score = f"best_{sweep.metric}"
    trials = sweep.trials[~sweep.trials.status.isin(list(statuses.FAILED))].dropna(subset=[score, second])
    front = sweep.result.front
    figure, axis = plt.subplots(figsize=(8, 5))
    axis.scatter(trials[second], trials[score], color="tab:gray", alpha=0.6, label="trials", gid="trials")
    if len(front):
        axis.step(front[second], front[sweep.metric], where="post", color="tab:blue", gid="front", label="Pareto front")
        axis.scatter(front[second], front[sweep.metric], facecolors="none", edgecolors="tab:blue", s=80)
    costs = trials[second].to_numpy(dtype=float)
    if len(costs) and costs.min() > 0 and costs.max() / costs.min() >= LOG_SPAN:
        axis.set_xscale("log")
    axis.set_xlabel(AXIS_LABELS[second] + (", log scale" if axis.get_xscale() == "log" else ""))
    axis.set_ylabel(f"{sweep.metric} (best epoch)")
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize="small")
    axis.set_title(f"{sweep.metric} against {second}: {len(front)} of {len(trials)} trials on the front")
    return figure


