"""Tune's bookkeeping per trial, kept to what cnn-tune reads, so that a driver of 10,000 trials stays small.

For every number in every result Tune keeps, per trial, the average of the last 5 and of the
last 10 values, in two deques (``metric_n_steps``), and writes them into every snapshot of the
experiment. Nothing in cnn-tune reads them (its record keeps each trial's history, and selection
reads the record), and they were the largest part of a trial's state: about 30 KB of the driver's
memory and 7 KB of each snapshot per trial. Tune's other summaries (min, max, mean, last), read only
by ``ExperimentAnalysis.get_best_trial``, stay while a trial runs and go when it ends: 1.8 KB of
the 4.5 KB each ended trial of a 3-epoch sweep kept in every snapshot.

At its end ``Tuner.fit`` reads every trial's result.json back into a pandas DataFrame for the
``ResultGrid`` it returns. cnn-tune reads its own record instead, so ``fit_sweep`` skips that:
on a sweep of 2,000 sleeping trials it took 3.7 s and 42 MB of the driver's resident memory
(1.9 ms and 21 KB a trial), added on top of the sweep's own peak.

Tune looks the trainable up in Ray's key-value store five times for every trial (a blocking
round trip to the GCS each, and an unpickle for two of them): about 4 ms of the driver's loop a
trial, profiled over 1,000 sleeping trials, against about 15 ms of overhead a trial at 10,000.
The trainable is registered once when the sweep starts, so ``fit_sweep`` keeps what the first lookup found.

Before its first trial ``Tuner.fit`` tags which callbacks the sweep uses (Ray's usage statistics) by
importing its MLflow integration to compare class names, and that imports mlflow: 1.7 CPU-seconds of
every sweep's start-up here, for a sweep that logs nothing to MLflow. ``fit_sweep`` lets Tune import
the integration with mlflow hidden, then forgets it, so that a later import of it gets mlflow.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any, Iterator

from ray import tune
from ray.tune import ResultGrid

from trainables.backend import without

MLFLOW_INTEGRATION = "ray.air.integrations.mlflow"


class LeanTrialState(tune.Callback):
    def on_trial_start(self, iteration, trials, trial, **info) -> None:
        trial.run_metadata._n_steps = ()
        trial.run_metadata.metric_n_steps = {}

    def on_trial_complete(self, iteration, trials, trial, **info) -> None:
        trial.run_metadata.metric_analysis = {}
        trial.run_metadata.metric_n_steps = {}

    on_trial_error = on_trial_complete


def fit_sweep(tuner: tune.Tuner) -> ResultGrid:
    """``tuner.fit()`` for a sweep whose results are read from cnn-tune's record: meanwhile, Tune's
    ``ExperimentAnalysis`` gives each trial an empty DataFrame instead of reading its files."""
    import pandas as pd
    from ray.tune.analysis.experiment_analysis import ExperimentAnalysis

    read = ExperimentAnalysis._fetch_trial_dataframes
    ExperimentAnalysis._fetch_trial_dataframes = lambda self: {trial.trial_id: pd.DataFrame() for trial in self.trials}
    try:
        with mlflow_integration_without_mlflow(), trainables_looked_up_once():
            return tuner.fit()
    finally:
        ExperimentAnalysis._fetch_trial_dataframes = read


@contextlib.contextmanager
def trainables_looked_up_once() -> Iterator[None]:
    """Tune's registry answers each trainable's lookups from the first one, until it is registered again."""
    from ray.tune.registry import TRAINABLE_CLASS
    from ray.tune.registry import _global_registry as registry

    found: dict[str, Any] = {}
    get, contains, register = registry.get, registry.contains, registry.register

    def get_once(category: str, key: str) -> Any:
        if category != TRAINABLE_CLASS:
            return get(category, key)
        if key not in found:
            found[key] = get(category, key)
        return found[key]

    def registered(category: str, key: str, value: Any) -> None:
        found.pop(key, None)
        register(category, key, value)

    registry.get = get_once
    registry.contains = lambda category, key: (category == TRAINABLE_CLASS and key in found) or contains(category, key)
    registry.register = registered
    try:
        yield
    finally:
        del registry.get, registry.contains, registry.register


@contextlib.contextmanager
def mlflow_integration_without_mlflow() -> Iterator[None]:
    """Ray's MLflow integration imported with mlflow hidden, and forgotten on leaving; as it is where
    mlflow is in use already (the sweep logs to MLflow) or the integration was imported before."""
    if "mlflow" in sys.modules or MLFLOW_INTEGRATION in sys.modules:
        yield
        return
    with without(("mlflow",)):
        __import__(MLFLOW_INTEGRATION)
    try:
        yield
    finally:
        sys.modules.pop(MLFLOW_INTEGRATION, None)
        package = sys.modules.get(MLFLOW_INTEGRATION.rpartition(".")[0])
        if package is not None and hasattr(package, "mlflow"):
            delattr(package, "mlflow")
