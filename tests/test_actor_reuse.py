"""Reused trial actors: a cached actor never costs an actor that is already starting (experiments/actor_reuse.py).

The sweep runs in its own process on a local Ray of 4 logical CPUs. Each actor process, on loading
the trainable, writes its pid and then waits one second per actor process before it (0, 1, 2, 3 s
for the first four), so the actors become ready one by one while 0.1-second trials finish on the
first ones: the state in which Tune 2.60 removes a starting actor for every trial it starts on a
cached one, and the actors that replace them wait longer still.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

SLOTS, TRIALS = 4, 24


class StaggeredStart:
    """Becomes None in an actor process once that process has logged its pid and waited 1 s per earlier actor."""

    def __init__(self, log: str, driver: int) -> None:
        self.log, self.driver = log, driver

    def __reduce__(self):
        return staggered, (self.log, self.driver)


def staggered(log: str, driver: int) -> StaggeredStart | None:
    if os.getpid() == driver:  # Tune unpickles the trainable in the driver too, and pickles it again
        return StaggeredStart(log, driver)
    with open(log, "a") as started:
        started.write(f"{os.getpid()}\n")
    time.sleep(len(Path(log).read_text().split()) - 1)
    return None


def sweep(log: str) -> set[int]:
    """The pids that ran the trials of a sweep built the way cnn-tune builds one."""
    import ray
    from ray import tune

    from experiments.actor_reuse import keep_starting_actors
    from experiments.ray_start import LOOPBACK, stay_on_loopback

    start = StaggeredStart(log, os.getpid())

    def trial(config: dict) -> None:
        assert start is None  # unpickled: the actor process has waited its turn
        time.sleep(0.1)
        tune.report({"pid": os.getpid()})

    stay_on_loopback()
    ray.init(address="local", num_cpus=SLOTS, _node_ip_address=LOOPBACK, include_dashboard=False, log_to_driver=False)
    keep_starting_actors()
    os.environ["TUNE_MAX_PENDING_TRIALS_PG"] = str(SLOTS)
    tuner = tune.Tuner(
        tune.with_resources(trial, {"cpu": 1}),
        param_space={"x": tune.uniform(0, 1)},
        tune_config=tune.TuneConfig(num_samples=TRIALS, reuse_actors=True),
        run_config=tune.RunConfig(storage_path=str(Path(log).parent / "runs"), verbose=0),
    )
    return {int(result.metrics["pid"]) for result in tuner.fit()}


@pytest.mark.slow
def test_every_actor_a_sweep_starts_runs_trials_and_the_sweep_fills_its_slots(tmp_path):
    log = tmp_path / "started"
    done = subprocess.run([sys.executable, __file__, str(log)], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    ran = {int(pid) for pid in done.stdout.strip().splitlines()[-1].split()}
    started = {int(pid) for pid in log.read_text().split()}
    assert started == ran, f"{len(started - ran)} of {len(started)} actor processes were removed before they ran a trial"
    assert len(ran) == SLOTS


def test_every_sweep_cnn_tune_builds_has_the_fix(tmp_path):
    from ray.tune.execution.tune_controller import TuneController

    import experiments
    from experiments.actor_reuse import _ray_reuse
    from experiments.runner import location_of
    from experiments.tuner import build_tuner

    TuneController._maybe_reuse_cached_actor = _ray_reuse
    spec = experiments.validate("quickstart", storage=str(tmp_path), scheduler={"name": "fifo"}, resources={"cpu": 1})
    location = location_of(spec)
    location.local.mkdir(parents=True)
    build_tuner(spec, None, location, resume=False, verbose=0, trainable=lambda config: None)
    assert TuneController._maybe_reuse_cached_actor is not _ray_reuse


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    print(" ".join(str(pid) for pid in sorted(sweep(sys.argv[1]))))
