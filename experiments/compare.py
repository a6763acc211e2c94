"""Which algorithm and scheduler should I use? The same budget for each, several seeds, side by side.

Every experiment runs K times (search seeds s, s+1, ...) on the same data, space,
model, training and resources, each run cut at the same budget: a number of trials,
of epochs (all trials together) or of minutes. Runs and the comparison's files live in
the comparison's own folder (uploaded, for a URI); a compare that is interrupted and run
again continues where it stopped.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import statuses
from core.errors import InputError
from core.metrics import best_of, reached, sign
from experiments.figures import plt, save
from experiments.tables import Sweep, best_so_far
from experiments.results import SweepResult
from experiments.spec import Spec, load_spec
from experiments.storage import run_location

SHARED = ("dataset", "model", "space", "train", "metric", "resources")
FILES = ("compare.csv", "compare.json", "compare.png")
UNBOUNDED_SAMPLES = 100_000  # a budget of epochs or minutes ends the sweep, not the sample count


@dataclass(frozen=True)
class Budget:
    kind: str
    amount: float

    @classmethod
    def parse(cls, text: str) -> Budget:
        match = re.fullmatch(r"\s*(trials|epochs|minutes)\s*[=: ]\s*([0-9.]+)\s*", text)
        if not match or float(match.group(2)) <= 0:
            raise InputError(f"--budget: write trials=N, epochs=N or minutes=N with N > 0, got {text!r}")
        kind, amount = match.group(1), float(match.group(2))
        if kind != "minutes" and not amount.is_integer():
            raise InputError(f"--budget: {kind} must be a whole number, got {amount:g}")
        return cls(kind, amount)

    def overrides(self) -> dict[str, Any]:
        if self.kind == "trials":
            return {"search.num_samples": int(self.amount)}
        stop = {"stop.epochs_budget": int(self.amount)} if self.kind == "epochs" else {"stop.time_budget_s": 60 * self.amount}
        return {"search.num_samples": UNBOUNDED_SAMPLES, **stop}

    def __str__(self) -> str:
        return f"{self.kind}={self.amount:g}"


def plan(experiments: list[str], budget: Budget, seeds: int, overrides: dict[str, Any], smoke: bool) -> list[tuple[str, int, Spec]]:
    """(experiment, seed index, spec) for every run, after checking the comparison is fair."""
    if len(experiments) < 1 or seeds < 1:
        raise InputError("compare: give at least one experiment and --seeds of at least 1")
    bases = [load_spec(name, overrides) for name in experiments]
    labels = [base.name for base in bases]  # a YAML path's experiment is called by its name
    bases = [base.smoke() if smoke else base for base in bases]
    first = bases[0].as_data()
    for name, base in zip(labels[1:], bases[1:]):
        other = base.as_data()
        for field in SHARED:
            if other[field] != first[field]:
                raise InputError(
                    f"{field}: compare needs the same {field} in every experiment; {labels[0]} has "
                    f"{json.dumps(first[field])}, {name} has {json.dumps(other[field])}"
                )
    for name, base in zip(labels, bases):
        if budget.kind == "trials" and base.search.algorithm == "grid":
            raise InputError(f"--budget: {name} is a grid, whose trials are fixed; compare it with epochs= or minutes=")
    runs = []
    for name, base in zip(labels, bases):
        for k in range(seeds):
            seed = (base.search.seed or 0) + k
            data = dict(base.as_data(), name=f"{name}-seed{seed}")
            # the final retrain scores one configuration, not the search: compare leaves it out
            runs.append((name, seed, load_spec(data, {**budget.overrides(), "search.seed": seed, "final.enabled": False})))
    return runs


def run_state(spec: Spec) -> str:
    """'new', 'finished' or 'resume' for a run of this compare, from what is on disk."""
    from experiments.runner import location_of

    location = location_of(spec)
    if not location.has_sweep():
        return "new"
    location.fetch()
    summary = location.local / "summary.json"
    finished = summary.is_file() and json.loads(summary.read_text())["state"] == statuses.SWEEP_FINISHED
    return "finished" if finished else "resume"


def compare(
    experiments: list[str],
    budget: Budget,
    seeds: int,
    *,
    name: str | None = None,
    storage: str | None = None,
    target: float | None = None,
    tolerance: float = 0.005,
    overrides: dict[str, Any] | None = None,
    smoke: bool = False,
    address: str | None = None,
    num_cpus: int | None = None,
    num_gpus: int | None = None,
    verbose: int = 1,
) -> pd.DataFrame:
    """``num_cpus``, ``num_gpus``: the local Ray instance's, as for `cnn-tune run` (default: this machine's)."""
    from experiments.capacity import fitting_local_cpus
    from experiments.ray_start import ray_session
    from experiments.runner import location_of, run_spec

    name = name or "compare-" + "-vs-".join(Path(e).stem for e in experiments) + f"-{budget.kind}{budget.amount:g}" + ("-smoke" if smoke else "")
    # the comparison's own folder (its runs are in it), under the storage; a local cache for a URI
    location = run_location(storage or load_spec(experiments[0], overrides).storage, name)
    runs = plan(experiments, budget, seeds, {**(overrides or {}), "storage": location.uri}, smoke)
    if not address:
        num_cpus = fitting_local_cpus([spec for _, _, spec in runs], num_cpus, num_gpus)
    with ray_session(address, num_cpus, num_gpus):
        for experiment, seed, spec in runs:
            state = run_state(spec)
            if state != "finished":
                if verbose:
                    print(f"== {experiment}, seed {seed} ({'resumed' if state == 'resume' else 'new'}), budget {budget}", flush=True)
                run_spec(spec, address=address, resume=state == "resume", num_cpus=num_cpus, num_gpus=num_gpus, verbose=verbose)
    results = [(experiment, seed, SweepResult(location_of(spec).local)) for experiment, seed, spec in runs]
    table, curves = summarise(results, target, tolerance)
    folder = location.local
    folder.mkdir(parents=True, exist_ok=True)
    table.to_csv(folder / "compare.csv", index=False)
    (folder / "compare.json").write_text(json.dumps({"name": name, "experiments": experiments, "budget": str(budget),
                                                     "seeds": seeds, "rows": table.to_dict("records")}, indent=2, default=str))
    draw(curves, results[0][2].summary["metric"], folder / "compare.png", budget)
    location.publish(FILES)
    return table


def summarise(results: list[tuple[str, int, SweepResult]], target: float | None, tolerance: float):
    """One row per experiment: best reached, time and epochs to the target, trials; and every run's curve."""
    curves = []
    for experiment, seed, result in results:
        sweep = Sweep(result)
        curve = best_so_far(sweep.history, sweep.metric, sweep.mode)
        table = result.dataframe
        curves.append({"experiment": experiment, "seed": seed, "curve": curve, "mode": sweep.mode,
                       "started": len(table), "finished": int(table.status.map(statuses.ended).sum())})
    mode = curves[0]["mode"]
    finals = [c["curve"].best.iloc[-1] for c in curves if len(c["curve"])]
    if target is None:
        target = best_of(finals, float, mode) - sign(mode) * tolerance
    rows = []
    for experiment in dict.fromkeys(c["experiment"] for c in curves):
        mine = [c for c in curves if c["experiment"] == experiment]
        best = [c["curve"].best.iloc[-1] for c in mine]
        hits = [hit for c in mine if (hit := _first_reaching(c["curve"], target, mode)) is not None]
        rows.append({
            "experiment": experiment,
            "runs": len(mine),
            "best_median": float(np.median(best)),
            "best_min": float(np.min(best)),
            "best_max": float(np.max(best)),
            "target": target,
            "reached_target": f"{len(hits)}/{len(mine)}",
            "seconds_to_target_median": float(np.median([h[0] for h in hits])) if hits else math.inf,
            "epochs_to_target_median": float(np.median([h[1] for h in hits])) if hits else math.inf,
            "trials_to_target_median": float(np.median([h[2] for h in hits])) if hits else math.inf,
            "trials_started_median": float(np.median([c["started"] for c in mine])),
            "trials_finished_median": float(np.median([c["finished"] for c in mine])),
        })
    return pd.DataFrame(rows), curves


def _first_reaching(curve: pd.DataFrame, target: float, mode: str) -> tuple[float, int, int] | None:
    """(seconds, epochs, trials started) when the best so far first reached the target."""
    hit = curve[reached(curve.best, target, mode)]
    return (float(hit.seconds.iloc[0]), int(hit.epochs.iloc[0]), int(hit.trials.iloc[0])) if len(hit) else None


def _step(curve: pd.DataFrame, grid: np.ndarray) -> np.ndarray:
    """The best-so-far value at each grid time (it only changes when a result arrives)."""
    index = np.searchsorted(curve.seconds.to_numpy(), grid, side="right") - 1
    values = curve.best.to_numpy()[np.clip(index, 0, None)]
    return np.where(index >= 0, values, np.nan)


def draw(curves: list[dict], metric: str, path: Path, budget: Budget) -> Path:
    """Best-so-far against wall-clock: each experiment's median over seeds, its range shaded."""
    figure, axis = plt.subplots(figsize=(8, 5))
    for index, experiment in enumerate(dict.fromkeys(c["experiment"] for c in curves)):
        mine = [c["curve"] for c in curves if c["experiment"] == experiment and len(c["curve"])]
        end = max(c.seconds.max() for c in mine)
        grid = np.linspace(0, end, 200)
        stacked = np.vstack([_step(c, grid) for c in mine])
        with warnings.catch_warnings():  # before a run's first result its column is empty: that is expected
            warnings.simplefilter("ignore", RuntimeWarning)
            low, middle, high = np.nanmin(stacked, axis=0), np.nanmedian(stacked, axis=0), np.nanmax(stacked, axis=0)
        colour = f"C{index}"
        axis.plot(grid, middle, color=colour, label=f"{experiment} (median of {len(mine)})")
        axis.fill_between(grid, low, high, color=colour, alpha=0.2)
    axis.set_xlabel("wall-clock seconds")
    axis.set_ylabel(f"best {metric} so far")
    axis.set_title(f"Same budget ({budget}) for each: median and range over seeds")
    axis.grid(alpha=0.3)
    axis.legend(fontsize="small")
    return save(figure, path)
