"""Full MNIST (60,000 train, 10,000 test) from local files or Keras's download cache.

Looked for, in order: the spec's ``dataset.path`` (a folder or an ``mnist.npz``)
or else ``$CNN_TUNE_MNIST_DIR``, Keras's cache (``~/.keras/datasets/mnist.npz``); only then
downloaded from Keras's address into Keras's cache. A folder may hold ``mnist.npz`` or the standard IDX files
(gzipped or not), all four or only one split: read by the ``npz`` and ``idx`` datasets' readers.
"""

from __future__ import annotations

import os
import shutil
import urllib.request
from pathlib import Path

from trainables.data import Images
from trainables.datasets import idx, npz
from core.errors import InputError

PATH_ENV = "CNN_TUNE_MNIST_DIR"
KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
HOW_TO_PROVIDE = (
    "put mnist.npz or the IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
    "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) in a folder and pass "
    "--set dataset.path=FOLDER or set CNN_TUNE_MNIST_DIR=FOLDER"
)


def _from_path(path: Path) -> dict[str, Images]:
    file = path if path.is_file() else path / "mnist.npz"
    return npz.read(file) if file.is_file() else idx.read_folder(path)


def _keras_cache() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "mnist.npz"


def load(path: str | None = None, image_size: tuple[int, int] | None = None) -> dict[str, Images]:
    if path:
        folder = Path(path).expanduser()
        if not folder.exists():
            raise InputError(f"dataset.path: '{folder}' does not exist; {HOW_TO_PROVIDE}")
        splits = _from_path(folder)
        if not splits:
            raise InputError(f"dataset.path: no MNIST files in '{folder}'; {HOW_TO_PROVIDE}")
        return splits
    cache = _keras_cache()
    if not cache.is_file():
        _download(cache)
    return npz.read(cache)


def _download(cache: Path) -> None:
    """Fetch Keras's copy into Keras's cache, without importing Keras (and TensorFlow) here."""
    partial = cache.with_suffix(".part")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(KERAS_URL, timeout=60) as response, partial.open("wb") as out:
            shutil.copyfileobj(response, out)
        os.replace(partial, cache)
    except (OSError, ValueError) as error:
        partial.unlink(missing_ok=True)
        reason = getattr(error, "reason", None) or error
        raise InputError(
            f"dataset.name: mnist is not on this machine and could not be downloaded from {KERAS_URL} "
            f"({reason}); {HOW_TO_PROVIDE}"
        ) from None
