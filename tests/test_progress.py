"""The progress lines: read from the sweep's record, so they agree with it and with summary.json."""

import io
import json
import re

from ray.tune.experiment import Trial

from experiments.progress import ProgressCallback
from experiments.record.writer import SweepRecord
from experiments.storage import RunLocation

SPEC = {"name": "p", "metric": "val_accuracy", "train": {"max_epochs": 3}, "stop": {}}


def epoch(n, acc):
    """One epoch as Ray hands it to the driver (the trainable's metrics and Ray's own keys)."""
    return {"epoch": n, "loss": 1.0 - acc, "accuracy": acc, "val_loss": 1.0 - acc, "val_accuracy": acc,
            "time_total_s": 2.0 * n, "training_iteration": n, "trial_id": "ignored", "done": False}


def sweep(tmp_path, curves):
    """A record fed each trial's epochs, and the progress lines printed as Tune ends each trial."""
    record = SweepRecord(RunLocation(str(tmp_path), tmp_path), SPEC, ["learning_rate"])
    stream = io.StringIO()
    progress = ProgressCallback(record, stream)
    trials = [Trial("train_cnn", stub=True, trial_id=trial_id, config={"learning_rate": 0.01}) for trial_id in curves]
    progress.setup(total_num_samples=len(trials))
    for trial in trials:
        for n, accuracy in enumerate(curves[trial.trial_id], 1):
            record.add_result(trial.trial_id, trial.config, epoch(n, accuracy))
        if curves[trial.trial_id]:
            record.finish_trial(trial.trial_id, trial.config, None)
            progress.on_trial_complete(0, trials, trial)
        trial.set_status(Trial.TERMINATED)
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
