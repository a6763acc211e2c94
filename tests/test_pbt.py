"""Population-based training through the real command line: perturbations stay in the space, every trained epoch is recorded once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from experiments.results import load_results
from search_spaces import load_space
from test_checkpoints import checkpointed, exploited_at, trained

pytestmark = pytest.mark.slow

TIGHT = {
    "dropout": {"uniform": [0.4, 0.5]},
    "learning_rate": {"loguniform": [1.0e-3, 1.2e-3]},
    "lr_step_epochs": {"randint": [1, 3]},
    "hidden_units": 16,
}


def test_a_pbt_sweep_with_a_tight_space_stays_inside_it_records_each_trained_epoch_once_and_checkpoints_at_its_multiples(
        tmp_path, short_tmp):
    """Perturbations stay in the space; every trained epoch is recorded once; a trial writes a checkpoint
    at every multiple of the interval it reaches and nowhere else (short trials write none for failures;
    every other scheduler: test_sweeps' check_checkpoints). The one a trial wrote where PBT exploited it
    holds the weights PBT threw away: Ray does not count it (it pauses the trial without taking the
    save), so the trial's next checkpoint takes its folder."""
    spec = {
        "name": "pbt-tight", "space": TIGHT, "dataset": {"name": "digits", "limit": 200},
        "search": {"algorithm": "random", "num_samples": 2}, "train": {"max_epochs": 5}, "checkpoint": {"interval_s": None},
        "scheduler": {"name": "pbt", "perturbation_interval": 2, "quantile_fraction": 0.5, "resample_probability": 0.0,
                      "synchronous": True},  # ranked at equal epochs: at epoch 2 the worse trial takes the better one's weights
        "stop": {"epochs_budget": 60},  # PBT can exploit in circles; the budget bounds the test whatever happens
    }
    (tmp_path / "pbt.yaml").write_text(yaml.safe_dump(spec))
    done = subprocess.run(  # two logical CPUs: the population trains side by side, as PBT means it to
        [str(Path(sys.executable).parent / "cnn-tune"), "run", str(tmp_path / "pbt.yaml"), "--storage", str(tmp_path),
         "--num-cpus", "2", "--verbose", "0"],
        env={**os.environ, "RAY_TMPDIR": short_tmp}, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = load_results(tmp_path / "pbt-tight")
    space, table, history = load_space(TIGHT), result.dataframe, result.history
    assert history.restored_from.notna().any(), "no trial took another's weights: PBT never exploited"
    for name, domain in space.searched().items():  # every trial's last configuration...
        low, high = domain.values()
        assert table[name].between(low, high).all(), table[name]
    assert history.lr.between(1.0e-3, 1.2e-3).all(), history.lr  # ...and the learning rate of every epoch trained
    lineage = history.restored_from.notna().groupby(history.trial_id).cumsum()
    assert not history.assign(lineage=lineage).duplicated(["trial_id", "lineage", "epoch"]).any()
    assert len(history) == result.summary["epochs_total"]
    for row in history[history.restored_from.notna()].itertuples():  # a new lineage goes on from the donor's epoch
        assert row.epoch > 1 and row.restored_from in set(table.trial_id)
    run_dir = tmp_path / "pbt-tight"
    on_disk, reported, exploited = checkpointed(run_dir), trained(run_dir), exploited_at(run_dir)
    assert set(on_disk) == set(reported)
    for trial_id, trial_epochs in reported.items():
        due_epochs = {2, 4} & trial_epochs  # epoch 5 ends the trial: no checkpoint
        assert due_epochs - exploited.get(trial_id, set()) <= on_disk[trial_id] <= due_epochs, trial_id
