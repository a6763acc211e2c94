"""The sweep's record: statuses, best trial, and reading back what a killed driver wrote."""

import csv
import json

import pytest

from experiments.results import SweepRecord, load_results
from experiments.runner import SweepStopper
from experiments.storage import RunLocation

SPEC = {"name": "r", "metric": "val_accuracy", "mode": None, "train": {"max_epochs": 3}, "stop": {"target": 0.95}}


def epoch(n, acc, **extra):
    return {"epoch": n, "loss": 1.0, "accuracy": acc, "val_loss": 1.0, "val_accuracy": acc, "time_total_s": n, **extra}


@pytest.fixture
def record(tmp_path):
    return SweepRecord(RunLocation(str(tmp_path), tmp_path), SPEC, ["hidden_units", "learning_rate"])


def test_statuses_follow_how_a_trial_ended(record):
    cases = {
        "full": [epoch(1, 0.5), epoch(2, 0.6), epoch(3, 0.7)],
        "cut": [epoch(1, 0.2)],
        "target": [epoch(1, 0.99)],
        "patience": [epoch(1, 0.5), epoch(2, 0.4, early_stopped=True)],
        "nan": [epoch(1, 0.0, diverged=True)],
    }
    for trial_id, epochs in cases.items():
        for result in epochs:
            record.add_result(trial_id, {"hidden_units": 8, "learning_rate": 0.1, "ignored": 1}, result)
        record.finish_trial(trial_id, {}, None)
    record.finish_trial("boom", {"hidden_units": 9}, "ValueError: boom")
    record.flush()
    rows = {row["trial_id"]: row for row in csv.DictReader((record.run_dir / "results.csv").open())}
    assert {k: (r["status"], r["stopped_by"]) for k, r in rows.items()} == {
        "full": ("completed", ""),
        "cut": ("stopped_early", "scheduler"),
        "target": ("stopped_early", "target"),
        "patience": ("stopped_early", "early_stopping"),
        "nan": ("diverged", ""),
        "boom": ("errored", ""),
    }
    assert rows["boom"]["error"] == "ValueError: boom" and rows["boom"]["hidden_units"] == "9"
    assert "ignored" not in rows["full"]
    summary = json.loads((record.run_dir / "summary.json").read_text())
    assert summary["best"]["trial_id"] == "target"  # 0.99, and diverged trials never count
    assert summary["status_counts"]["stopped_early"] == 3


def test_a_resumed_record_keeps_one_row_per_trial_epoch(record, tmp_path):
    record.add_result("a", {"hidden_units": 8}, epoch(1, 0.5))
    record.add_result("a", {"hidden_units": 8}, epoch(2, 0.6))
    record.flush()
    # the driver died after logging epoch 2 but before its checkpoint: epoch 2 is reported again
    resumed = SweepRecord(RunLocation(str(tmp_path), tmp_path), SPEC, ["hidden_units", "learning_rate"])
    resumed.load()
    resumed.add_result("a", {"hidden_units": 8}, epoch(2, 0.65))
    resumed.add_result("a", {"hidden_units": 8}, epoch(3, 0.7))
    resumed.finish_trial("a", {}, None)
    resumed.flush()
    again = SweepRecord(RunLocation(str(tmp_path), tmp_path), SPEC, ["hidden_units", "learning_rate"])
    again.load()  # what a second resume would see
    assert sorted(again.trials["a"].epochs) == [1, 2, 3]
    assert again.trials["a"].epochs[2]["val_accuracy"] == 0.65
    result = load_results(tmp_path)
    assert len(result.history) == 3 and result.dataframe.status.tolist() == ["completed"]


def test_stop_rules_respect_the_metric_direction_and_the_epoch_budget():
    assert SweepStopper("val_accuracy", "max", 0.9, None)("t", {"val_accuracy": 0.95})
    assert not SweepStopper("val_accuracy", "max", 0.9, None)("t", {"val_accuracy": 0.85})
    assert SweepStopper("val_loss", "min", 0.1, None)("t", {"val_loss": 0.05})
    assert not SweepStopper("val_loss", "min", 0.1, None)("t", {"val_loss": 0.5})
    budget = SweepStopper("val_loss", "min", None, 3)
    for _ in range(2):
        budget("t", {"val_loss": 1.0})
    assert not budget.stop_all()
    budget("u", {"val_loss": 1.0})
    assert budget.stop_all()
