"""Two raylets started by `ray start` as separate real processes, on loopback with token
authentication: a sweep submitted with `ray job submit` runs across both, and node-local
storage is refused. Its own module: conftest runs it whole on one xdist worker, so the
cluster is started once.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import pandas as pd
import pytest

from test_cluster import BIN, REPO, free_port, kill_processes_mentioning, run, token_env, wait_until

pytestmark = pytest.mark.slow


@dataclass
class TwoNodes:
    address: str
    dashboard: str
    env: dict[str, str]
    temp: str


@pytest.fixture(scope="module")
def two_nodes():
    """A head and a worker raylet, started by `ray start` as separate real processes."""
    import tempfile

    temp = tempfile.mkdtemp(prefix="ct2n", dir="/tmp")
    env = {
        **os.environ,
        **token_env(temp),
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_TMPDIR": temp,
    }
    port, dashboard = free_port(), free_port()
    head = run(
        [BIN / "ray", "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=1",
         "--num-gpus=0", "--dashboard-host=127.0.0.1", f"--dashboard-port={dashboard}", f"--temp-dir={temp}/ray",
         f"--ray-client-server-port={free_port()}", f"--dashboard-agent-listen-port={free_port()}", "--disable-usage-stats"],
        env, timeout=120,
    )
    assert head.returncode == 0, head.stderr
    # Its own temp folder: nodes sharing one would garbage-collect each other's job files.
    worker = run(
        [sys.executable, REPO / "tests" / "raynode.py", "start", f"--address=127.0.0.1:{port}",
         "--node-ip-address=127.0.0.1", "--num-cpus=1", "--num-gpus=0", f"--dashboard-agent-listen-port={free_port()}",
         f"--temp-dir={temp}/worker", "--disable-usage-stats"],
        env, timeout=120,
    )
    assert worker.returncode == 0, worker.stderr

    def two_alive() -> bool:
        status = run([BIN / "ray", "status", f"--address=127.0.0.1:{port}"], env, timeout=30).stdout
        return status.split("Pending:")[0].count(" node_") == 2

    wait_until(two_alive, 60, "both nodes to join")
    yield TwoNodes(f"127.0.0.1:{port}", f"http://127.0.0.1:{dashboard}", env, temp)
    kill_processes_mentioning(temp)


def test_job_submit_runs_a_sweep_across_both_nodes(two_nodes, tmp_path):
    storage = tmp_path / "runs"
    done = run(
        [BIN / "ray", "job", "submit", "--address", two_nodes.dashboard, "--working-dir", REPO, "--",
         "cnn-tune", "run", "quickstart", "--smoke", "--address", "auto", "--storage", storage,
         "--set", "storage_shared=true", "--set", "scheduler.name=fifo", "--verbose", "0"],
        two_nodes.env,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "succeeded" in done.stdout.lower()
    table = pd.read_csv(storage / "quickstart-smoke" / "results.csv")
    assert (table.status == "completed").all()
    assert table.node_id.nunique() == 2, "each node ran a trial"


def test_node_local_storage_is_refused_on_a_multi_node_cluster(two_nodes, tmp_path):
    done = run(
        [BIN / "cnn-tune", "run", "quickstart", "--smoke", "--address", two_nodes.address, "--storage", tmp_path],
        two_nodes.env, timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "cnn-tune: error: storage: this cluster has 2 nodes" in done.stderr
    assert "s3://" in done.stderr and "storage_shared" in done.stderr


USER_MODEL = """
import keras

from tinymodels.layers import softmax_head


def build(hp, input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Conv2D(hp["filters"], 3, activation="relu")(inputs)
    x = keras.layers.Dense(hp.hidden_units, activation="relu")(keras.layers.Flatten()(x))
    return keras.Model(inputs, softmax_head(x, num_classes), name="tiny")
"""


def test_a_user_model_only_the_driver_can_import_trains_on_both_nodes(two_nodes, tmp_path):
    """The model's package sits in a folder on the driver's PYTHONPATH alone (the raylets, started
    before, know nothing of it): its code reaches the trials on both nodes with their parameters."""
    package = tmp_path / "code" / "tinymodels"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "cnn.py").write_text(USER_MODEL)
    (package / "layers.py").write_text(
        "import keras\n\ndef softmax_head(x, num_classes):\n    return keras.layers.Dense(num_classes, activation='softmax')(x)\n"
    )
    driver_folder, storage = tmp_path / "driver", tmp_path / "runs"
    driver_folder.mkdir()
    (driver_folder / "tiny.yaml").write_text(
        "model: tinymodels.cnn:build\ndataset: {name: digits, limit: 300}\nstorage_shared: true\n"
        "space: {filters: {grid: [4, 8]}, hidden_units: 16, learning_rate: 0.01}\nsearch: {num_samples: 1}\ntrain: {max_epochs: 2}\n"
    )
    done = run(
        [BIN / "cnn-tune", "run", "tiny.yaml", "--address", two_nodes.address, "--storage", storage, "--verbose", "0"],
        {**two_nodes.env, "PYTHONPATH": str(tmp_path / "code")}, cwd=driver_folder,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = pd.read_csv(storage / "tiny" / "results.csv")
    assert (table.status == "completed").all() and sorted(table.filters) == [4, 8]
    assert table.node_id.nunique() == 2, "each node ran a trial"
