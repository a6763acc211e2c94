"""Which hyperparameters mattered: fANOVA over sweeps recorded by the real writer, without Ray."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

import experiments
from core import statuses
from experiments.importance import MIN_SCORED
from experiments.record.writer import SweepRecord
from experiments.report import write_report
from experiments.results import SweepResult, load_results
from experiments.storage import RunLocation

SPACE = {
    "learning_rate": {"loguniform": [1e-4, 1e-1]},
    "hidden_units": {"qlograndint": [16, 256, 16]},
    "optimizer": {"choice": ["adam", "rmsprop", "sgd"]},
    "dropout": {"uniform": [0.0, 0.5]},
    "batch_size": 64,  # held constant: no row of its own
}
DIVERGING_RATE = 1e-2


def recorded(run_dir: Path, trials: int, failing: bool = True) -> SweepResult:
    """A random search of two epochs per trial, as the real writer records it. Its best val_accuracy
    (epoch 1) depends on dropout alone; its final one on hidden_units more; its losses on the optimizer.
    With ``failing``, trials above DIVERGING_RATE score 0.2 in epoch 1, then diverge or error."""
    spec = experiments.validate("quickstart", space=SPACE, train={"max_epochs": 2}, search={"num_samples": trials})
    record = SweepRecord(RunLocation(str(run_dir), run_dir), spec.as_data(), list(SPACE))
    rng = np.random.default_rng(0)
    for i in range(trials):
        config = {"learning_rate": float(10 ** rng.uniform(-4, -1)), "hidden_units": int(16 * rng.integers(1, 17)),
                  "optimizer": str(rng.choice(SPACE["optimizer"]["choice"])), "dropout": float(rng.uniform(0, 0.5)),
                  "batch_size": 64}
        fails = failing and config["learning_rate"] > DIVERGING_RATE
        first = 0.2 if fails else 0.7 + 0.4 * config["dropout"]
        scores = [first, first - 0.6 * np.log2(config["hidden_units"] / 16) / 4]
        loss = 1.0 + SPACE["optimizer"]["choice"].index(config["optimizer"])
        for epoch, score in enumerate(scores[: 1 if fails and i % 2 else 2], start=1):
            diverged = fails and epoch == 2
            record.add_result(f"t{i:03d}", config, {
                "epoch": epoch, "accuracy": score, "val_accuracy": 0.1 if diverged else score, "loss": loss,
                "val_loss": float("nan") if diverged else loss, "diverged": diverged, "time_total_s": float(epoch)})
        record.finish_trial(f"t{i:03d}", config, "ValueError: bad batch" if fails and i % 2 else None)
    record.finished, record.end_reason = time.time(), statuses.END_SAMPLES
    record.flush()
    return load_results(run_dir)


@pytest.fixture(scope="module")
def searched(tmp_path_factory) -> SweepResult:
    return recorded(tmp_path_factory.mktemp("searched"), 40)


def test_importance_ranks_first_by_far_the_one_hyperparameter_the_score_depends_on(searched):
    table = searched.importance
    assert list(table.columns) == ["hyperparameter", "importance"]
    assert set(table.hyperparameter) == {"learning_rate", "hidden_units", "optimizer", "dropout"}, "batch_size was constant"
    assert table.hyperparameter[0] == "dropout"
    assert table.importance[0] > 0.8 and table.importance[1:].max() < 0.05, table
    assert table.importance.is_monotonic_decreasing


def test_importance_leaves_out_the_trials_that_diverged_or_errored(searched):
    table, trials = searched.importance, searched.dataframe
    failed = trials.status.isin(statuses.FAILED)
    assert set(trials.status[failed]) == {statuses.DIVERGED, statuses.ERRORED}
    assert (trials.best_val_accuracy[failed] == 0.2).all(), "they scored, low, where the learning rate is high"
    assert f"over {(~failed).sum()} trials that ended with a score" in table.attrs["note"]
    assert table.set_index("hyperparameter").importance["learning_rate"] < 0.05


def test_the_same_sweep_gives_the_same_importances(searched):
    again = load_results(searched.run_dir).importance
    assert again.equals(searched.importance)


@pytest.mark.parametrize("scored", [MIN_SCORED - 1, MIN_SCORED])
def test_a_table_takes_the_minimum_of_scored_trials_below_it_the_report_says_why(scored, tmp_path):
    result = recorded(tmp_path, scored, failing=False)
    page = write_report(result).read_text()
    section = page.split("<h2>Which hyperparameters mattered</h2>")[1].split("<h2>")[0]
    if scored < MIN_SCORED:
        assert result.importance.empty
        assert result.importance.attrs["note"] == (
            f"No importances: {scored} trials ended with a score, fewer than the {MIN_SCORED} a forest needs "
            "before its shares say more than the noise of a few scores.")
        assert result.importance.attrs["note"] in section and "<table" not in section
    else:
        assert len(result.importance) == 4 and section.count("<tr") == 1 + 4
