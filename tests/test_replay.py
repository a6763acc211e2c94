"""`cnn-tune replay`: a recorded sweep's curves through Ray's own schedulers, checked against answers
worked out by hand from Ray's ASHA rule (a trial at a rung goes on if its value is at least the
1 - 1/reduction_factor quantile of the values recorded at that rung so far)."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

import experiments
from core import statuses
from experiments.cli import main
from experiments.replay import REFUSED
from experiments.schedulers import SCHEDULERS
from experiments.record.writer import SweepRecord
from experiments.results import load_results
from experiments.schedulers import scheduler as scheduler_named
from experiments.schedulers.simulate import read_curves, recorded_slots, replay_once
from experiments.storage import RunLocation

# best_val_accuracy per epoch; each epoch takes one second
CURVES = {
    "a": [0.5, 0.6, 0.7, 0.8],
    "b": [0.4, 0.45, 0.5, 0.55],
    "c": [0.9, 0.91, 0.92, 0.93],
    "d": [0.55, 0.58, 0.6, 0.62],
}
ASHA = ["--set", "scheduler.grace_period=1", "--set", "scheduler.reduction_factor=2"]


def recorded_sweep(run_dir: Path, curves: dict[str, list[float]] = CURVES, max_epochs: int = 4) -> Path:
    run_dir.mkdir()
    spec = experiments.validate("quickstart", train={"max_epochs": max_epochs}, scheduler={"name": "fifo"},
                                search={"num_samples": len(curves)})
    record = SweepRecord(RunLocation(str(run_dir), run_dir), spec.as_data(), ["hidden_units"])
    for trial_id, values in curves.items():
        for epoch, value in enumerate(values, start=1):
            record.add_result(trial_id, {"hidden_units": 64}, {
                "epoch": epoch, "accuracy": value, "val_accuracy": value, "best_val_accuracy": value, "loss": 1 - value,
                "val_loss": 1 - value, "best_val_loss": 1 - value, "diverged": False, "early_stopped": False,
                "time_total_s": float(epoch),
            })
        record.finish_trial(trial_id, {"hidden_units": 64}, None)
    record.finished, record.end_reason = time.time(), statuses.END_SAMPLES
    record.flush()
    return run_dir


def asha_order(run_dir: Path, order: list[int]):
    spec = experiments.validate("quickstart", train={"max_epochs": 4}, scheduler={"name": "asha", "grace_period": 1, "reduction_factor": 2})
    built = scheduler_named("asha").build(spec.scheduler_context())
    built.set_search_properties("best_val_accuracy", "max")
    curves = read_curves(load_results(run_dir).history, ["val_accuracy", "best_val_accuracy"])
    return replay_once(curves, built, "val_accuracy", "max", slots=1, order=order, max_epochs=4)


def test_asha_replayed_in_the_recorded_order_stops_the_trials_worked_out_by_hand(tmp_path, capsys):
    # a: goes on (first at every rung); b: 0.4 < 0.5 (a's) at epoch 1; c: above every cutoff; d: at epoch 2,
    # 0.58 < the median of a's 0.6 and c's 0.91. Epochs 4 + 1 + 4 + 2 = 11 of 16, one at a time: 11 s of 16.
    run_dir = recorded_sweep(tmp_path / "run")
    assert main(["replay", str(run_dir), "--scheduler", "asha", *ASHA, "--orders", "1", "--slots", "1"]) == 0
    (row,) = pd.read_csv(run_dir / "replay-asha.csv").to_dict("records")
    assert (row["epochs"], row["fifo_epochs"], row["seconds"], row["fifo_seconds"]) == (11, 16, 11.0, 16.0)
    assert (row["best"], row["best_trial"], row["fifo_best"], row["cut_short"]) == (0.93, "c", 0.93, 0)
    said = capsys.readouterr().out
    assert "epochs: 0.69 (10-90%: 0.69-0.69) of FIFO's 16" in said and "found in 100% of orders" in said


def test_asha_judges_each_arrival_against_the_results_seen_before_it(tmp_path):
    # c first goes on unjudged; a (0.5 < 0.9) and b (0.4 < 0.7) stop at epoch 1; d goes on at epoch 1
    # (0.55 >= 0.5, the median of 0.9, 0.5, 0.4) and stops at epoch 2 (0.58 < 0.91): 4 + 1 + 1 + 2 = 8
    outcome = asha_order(recorded_sweep(tmp_path / "run"), order=[2, 0, 1, 3])
    assert (outcome.epochs, outcome.seconds, outcome.best_trial) == (8, 8.0, "c")


def test_a_trial_the_record_stopped_is_reported_as_cut_short(tmp_path, capsys):
    run_dir = recorded_sweep(tmp_path / "run", {**CURVES, "b": [0.4]})  # the record stopped b after epoch 1
    assert main(["replay", str(run_dir), "--scheduler", "fifo", "--orders", "2", "--slots", "2"]) == 0
    rows = pd.read_csv(run_dir / "replay-fifo.csv")
    assert (rows.cut_short == 1).all() and (rows.epochs == 13).all()
    assert "up to 1 trials would have gone on past the end of their recorded curve" in capsys.readouterr().out


def test_hyperband_pauses_and_resumes_recorded_trials_and_trains_fewer_epochs_than_fifo(tmp_path):
    # 12 trials of 9 epochs, trial k's curve above trial k-1's at every epoch; with Ray's HyperBand (factor 3)
    # the first bracket halves at epochs 1 and 3, pausing each trial at a rung until its bracket is done
    curves = {f"t{k:02d}": [0.5 + 0.03 * k + 0.002 * epoch for epoch in range(9)] for k in range(12)}
    run_dir = recorded_sweep(tmp_path / "run", curves, max_epochs=9)
    assert main(["replay", str(run_dir), "--scheduler", "hyperband", "--orders", "5", "--slots", "2"]) == 0
    rows = pd.read_csv(run_dir / "replay-hyperband.csv")
    assert len(rows) == 5 and (rows.fifo_epochs == 108).all() and (rows.epochs < 108).all()
    assert (rows.seconds < rows.fifo_seconds).all() and (rows.cut_short == 0).all()


def test_the_slots_default_to_the_most_trials_the_record_shows_running_at_once():
    stamp = pd.Timestamp("2026-12-06T00:00:00Z")
    history = pd.DataFrame({  # a runs 0-4 s, b 1-3 s, c 5-6 s
        "trial_id": ["a", "a", "b", "c"], "time_total_s": [2.0, 4.0, 2.0, 1.0],
        "timestamp": [str(stamp + pd.Timedelta(seconds=s)) for s in (2, 4, 3, 6)],
    })
    assert recorded_slots(history) == 2


@pytest.mark.parametrize("args, said", [
    (["--scheduler", "pbt"], "--scheduler: pbt cannot be replayed: PBT changes a trial's hyperparameters"),
    (["--scheduler", "bohb"], "--scheduler: bohb cannot be replayed"),
    (["--scheduler", "nope"], "--scheduler: unknown 'nope'; one of"),
    (["--scheduler", "asha", "--set", "search.num_samples=3"], "--set: search.num_samples: a replay takes scheduler options only"),
    (["--scheduler", "asha", "--set", "scheduler.grace_period=9"], "scheduler.grace_period: 9 is beyond train.max_epochs (4)"),
    (["--scheduler", "asha", "--set", "scheduler.bogus=1"], "scheduler.bogus"),
    (["--scheduler", "asha", "--orders", "0"], "--orders: 0; at least 1"),
])
def test_bad_replay_input_is_one_line_and_exit_2(tmp_path, capsys, args, said):
    run_dir = recorded_sweep(tmp_path / "run")
    assert main(["replay", str(run_dir), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert said in err and len(err.splitlines()) == 1, err
    assert not list(run_dir.glob("replay-*.csv"))


def test_replay_of_a_folder_that_is_not_a_run_is_exit_2(tmp_path, capsys):
    assert main(["replay", str(tmp_path), "--scheduler", "asha"]) == 2
    assert "no history.csv and summary.json in" in capsys.readouterr().err


@pytest.mark.parametrize("name", SCHEDULERS.names())
def test_every_registered_scheduler_replays_a_sweep_or_is_refused_with_why(tmp_path, capsys, name):
    """A scheduler added later is replayed here, or named in REFUSED with the reason."""
    run_dir = recorded_sweep(tmp_path / "run")
    code = main(["replay", str(run_dir), "--scheduler", name, "--orders", "3", "--slots", "2"])
    if name in REFUSED:
        assert code == 2 and REFUSED[name] in capsys.readouterr().err
        return
    assert code == 0
    rows = pd.read_csv(run_dir / f"replay-{name}.csv")
    assert len(rows) == 3 and (rows.epochs <= rows.fifo_epochs).all() and (rows.fifo_epochs == 16).all()
    assert ((rows.best <= rows.fifo_best) & (rows.seconds > 0)).all()
