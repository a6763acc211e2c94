"""A run's tables as the report and ``compare`` read them: the trials, the history, the best so far.

Everything is read from the run's files, so a sweep still running can be read too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core import statuses
from core.errors import InputError
from core.metrics import sign
from core.schema import hyperparameter_columns
from experiments.results import SweepResult
from search_spaces import Domain, Numeric, load_space

TOP_TRIALS = 3
FAILED = list(statuses.FAILED)


@dataclass(frozen=True)
class Sweep:
    """A run's tables, with the objective's name and direction."""

    result: SweepResult

    @property
    def metric(self) -> str:
        return self.result.summary["metric"]

    @property
    def mode(self) -> str:
        return self.result.summary["mode"]

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
        """The hyperparameters that varied (results.csv's columns the record's schema does not name)."""
        return [name for name in hyperparameter_columns(self.trials.columns) if self.trials[name].nunique() > 1]

    @property
    def domains(self) -> dict[str, Domain]:
        """The sweep's space, by hyperparameter; empty where it cannot be read back (a space file that
        is not on this machine)."""
        try:
            return load_space(self.result.summary["spec"]["space"]).domains
        except InputError:
            return {}

    @property
    def log_scales(self) -> dict[str, bool]:
        """Whether the sweep's space samples each numeric hyperparameter on a log scale, by name."""
        return {name: domain.log for name, domain in self.domains.items() if isinstance(domain, Numeric)}

def best_trial_ids(result: SweepResult, top: int = TOP_TRIALS) -> list[str]:
    metric, mode = result.summary["metric"], result.summary["mode"]
    table = result.dataframe.dropna(subset=[f"best_{metric}"])
    table = table[~table.status.isin(FAILED)]
    return table.sort_values(f"best_{metric}", ascending=mode == "min").trial_id.head(top).tolist()


def best_so_far(history: pd.DataFrame, metric: str, mode: str) -> pd.DataFrame:
    """The best value reached by any trial, after each result in arrival order, with the
    wall-clock seconds since the first trial started, the epochs spent and the trials started until then."""
    history = history.sort_values("time")
    values = history[metric].astype(float).replace([np.inf, -np.inf], np.nan)
    values = values.where(~history.get("diverged", pd.Series(False, index=history.index)).astype(bool))
    running = sign(mode) * (sign(mode) * values).cummax()
    start = history.time.iloc[0] - pd.to_timedelta(float(history.time_total_s.iloc[0]), unit="s")
    return pd.DataFrame(
        {
            "seconds": (history.time - start).dt.total_seconds().to_numpy(),
            "epochs": np.arange(1, len(history) + 1),
            "trials": (~history.trial_id.duplicated()).cumsum().to_numpy(),
            "best": running.to_numpy(),
        }
    )
