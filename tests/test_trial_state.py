"""Tune's per-trial bookkeeping in the driver, as cnn-tune keeps it (experiments/trial_state.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from experiments.trial_state import LeanTrialState

ROOT = Path(__file__).resolve().parent.parent


def results(epochs: int):
    for epoch in range(1, epochs + 1):
        value = 0.5 + epoch / 100
        yield {"epoch": epoch, "loss": 1 / epoch, "val_loss": 1 / epoch, "accuracy": value, "val_accuracy": value,
               "best_val_accuracy": value, "lr": 0.01, "training_iteration": epoch, "time_total_s": float(epoch)}


def test_a_started_trial_keeps_tunes_summaries_but_no_last_n_averages():
    """Min, max, mean and last as Tune keeps them; no deques of the last 5 and 10 values, which made up
    most of a trial's state in the driver and in every snapshot of the experiment."""
    from ray.tune.experiment import Trial

    plain, lean = (Trial("train_cnn", config={"n": 1}, stub=True) for _ in range(2))
    LeanTrialState().on_trial_start(0, [lean], lean)
    for result in results(27):
        plain.update_last_result(dict(result))
        lean.update_last_result(dict(result))
    assert not any(lean.run_metadata.metric_n_steps.values()) and all(plain.run_metadata.metric_n_steps.values())
    for metric, summary in plain.metric_analysis.items():
        assert lean.metric_analysis[metric] == {key: summary[key] for key in ("max", "min", "avg", "last")}
    assert len(lean.get_json_state()[1]) < len(plain.get_json_state()[1]) / 2


@pytest.mark.parametrize("ending", ["on_trial_complete", "on_trial_error"])
def test_an_ended_trial_keeps_its_last_result_but_no_summaries_in_the_driver_or_the_snapshot(ending):
    """Once a trial ends only ExperimentAnalysis.get_best_trial would read Tune's min/max/mean/last,
    and cnn-tune selects from its record: an ended trial drops them, and its snapshot shrinks with them."""
    from ray.tune.experiment import Trial

    trial, callback = Trial("train_cnn", config={"n": 1}, stub=True), LeanTrialState()
    callback.on_trial_start(0, [trial], trial)
    for result in results(3):
        trial.update_last_result(dict(result))
    assert trial.metric_analysis
    running = len(trial.get_json_state()[1])
    getattr(callback, ending)(0, [trial], trial)
    assert trial.metric_analysis == {} and trial.run_metadata.metric_n_steps == {}
    assert trial.last_result["val_accuracy"] == 0.53
    assert len(trial.get_json_state()[1]) < running * 0.6  # the snapshot's cached state was redrawn without them


def test_every_sweep_cnn_tune_builds_keeps_trial_state_lean(tmp_path):
    import experiments
    from experiments.runner import location_of
    from experiments.tuner import build_tuner

    spec = experiments.validate("quickstart", storage=str(tmp_path), resources={"cpu": 1})
    location = location_of(spec)
    location.local.mkdir(parents=True)
    tuner = build_tuner(spec, None, location, resume=False, verbose=0, trainable=lambda config: None)
    assert any(isinstance(callback, LeanTrialState) for callback in tuner._local_tuner._run_config.callbacks)


@pytest.mark.slow
def test_a_sweep_cnn_tune_fits_reads_no_trial_files_back_into_dataframes(ray_local, tmp_path):
    """Tune still writes each trial's result.json, but fit_sweep's ResultGrid skips reading them all back
    (cnn-tune reads its record); the same files read afterwards by Tune's own analysis are whole."""
    from ray import tune
    from ray.tune import ExperimentAnalysis

    from experiments.trial_state import fit_sweep

    def two_reports(config: dict) -> None:  # defined here, so pickled by value for Ray's worker
        for step in range(2):
            tune.report({"score": config["n"] + step})

    tuner = tune.Tuner(two_reports, param_space={"n": tune.grid_search([0, 10])},
                       run_config=tune.RunConfig(name="lean", storage_path=str(tmp_path), verbose=0))
    grid = fit_sweep(tuner)
    assert not grid.errors, grid.errors
    assert [result.metrics["score"] for result in grid] == [1, 11]
    assert all(result.metrics_dataframe.empty for result in grid)
    frames = ExperimentAnalysis(str(tmp_path / "lean")).trial_dataframes
    assert sorted(frame.score.tolist() for frame in frames.values()) == [[0, 1], [10, 11]]


@pytest.mark.slow
def test_a_sweep_looks_its_trainable_up_in_rays_store_at_its_start_not_per_trial(ray_local, tmp_path, monkeypatch):
    """Tune asks the GCS for the trainable five times a trial (20 here); under fit_sweep it asks three
    times before the first trial (twice whether it is there, once what it is), and Tune's registry is
    handed back whole."""
    from ray import tune
    from ray.tune import registry

    from experiments.trial_state import fit_sweep

    asked = []

    def spy(key, *args, **kwargs):
        asked.append(key)
        return ray_get(key, *args, **kwargs)

    ray_get = registry._internal_kv_get
    monkeypatch.setattr(registry, "_internal_kv_get", spy)

    def one_report(config: dict) -> None:
        tune.report({"score": config["n"]})

    tuner = tune.Tuner(one_report, param_space={"n": tune.grid_search([0, 1, 2, 3])},
                       run_config=tune.RunConfig(name="lookups", storage_path=str(tmp_path), verbose=0))
    grid = fit_sweep(tuner)
    assert not grid.errors and sorted(result.metrics["score"] for result in grid) == [0, 1, 2, 3]
    assert len([key for key in asked if registry.TRAINABLE_CLASS.encode() in key]) == 3
    assert not {"get", "contains", "register"} & set(vars(registry._global_registry))


def test_a_trainable_registered_again_is_looked_up_again():
    from ray.tune import registry

    from experiments.trial_state import trainables_looked_up_once

    try:
        with trainables_looked_up_once():
            registry.register_trainable("again", lambda config: 1)
            first = registry.get_trainable_cls("again")
            assert registry.get_trainable_cls("again") is first
            registry.register_trainable("again", lambda config: 2)
            assert registry.get_trainable_cls("again") is not first
    finally:
        registry._global_registry.unregister(registry.TRAINABLE_CLASS, "again")


USAGE_TAGGING = """
import sys
from experiments.trial_state import mlflow_integration_without_mlflow
from ray.air._internal.usage import _count_callbacks
with mlflow_integration_without_mlflow():
    _count_callbacks([])  # what Tuner.fit runs before its first trial: it imports Ray's MLflow integration
    print("inside", "mlflow" in sys.modules)
from ray.air.integrations.mlflow import mlflow
print("after", mlflow is not None)
"""


def test_tunes_usage_tagging_imports_no_mlflow_and_leaves_rays_mlflow_integration_whole():
    """In a fresh process, as a sweep's driver: mlflow is not imported for the tag, and Ray's
    integration imported after the sweep (a notebook's next cell) has mlflow."""
    done = subprocess.run([sys.executable, "-c", USAGE_TAGGING], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["inside", "False", "after", "True"]
