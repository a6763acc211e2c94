"""`compare`: one budget for several experiments, several seeds each; budgets counted from the results."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pandas as pd
import pytest

from experiments.compare import Budget, compare, plan
from experiments.results import SweepInterrupted
from core.errors import InputError
from test_cluster import history_rows

PAIR = ["seed-random-asha", "seed-hyperopt-asha"]
# Neither the runs' final retrains nor their k folds are what these tests are about (the retrain costs
# a worker that imports TensorFlow; each fold a model trained): one holdout split, no retrain.
LIGHT = {"final.enabled": False, "dataset.folds": 1}


@pytest.mark.parametrize("text, kind, amount", [("trials=20", "trials", 20), ("epochs:50", "epochs", 50), ("minutes 1.5", "minutes", 1.5)])
def test_budgets_parse(text, kind, amount):
    assert Budget.parse(text) == Budget(kind, amount)


@pytest.mark.parametrize("text", ["trial=2", "trials=0", "epochs=2.5", "hours=1"])
def test_bad_budgets_are_refused(text):
    with pytest.raises(InputError, match="--budget"):
        Budget.parse(text)


def test_only_fair_comparisons_are_planned():
    with pytest.raises(InputError, match="^dataset: compare needs the same dataset"):
        plan(["quickstart", "seed-random"], Budget("trials", 2), 1, {}, smoke=True)
    with pytest.raises(InputError, match="grid, whose trials are fixed"):
        plan(["seed-grid"], Budget("trials", 2), 1, {}, smoke=True)
    runs = plan(PAIR, Budget("epochs", 7), 3, {}, smoke=True)
    assert [(name, seed) for name, seed, _ in runs] == [(n, s) for n in PAIR for s in range(3)]
    assert {spec.stop.epochs_budget for _, _, spec in runs} == {7}
    assert not any(spec.final.enabled for _, _, spec in runs)


@pytest.mark.slow
def test_compare_honours_its_budgets_and_resumes(ray_local, tmp_path):
    table = compare(PAIR, Budget("trials", 1), 2, storage=str(tmp_path), smoke=True, verbose=0, overrides=LIGHT, name="c")
    folder = tmp_path / "c"
    assert list(table.experiment) == PAIR and (table.runs == 2).all()
    for name in PAIR:
        for seed in (0, 1):
            assert len(pd.read_csv(folder / f"{name}-seed{seed}" / "results.csv")) == 1  # the trials budget, exactly
    assert (folder / "compare.png").stat().st_size > 10_000 and (folder / "compare.csv").is_file()
    # (an epochs budget is planned as each run's stop.epochs_budget: test_only_fair_comparisons_are_planned)

    # run again: every run is finished, so nothing is rerun
    stamps = {p: p.stat().st_mtime for p in folder.glob("*/results.csv")}
    compare(PAIR, Budget("trials", 1), 2, storage=str(tmp_path), smoke=True, verbose=0, overrides=LIGHT, name="c")
    assert {p: p.stat().st_mtime for p in folder.glob("*/results.csv")} == stamps

    # interrupted mid-run (as Ctrl-C does) and run again: the cut run is resumed, not restarted
    run = tmp_path / "r" / f"{PAIR[0]}-seed0"
    interrupt_when(lambda: history_rows(run) >= 3)
    with pytest.raises(SweepInterrupted):
        compare(PAIR[:1], Budget("trials", 3), 1, storage=str(tmp_path), smoke=True, verbose=0, overrides=LIGHT, name="r")
    before = pd.read_csv(run / "history.csv")
    ended = set(pd.read_csv(run / "results.csv").query("status != 'running'").trial_id)
    assert ended, "one trial at a time: the first ended before the third epoch was recorded"
    assert json.loads((run / "summary.json").read_text())["state"] == "interrupted" and before.trial_id.nunique() < 3
    compare(PAIR[:1], Budget("trials", 3), 1, storage=str(tmp_path), smoke=True, verbose=0, overrides=LIGHT, name="r")
    after, table = pd.read_csv(run / "history.csv"), pd.read_csv(run / "results.csv")
    assert [start["resumed"] for start in json.loads((run / "manifest.json").read_text())["runs"]] == [False, True]
    assert len(table) == 3 and set(before.trial_id) <= set(table.trial_id)  # the budget counts the earlier trials
    kept = after.merge(before, on=["trial_id", "epoch"], suffixes=("", "_before"))
    assert len(kept) == len(before)  # every epoch recorded before the interrupt is still there
    # trials that had ended were not run again (one cut mid-way reruns the epochs since its last checkpoint)
    assert (kept[kept.trial_id.isin(ended)].timestamp == kept[kept.trial_id.isin(ended)].timestamp_before).all()
    for trial_id, epochs in after.groupby("trial_id").epoch:
        assert sorted(epochs) == list(range(1, max(epochs) + 1)), f"{trial_id} skipped or repeated an epoch"
    assert (tmp_path / "r" / "compare.csv").is_file()


def interrupt_when(ready) -> None:
    """Once ``ready()``, stop the running sweep as Ctrl-C does: Tune's handler for SIGUSR1, installed
    (and never removed) when a sweep starts, ends it cleanly; signalling before that would kill pytest."""
    def watch() -> None:
        while not ready():
            time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGUSR1)

    threading.Thread(target=watch, daemon=True).start()


@pytest.mark.slow
def test_comparisons_under_remote_storage_keep_their_own_files_there(ray_local, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # where runs under a URI keep their local copy
    bucket = tmp_path / "bucket"  # a URI through pyarrow's filesystem layer, as s3:// is
    for name in ("first", "second"):
        compare(PAIR[:1], Budget("trials", 1), 1, storage=f"file://{bucket}", smoke=True, verbose=0, overrides=LIGHT, name=name)
    for name in ("first", "second"):
        assert json.loads((bucket / name / "compare.json").read_text())["name"] == name
        assert pd.read_csv(bucket / name / "compare.csv").experiment.tolist() == PAIR[:1]
        assert (bucket / name / "compare.png").stat().st_size > 10_000
        assert (bucket / name / f"{PAIR[0]}-seed0" / "results.csv").is_file()  # beside the runs it compares
    assert not list((tmp_path / "home" / ".cache" / "cnn-tune" / "runs").glob("compare.*"))  # none in the shared cache
