"""The sweep's record: statuses, best trial, and reading back what a killed driver wrote."""

import csv
import json
import threading
import time

import pytest

from experiments.callbacks import LIVE_RECORDS, SweepStopper
from experiments.record.writer import SweepRecord
from experiments.results import load_results
from experiments.storage import RunLocation

SPEC = {"name": "r", "metric": "val_accuracy", "train": {"max_epochs": 3}, "stop": {"target": 0.95}}


def epoch(n, acc, **extra):
    return {"epoch": n, "loss": 1.0, "accuracy": acc, "val_loss": 1.0, "val_accuracy": acc, "time_total_s": n, **extra}


def read_history(run_dir):
    return list(csv.DictReader((run_dir / "history.csv").open()))


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
    assert again.epochs_spent == 3 and again.trials["a"].last["val_accuracy"] == 0.7
    result = load_results(tmp_path)
    assert result.history.epoch.tolist() == [1, 2, 3] and result.history.val_accuracy[1] == 0.65
    assert result.dataframe.status.tolist() == ["completed"]
    assert len(read_history(tmp_path)) == 3, "compacted on disk too"


def test_a_record_an_older_version_wrote_resumes_with_its_rows_aligned_and_none_of_its_cells_lost(record, tmp_path):
    """A record from before a column was added (params) and with one since dropped (old_column): the resumed
    driver's rows line up with the header, the old rows keep every cell, the new column is blank for them."""
    record.add_result("a", {"hidden_units": 8}, epoch(1, 0.5, params=100))
    record.finish_trial("a", {}, None)
    record.add_result("b", {"hidden_units": 16}, epoch(1, 0.6, params=200))
    for name in ("history.csv", "trial_ends.csv"):  # as the older version wrote them
        rows = list(csv.DictReader((tmp_path / name).open()))
        columns = [column for column in rows[0] if column != "params"] + ["old_column"]
        with (tmp_path / name).open("w", newline="") as stream:
            writer = csv.DictWriter(stream, columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows({**row, "old_column": "kept"} for row in rows)
    resumed = SweepRecord(RunLocation(str(tmp_path), tmp_path), SPEC, ["hidden_units", "learning_rate"])
    resumed.load()
    resumed.add_result("b", {"hidden_units": 16}, epoch(2, 0.7, params=200))
    resumed.finish_trial("b", {}, None)
    resumed.finished = time.time()
    resumed.flush()
    history = read_history(tmp_path)
    assert [(row["trial_id"], row["epoch"], row["val_accuracy"], row["params"], row["old_column"]) for row in history] == [
        ("a", "1", "0.5", "", "kept"), ("b", "1", "0.6", "", "kept"), ("b", "2", "0.7", "200", "")]
    assert all(None not in row for row in history), "no row has more cells than the header"
    ends = list(csv.DictReader((tmp_path / "trial_ends.csv").open()))
    assert [(row["trial_id"], row["status"], row["old_column"]) for row in ends] == [("a", "stopped_early", "kept"), ("b", "stopped_early", "")]
    result = load_results(tmp_path)
    assert result.dataframe.set_index("trial_id").final_val_accuracy.to_dict() == {"a": 0.5, "b": 0.7}


@pytest.mark.parametrize("trial_id", ["81432_00000", "1234e567", "00000042"])
def test_a_resumed_record_keeps_trial_ids_that_look_like_numbers(record, tmp_path, trial_id):
    record.add_result(trial_id, {"hidden_units": 8}, epoch(1, 0.5, node_id="1e10", restored_from="12_3"))
    record.flush()
    resumed = SweepRecord(RunLocation(str(tmp_path), tmp_path), SPEC, ["hidden_units", "learning_rate"])
    resumed.load()
    assert list(resumed.trials) == [trial_id]
    row = resumed.trials[trial_id].epochs[1]
    assert (row["trial_id"], row["node_id"], row["restored_from"]) == (trial_id, "1e10", "12_3")
    resumed.flush()
    assert next(csv.DictReader((tmp_path / "history.csv").open()))["trial_id"] == trial_id
    result = load_results(tmp_path)
    assert result.history.trial_id.tolist() == [trial_id] and result.dataframe.trial_id.tolist() == [trial_id]


def stopper(tmp_path, metric, target=None, **stop):
    """The stop rules of a sweep, and its record as RecordCallback.setup registers it for this driver."""
    spec = {**SPEC, "metric": metric, "stop": {"target": target, **stop}}
    record = SweepRecord(RunLocation(str(tmp_path), tmp_path), spec, [])
    LIVE_RECORDS[str(tmp_path)] = record
    return SweepStopper(record, target), record


def test_stop_rules_respect_the_metric_direction_and_the_epoch_budget(tmp_path):
    assert stopper(tmp_path, "val_accuracy", 0.9)[0]("t", {"val_accuracy": 0.95})
    assert not stopper(tmp_path, "val_accuracy", 0.9)[0]("t", {"val_accuracy": 0.85})
    assert stopper(tmp_path, "val_loss", 0.1)[0]("t", {"val_loss": 0.05})
    assert not stopper(tmp_path, "val_loss", 0.1)[0]("t", {"val_loss": 0.5})
    budget, record = stopper(tmp_path, "val_loss", epochs_budget=3)
    for n in (1, 2):
        record.add_result("t", {}, epoch(n, 0.5))
    assert not budget.stop_all()
    record.add_result("u", {}, epoch(1, 0.5))
    assert budget.stop_all()


def test_the_time_budget_counts_running_time_over_every_driver_not_downtime(tmp_path):
    import pickle

    first, record = stopper(tmp_path, "val_accuracy", time_budget_s=100)
    record.session_started -= 60  # this driver ran for a minute...
    record.started -= 3660  # ...an hour ago, and the sweep then lay still until now
    record.flush()
    resumed = pickle.loads(pickle.dumps(first))  # Tune restores its stopper from its own pickle
    _, record = stopper(tmp_path, "val_accuracy", time_budget_s=100)  # the resumed driver's record...
    record.load()  # ...reads back the first driver's
    assert record.running_s() == pytest.approx(60, abs=1) and not resumed.stop_all()
    record.session_started -= 41
    assert resumed.stop_all() and record.spent_budget() == "time budget"


def test_a_pbt_exploit_keeps_one_history_row_per_trained_epoch(record, tmp_path):
    """A trial that takes a donor's checkpoint at epoch 1 trains epochs 2 and 3 again: five epochs trained."""
    for n in (1, 2, 3):
        record.add_result("b", {"hidden_units": 8}, epoch(n, 0.3))
    record.add_result("b", {"hidden_units": 8}, epoch(2, 0.6, restored_from="a"))
    record.add_result("b", {"hidden_units": 8}, epoch(3, 0.7))
    record.finish_trial("b", {}, None)
    record.flush()
    history = load_results(tmp_path).history
    assert len(history) == 5 and record.epochs_spent == 5
    assert record.trials["b"].last["val_accuracy"] == 0.7
    again = SweepRecord(RunLocation(str(tmp_path), tmp_path), SPEC, ["hidden_units", "learning_rate"])
    again.load()
    assert again.epochs_spent == 5 and again.trials["b"].last["val_accuracy"] == 0.7


def record_callback(run_dir):
    """The callback Tune calls as results arrive, over a fresh record of a sweep over hidden_units."""
    from experiments.callbacks import RecordCallback

    return RecordCallback(SweepRecord(RunLocation(str(run_dir), run_dir), SPEC, ["hidden_units"]), None, "val_accuracy")


def test_a_trial_that_ended_after_tunes_last_snapshot_hands_tune_its_recorded_final_result(record, tmp_path):
    """Tune's snapshot still holds the trial at epoch 1; the record holds its end at epoch 2. On resume
    the trial returns at once, and Tune tells its searcher and scheduler the trial's last result: the
    record's, not the snapshot's."""
    from ray.tune.experiment import Trial

    record.add_result("a", {"hidden_units": 8}, epoch(1, 0.5))
    record.add_result("a", {"hidden_units": 8}, epoch(2, 0.6))
    record.finish_trial("a", {}, None)
    record.flush()
    trial = Trial("train_cnn", config={"hidden_units": 8}, trial_id="a", stub=True)
    trial.update_last_result({**epoch(1, 0.5), "training_iteration": 1, "done": False})
    resumed = record_callback(tmp_path)
    resumed.setup()
    resumed.on_trial_start(0, [trial], trial)
    assert (trial.last_result["val_accuracy"], trial.last_result["epoch"], trial.last_result["training_iteration"]) == (0.6, 2, 2)
    unended = Trial("train_cnn", config={}, trial_id="b", stub=True)
    unended.update_last_result({**epoch(1, 0.4), "training_iteration": 1})
    resumed.on_trial_start(0, [unended], unended)
    assert unended.last_result["val_accuracy"] == 0.4


def run_trials(callback, ids, trials):
    """Each trial of ``ids`` reports 3 epochs and completes, as Tune calls the callback."""
    from ray.tune.experiment import Trial

    for i in ids:
        trial = Trial("train_cnn", config={"hidden_units": i}, trial_id=f"t{i:05d}", stub=True)
        trials.append(trial)
        for n in (1, 2, 3):
            callback.on_trial_result(0, trials, trial, epoch(n, 0.5 + i / 10_000))
        callback.on_trial_complete(0, trials, trial)


def test_two_thousand_trials_cost_the_same_per_result_and_leave_exact_files(tmp_path, monkeypatch):
    """The record's CPU time for the last 500 trials is about that of the first 500 (a record that compacts
    every table at each trial end, as before, takes 5 to 7 times as long), each file holds one row per
    trial-epoch or per trial, and an ended trial keeps two rows in memory, not all of its epochs.
    Kept out of the clock: the timed compactions (their spacing has its own test; one that fell in
    the last quarter on a busy machine made it 5 times the first), and Python's full garbage
    collections, which scan the whole test process (0.08 s each, in whichever quarter they fall)."""
    import gc

    import experiments.callbacks

    monkeypatch.setattr(experiments.callbacks, "FLUSH_EVERY_S", float("inf"))
    callback = record_callback(tmp_path)
    callback.setup(total_num_samples=2000)
    trials, seconds = [], []
    gc.collect()
    gc.disable()
    try:
        for quarter in range(4):
            start = time.process_time()
            run_trials(callback, range(500 * quarter, 500 * (quarter + 1)), trials)
            seconds.append(time.process_time() - start)
    finally:
        gc.enable()
    callback.on_experiment_end(trials)
    assert seconds[3] < 2 * seconds[0], seconds

    history = read_history(tmp_path)
    assert len(history) == 6000 and len({(row["trial_id"], row["epoch"]) for row in history}) == 6000
    table = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert len(table) == 2000 and {row["status"] for row in table} == {"completed"}
    assert len(list(csv.DictReader((tmp_path / "trial_ends.csv").open()))) == 2000
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["trials"], summary["epochs_total"], summary["best"]["trial_id"]) == (2000, 6000, "t01999")
    assert max(len(record.epochs) for record in callback.record.trials.values()) <= 2


def test_the_record_is_compacted_apart_by_at_least_fifty_times_its_last_cost(tmp_path, monkeypatch):
    """Compacting rewrites the per-trial table, so it costs more as a sweep grows: spaced by 50 times its
    cost, it takes at most 2% of the driver's time (here with the 5-second floor taken away)."""
    import experiments.callbacks

    monkeypatch.setattr(experiments.callbacks, "FLUSH_EVERY_S", 0.0)
    callback = record_callback(tmp_path)
    callback.setup(total_num_samples=20_000)
    run_trials(callback, range(300), [])
    flushes, compact = [], callback.record.flush

    def timed() -> None:
        started = time.perf_counter()
        compact()
        flushes.append((started, time.perf_counter() - started))

    monkeypatch.setattr(callback.record, "flush", timed)
    first, deadline = 300, time.perf_counter() + 60
    while len(flushes) < 3 and time.perf_counter() < deadline:
        run_trials(callback, range(first, first + 20), [])
        first += 20
    assert len(flushes) >= 3, "no compaction in the sweep"
    for (before, cost), (after, _) in zip(flushes, flushes[1:]):
        assert after - before >= 50 * cost, flushes


def test_a_reader_of_a_running_sweep_never_sees_a_half_written_row(tmp_path):
    callback = record_callback(tmp_path)
    callback.setup(total_num_samples=3000)
    callback.flush()
    writer = threading.Thread(target=run_trials, args=(callback, range(3000), []))
    writer.start()
    while not (tmp_path / "history.csv").is_file():
        time.sleep(0.001)
    reads = 0
    while writer.is_alive() or reads == 0:
        result = load_results(tmp_path)
        history, table = result.history, result.dataframe
        assert history.trial_id.str.fullmatch(r"t\d{5}").all() and history.epoch.isin([1, 2, 3]).all()
        assert history.val_accuracy.notna().all() and history.timestamp.str.len().eq(29).all()
        assert table.trial_id.is_unique and table.status.notna().all()
        reads += 1
    writer.join()
    assert reads > 1


def test_a_remote_copy_gets_only_the_files_that_changed_since_the_last_upload(tmp_path):
    """Each flush publishes the record; a file it did not change is not uploaded again (the PNGs,
    the model and the manifest once, results.csv when compacted, history.csv as it grows)."""
    bucket, local = tmp_path / "bucket" / "run", tmp_path / "local"
    location = RunLocation(f"file://{bucket}", local)
    local.mkdir()
    for name in ("history.csv", "manifest.json", "history.png"):
        (local / name).write_text(name)

    def uploaded() -> dict[str, int]:
        return {file.name: file.stat().st_mtime_ns for file in bucket.iterdir()}

    location.publish()
    first = uploaded()
    assert sorted(first) == ["history.csv", "history.png", "manifest.json"]
    time.sleep(0.01)
    location.publish()
    assert uploaded() == first, "nothing changed, nothing uploaded"
    with (local / "history.csv").open("a") as history:
        history.write("\nappended")
    location.publish()
    again = uploaded()
    assert (bucket / "history.csv").read_text() == "history.csv\nappended"
    assert [name for name in first if again[name] != first[name]] == ["history.csv"]


def test_every_file_a_run_writes_beside_its_record_reaches_remote_storage():
    """The report's figures, the forecast and the finalists travel with the record (a figure added to the
    report must be added to what is published, or a bucket's report would miss it)."""
    from experiments.figures import FIGURES
    from experiments.finalists import FINALISTS
    from experiments.plan import PLAN
    from experiments.storage import RECORD_FILES

    assert {f"{name}.png" for name in FIGURES} | {PLAN, FINALISTS, "report.html", "final.json"} <= set(RECORD_FILES)
