"""In-memory arrays, given in Python through experiments.run(..., data=(x, y)); never from a spec file alone.

The one conversion of numpy arrays into ``Images``, with its checks; the ``npz`` and ``idx``
datasets convert what they read here too. Pixels: uint8 as they are (max_value 255), other
integers within 0–255 as uint8, floats in [0, 1] as float32 (max_value 1); channels last, and
(N, H, W) gets a channel axis. Labels: integers 0..K-1, (N,) or (N, 1); K is the largest label
+ 1 over all splits, so the splits agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.errors import InputError
from trainables.data import Images

Pair = tuple[Any, Any]


def from_arrays(data: Pair | tuple[Pair, Pair]) -> dict[str, Images]:
    """``(x, y)`` or ``((x, y), (x_test, y_test))``, as ``keras.datasets.mnist.load_data()`` returns
    them, as ``{"train": Images}`` or ``{"train": Images, "test": Images}``."""
    if not (isinstance(data, tuple) and len(data) == 2):
        raise InputError("data: give (x, y) or ((x, y), (x_test, y_test)), as keras.datasets.mnist.load_data() returns")
    if all(isinstance(pair, tuple) and len(pair) == 2 for pair in data):
        return to_splits({"train": data[0], "test": data[1]}, "data", "the arrays given")
    return to_splits({"train": data}, "data", "the arrays given")


def to_splits(pairs: dict[str, Pair], field: str, source: str) -> dict[str, Images]:
    """Each split's ``(images, labels)`` as ``Images``; a refusal names ``field`` and ``source``."""
    checked = {}
    for split, (x, y) in pairs.items():
        pixels = _pixels(np.asarray(x), f"{field}: the {split} images in {source}")
        checked[split] = pixels, _labels(np.asarray(y), len(pixels), f"{field}: the {split} labels in {source}")
    shapes = {split: pixels.shape[1:] for split, (pixels, _) in checked.items()}
    if len(set(shapes.values())) > 1:
        raise InputError(f"{field}: the splits in {source} differ in image shape: {shapes}")
    num_classes = 1 + max(int(labels.max()) for _, labels in checked.values())
    return {
        split: Images(pixels, labels, num_classes, max_value=255 if pixels.dtype == np.uint8 else 1.0)
        for split, (pixels, labels) in checked.items()
    }


def _pixels(x: np.ndarray, what: str) -> np.ndarray:
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim != 4 or not len(x) or not 1 <= x.shape[-1] <= 4:
        raise InputError(f"{what} must be (N, H, W) or channels-last (N, H, W, C) with C 1 to 4, N > 0; got shape {x.shape}")
    if x.dtype == np.uint8:
        return x
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise InputError(f"{what} must be uint8 or floats in [0, 1]; got dtype {x.dtype}")
    low, high = x.min(), x.max()
    if np.issubdtype(x.dtype, np.integer):
        if not 0 <= low <= high <= 255:
            raise InputError(f"{what} are integers from {low} to {high}; give values within 0-255 (or floats in [0, 1])")
        return x.astype(np.uint8)
    if not 0 <= low <= high <= 1:  # NaN fails too
        raise InputError(f"{what} are floats in [{low:g}, {high:g}]; scale them to [0, 1] (or give uint8 0-255)")
    return x.astype(np.float32)


def _labels(y: np.ndarray, count: int, what: str) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise InputError(f"{what} must be one class index per image, shape (N,) or (N, 1); got shape {y.shape} (one-hot? give y.argmax(1))")
    if len(y) != count:
        raise InputError(f"{what} are {len(y)} for {count} images")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise InputError(f"{what} must be integers 0..K-1; got {y.dtype} from {y.min()} to {y.max()}")
    return y.astype(np.int64)


def load(path: str | None = None, image_size: tuple[int, int] | None = None) -> dict[str, Images]:
    """Named in a spec without arrays: there is nothing to read."""
    raise InputError(
        "dataset.name: arrays come only through experiments.run(..., data=(x, y)) in Python; "
        "from a spec, use folder, npz or idx with dataset.path"
    )
