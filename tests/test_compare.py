"""`compare`: one budget for several experiments, several seeds each; budgets counted from the results."""

from __future__ import annotations

import pandas as pd
import pytest

from experiments.compare import Budget, compare, plan
from trainables.registry import InputError

PAIR = ["seed-random-asha", "seed-hyperopt-asha"]


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
    table = compare(PAIR, Budget("trials", 2), 2, storage=str(tmp_path), smoke=True, verbose=0, name="c")
    folder = tmp_path / "c"
    assert list(table.experiment) == PAIR and (table.runs == 2).all()
    for name in PAIR:
        for seed in (0, 1):
            assert len(pd.read_csv(folder / f"{name}-seed{seed}" / "results.csv")) == 2  # the trials budget, exactly
    assert (folder / "compare.png").stat().st_size > 10_000 and (folder / "compare.csv").is_file()

    # an epochs budget counts every trial's epochs together
    compare(PAIR[:1], Budget("epochs", 3), 1, storage=str(tmp_path), smoke=True, verbose=0, name="e")
    run = tmp_path / "e" / f"{PAIR[0]}-seed0"
    assert len(pd.read_csv(run / "history.csv")) == 3
    assert set(pd.read_csv(run / "results.csv").stopped_by.dropna()) <= {"budget", "scheduler"}

    # run again: every run is finished, so nothing is rerun
    stamps = {p: p.stat().st_mtime for p in folder.glob("*/results.csv")}
    compare(PAIR, Budget("trials", 2), 2, storage=str(tmp_path), smoke=True, verbose=0, name="c")
    assert {p: p.stat().st_mtime for p in folder.glob("*/results.csv")} == stamps
