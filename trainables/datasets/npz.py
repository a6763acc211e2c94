"""Your own arrays in one .npz file: x_train, y_train and optionally x_test, y_test (numpy.savez).

Converted and checked as in-memory arrays are (``arrays.to_splits``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from core.errors import InputError
from trainables.data import Images
from trainables.datasets import checked_path
from trainables.datasets.arrays import to_splits

PATH_ENV = None  # reads a file, which only dataset.path names
NEEDS = "a .npz file holding x_train and y_train (optionally x_test and y_test)"


def load(path: str | None = None, image_size: tuple[int, int] | None = None) -> dict[str, Images]:
    return read(checked_path(path, "npz", NEEDS, folder=False))


def read(file: Path) -> dict[str, Images]:
    """The splits in ``file`` (shared with ``mnist``, whose Keras copy is such a file)."""
    try:
        with np.load(file) as npz:  # no pickles: a .npz of arrays needs none
            names = set(npz.files)
            wanted = {"x_train", "y_train"} | ({"x_test", "y_test"} if names & {"x_test", "y_test"} else set())
            missing = sorted(wanted - names)
            splits = [] if missing else [split for split in ("train", "test") if f"x_{split}" in names]
            pairs = {split: (npz[f"x_{split}"], npz[f"y_{split}"]) for split in splits}
    except (OSError, ValueError, TypeError, zipfile.BadZipFile) as error:  # no zip, a pickle, a bare .npy
        reason = (str(error).splitlines() or [type(error).__name__])[0]
        raise InputError(f"dataset.path: cannot read '{file}' as a .npz archive of named arrays ({reason})") from None
    if missing:
        holds = ", ".join(sorted(names)) or "nothing"
        raise InputError(f"dataset.path: '{file}' has no {', '.join(missing)} (it holds: {holds}); the npz dataset needs {NEEDS}")
    return to_splits(pairs, "dataset.path", f"'{file}'")
