"""scikit-learn's 8×8 handwritten digits (1,797 images, pixel values 0–16)."""

from __future__ import annotations

import numpy as np

from trainables.data import Images


def load(path: str | None = None, image_size: tuple[int, int] | None = None) -> dict[str, Images]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images[..., np.newaxis].astype(np.uint8)  # whole values 0-16 as float64: exact in uint8
    return {"train": Images(images, digits.target.astype(np.int64), 10, max_value=16)}
