"""What ``--resume`` accepts, through the real command line: the spec the run started with
(but for keys safe to change), and one driver per run, held by a lock file."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

from experiments.resume import LOCK_FILE
from test_cluster import ONE_AT_A_TIME


REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TINY = ["--smoke", "--set", "dataset.name=digits", "--set", "dataset.limit=200", "--set", "train.max_epochs=1", *ONE_AT_A_TIME, "--verbose", "0"]
RUN = "tiny-smoke"  # --name tiny, under --smoke
HOLD = (
    "import sys, time\nfrom pathlib import Path\nfrom experiments.resume import RunLock\n"
    "with RunLock(Path(sys.argv[1])):\n    print('held', flush=True)\n    time.sleep(600)\n"
)


def command(storage: Path | str, *extra: str) -> list[str]:
    return [str(BIN / "cnn-tune"), "run", "quickstart", "--name", "tiny", "--storage", str(storage), *TINY, *extra]


def cnn_tune(storage: Path | str, *extra: str, ray_tmp: Path | str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "RAY_TMPDIR": str(ray_tmp)}
    return subprocess.run(command(storage, *extra), env=environment, cwd=cwd, capture_output=True, text=True, timeout=300)


def refused(done: subprocess.CompletedProcess, ray_tmp: Path, *expected: str) -> str:
    """Exit 2, one line naming what is wrong, and Ray never started."""
    assert done.returncode == 2, done.stderr[-3000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnn-tune: error: "), done.stderr
    for text in expected:
        assert text in lines[0]
    assert not ray_tmp.exists(), "Ray was started"
    return lines[0]


@contextlib.contextmanager
def holder(lock: Path) -> Iterator[subprocess.Popen]:
    """A real process that takes the run's lock through experiments.resume and keeps it until killed."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(lock)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "held"
        yield process
    finally:
        process.kill()
        process.wait()


def lock_while_running(path: Path, process: subprocess.Popen, timeout: float = 240) -> dict | None:
    """The lock's content, read as soon as the file appears; None if it never did while ``process`` ran."""
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None:
        with contextlib.suppress(FileNotFoundError, ValueError):
            return json.loads(path.read_text())
        time.sleep(0.02)
    return None


def test_a_new_run_is_refused_while_a_live_driver_holds_its_lock(tmp_path):
    lock = tmp_path / "runs" / RUN / LOCK_FILE
    with holder(lock) as process:
        done = cnn_tune(tmp_path / "runs", ray_tmp=tmp_path / "raytmp")
        refused(done, tmp_path / "raytmp", "name: another driver is running this sweep",
                f"host {socket.gethostname()}, pid {process.pid}", f"lock file {lock}")
        assert json.loads(lock.read_text())["pid"] == process.pid


def test_a_lock_held_on_another_host_is_refused_with_how_to_remove_it(tmp_path):
    lock = tmp_path / "runs" / RUN / LOCK_FILE
    lock.parent.mkdir(parents=True)
    held = json.dumps({"host": "gpu-node-7.example", "pid": 4242, "started": "2026-01-01T00:00:00+00:00"})
    lock.write_text(held)  # what a driver on that host wrote to a shared (NFS) run folder
    done = cnn_tune(tmp_path / "runs", ray_tmp=tmp_path / "raytmp")
    refused(done, tmp_path / "raytmp", "host gpu-node-7.example, pid 4242", "cannot be checked from here",
            f"lock file {lock}", "delete the lock file")
    assert lock.read_text() == held


# ---- against one real tiny sweep, run once for the module


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Iterator[dict]:
    """A real tiny sweep; the lock as read while it ran, and whether one was left after it."""
    storage = tmp_path_factory.mktemp("resume") / "runs"
    ray_tmp = tempfile.mkdtemp(prefix="ct", dir="/tmp")  # Ray's socket paths must stay short
    driver = subprocess.Popen(command(storage), env={**os.environ, "RAY_TMPDIR": ray_tmp},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = storage / RUN / LOCK_FILE
    seen = lock_while_running(lock, driver)
    out, err = driver.communicate(timeout=600)
    assert driver.returncode == 0, err[-3000:]
    yield {"storage": storage, "run_dir": storage / RUN, "pid": driver.pid, "seen": seen, "left": lock.exists()}
    shutil.rmtree(ray_tmp, ignore_errors=True)


@pytest.mark.slow
def test_a_sweep_holds_its_lock_while_it_runs_and_leaves_none_behind(finished_run):
    seen = finished_run["seen"]
    assert seen is not None and seen["pid"] == finished_run["pid"] and seen["host"] == socket.gethostname()
    assert not finished_run["left"]


@pytest.mark.slow
def test_resume_with_a_changed_spec_is_refused_and_touches_nothing(finished_run, tmp_path):
    run_dir = finished_run["run_dir"]
    manifest = (run_dir / "manifest.json").read_bytes()
    files = {path: (path.stat().st_mtime_ns, path.stat().st_size) for path in run_dir.rglob("*") if path.is_file()}
    done = cnn_tune(finished_run["storage"], "--resume", "--set", "train.max_epochs=2", "--set", "search.seed=5",
                    ray_tmp=tmp_path / "raytmp")
    refused(done, tmp_path / "raytmp", "--resume: the spec changed since the run started: "
            "search.seed 0 → 5, train.max_epochs 1 → 2; resume with the same settings, or start another run with --name")
    assert (run_dir / "manifest.json").read_bytes() == manifest
    assert {path: (path.stat().st_mtime_ns, path.stat().st_size) for path in run_dir.rglob("*") if path.is_file()} == files


@pytest.mark.slow
def test_a_live_driver_holding_the_lock_refuses_a_resume(finished_run, tmp_path):
    lock = finished_run["run_dir"] / LOCK_FILE
    try:
        with holder(lock) as process:
            done = cnn_tune(finished_run["storage"], "--resume", ray_tmp=tmp_path / "raytmp")
            refused(done, tmp_path / "raytmp", "--resume: another driver is running this sweep",
                    f"host {socket.gethostname()}, pid {process.pid}", f"lock file {lock}")
            assert json.loads(lock.read_text())["pid"] == process.pid
    finally:
        lock.unlink(missing_ok=True)  # the killed holder's, stale now


@pytest.mark.slow
def test_a_dead_drivers_lock_is_taken_over_by_a_resume_that_changes_only_safe_keys(finished_run, short_tmp):
    storage, run_dir = finished_run["storage"], finished_run["run_dir"]
    with holder(run_dir / LOCK_FILE) as process:
        pid = process.pid
    assert json.loads((run_dir / LOCK_FILE).read_text())["pid"] == pid  # killed: its lock stays, stale
    runs = len(json.loads((run_dir / "manifest.json").read_text())["runs"])
    # safe: a description, and the same storage reached by a relative path
    done = cnn_tune(os.path.relpath(storage, storage.parent.parent), "--resume", "--set", "description=retried",
                    ray_tmp=short_tmp, cwd=storage.parent.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"taking over the lock of a driver that is gone (host {socket.gethostname()}, pid {pid}" in done.stderr
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert len(manifest["runs"]) == runs + 1 and manifest["runs"][-1]["resumed"] and manifest["runs"][-1]["finished"]
    assert manifest["spec"]["description"] == "retried"
    assert not (run_dir / LOCK_FILE).exists()


@pytest.mark.slow
def test_ctrl_c_releases_the_lock(tmp_path, short_tmp):
    # Ctrl-C as a terminal delivers it: a shell that started pytest in the background hands its children
    # SIGINT ignored, and Python then leaves it ignored until Tune sets its own handler.
    driver = subprocess.Popen(command(tmp_path / "runs"), env={**os.environ, "RAY_TMPDIR": short_tmp},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lock = tmp_path / "runs" / RUN / LOCK_FILE
    try:
        held = lock_while_running(lock, driver)
        assert held is not None and held["pid"] == driver.pid
        # Ctrl-C once the sweep has started
        deadline = time.time() + 240
        while not (lock.parent / "tuner.pkl").exists() and driver.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        driver.send_signal(signal.SIGINT)
        out, err = driver.communicate(timeout=300)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    assert driver.returncode == 130, err[-3000:]
    assert not lock.exists()


def test_a_setting_retired_since_the_run_was_recorded_is_no_change_but_a_dropped_hyperparameter_is(tmp_path):
    from core.errors import InputError
    from experiments.resume import check_unchanged
    from experiments.spec import load_spec

    spec = load_spec({"name": "r", "space": {"hidden_units": {"choice": [8, 16]}, "learning_rate": 0.01}})
    recorded = spec.as_data()
    recorded["mode"] = None  # written by a version that still had `mode`
    recorded["train"]["early_stopping"] = None
    (tmp_path / "summary.json").write_text(json.dumps({"spec": recorded}))
    check_unchanged(spec, tmp_path)
    recorded["checkpoint"] = {"every": 1, "keep": 2}  # recorded before checkpoints followed the scheduler and a time interval
    (tmp_path / "summary.json").write_text(json.dumps({"spec": recorded}))
    check_unchanged(spec, tmp_path)
    recorded["space"]["dropout"] = 0.2  # the run searched a hyperparameter this spec leaves out
    (tmp_path / "summary.json").write_text(json.dumps({"spec": recorded}))
    with pytest.raises(InputError, match=r"space\.dropout 0\.2 → \(unset\)"):
        check_unchanged(spec, tmp_path)
