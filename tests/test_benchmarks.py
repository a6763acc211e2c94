"""Every benchmark script's smoke mode, so the scripts keep working (the figures come from full runs)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def run(script: str, *args: str, env: dict | None = None, timeout: int = 600) -> str:
    import os

    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--smoke", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def test_parallel():
    assert "cnn-tune / plain loop =" in run("parallel.py")


def test_asha():
    assert "ASHA/FIFO time" in run("asha.py")


def test_search(tmp_path):
    assert "trials to reach it" in run("search.py", "--storage", str(tmp_path))


def test_overhead():
    assert "theoretical minimum" in run("overhead.py")


def test_gpu_sweep_on_logical_gpus(tmp_path, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)  # set (even empty), it hides logical GPUs from Ray
    out = run("gpu_sweep.py", "--num-gpus", "2", "--storage", str(tmp_path))
    assert "gpu 0.125:" in out


def test_accuracy(tmp_path):
    """On a tiny stand-in for the MNIST test set: the README's commands never need the real one."""
    for stem, array in (("t10k-images-idx3-ubyte", np.random.default_rng(0).integers(0, 256, (50, 28, 28))),
                        ("t10k-labels-idx1-ubyte", np.arange(50) % 10)):
        header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
        with gzip.open(tmp_path / f"{stem}.gz", "wb") as stream:
            stream.write(header + array.astype(np.uint8).tobytes())
    out = run("accuracy.py", "--experiment", "quickstart", "--mnist-dir", str(tmp_path), "--storage", str(tmp_path / "runs"))
    assert '"test_images": 50' in out
