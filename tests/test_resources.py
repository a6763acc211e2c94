"""``resources.cpu: auto``: the rule on crafted numbers, where its numbers come from, and what a run records."""

from __future__ import annotations

import json
import os

import pytest

from core.errors import InputError
from experiments.capacity import check_fits, cpu_as_recorded, local_capacity, queue_limit, resolve_cpu, share_cpus
from experiments.spec import load_spec
from experiments.storage import run_location

BASE = {"name": "t", "space": "quickstart"}


@pytest.mark.parametrize(
    "cores, trials, limits, cpu, at_once",
    [
        (2, 8, {}, 1, 2),  # more trials than cores: one core each
        (2, 1, {}, 2, 1),  # one trial: it takes every core
        (16, 3, {}, 5, 3),  # floor(16 / 3); the spare core idles rather than unbalance the trials
        (16, 100, {}, 1, 16),
        (8, 10, {"max_concurrent": 3}, 2, 3),
        (8, 10, {"searcher_limit": 4}, 2, 4),  # a model-based searcher's own cap
        (8, 10, {"max_concurrent": 2, "searcher_limit": 2}, 4, 2),
        (8, 100, {"gpus": 1, "gpu": 0.25}, 2, 4),  # four trials share the GPU: cores / GPUs at once
        (8, 100, {"gpus": 2, "gpu": 1}, 4, 2),
        (8, 100, {"gpus": 1, "gpu": 0.1}, 1, 8),  # ten fit on the GPU, but only eight cores
        (8, 100, {"gpus": 0, "gpu": 1}, 8, 1),  # no GPU here: check_fits refuses it, auto still says a number
        (1, 5, {}, 1, 1),
        (3.0, 2, {}, 1, 2),  # Ray counts CPUs as floats
    ],
)
def test_auto_shares_the_cores_among_the_trials_that_can_run_at_once(cores, trials, limits, cpu, at_once):
    share = share_cpus(cores, trials, **limits)
    assert (share.cpu, share.at_once) == (cpu, at_once)


def test_the_line_says_the_choice_and_its_reason():
    assert share_cpus(2, 8).line() == "resources: cpu auto -> 1 CPU per trial, 2 trials at once on 2 CPUs (one trial per CPU)"
    assert "(the sweep has 1 trial)" in share_cpus(4, 1).line()
    assert "(search.max_concurrent: 3)" in share_cpus(8, 10, max_concurrent=3).line()
    assert "(4 trials at 0.25 GPU on 1 GPU)" in share_cpus(8, 100, gpus=1, gpu=0.25).line()


def spec_of(**sections):
    return load_spec({**BASE, **sections})


def test_auto_is_the_default_and_a_number_stays_a_number():
    assert spec_of().resources.cpu == "auto"
    spec = spec_of(resources={"cpu": 3})
    assert resolve_cpu(spec, [{"CPU": 16, "GPU": 0}]) == (spec, None)


def test_a_grid_counts_its_points_times_num_samples_and_smoke_counts_its_own():
    grid = spec_of(space="seed-grid", search={"algorithm": "grid", "num_samples": 1})  # 3 x 3 points
    resolved, share = resolve_cpu(grid, [{"CPU": 32, "GPU": 0}])
    assert (share.at_once, share.cpu, resolved.resources.cpu) == (9, 3, 3.0)
    assert resolve_cpu(grid.smoke(), [{"CPU": 32, "GPU": 0}])[1].at_once == 2  # smoke: two grid points


def test_a_model_based_searcher_caps_the_trials_at_once():
    spec = spec_of(search={"algorithm": "hyperopt", "num_samples": 50})
    assert resolve_cpu(spec, [{"CPU": 16, "GPU": 0}])[1].at_once == 4


def test_the_largest_node_a_trial_can_land_on_sets_the_cores():
    nodes = [{"CPU": 4, "GPU": 0}, {"CPU": 32, "GPU": 0}, {"CPU": 8, "GPU": 1}]
    assert resolve_cpu(spec_of(), nodes)[1].cores == 32
    gpu_trials = spec_of(resources={"gpu": 0.5})  # only the GPU node takes them: 8 cores, 2 trials at once
    assert resolve_cpu(gpu_trials, nodes)[0].resources.cpu == 4.0


def test_tune_queues_as_many_trials_as_every_node_runs_at_once():
    nodes = [{"CPU": 4, "GPU": 0}, {"CPU": 32, "GPU": 0}, {"CPU": 8, "GPU": 1}]
    assert queue_limit(spec_of(resources={"cpu": 4}), nodes) == 1 + 8 + 2
    assert queue_limit(spec_of(resources={"cpu": 1, "gpu": 0.5}), nodes) == 2  # the GPU node's 2 halves
    assert queue_limit(spec_of(resources={"cpu": 64}), nodes) == 1  # never none: Tune would queue nothing


def test_auto_fits_wherever_one_cpu_does():
    check_fits(spec_of(), {"CPU": 1, "GPU": 0}, "this machine")
    with pytest.raises(InputError, match="resources.cpu: each trial asks for 1 CPU"):
        check_fits(spec_of(), {"CPU": 0.5, "GPU": 0}, "the cluster")


def test_a_local_run_counts_the_cores_this_process_may_use(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert local_capacity(None, 0)["CPU"] == 1
    assert local_capacity(6, 0)["CPU"] == 6  # --num-cpus: logical CPUs, as asked


def test_a_resume_reuses_the_number_auto_became(tmp_path):
    location = run_location(str(tmp_path), "t")
    location.local.mkdir(parents=True)
    recorded = spec_of(resources={"cpu": 3}).as_data()
    (location.local / "manifest.json").write_text(json.dumps({"spec": recorded}))
    resumed, line = cpu_as_recorded(spec_of(), location)
    assert resumed.as_data() == recorded
    assert line == "resources: cpu auto -> 3 CPUs per trial, as when the run started"
    given = spec_of(resources={"cpu": 2})  # a number given is the user's: resume's own check compares it
    assert cpu_as_recorded(given, location) == (given, None)
