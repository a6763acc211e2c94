"""Per-process setup of the Keras backend for one trial's share of the machine.

Two trials on two cores that each use every core run slower than one: TensorFlow's
thread pools are sized to the trial's CPUs. GPU memory is taken on demand so that
trials with fractional GPUs fit side by side; a CPU-only trial sees no GPU at all.
A trial that asked for a GPU and got none says so: it would otherwise train on the
CPU, many times slower, with nothing in its results to show why.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import os
import sys
import tempfile
import warnings
from typing import Iterator

_startup: list[str] = []  # what the native runtime printed while it loaded, kept for the GPU warning


class NoGpuWarning(RuntimeWarning):
    """A trial that asked for a GPU trains on the CPU."""


@contextlib.contextmanager
def native_stderr_captured(lines: list[str]) -> Iterator[None]:
    """TensorFlow's C++ start-up lines (CUDA probing on a CPU machine) bypass
    TF_CPP_MIN_LOG_LEVEL; Ray would stream them from every trial to the driver.
    They are kept in ``lines`` instead: the reason a GPU failed to load is among them."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode(errors="replace").splitlines())


class _LeftOut(importlib.abc.MetaPathFinder):
    """Makes the packages ``names`` (and their submodules) look absent."""

    def __init__(self, names: tuple[str, ...]):
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"{name} is left out while Keras loads", name=name)
        return None


# Keras imports scikit-learn (its sklearn wrappers) and matplotlib.pyplot (keras.visualization)
# whenever they are installed, and does without them otherwise: about 1.5-2 s of the 6 s that
# loading TensorFlow took in a fresh process here, paid by every trial worker.
KERAS_EXTRAS = ("sklearn", "matplotlib")


@contextlib.contextmanager
def without(names: tuple[str, ...]) -> Iterator[None]:
    """Imports of ``names`` fail inside the block; afterwards they import as usual."""
    finder = _LeftOut(names)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def configure(cpus: float | None, gpus: float, trial_worker: bool = False) -> None:
    """Call before the first Keras operation in a process; later calls change nothing.

    ``cpus=None`` keeps TensorFlow's default of every core (a plain, untuned run). A
    ``trial_worker`` loads Keras without its scikit-learn and matplotlib extras, which no
    trial uses (a notebook's Keras keeps them)."""
    if not gpus:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    with native_stderr_captured(_startup), without(KERAS_EXTRAS) if trial_worker else contextlib.nullcontext():
        import keras

        if keras.backend.backend() == "tensorflow":
            _configure_tensorflow(threads(cpus) if cpus is not None else None)


# Tracing a Keras training step into a TensorFlow graph cost as much as 12-25 of its steps run
# eagerly, over 8 model and image sizes (benchmarks/small.py, part eager). A model that trains fewer
# steps than that in all never earns its trace back: a small trial spent most of its time tracing.
EAGER_STEPS = 8


def runs_eagerly(steps: int, gpus: float) -> bool:
    """Whether a model that trains ``steps`` steps in all finishes sooner run eagerly than traced.
    Measured with TensorFlow on CPUs: other backends and GPUs keep Keras's compiled steps."""
    import keras

    return keras.backend.backend() == "tensorflow" and not gpus and steps <= EAGER_STEPS


def threads(cpus: float) -> int:
    """Threads for a trial of ``cpus`` CPUs: Ray may grant a fraction of one."""
    return max(1, int(cpus))


def _configure_tensorflow(threads: int | None) -> None:
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # k folds are k models: their separate traces are expected, not a warning
    try:
        if threads:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        for gpu in tf.config.list_physical_devices("GPU"):
            tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError as error:
        if "initializ" not in str(error):
            raise
        # the runtime already started in this process: a reused actor keeps its first setup


def devices(gpus: float) -> str:
    """The devices the backend trains on ("CPU:0,GPU:0"), recorded with every result; warns
    (once per process and situation) when ``gpus`` were asked for and the backend sees none."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        seen = [device.name.removeprefix("/device:") for device in tf.config.list_logical_devices()]
    else:
        seen = [device.upper() for device in keras.distribution.list_devices()]
    if gpus and not any(device.startswith("GPU") for device in seen):
        said = [line.strip() for line in _startup if any(word in line.lower() for word in ("cuda", "gpu", "dlopen"))]
        warnings.warn(
            f"this trial asked for {gpus:g} GPU but {keras.backend.backend()} sees only {','.join(seen)} "
            f"(CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')!r}): it trains on the CPU"
            + (f"; at start-up the runtime said: {' | '.join(said)}" if said else ""),
            NoGpuWarning,
            stacklevel=2,
        )
    return ",".join(seen)
