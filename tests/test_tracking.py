"""MLflow, the optional extra: one run per trial, against a real tracking server on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import experiments

pytestmark = pytest.mark.slow


@pytest.fixture
def mlflow_server(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("mlflow")), "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{tmp_path}/mlflow.db", "--artifacts-destination", str(tmp_path / "artifacts"),
         "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        # a tracking server: MLflow 3's job runners (its GenAI jobs, three more processes) have nothing to do here
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
    )
    uri = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{uri}/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("the MLflow server did not come up")
    yield uri
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def test_every_trial_is_an_mlflow_run_with_its_params_and_epochs(ray_local, mlflow_server, tmp_path):
    from mlflow.tracking import MlflowClient

    result = experiments.run("quickstart", smoke=True, storage=str(tmp_path / "runs"), verbose=0,
                             tracking={"mlflow_uri": mlflow_server, "mlflow_experiment": "cnn-tune-test"})
    client = MlflowClient(mlflow_server)
    experiment = client.get_experiment_by_name("cnn-tune-test")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == len(result.dataframe) == 2
    history = result.history
    matched = set()
    for run in runs:
        assert {"hidden_units", "learning_rate", "dropout"} <= set(run.data.params)
        trial_id = next(t for t in history.trial_id.unique() if run.data.tags["trial_name"].endswith(t))
        matched.add(trial_id)
        logged = client.get_metric_history(run.info.run_id, "val_accuracy")
        recorded = history[history.trial_id == trial_id].sort_values("epoch")
        assert [point.step for point in sorted(logged, key=lambda p: p.step)] == recorded.epoch.tolist()
        assert [point.value for point in sorted(logged, key=lambda p: p.step)] == pytest.approx(recorded.val_accuracy.tolist())
    assert matched == set(result.dataframe.trial_id)
