"""The progress lines: read from the sweep's record, so they agree with it and with summary.json."""

import io
import json
import random
import re
import time

import pytest
from ray.tune.experiment import Trial

from core.errors import InputError
from experiments.progress import ProgressCallback, setting
from experiments.record.writer import SweepRecord
from experiments.storage import RunLocation

SPEC = {"name": "p", "metric": "val_accuracy", "train": {"max_epochs": 3}, "stop": {}}


def epoch(n, acc):
    """One epoch as Ray hands it to the driver (the trainable's metrics and Ray's own keys)."""
    return {"epoch": n, "loss": 1.0 - acc, "accuracy": acc, "val_loss": 1.0 - acc, "val_accuracy": acc,
            "time_total_s": 2.0 * n, "training_iteration": n, "trial_id": "ignored", "done": False}


class Clock:
    """The display's ``time``: a second passes only when the test says so."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


def sweep(tmp_path, curves, errors=None, clock=None, **options):
    """A record fed each trial's epochs, and the progress lines printed as Tune ends each trial. ``errors``:
    the trials that fail, with their message; ``clock``: advanced 1.5 s per trial, Tune's step after each."""
    record = SweepRecord(RunLocation(str(tmp_path), tmp_path), SPEC, ["learning_rate"])
    stream = io.StringIO()
    progress = ProgressCallback(record, stream, **options)
    trials = [Trial("train_cnn", stub=True, trial_id=trial_id, config={"learning_rate": 0.01}) for trial_id in curves]
    progress.setup(total_num_samples=len(trials))
    for trial in trials:
        for n, accuracy in enumerate(curves[trial.trial_id], 1):
            record.add_result(trial.trial_id, trial.config, epoch(n, accuracy))
        if clock:
            clock.now += 1.5
        error = (errors or {}).get(trial.trial_id)
        if error:
            record.finish_trial(trial.trial_id, trial.config, error)
            progress.on_trial_error(0, trials, trial)
        elif curves[trial.trial_id]:
            record.finish_trial(trial.trial_id, trial.config, None)
            progress.on_trial_complete(0, trials, trial)
        trial.set_status(Trial.TERMINATED)
        if clock:
            progress.on_step_end(0, trials)
    record.end_reason = "epochs budget"  # what the record's own callback, called first, would have set
    record.flush()
    progress.on_experiment_end(trials)
    return stream.getvalue().splitlines(), json.loads((tmp_path / "summary.json").read_text())


def test_the_best_named_on_the_last_line_is_what_that_trials_line_shows(tmp_path):
    # _00002 peaked at 0.975 in epoch 2 and ended lower; _00003 ended at 0.975: equal bests
    lines, summary = sweep(tmp_path, {"3f2a1_00002": [0.96, 0.975, 0.973], "3f2a1_00003": [0.95, 0.97, 0.975]})
    value, trial_id = re.search(r"best val_accuracy (\d\.\d{4}) \((\w+_\d+)", lines[-1]).groups()
    assert (trial_id, float(value)) == (summary["best"]["trial_id"], summary["best"]["metrics"]["val_accuracy"])
    own_line = next(line for line in lines if re.search(rf"\] {trial_id} ", line))
    assert value in own_line, f"the last line names {trial_id} with {value}, which its own line never shows: {own_line}"


def test_the_last_line_counts_the_trials_the_summary_counts(tmp_path):
    # Tune's list also holds two trials it created but never started before the sweep ended
    curves = {"3f2a1_00000": [0.9, 0.92, 0.91], "3f2a1_00001": [0.8], "3f2a1_00002": [0.95, 0.96, 0.97],
              "3f2a1_00003": [0.7], "3f2a1_00004": [], "3f2a1_00005": []}
    lines, summary = sweep(tmp_path, curves)
    assert summary["trials"] == 4
    assert lines[-1].split("] ", 1)[1].startswith(
        "done: 4 trials (2 completed, 2 stopped_early), ended: epochs budget; best val_accuracy 0.9700")


def seconds_in(text: str) -> int:
    """``1h 05m``, ``12m 30s`` or ``45s`` as seconds."""
    return sum(int(n) * {"h": 3600, "m": 60, "s": 1}[unit] for n, unit in re.findall(r"(\d+)([hms])", text))


def test_two_thousand_trials_print_a_status_line_per_interval_and_a_line_per_notable_trial(tmp_path, monkeypatch):
    """1.5 s per trial, a status line every 60 s: 50 of them, with the pace and the time left; beyond the
    first 20 trials, a line only for a best so far and for an error not seen before."""
    clock = Clock(time.time())
    monkeypatch.setattr("experiments.progress.time", clock)
    rng = random.Random(0)
    curves = {f"3f2a1_{i:05d}": [rng.uniform(0.5, 0.9) for _ in range(1 + i % 3)] for i in range(2000)}
    curves["3f2a1_01500"] = [0.95, 0.99, 0.98]  # a new best, late
    errors = {"3f2a1_00700": "ValueError: boom", "3f2a1_01200": "ValueError: boom", "3f2a1_01700": "MemoryError: too wide"}
    lines, summary = sweep(tmp_path, curves, errors, clock, trial_lines=20, every_s=60)

    status = [line for line in lines if "trials/min" in line]
    assert len(status) == 50
    for line in status:
        ended = int(re.search(r"\] (\d+) of 2000 trials ended", line).group(1))
        assert sum(int(n) for n in re.findall(r"(\d+) (?:completed|stopped_early|errored)", line)) == ended
        assert "40.0 trials/min" in line
        assert abs(seconds_in(re.search(r"about (.+) left", line).group(1)) - (2000 - ended) * 1.5) < 60, line

    notable = lines[21:-1]  # after the first 20 trials' lines and the line that says what follows
    bests = [max(values) for trial_id, values in curves.items() if trial_id not in errors]  # in the order the trials ended
    best_so_far = sum(bests[i] >= max(bests[:i]) for i in range(20, len(bests)))  # (no error among the first 20)
    assert "from here on" in lines[20]
    assert len(notable) == len(status) + best_so_far + 2  # the first ValueError and the MemoryError
    assert len(lines) < 200
    late_best = next(line for line in lines if "3f2a1_01500" in line)
    assert "best so far" in late_best and "0.9900" in late_best
    assert "MemoryError: too wide" in next(line for line in lines if "3f2a1_01700" in line)
    assert any("3f2a1_00700" in line for line in lines) and not any("3f2a1_01200" in line for line in lines)
    assert summary["best"]["trial_id"] == "3f2a1_01500" and "3f2a1_01500" in lines[-1]


@pytest.mark.parametrize("text", ["soon", "-1", "nan"])
def test_a_bad_progress_setting_is_refused_naming_the_variable(monkeypatch, text):
    monkeypatch.setenv("CNN_TUNE_PROGRESS_EVERY_S", text)
    with pytest.raises(InputError, match=rf"^CNN_TUNE_PROGRESS_EVERY_S: a number of 0 or more, got '{text}'$"):
        setting("CNN_TUNE_PROGRESS_EVERY_S", 60.0)
    monkeypatch.delenv("CNN_TUNE_PROGRESS_EVERY_S")
    assert setting("CNN_TUNE_PROGRESS_EVERY_S", 60.0) == 60.0
