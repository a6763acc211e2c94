"""Why a sweep ends, through the real command line: a normal end is never an interruption.

Each test runs `cnn-tune run` as a user would, on the bundled `digits` images, and reads
what the run left on disk.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from test_cluster import ONE_AT_A_TIME, history_rows

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
SMALL = {"dataset": {"name": "digits", "limit": 200}, "train": {"max_epochs": 1}}


def experiment(tmp_path: Path, name: str, **spec) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, **SMALL, **spec}))
    return path


def cnn_tune(*args: str, short_tmp: str, **popen):
    env = {**os.environ, "RAY_TMPDIR": short_tmp}
    return subprocess.Popen([str(BIN / "cnn-tune"), "run", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, **popen)


def finished(*args: str, short_tmp: str) -> tuple[int, str, str]:
    process = cnn_tune(*args, short_tmp=short_tmp)
    out, err = process.communicate(timeout=600)
    return process.returncode, out, err


def summary_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


def test_a_searcher_that_exhausts_a_small_space_ends_the_sweep_as_finished(tmp_path, short_tmp):
    """BayesOpt over 2 x 2 choices: each decoded configuration runs once, then the searcher is done."""
    spec = experiment(
        tmp_path, "exhaust",
        space={"hidden_units": {"choice": [8, 16]}, "learning_rate": {"choice": [0.01, 0.1]}},
        search={"algorithm": "bayesopt", "num_samples": 10, "random_starts": 2},
    )
    code, out, err = finished(str(spec), "--storage", str(tmp_path), *ONE_AT_A_TIME, short_tmp=short_tmp)
    assert code == 0, err[-3000:]
    summary = summary_of(tmp_path / "exhaust")
    assert (summary["state"], summary["end_reason"]) == ("finished", "searcher exhausted")
    assert "ended: searcher exhausted" in out
    table = pd.read_csv(tmp_path / "exhaust" / "results.csv")
    configs = list(zip(table.hidden_units, table.learning_rate))
    assert len(configs) == len(set(configs)) and 1 < len(configs) <= 4
    assert (tmp_path / "exhaust" / "report.html").is_file()  # the normal ending: the report is written


def test_an_epochs_budget_ends_every_trial_with_its_reason_and_queues_no_trial_it_cannot_run(tmp_path, short_tmp):
    """200 samples, a budget of 5 epochs: Tune queues a trial per free slot (2 here), not the 200 its
    default holds waiting for an autoscaler, each with a placement group and a folder."""
    spec = experiment(
        tmp_path, "epochs", space="quickstart", search={"algorithm": "random", "num_samples": 200},
        train={"max_epochs": 4}, stop={"epochs_budget": 5},
    )
    code, out, err = finished(str(spec), "--storage", str(tmp_path), "--num-cpus", "2", short_tmp=short_tmp)
    assert code == 0, err[-3000:]
    summary = summary_of(tmp_path / "epochs")
    table = pd.read_csv(tmp_path / "epochs" / "results.csv")
    assert (summary["state"], summary["end_reason"]) == ("finished", "epochs budget")
    assert "running" not in set(table.status), table[["trial_id", "status", "epochs"]]
    cut = table[(table.epochs < 4) & (table.status == "stopped_early")]
    assert len(cut) >= 1 and set(cut.stopped_by) == {"budget"}
    assert sum(summary["status_counts"].values()) == summary["trials"] == len(table)
    made = list((tmp_path / "epochs").glob("train_cnn_*"))
    assert len(table) <= len(made) <= len(table) + 2 + 2, "trials run, and at most 2 running and 2 queued"


def test_a_time_budget_counts_running_time_across_a_resume(tmp_path, short_tmp):
    """Interrupted, left idle, resumed: the sweep runs for its budget, not the budget minus the pause."""
    budget = 30
    spec = experiment(
        tmp_path, "timed", space="quickstart", search={"algorithm": "random", "num_samples": 200},
        train={"max_epochs": 2}, stop={"time_budget_s": budget},
    )
    run_dir = tmp_path / "timed"
    first = cnn_tune(str(spec), "--storage", str(tmp_path), *ONE_AT_A_TIME, "--verbose", "0", short_tmp=short_tmp)
    deadline = time.time() + 240
    while not history_rows(run_dir):  # a row per epoch, appended as it arrives: cut after the first,
        assert time.time() < deadline and first.poll() is None, "no epoch arrived"  # well within the budget on a busy machine
        time.sleep(1)
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=120)
    assert first.returncode == 130 and summary_of(run_dir)["state"] == "interrupted"
    ran_before = summary_of(run_dir)["running_s"]
    time.sleep(budget / 4)  # downtime: not part of the budget

    code, out, err = finished(str(spec), "--storage", str(tmp_path), *ONE_AT_A_TIME, "--resume", "--verbose", "0", short_tmp=short_tmp)
    assert code == 0, err[-3000:]
    summary = summary_of(run_dir)
    history = pd.read_csv(run_dir / "history.csv")
    longest_epoch = history.groupby("trial_id").time_total_s.diff().fillna(history.time_total_s).max()
    assert summary["end_reason"] == "time budget"
    assert budget <= summary["running_s"] <= budget + longest_epoch + 5, (summary["running_s"], longest_epoch)
    assert summary["running_s"] > ran_before and summary["wall_s"] >= summary["running_s"] + budget / 4
    table = pd.read_csv(run_dir / "results.csv")
    assert "running" not in set(table.status)
