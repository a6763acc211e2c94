"""Datasets by name, and the seeded, stratified splits that every trial shares.

Data is loaded and split once in the driver; trials get it through Ray's object
store (``tune.with_parameters``), so no trial ever re-reads or re-splits it.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, replace

import numpy as np

from trainables.datasets import DATASETS
from trainables.splits import holdout, kfold
from core.errors import InputError


@dataclass(frozen=True)
class Images:
    """Images (N, H, W, C) with integer labels, the pixels as their source stores them (uint8
    for 8-bit sources: a quarter of float32 in the object store and every trial); the input
    pipeline scales them to float32 in [0, 1] batch by batch. ``max_value``: the pixel value
    that scales to 1. ``class_names``: label i's name, where the source names its classes."""

    pixels: np.ndarray
    y: np.ndarray
    num_classes: int
    max_value: float
    class_names: tuple[str, ...] | None = None

    @property
    def x(self) -> np.ndarray:
        """The images as float32 in [0, 1], the model's input: a new array, for callers that
        hand Keras whole arrays (benchmarks, tests, backends without tf.data)."""
        return self.pixels.astype(np.float32) / np.float32(self.max_value)

    def take(self, index: np.ndarray) -> Images:
        return replace(self, pixels=self.pixels[index], y=self.y[index])

    def resized(self, size: tuple[int, int] | None) -> Images:
        """The images at ``size`` (H, W), each channel resized with Pillow's bilinear filter, the
        dtype kept (so any dataset can feed a model built for another size); itself when already so."""
        if size is None or self.pixels.shape[1:3] == tuple(size):
            return self
        from PIL import Image  # here: only a driver that resizes pays for it

        def plane(channel: np.ndarray) -> np.ndarray:
            return np.asarray(Image.fromarray(channel).resize(size[::-1], Image.Resampling.BILINEAR))

        pixels = np.stack([np.stack([plane(image[..., c]) for c in range(image.shape[-1])], axis=-1) for image in self.pixels])
        return replace(self, pixels=pixels)


@dataclass(frozen=True)
class PreparedData:
    """What the search sees (a pool with its folds, as indices into it) and the test split it never sees."""

    dataset: str
    pool: Images
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]
    test: Images | None

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.pool.pixels.shape[1:])

    @property
    def num_classes(self) -> int:
        return self.pool.num_classes


@functools.lru_cache(maxsize=8)
def _load(name: str, path: str | None, image_size: tuple[int, int] | None) -> dict[str, Images]:
    splits = {split: images.resized(image_size) for split, images in DATASETS.load(name).load(path, image_size).items()}
    for images in splits.values():
        images.pixels.setflags(write=False)  # shared by every split and trial: never changed in place
        images.y.setflags(write=False)
    return splits


def load_split(name: str, split: str = "train", path: str | None = None, image_size: tuple[int, int] | None = None) -> Images:
    """One split of a named dataset; a missing split or missing files is the user's to fix."""
    env = getattr(DATASETS.load(name), "PATH_ENV", None)
    path = path or (os.environ.get(env) if env else None) or None
    return _split(_load(name, path, tuple(image_size) if image_size else None), name, split)


def _split(splits: dict[str, Images], name: str, split: str) -> Images:
    if split not in splits:
        raise InputError(f"dataset '{name}' has no '{split}' split here; it has: {', '.join(sorted(splits))}")
    return splits[split]


def _test_path(name: str, test_name: str, path: str | None) -> str | None:
    """``dataset.path`` is the test split's too when both come from one dataset, or when the
    search data reads no files (bundled, so the path can only be meant for the test set);
    otherwise the test dataset finds its files itself (its environment variable, its cache)."""
    reads_files = hasattr(DATASETS.load(name), "PATH_ENV")
    return path if test_name == name or not reads_files else None


def _stratified(y: np.ndarray, size: int | float, seed: int, field: str) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held out) with every class in proportion; ``size`` is the held-out part."""
    try:
        return holdout(y, size, seed)
    except ValueError as error:
        raise InputError(f"{field}: cannot split {len(y)} images by class: {error}") from None


def prepare(
    name: str,
    *,
    validation: float = 0.2,
    test: float | str = 0.0,
    folds: int = 1,
    seed: int = 0,
    limit: int | None = None,
    path: str | None = None,
    image_size: tuple[int, int] | None = None,
    splits: dict[str, Images] | None = None,
) -> PreparedData:
    """Load ``name`` and split it: an optional test part first, then holdout or k folds.

    ``test`` is a fraction carved from the data, or ``"DATASET:SPLIT"`` to score on
    another dataset's split (for example the real MNIST test set), read from ``path`` too
    (see ``_test_path``). ``image_size`` (H, W) resizes every image, the test split's too.
    ``splits`` (in-memory data, see ``datasets.arrays.from_arrays``) stands for dataset ``name``:
    its ``"train"`` is searched, and ``test="NAME:test"`` scores on its ``"test"``.
    """
    if splits is not None:
        splits = {split: images.resized(image_size) for split, images in splits.items()}

    def split_of(dataset: str, split: str, path: str | None) -> Images:
        if splits is not None and dataset == name:
            return _split(splits, name, split)
        return load_split(dataset, split, path, image_size)

    images = split_of(name, "train", path)
    images = images.take(np.random.default_rng(seed).permutation(len(images.y)))  # sources may be sorted by class
    if limit is not None and limit < len(images.y):
        images = images.take(_stratified(images.y, len(images.y) - limit, seed, "dataset.limit")[0])

    if isinstance(test, str):
        test_name, _, test_split = test.partition(":")
        test_images = split_of(test_name, test_split or "test", _test_path(name, test_name, path))
        if test_images.pixels.shape[1:] != images.pixels.shape[1:]:
            raise InputError(
                f"dataset.test: '{test}' has images of shape {test_images.pixels.shape[1:]}, "
                f"the search data {images.pixels.shape[1:]}"
            )
        pool = images
    elif test > 0:
        kept, held = _stratified(images.y, test, seed, "dataset.test")
        pool, test_images = images.take(kept), images.take(held)
    else:
        pool, test_images = images, None

    return PreparedData(name, pool, partition(pool.y, folds, validation, seed), test_images)


def partition(y: np.ndarray, folds: int, validation: float, seed: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The pool's (train, validation) index pairs: ``folds`` stratified folds, or one holdout split."""
    if folds == 1:
        return (_stratified(y, validation, seed, "dataset.validation"),)
    try:
        return kfold(y, folds, seed)
    except ValueError as error:
        raise InputError(f"dataset.folds: {error}") from None
