"""Accuracy against size or speed: the measured costs, the Pareto front, what may search it, and the point `final` takes."""

from __future__ import annotations

import pytest

from trainables import backend
from trainables.cnn import CnnTrial, TrainSettings
from trainables.data import prepare
from trainables.hyperparameters import Hyperparameters
from trainables.measure import latency_ms


@pytest.fixture(scope="module")
def digits():
    backend.configure(cpus=1, gpus=0)
    return prepare("digits", limit=300, seed=0)


def test_a_trial_reports_its_models_parameter_count_and_times_it_only_when_asked(digits):
    trial = CnnTrial(Hyperparameters(hidden_units=8), digits, TrainSettings(max_epochs=1, cpus=1))
    reported = trial.run_epoch()
    assert reported["params"] == trial.folds[0].model.count_params() > 0
    assert "latency_ms" not in reported


def test_latency_is_measured_per_image_and_grows_with_the_model(digits):
    narrow, wide = (CnnTrial(Hyperparameters(hidden_units=units), digits, TrainSettings(max_epochs=1, cpus=1, measure_latency=True))
                    for units in (8, 8192))
    assert 0 < narrow.measured["latency_ms"] < wide.measured["latency_ms"]
    assert narrow.run_epoch()["latency_ms"] == narrow.measured["latency_ms"]  # measured once, reported every epoch
    images, model = digits.pool.take(digits.folds[0][1][:64]).x, narrow.folds[0].model
    model.run_eagerly = True  # as a trial too short to trace trains
    assert latency_ms(model, images) < latency_ms(model, images[:8])  # per image: 8x the images take less than 8x the time
    assert model.run_eagerly, "the model trains as it did before it was timed"
