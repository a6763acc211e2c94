"""Per-process setup of the Keras backend for one trial's share of the machine.

Two trials on two cores that each use every core run slower than one: TensorFlow's
thread pools are sized to the trial's CPUs. GPU memory is taken on demand so that
trials with fractional GPUs fit side by side; a CPU-only trial sees no GPU at all.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """TensorFlow's C++ start-up lines (CUDA probing on a CPU machine) bypass
    TF_CPP_MIN_LOG_LEVEL; Ray would stream them from every trial to the driver."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def configure(cpus: float | None, gpus: float) -> None:
    """Call before the first Keras operation in a process; later calls change nothing.

    ``cpus=None`` keeps TensorFlow's default of every core (a plain, untuned run)."""
    if not gpus:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    with native_stderr_silenced():
        import keras

        if keras.backend.backend() == "tensorflow":
            _configure_tensorflow(max(1, int(cpus)) if cpus is not None else None)


def _configure_tensorflow(threads: int | None) -> None:
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # k folds are k models: their separate traces are expected, not a warning
    try:
        if threads:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        for gpu in tf.config.list_physical_devices("GPU"):
            tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError:
        pass  # the runtime already started in this process: a reused actor keeps its first setup


