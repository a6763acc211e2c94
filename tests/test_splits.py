"""No image is in two of training, validation and test, in any split mode, by index and by content.

By index: each fold's training and validation indices into the pool are disjoint.
By content: a hash of every image's bytes, so a test split carved before the folds, or
read from another dataset, is held to the same rule (the sources hold no duplicate image).
"""

import hashlib

import numpy as np
import pytest

from test_data import write_mnist
from trainables.data import Images, PreparedData, load_split, prepare


def hashes(images: Images) -> set[str]:
    found = {hashlib.sha256(image.tobytes()).hexdigest() for image in images.x}
    assert len(found) == len(images.y), "duplicate images: a content check could not tell the splits apart"
    return found


def assert_disjoint(data: PreparedData) -> None:
    test = hashes(data.test) if data.test is not None else set()
    for train, val in data.folds:
        assert not set(train.tolist()) & set(val.tolist())
        assert len(train) + len(val) == len(data.pool.y)  # every pool image in exactly one of the two
        train_images, val_images = hashes(data.pool.take(train)), hashes(data.pool.take(val))
        assert not train_images & val_images and not train_images & test and not val_images & test


@pytest.mark.parametrize(
    "name, options",
    [
        ("mnist-5k", {"validation": 0.2, "limit": 600}),  # holdout
        ("digits", {"folds": 3, "limit": 600}),  # k-fold, every fold
        ("mnist-5k", {"validation": 0.2, "test": 0.2, "limit": 600}),  # a test fraction
        ("digits", {"folds": 3, "test": 0.2}),  # a test fraction, then k folds
    ],
    ids=["holdout", "k-fold", "test-fraction", "test-fraction-k-fold"],
)
def test_splits_are_disjoint(name, options):
    data = prepare(name, seed=0, **options)
    if "test" in options:
        assert data.test is not None and len(data.test.y) > 0
    assert_disjoint(data)


def test_splits_are_disjoint_with_another_datasets_test_split(tmp_path):
    # real MNIST digits in a tiny MNIST folder: 300 for its train split, 100 others for its test split
    real = load_split("mnist-5k")
    pick = np.random.default_rng(0).permutation(len(real.y))
    folder = tmp_path / "mnist"
    for split, index in (("train", pick[:300]), ("test", pick[300:400])):
        write_mnist(folder, split, np.rint(real.x[index, ..., 0] * 255), real.y[index])
    data = prepare("mnist", validation=0.2, test="mnist:test", path=str(folder), seed=0)
    assert len(data.pool.y) == 300 and len(data.test.y) == 100
    assert_disjoint(data)
