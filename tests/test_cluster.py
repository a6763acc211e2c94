"""Real Ray clusters on this machine, on loopback, with token authentication on.

Ray's logical GPUs for placement; a node removed mid-sweep; a driver killed and resumed.
(Two raylets started by `ray start` and `ray job submit`: test_two_nodes.py.)
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import psutil
import pytest
import yaml

from core.schema import TRIAL_ENDS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# A sweep whose subject is not concurrency runs its trials one at a time: one trial actor, which imports
# TensorFlow once per driver instead of twice (about 8 CPU-seconds a worker, and `make test` is CPU-bound).
ONE_AT_A_TIME = ("--num-cpus", "1")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def kill_processes_mentioning(marker: str) -> None:
    """Stop every process whose command line names ``marker`` (a test's own temp folder)."""
    for process in psutil.process_iter(["cmdline"]):
        if marker in " ".join(process.info["cmdline"] or []):
            try:
                process.kill()
            except psutil.Error:
                pass


def token_env(folder: str) -> dict[str, str]:
    token = Path(folder) / "auth_token"
    token.write_text(uuid.uuid4().hex)
    return {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token)}


def run(args, env, timeout=300, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], env=env, capture_output=True, text=True, timeout=timeout, **kwargs)


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def history_rows(run_dir: Path) -> int:
    path = run_dir / "history.csv"
    return max(0, len(path.read_text().splitlines()) - 1) if path.is_file() else 0


def snapshot_is_current(run_dir: Path) -> bool:
    """Tune's newest experiment snapshot was written after the record's last epoch."""
    snapshots = [path.stat().st_mtime for path in run_dir.glob("experiment_state-*.json")]
    return bool(snapshots) and max(snapshots) >= (run_dir / "history.csv").stat().st_mtime


def ended_rows(run_dir: Path) -> pd.DataFrame:
    """The rows of the trials that have ended, from trial_ends.csv, which the record appends the moment a
    trial ends (results.csv is compacted from it only every few seconds, and fast trials outrun that)."""
    path = run_dir / TRIAL_ENDS
    rows = pd.read_csv(path, dtype=str, keep_default_na=False) if path.is_file() else pd.DataFrame(columns=["trial_id"])
    return rows.drop_duplicates("trial_id", keep="last")


def kill_driver_when(command: list[str], env: dict[str, str], run_dir: Path, ready: Callable[[], bool], what: str) -> None:
    """Start the sweep ``command``; once ``ready()``, SIGKILL its driver and the local Ray it started, as in a crash.

    A trial that reported its first epoch after Tune's last experiment snapshot is unknown to Tune on
    resume (README, Failures), and trials report faster than Tune snapshots on a busy machine. So once
    ``ready()``, the trials' workers, and any Ray starts after them, are frozen and the kill waits for a
    snapshot newer than the record's last epoch: the moment comes within a snapshot period, not by luck."""
    log = run_dir.parent / f"{run_dir.name}-killed-driver.log"
    snapshot_often = {**env, "TUNE_GLOBAL_CHECKPOINT_S": "1"}
    with log.open("w") as stream:
        driver = subprocess.Popen(command, env=snapshot_often, start_new_session=True, stdout=stream, stderr=stream)

    def alive_and(predicate: Callable[[], bool]) -> Callable[[], bool]:
        def check() -> bool:
            assert driver.poll() is None, f"the driver ended before the kill: {log.read_text()[-3000:]}"
            return predicate()
        return check

    wait_until(alive_and(ready), 240, f"{what} before the kill")
    frozen: dict[int, psutil.Process] = {}

    def freeze_workers() -> bool:
        """Suspend every Ray worker under the driver, those Ray starts for the next trials included."""
        for process in psutil.Process(driver.pid).children(recursive=True):
            if process.pid not in frozen and is_ray_worker(process):
                with contextlib.suppress(psutil.Error):
                    process.suspend()
                    frozen[process.pid] = process
        return bool(frozen)

    assert freeze_workers(), "no Ray worker to freeze"
    wait_until(alive_and(lambda: freeze_workers() and snapshot_is_current(run_dir)), 60, "a snapshot after the last epoch")
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    for worker in frozen.values():  # a stopped process would not notice its raylet die
        with contextlib.suppress(psutil.Error):
            worker.kill()
    kill_processes_mentioning(env["RAY_TMPDIR"])


def is_ray_worker(process: psutil.Process) -> bool:
    """Ray retitles its worker processes ``ray::<task or actor>``."""
    try:
        return any(part.startswith("ray::") for part in process.cmdline()[:1])
    except psutil.Error:
        return False


def searcher_observations(run_dir: Path) -> tuple[str, list[float]]:
    """The metric a sweep's model-based searcher learns from, and every value of it the searcher was told,
    as Tune last saved the searcher (HyperOpt's trials, or the points BayesOpt's Gaussian process was fitted to).

    Each driver session saves its own file; like Tune, take the newest session's by name (a resume
    copies the older sessions' files again, so their times say nothing)."""
    import cloudpickle

    state = cloudpickle.loads(max(run_dir.glob("searcher-state-*.pkl")).read_bytes())
    if "_hpopt_trials" in state:  # HyperOpt minimises metric_op x value
        told = [trial["result"]["loss"] for trial in state["_hpopt_trials"].trials if trial["result"].get("status") == "ok"]
        sign = state["metric_op"]
    else:  # BayesOpt maximises _metric_op x value
        told, sign = [point["target"] for point in state["optimizer"].res], state["_metric_op"]
    return state["_metric"], [sign * value for value in told]


def test_cluster_yaml_passes_rays_own_validation():
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = yaml.safe_load((REPO / "cluster.yaml").read_text())
    validate_config(prepare_config(copy.deepcopy(config)))
    assert config["provider"]["type"] == "aws"
    assert config["available_node_types"]["worker-gpu"]["min_workers"] == 0
    assert "--dashboard-host=127.0.0.1" in " ".join(config["head_start_ray_commands"])
    text = (REPO / "cluster.yaml").read_text()
    assert "aws_secret_access_key" not in text.lower() and "AKIA" not in text


def test_fractional_logical_gpus_run_four_trials_at_once(tmp_path, short_tmp):
    env = {**os.environ, **token_env(short_tmp), "RAY_TMPDIR": short_tmp}
    env.pop("CUDA_VISIBLE_DEVICES", None)  # set (even empty), it hides logical GPUs from Ray
    done = run(
        [BIN / "cnn-tune", "run", "quickstart", "--num-gpus", "2", "--storage", tmp_path,
         "--set", "resources.gpu=0.5", "--set", "resources.cpu=0.5", "--set", "search.num_samples=4",
         "--set", "scheduler.name=fifo", "--set", "dataset.limit=256", "--set", "train.max_epochs=2", "--verbose", "0"],
        env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run_dir = tmp_path / "quickstart"
    history = pd.read_csv(run_dir / "history.csv", dtype={"gpu_ids": str, "cuda_visible_devices": str})
    per_trial = history.groupby("trial_id").first()
    assert len(per_trial) == 4
    # each trial sees exactly its share: one logical GPU, the one Ray assigned, two trials per GPU
    assert (per_trial.gpu_ids == per_trial.cuda_visible_devices).all()
    assert sorted(per_trial.gpu_ids.value_counts().tolist()) == [2, 2]
    # all four ran at once: their [start, end] intervals share a common moment
    stamps = pd.to_datetime(history.timestamp)
    history = history.assign(end=stamps, start=stamps - pd.to_timedelta(history.time_total_s, unit="s"))
    spans = history.groupby("trial_id").agg(start=("start", "min"), end=("end", "max"))
    assert spans.start.max() < spans.end.min()


NODE_FAILURE = textwrap.dedent(
    """
    import csv, sys, threading, time
    from pathlib import Path
    import ray
    from ray.cluster_utils import Cluster
    import experiments

    storage = Path(sys.argv[1])
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    worker = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address)
    history = storage / "node-failure" / "history.csv"

    def reported_on_worker(epoch):
        rows = csv.DictReader(history.open()) if history.is_file() else []
        return any(row["node_id"] == worker.node_id and row["epoch"] == str(epoch) for row in rows)

    # Tune processes the next result of a trial only once it registered the checkpoint of the last one:
    # after epoch 2's row, the checkpoint of epoch 1 is Tune's to restore from.
    def remove_worker_after_its_second_epoch():
        while not reported_on_worker(2):
            time.sleep(0.1)
        cluster.remove_node(worker)
        print("REMOVED", worker.node_id, flush=True)

    threading.Thread(target=remove_worker_after_its_second_epoch, daemon=True).start()
    result = experiments.run(
        {"name": "node-failure", "space": "quickstart"},
        storage=str(storage), storage_shared=True, verbose=0,
        search={"num_samples": 2}, scheduler={"name": "fifo"}, train={"max_epochs": 4},
        dataset={"limit": 400}, failure={"max_failures": 3},
        checkpoint={"interval_s": 0},  # a checkpoint every epoch, as a long trial's 60 s interval gives
    )
    print("WORKER", worker.node_id, "HEAD", cluster.head_node.node_id)
    ray.shutdown()
    cluster.shutdown()
    """
)


def test_a_node_killed_mid_sweep_costs_only_the_epochs_since_the_last_checkpoint(tmp_path, short_tmp):
    env = {**os.environ, **token_env(short_tmp), "RAY_TMPDIR": short_tmp}
    done = run([sys.executable, "-c", NODE_FAILURE, tmp_path], env, cwd=REPO)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "REMOVED" in done.stdout
    worker = done.stdout.split("WORKER ")[1].split()[0]
    head = done.stdout.split("HEAD ")[1].split()[0]
    run_dir = tmp_path / "node-failure"
    table = pd.read_csv(run_dir / "results.csv")
    history = pd.read_csv(run_dir / "history.csv")
    assert (table.status == "completed").all() and len(table) == 2
    assert not history.duplicated(["trial_id", "epoch"]).any()
    assert history.groupby("trial_id").epoch.apply(sorted).apply(list).tolist() == [[1, 2, 3, 4]] * 2
    moved = history[history.node_id == worker].trial_id.unique()
    assert len(moved) == 1, "one trial started on the removed node"
    rows = history[history.trial_id == moved[0]].set_index("epoch")
    assert rows.node_id[1] == worker, "the epoch checkpointed before the removal was not trained again"
    assert rows.node_id[4] == head, "it finished on the surviving node"
    assert table.set_index("trial_id").loc[moved[0], "retries"] >= 1


def asha_stops(history: pd.DataFrame, metric: str, grace: int, factor: float, max_t: int) -> set[str]:
    """The trials ASHA (one bracket) stops, recomputed from the results in their arrival order."""
    rungs = {grace * int(factor) ** k: {} for k in range(10) if grace * int(factor) ** k < max_t}
    stopped = set()
    for row in history.sort_values("timestamp").itertuples():
        for milestone in sorted(rungs, reverse=True):
            recorded = rungs[milestone]
            if row.epoch < milestone or row.trial_id in recorded:
                continue
            value = getattr(row, metric)
            if recorded and value < np.nanpercentile(list(recorded.values()), (1 - 1 / factor) * 100):
                stopped.add(row.trial_id)
            recorded[row.trial_id] = value
            break
    return stopped


@pytest.mark.parametrize("algorithm, random_starts, scheduler", [("hyperopt", "initial_points", "asha"), ("bayesopt", "random_starts", "fifo")])
def test_a_killed_driver_resumes_a_model_based_searcher_where_it_stopped(algorithm, random_starts, scheduler, tmp_path, short_tmp):
    """Killed once two trials ended, the sweep resumes on the searcher's saved state: the configurations
    it suggests after the resume are new ones, what it learned before the kill stays learned, and it
    draws the rest of num_samples. (A searcher started afresh with the same seed repeats its first suggestions.)
    The ASHA case's resume is also stopped by Ctrl-C, cleanly, and resumed again: ASHA judges every
    trial against the same rungs across both restarts."""
    from core.schema import hyperparameter_columns

    samples = 10  # leaves trials unstarted at the kill, which waits for Tune's snapshot while trials go on
    asha = scheduler == "asha"
    env = {**os.environ, **token_env(short_tmp), "RAY_TMPDIR": short_tmp}
    run_dir = tmp_path / algorithm
    command = [str(BIN / "cnn-tune"), "run", "quickstart", "--name", algorithm, "--storage", str(tmp_path),
               "--set", f"search.algorithm={algorithm}", "--set", f"search.{random_starts}=2", "--set", f"search.num_samples={samples}",
               "--set", f"scheduler.name={scheduler}", "--set", "dataset.name=digits", "--set", "dataset.limit=300",
               "--set", "train.max_epochs=2", *ONE_AT_A_TIME, "--verbose", "0"]
    if asha:  # every epoch checkpointed, as long trials are by the 60 s interval
        command += ["--set", "scheduler.reduction_factor=2", "--set", "checkpoint.interval_s=0"]

    kill_driver_when(command, env, run_dir, lambda: len(ended_rows(run_dir)) >= 2, "two trials to end")
    ended_before, history_before = ended_rows(run_dir), pd.read_csv(run_dir / "history.csv")
    assert history_before.trial_id.nunique() < samples, "the kill left configurations for the restored searcher to suggest"
    if asha:
        interrupt_a_resume(command, env, run_dir, len(history_before))

    final = run(command + ["--resume"], env)
    assert final.returncode == 0, final.stderr[-3000:]
    assert json.loads((run_dir / "summary.json").read_text())["state"] == "finished"
    table = pd.read_csv(run_dir / "results.csv", dtype=str, keep_default_na=False)
    history = pd.read_csv(run_dir / "history.csv")
    assert len(table) == samples and table.trial_id.is_unique and set(table.status) <= {"completed", "stopped_early"}
    configs = table[hyperparameter_columns(table.columns)]
    assert not configs.duplicated().any(), f"a configuration was suggested twice:\n{configs}"
    # every trial that ended before the kill kept its row (status, metrics) and was not trained again
    pd.testing.assert_frame_equal(table.set_index("trial_id").loc[ended_before.trial_id], ended_before.set_index("trial_id"))
    for trial_id in ended_before.trial_id:
        assert history[history.trial_id == trial_id].timestamp.tolist() == history_before[history_before.trial_id == trial_id].timestamp.tolist()
    # the searcher Tune saved last was told every trial's final result, those from before the kill included
    metric, told = searcher_observations(run_dir)
    final_values = history.sort_values("epoch").groupby("trial_id")[metric].last()
    assert set(final_values.index) == set(table.trial_id)
    assert not Counter(final_values.round(6)) - Counter(np.round(told, 6)), f"results the searcher never saw: told {told}"
    if asha:  # Ctrl-C cut a trial mid-way: it went on from its last checkpoint, no epoch skipped or repeated
        assert not history.duplicated(["trial_id", "epoch"]).any()
        for trial_id, epochs in history.groupby("trial_id").epoch:
            assert sorted(epochs) == list(range(1, max(epochs) + 1)), f"{trial_id} skipped or repeated an epoch"
        scheduler_stops = set(table[table.stopped_by == "scheduler"].trial_id)
        assert scheduler_stops == asha_stops(history, "best_val_accuracy", grace=1, factor=2, max_t=2)


def interrupt_a_resume(command: list[str], env: dict[str, str], run_dir: Path, rows: int) -> None:
    """Resume, and stop that with Ctrl-C two epochs later: it stops cleanly and says how to go on."""
    resumed = subprocess.Popen(command + ["--resume"], env=env, start_new_session=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    wait_until(lambda: history_rows(run_dir) >= rows + 2, 240, "two more epochs after the resume")
    resumed.send_signal(signal.SIGINT)
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 130, err[-3000:]
    assert "continue with:" in err and "--resume" in err
    assert json.loads((run_dir / "summary.json").read_text())["state"] == "interrupted"
