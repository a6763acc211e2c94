"""Full MNIST (60,000 train, 10,000 test) from local files or Keras's download cache.

Looked for, in order: the spec's ``dataset.path`` (a folder or an ``mnist.npz``)
or else ``$CNN_TUNE_MNIST_DIR``, Keras's cache (``~/.keras/datasets/mnist.npz``); only then
downloaded from Keras's address into Keras's cache. A folder may hold ``mnist.npz`` or the standard IDX files
(gzipped or not), all four or only one split.
"""

from __future__ import annotations

import gzip
import os
import shutil
import urllib.request
from pathlib import Path

import numpy as np

from trainables.data import Images
from core.errors import InputError

PATH_ENV = "CNN_TUNE_MNIST_DIR"
KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
HOW_TO_PROVIDE = (
    "put mnist.npz or the IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
    "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) in a folder and pass "
    "--set dataset.path=FOLDER or set CNN_TUNE_MNIST_DIR=FOLDER"
)


def _images(raw: np.ndarray, labels: np.ndarray) -> Images:
    return Images(raw.reshape(-1, 28, 28, 1), labels.astype(np.int64), 10, max_value=255)


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        data = stream.read()
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    return None


def _from_npz(path: Path) -> dict[str, Images]:
    with np.load(path) as npz:
        return {
            "train": _images(npz["x_train"], npz["y_train"]),
            "test": _images(npz["x_test"], npz["y_test"]),
        }


def _from_folder(folder: Path) -> dict[str, Images]:
    if folder.is_file():
        return _from_npz(folder)
    if (folder / "mnist.npz").is_file():
        return _from_npz(folder / "mnist.npz")
    splits = {}
    for split, (image_stem, label_stem) in IDX_FILES.items():
        image_file, label_file = _find(folder, image_stem), _find(folder, label_stem)
        if image_file and label_file:
            splits[split] = _images(_read_idx(image_file), _read_idx(label_file))
    return splits


def _keras_cache() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "mnist.npz"


def load(path: str | None = None, image_size: tuple[int, int] | None = None) -> dict[str, Images]:
    return {split: images.resized(image_size) for split, images in _splits(path).items()}


def _splits(path: str | None) -> dict[str, Images]:
    if path:
        folder = Path(path).expanduser()
        if not folder.exists():
            raise InputError(f"dataset.path: '{folder}' does not exist; {HOW_TO_PROVIDE}")
        splits = _from_folder(folder)
        if not splits:
            raise InputError(f"dataset.path: no MNIST files in '{folder}'; {HOW_TO_PROVIDE}")
        return splits
    cache = _keras_cache()
    if not cache.is_file():
        _download(cache)
    return _from_npz(cache)


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
