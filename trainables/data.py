"""Datasets by name, and the seeded, stratified splits that every trial shares.

Data is loaded and split once in the driver; trials get it through Ray's object
store (``tune.with_parameters``), so no trial ever re-reads or re-splits it.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

from trainables.datasets import DATASETS
from trainables.registry import InputError


@dataclass(frozen=True)
class Images:
    """Images as float32 (N, H, W, C) in [0, 1] with integer labels."""

    x: np.ndarray
    y: np.ndarray
    num_classes: int

    def take(self, index: np.ndarray) -> Images:
        return Images(self.x[index], self.y[index], self.num_classes)


@dataclass(frozen=True)
class PreparedData:
    """What the search sees (a pool with its folds) and the test split it never sees."""

    dataset: str
    pool: Images
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]
    test: Images | None

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.pool.x.shape[1:])

    @property
    def num_classes(self) -> int:
        return self.pool.num_classes


@functools.lru_cache(maxsize=8)
def _load(name: str, path: str | None) -> dict[str, Images]:
    splits = DATASETS.load(name).load(path)
    for images in splits.values():
        images.x.setflags(write=False)  # shared by every split and trial: never changed in place
        images.y.setflags(write=False)
    return splits


def load_split(name: str, split: str = "train", path: str | None = None) -> Images:
    """One split of a named dataset; a missing split or missing files is the user's to fix."""
    module = DATASETS.load(name)
    splits = _load(name, path or os.environ.get(getattr(module, "PATH_ENV", ""), None) or None)
    if split not in splits:
        raise InputError(f"dataset '{name}' has no '{split}' split here; it has: {', '.join(sorted(splits))}")
    return splits[split]


def _stratified(y: np.ndarray, size: int | float, seed: int, field: str) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held out) with every class in proportion; ``size`` is the held-out part."""
    index = np.arange(len(y))
    try:
        kept, held = train_test_split(index, test_size=size, stratify=y, random_state=seed, shuffle=True)
    except ValueError as error:
        raise InputError(f"{field}: cannot split {len(y)} images by class: {error}") from None
    return kept, held


def prepare(
    name: str,
    *,
    validation: float = 0.2,
    test: float | str = 0.0,
    folds: int = 1,
    seed: int = 0,
    limit: int | None = None,
    path: str | None = None,
) -> PreparedData:
    """Load ``name`` and split it: an optional test part first, then holdout or k folds.

    ``test`` is a fraction carved from the data, or ``"DATASET:SPLIT"`` to score on
    another dataset's split (for example the real MNIST test set).
    """
    images = load_split(name, "train", path)
    images = images.take(np.random.default_rng(seed).permutation(len(images.y)))  # sources may be sorted by class
    if limit is not None and limit < len(images.y):
        images = images.take(_stratified(images.y, len(images.y) - limit, seed, "dataset.limit")[0])

    if isinstance(test, str):
        test_name, _, test_split = test.partition(":")
        test_images = load_split(test_name, test_split or "test")
        if test_images.x.shape[1:] != images.x.shape[1:]:
            raise InputError(
                f"dataset.test: '{test}' has images of shape {test_images.x.shape[1:]}, "
                f"the search data {images.x.shape[1:]}"
            )
        pool = images
    elif test > 0:
        kept, held = _stratified(images.y, test, seed, "dataset.test")
        pool, test_images = images.take(kept), images.take(held)
    else:
        pool, test_images = images, None

    if folds > 1:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        try:
            fold_index = tuple(splitter.split(np.zeros(len(pool.y)), pool.y))
        except ValueError as error:
            raise InputError(f"dataset.folds: {error}") from None
    else:
        fold_index = (_stratified(pool.y, validation, seed, "dataset.validation"),)
    return PreparedData(name, pool, fold_index, test_images)
