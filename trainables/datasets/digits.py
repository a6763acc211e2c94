"""scikit-learn's 8×8 handwritten digits (1,797 images, pixel values 0–16).

Read from the CSV that scikit-learn ships, as ``sklearn.datasets.load_digits`` reads it, without
importing scikit-learn (about 2 CPU-seconds in the driver, which loads the data once per sweep).
"""

from __future__ import annotations

import gzip
import importlib.util
import os

import numpy as np

from trainables.data import Images


def load(path: str | None = None, image_size: tuple[int, int] | None = None) -> dict[str, Images]:
    (package,) = importlib.util.find_spec("sklearn").submodule_search_locations  # finds, does not import
    with gzip.open(os.path.join(package, "datasets", "data", "digits.csv.gz"), mode="rt") as rows:
        data = np.loadtxt(rows, delimiter=",")
    images = data[:, :-1].reshape(-1, 8, 8, 1).astype(np.uint8)  # whole values 0-16 as float64: exact in uint8
    return {"train": Images(images, data[:, -1].astype(np.int64), 10, max_value=16)}
