"""Checkpoints when they are needed: where the scheduler may pause or exploit a trial, and to bound what a failure costs.

The policy is ``trainables.trainable.checkpoint_due``, fed by each scheduler's ``checkpoint_epochs``;
the sweeps run `cnn-tune run` as a user would and read the checkpoints each trial left in its folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments.schedulers import scheduler
from experiments.schedulers.contract import TIME_ATTR, SchedulerContext
from search_spaces import load_space
from trainables.cnn import TrainSettings
from trainables.trainable import checkpoint_due

BIN = Path(sys.executable).parent
TINY = ["--set", "dataset.name=digits", "--set", "dataset.limit=200", "--verbose", "0"]


def due(settings: TrainSettings, epochs: int, since_last_s: float = 0.0) -> list[int]:
    """The epochs a trial of ``epochs`` epochs checkpoints, ``since_last_s`` seconds after each last checkpoint."""
    return [epoch for epoch in range(1, epochs + 1) if checkpoint_due(settings, epoch, epoch == epochs, since_last_s)]


def test_by_default_a_trial_checkpoints_only_once_a_minute_of_training_has_passed():
    assert due(TrainSettings(max_epochs=6), 6, since_last_s=59.9) == []
    assert due(TrainSettings(max_epochs=6), 6, since_last_s=60) == [1, 2, 3, 4, 5]


def test_a_trial_checkpoints_where_its_scheduler_needs_it_its_last_epoch_included():
    settings = TrainSettings(checkpoint_epochs=frozenset({2, 4}), checkpoint_interval_s=None)
    assert due(settings, 4) == [2, 4]
    assert due(settings, 5) == [2, 4]


def test_checkpoints_for_failures_stop_once_the_trial_ends():
    assert due(TrainSettings(checkpoint_every=2, checkpoint_interval_s=None), 4) == [2]
    assert due(TrainSettings(checkpoint_interval_s=0), 3) == [1, 2]
    assert due(TrainSettings(checkpoint_interval_s=None), 3, since_last_s=1e9) == []


@pytest.mark.parametrize(
    "name, options, epochs",
    [
        ("fifo", {}, set()),
        ("asha", {"grace_period": 2}, set()),
        ("median", {"grace_period": 7}, {7, 8, 9, 10}),
        ("pbt", {"perturbation_interval": 3}, {3, 6, 9}),
        ("hyperband", {"reduction_factor": 3}, {1, 3}),
    ],
)
def test_the_spec_hands_the_trainable_its_schedulers_checkpoint_epochs_and_the_checkpoint_section(name, options, epochs):
    from experiments.spec import load_spec
    from experiments.tuner import train_settings

    spec = load_spec({
        "name": "c", "space": {"dropout": {"uniform": [0.1, 0.5]}}, "train": {"max_epochs": 10},
        "scheduler": {"name": name, **options}, "checkpoint": {"every": 4, "interval_s": 30},
    })
    settings = train_settings(spec)
    assert (settings.checkpoint_epochs, settings.checkpoint_every, settings.checkpoint_interval_s) == (epochs, 4, 30)


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("checkpoint.interval=5", "checkpoint.interval: unknown key (did you mean 'interval_s'?)"),
        ("checkpoint.interval_s=-1", "checkpoint.interval_s: Input should be greater than or equal to 0"),
        ("checkpoint.every=0", "checkpoint.every: Input should be greater than 0"),
        ("checkpoint.keep=two", "checkpoint.keep: Input should be a valid integer"),
    ],
)
def test_the_spec_refuses_unknown_checkpoint_keys_and_bad_values(assignment, message, tmp_path):
    done = subprocess.run([str(BIN / "cnn-tune"), "run", "quickstart", "--storage", str(tmp_path), "--set", assignment, *TINY],
                          env={**os.environ, "RAY_TMPDIR": str(tmp_path / "ray")}, capture_output=True, text=True, timeout=120)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith("cnn-tune: error: "), done.stderr[-3000:]
    assert message in lines[0]
    assert not (tmp_path / "ray").exists(), "Ray was started"


def perturbed_at(pbt, population: int, first_epoch: int, last_epoch: int) -> set[int]:
    """The epochs at which Ray's PBT hands on or takes a trial's weights, for a population that reports
    every epoch from ``first_epoch`` (a resumed sweep: each trial goes on from its checkpoint)."""
    from types import SimpleNamespace

    from ray.tune.experiment import Trial

    trials = [Trial("pbt", config={"dropout": 0.1 + 0.01 * n}, stub=True) for n in range(population)]
    controller = SimpleNamespace(get_trials=lambda: trials, search_alg=None)
    epoch, perturbed = 0, set()
    pbt._checkpoint_or_exploit = lambda trial, *_: perturbed.add(epoch)  # where it saves or restores
    for trial in trials:
        pbt.on_trial_add(controller, trial)
        trial.set_status(Trial.RUNNING)
    for epoch in range(first_epoch, last_epoch + 1):
        for n, trial in enumerate(trials):
            pbt.on_trial_result(controller, trial, {"val_accuracy": 0.1 * n + 0.01 * epoch, TIME_ATTR: epoch})
    return perturbed


@pytest.mark.parametrize("first_epoch", [1, 4, 5], ids=["new", "resumed-from-epoch-3", "resumed-from-epoch-4"])
def test_pbt_perturbs_only_where_trials_checkpoint_also_in_a_resumed_sweep(first_epoch):
    """Ray's PBT does not survive a resume: a fresh one would perturb each trial at its first epoch after
    its checkpoint, where it has no checkpoint to hand on (the last one may be a time-based one, off the multiples)."""
    chosen = scheduler("pbt")
    context = SchedulerContext(chosen.Options(name="pbt", perturbation_interval=3), load_space({"dropout": {"uniform": [0.1, 0.5]}}), 9)
    perturbed = perturbed_at(chosen.build(context), 4, first_epoch, 9)
    assert perturbed and perturbed <= chosen.checkpoint_epochs(context) == {3, 6, 9}


@pytest.mark.parametrize("synchronous, decision", [(False, "CONTINUE"), (True, "PAUSE")])
def test_synchronous_pbt_holds_a_trial_at_its_multiple_until_the_population_is_there(synchronous, decision):
    from types import SimpleNamespace

    from ray.tune.experiment import Trial
    from ray.tune.schedulers import TrialScheduler

    chosen = scheduler("pbt")
    options = chosen.Options(name="pbt", perturbation_interval=2, synchronous=synchronous)
    pbt = chosen.build(SchedulerContext(options, load_space({"dropout": {"uniform": [0.1, 0.5]}}), 4))
    pbt._checkpoint_or_exploit = lambda *_: None
    trials = [Trial("pbt", config={"dropout": 0.1 + 0.1 * n}, stub=True) for n in range(2)]
    controller = SimpleNamespace(get_trials=lambda: trials, get_live_trials=lambda: trials, search_alg=None)
    for trial in trials:
        pbt.on_trial_add(controller, trial)
        trial.set_status(Trial.RUNNING)
    # the first trial reaches epoch 2, the other is still at epoch 0
    assert pbt.on_trial_result(controller, trials[0], {"val_accuracy": 0.5, TIME_ATTR: 2}) == getattr(TrialScheduler, decision)


# ---- real sweeps


def checkpointed(run_dir: Path) -> dict[str, set[int]]:
    """Each trial's checkpoints on disk, by the epoch they hold."""
    epochs, trial_ids = {}, trained(run_dir)
    for folder in run_dir.glob("train_cnn_*"):  # train_cnn_<trial id>_<counter>_<config>; ids differ by searcher
        (trial_id,) = [trial for trial in trial_ids if folder.name.startswith(f"train_cnn_{trial}_")]
        epochs[trial_id] = {json.loads((path / "trial.json").read_text())["epoch"] for path in folder.glob("checkpoint_*")}
    return epochs


def trained(run_dir: Path) -> dict[str, set[int]]:
    """Each trial's epochs, in every lineage PBT gave it."""
    history = pd.read_csv(run_dir / "history.csv", dtype={"trial_id": str})
    return {trial_id: set(epochs) for trial_id, epochs in history.groupby("trial_id").epoch}


def exploited_at(run_dir: Path) -> dict[str, set[int]]:
    """The epochs after which PBT replaced each trial's weights by another's (the epoch before its first
    row of the new lineage)."""
    history = pd.read_csv(run_dir / "history.csv", dtype={"trial_id": str, "restored_from": str}, keep_default_na=False)
    restored = history[history.restored_from != ""]
    return {trial_id: set(epochs - 1) for trial_id, epochs in restored.groupby("trial_id").epoch}
