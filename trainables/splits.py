"""Seeded stratified splits: scikit-learn's, index for index, without importing scikit-learn.

The driver splits once per sweep, and importing ``sklearn.model_selection`` cost it about
2 CPU-seconds, more than the split. These follow scikit-learn 1.x's ``train_test_split(...,
stratify=y, shuffle=True)`` and ``StratifiedKFold(shuffle=True)`` step by step, with the same
random draws and the same error texts, so a seed gives the splits it gave before;
tests/test_stratified.py holds them to scikit-learn.
"""

from __future__ import annotations

import math
import warnings

import numpy as np


def holdout(y: np.ndarray, test_size: int | float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices, ``test_size`` a count or a fraction of ``len(y)``."""
    n_samples = len(y)
    if isinstance(test_size, float):
        if not 0 < test_size < 1:
            raise ValueError(_size_error(test_size, n_samples))
        n_test = math.ceil(test_size * n_samples)
    else:
        if not 0 < test_size < n_samples:
            raise ValueError(_size_error(test_size, n_samples))
        n_test = int(test_size)
    n_train = n_samples - n_test
    if n_train == 0:
        raise ValueError(
            f"With n_samples={n_samples}, test_size={test_size} and train_size=None, the resulting train set "
            "will be empty. Adjust any of the aforementioned parameters."
        )

    classes, y_indices, class_counts = np.unique(y, return_inverse=True, return_counts=True)
    if np.min(class_counts) < 2:
        raise ValueError(
            "The least populated classes in y have only 1 member, which is too few. The minimum number of "
            f"groups for any class cannot be less than 2. Classes with too few members are: "
            f"{classes[class_counts < 2].tolist()}"
        )
    for name, size in (("train_size", n_train), ("test_size", n_test)):
        if size < len(classes):
            raise ValueError(
                f"The {name} = {size} should be greater or equal to the number of classes = {len(classes)}"
            )

    class_indices = np.split(np.argsort(y_indices, kind="stable"), np.cumsum(class_counts)[:-1])
    rng = np.random.RandomState(seed)
    n_i = _approximate_mode(class_counts, n_train, rng)
    t_i = _approximate_mode(class_counts - n_i, n_test, rng)
    train: list[int] = []
    test: list[int] = []
    for i in range(len(classes)):
        members = class_indices[i].take(rng.permutation(class_counts[i]), mode="clip")
        train.extend(members[: n_i[i]])
        test.extend(members[n_i[i] : n_i[i] + t_i[i]])
    return rng.permutation(train), rng.permutation(test)


def kfold(y: np.ndarray, n_splits: int, seed: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """``n_splits`` (train, test) index pairs; every class dealt round-robin over the test folds."""
    if n_splits > len(y):
        raise ValueError(
            f"Cannot have number of splits n_splits={n_splits} greater than the number of samples: "
            f"n_samples={len(y)}."
        )
    _, first_seen, y_inv = np.unique(y, return_index=True, return_inverse=True)
    _, class_perm = np.unique(first_seen, return_inverse=True)
    y_encoded = class_perm[y_inv]  # classes numbered by first appearance, as scikit-learn does
    n_classes = len(first_seen)
    y_counts = np.bincount(y_encoded)
    smallest = np.min(y_counts)
    if np.all(n_splits > y_counts):
        raise ValueError(f"n_splits={n_splits} cannot be greater than the number of members in each class.")
    if n_splits > smallest:
        warnings.warn(
            f"The least populated class in y has only {smallest} members, which is less than "
            f"n_splits={n_splits}.",
            UserWarning,
        )

    y_order = np.sort(y_encoded)
    allocation = np.asarray([np.bincount(y_order[i::n_splits], minlength=n_classes) for i in range(n_splits)])
    rng = np.random.RandomState(seed)
    test_folds = np.empty(len(y), dtype="i")
    for k in range(n_classes):
        folds_for_class = np.arange(n_splits).repeat(allocation[:, k])
        rng.shuffle(folds_for_class)
        test_folds[y_encoded == k] = folds_for_class
    indices = np.arange(len(y))
    return tuple((indices[test_folds != i], indices[test_folds == i]) for i in range(n_splits))


def _size_error(test_size: int | float, n_samples: int) -> str:
    return (
        f"test_size={test_size} should be either positive and smaller than the number of samples "
        f"{n_samples} or a float in the (0, 1) range"
    )


def _approximate_mode(class_counts: np.ndarray, n_draws: int, rng: np.random.RandomState) -> np.ndarray:
    """Per-class draws nearest to proportional, ties in the remainders broken at random."""
    continuous = class_counts / class_counts.sum() * n_draws
    floored = np.floor(continuous)
    need_to_add = int(n_draws - floored.sum())
    if need_to_add > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (inds,) = np.where(remainder == value)
            add_now = min(len(inds), need_to_add)
            floored[rng.choice(inds, size=add_now, replace=False)] += 1
            need_to_add -= add_now
            if need_to_add == 0:
                break
    return floored.astype(int)
