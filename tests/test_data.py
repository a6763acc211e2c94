"""Datasets and splits: seeded, stratified, shuffled; MNIST from IDX files."""

import gzip

import numpy as np
import pytest

from trainables.data import load_split, prepare
from trainables.registry import InputError


def test_mnist_5k_is_balanced_and_scaled():
    images = load_split("mnist-5k")
    assert images.x.shape == (5000, 28, 28, 1) and images.x.dtype == np.float32
    assert 0.0 <= images.x.min() and images.x.max() == 1.0
    assert np.bincount(images.y).tolist() == [500] * 10


def test_splits_are_stratified_shuffled_and_seeded():
    data = prepare("mnist-5k", validation=0.2, test=0.1, seed=3)
    (train, val), = data.folds
    assert len(train) + len(val) == len(data.pool.y) == 4500 and len(data.test.y) == 500
    for part in (data.pool.y[train], data.pool.y[val], data.test.y):
        counts = np.bincount(part, minlength=10)
        assert counts.max() - counts.min() <= 1  # every class in proportion
    # the source is sorted by class; a shuffled split must not be
    assert len(set(data.pool.y[val][:50])) > 5
    again = prepare("mnist-5k", validation=0.2, test=0.1, seed=3)
    assert np.array_equal(again.folds[0][1], val)
    other = prepare("mnist-5k", validation=0.2, test=0.1, seed=4)
    assert not np.array_equal(other.folds[0][1], val)


def test_k_folds_cover_the_pool_once():
    data = prepare("digits", folds=3, seed=0)
    held_out = np.concatenate([val for _, val in data.folds])
    assert sorted(held_out.tolist()) == list(range(len(data.pool.y)))
    assert data.input_shape == (8, 8, 1)


def test_limit_keeps_every_class():
    data = prepare("mnist-5k", limit=200)
    assert len(data.pool.y) == 200 and np.bincount(data.pool.y).tolist() == [20] * 10


def test_too_small_a_split_is_an_input_error():
    with pytest.raises(InputError, match="dataset.validation"):
        prepare("mnist-5k", limit=20, validation=0.1)


def write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as stream:
        stream.write(header + array.astype(np.uint8).tobytes())


def test_mnist_reads_a_folder_of_idx_files(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(30, 28, 28))
    labels = np.arange(30) % 10
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    test = load_split("mnist", "test", str(tmp_path))
    assert test.x.shape == (30, 28, 28, 1)
    assert np.allclose(test.x[..., 0] * 255, images) and test.y.tolist() == labels.tolist()
    with pytest.raises(InputError, match="has no 'train' split here"):
        load_split("mnist", "train", str(tmp_path))


def test_test_set_from_another_dataset(tmp_path, monkeypatch):
    images = np.random.default_rng(0).integers(0, 256, size=(20, 28, 28))
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.arange(20) % 10)
    monkeypatch.setenv("CNN_TUNE_MNIST_DIR", str(tmp_path))
    data = prepare("mnist-5k", test="mnist:test")
    assert len(data.test.y) == 20 and len(data.pool.y) == 5000
