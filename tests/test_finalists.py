"""Finalist re-validation: the top configurations trained again under other seeds, the final pick by their mean."""

from __future__ import annotations

import json

import numpy as np
import pytest

import experiments
from core.errors import InputError
from core.schema import result_columns
from experiments.finalists import pick, top_configs
from experiments.record.csvio import atomic_write
from experiments.results import SweepResult
from trainables.cnn import TrainSettings
from trainables.data import partition, prepare
from trainables.revalidation import revalidate

TINY = {"learning_rate": 0.01, "hidden_units": 16, "batch_size": 32}


def written_sweep(tmp_path, rows: list[dict], mode: str = "max") -> SweepResult:
    """A run folder holding only what ``top_configs`` reads: summary.json and results.csv."""
    metric = "val_accuracy" if mode == "max" else "val_loss"
    (tmp_path / "summary.json").write_text(json.dumps({"metric": metric, "mode": mode}))
    columns = result_columns(["learning_rate", "hidden_units"])
    lines = [",".join(columns)] + [",".join(str(row.get(column, "")) for column in columns) for row in rows]
    atomic_write(tmp_path / "results.csv", "\n".join(lines) + "\n")
    return SweepResult(tmp_path)


def row(trial_id, status, rate, units, score, best_epoch=2):
    return {"trial_id": trial_id, "status": status, "learning_rate": rate, "hidden_units": units, "best_epoch": best_epoch,
            "best_val_accuracy": score, "best_val_loss": score}


def test_finalists_are_the_best_distinct_configurations_that_did_not_fail(tmp_path):
    result = written_sweep(tmp_path, [
        row("a", "completed", 0.01, 16, 0.90, best_epoch=3),
        row("b", "diverged", 1.0, 16, 0.99),
        row("c", "stopped_early", 0.001, 32, 0.95, best_epoch=1),
        row("d", "completed", 0.001, 32, 0.93),  # the same configuration as c, scored lower
        row("e", "completed", 0.1, 64, 0.80),
    ])
    finalists = top_configs(result, 3, epochs=None)
    assert [f["trial_id"] for f in finalists] == ["c", "a", "e"]
    assert finalists[0] == {"trial_id": "c", "config": {"learning_rate": 0.001, "hidden_units": 32}, "search": 0.95, "epochs": 1}
    assert [f["epochs"] for f in top_configs(result, 2, epochs=7)] == [7, 7]  # final.epochs, when set, for every finalist


def test_finalists_of_a_loss_are_the_lowest(tmp_path):
    result = written_sweep(tmp_path, [row("a", "completed", 0.01, 16, 0.5), row("b", "completed", 0.1, 16, 0.2)], mode="min")
    assert [f["trial_id"] for f in top_configs(result, 1, None)] == ["b"]


def test_the_pick_goes_by_the_mean_of_the_reruns_not_the_search_score():
    finalists = [
        {"trial_id": "lucky", "search": 0.99, "mean": 0.90},
        {"trial_id": "steady", "search": 0.95, "mean": 0.94},
        {"trial_id": "broken", "search": 0.97, "mean": None},  # every re-run failed
    ]
    assert pick(finalists, "max")["trial_id"] == "steady"
    losses = [{"trial_id": "lucky", "search": 0.10, "mean": 0.30}, {"trial_id": "steady", "search": 0.15, "mean": 0.20}]
    assert pick(losses, "min")["trial_id"] == "steady"
    assert pick([finalists[2], {**finalists[1], "mean": None}], "max")["trial_id"] == "broken"  # none scored: the search's order
    assert pick([{**finalists[0], "mean": 0.94}, finalists[1]], "max")["trial_id"] == "lucky"  # equal means: the search score


def test_finalists_and_seeds_are_checked_before_anything_runs():
    with pytest.raises(InputError, match=r"^final\.finalists: .*greater than 0"):
        experiments.validate("quickstart", final={"finalists": 0})
    with pytest.raises(InputError, match=r"^final\.seeds: "):
        experiments.validate("quickstart", final={"finalists": 2, "seeds": "two"})
    spec = experiments.validate("quickstart", final={"finalists": 3})
    assert (spec.final.finalists, spec.final.seeds) == (3, 3)


def test_a_rerun_depends_on_its_seed_and_on_nothing_else():
    data = prepare("digits", limit=300, seed=0)
    settings = TrainSettings(max_epochs=2, cpus=1)
    first, again, other = (revalidate(TINY, data, settings, epochs=2, seed=seed) for seed in (1, 1, 2))
    assert first["epoch"] == 2
    assert first["val_accuracy"] == again["val_accuracy"] and first["val_loss"] == again["val_loss"]
    assert first["val_loss"] != other["val_loss"]


def test_a_rerun_on_another_partition_validates_on_other_images():
    data = prepare("digits", limit=300, folds=2, seed=0)
    redrawn = partition(data.pool.y, 2, 0.2, seed=1)
    assert not np.array_equal(np.sort(redrawn[0][1]), np.sort(data.folds[0][1]))
    settings = TrainSettings(max_epochs=1, cpus=1)
    own, other = (revalidate(TINY, data, settings, epochs=1, seed=1, folds=folds) for folds in (None, redrawn))
    assert own["val_loss"] != other["val_loss"]  # same seed, same configuration: only the images differ


@pytest.mark.slow
def test_a_sweep_with_finalists_retrains_the_one_with_the_best_mean(ray_local, tmp_path):
    result = experiments.run(
        {"name": "finalists", "space": {"learning_rate": {"loguniform": [1e-3, 3e-2]}, "hidden_units": {"choice": [16, 32]}}},
        storage=str(tmp_path), verbose=0, search={"num_samples": 4}, train={"max_epochs": 2},
        dataset={"name": "digits", "limit": 300, "folds": 2, "test": 0.2}, final={"enabled": True, "finalists": 2, "seeds": 2},
    )
    record, final = result.finalists, result.final
    table = result.dataframe.set_index("trial_id")
    assert [f["trial_id"] for f in record["finalists"]] == table.best_val_accuracy.sort_values(ascending=False).index[:2].tolist()
    assert record["training_seeds"] == [1, 2] and record["partitions"].startswith("re-drawn")
    for finalist in record["finalists"]:
        assert finalist["epochs"] == table.loc[finalist["trial_id"], "best_epoch"]
        assert len(finalist["scores"]) == 2 and all(0 <= score <= 1 for score in finalist["scores"])
        assert finalist["mean"] == pytest.approx(np.mean(finalist["scores"]))
    chosen = max(record["finalists"], key=lambda f: f["mean"])
    assert record["chosen"] == chosen["trial_id"]
    assert (final["trial_id"], final["config"], final["epochs"]) == (chosen["trial_id"], chosen["config"], chosen["epochs"])
    gap = final["optimism"]
    assert (gap["search"], gap["revalidated"], gap["test"]) == (chosen["search"], chosen["mean"], final["test_accuracy"])
    page = (result.run_dir / "report.html").read_text()
    assert "<h2>Finalists</h2>" in page and "<b>Optimism:</b>" in page


def test_run_help_names_the_finalists(capsys):
    from experiments.cli import main

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "final.finalists=K" in " ".join(capsys.readouterr().out.split())
