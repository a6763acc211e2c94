"""Users' own datasets: a folder of images, a .npz, IDX files, in-memory arrays; and bad input refused in one line."""

import gzip
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.errors import InputError
from test_cli import assert_refused_before_ray, cnn_tune
from test_data import write_idx
from trainables.data import load_split, prepare
from trainables.datasets.arrays import from_arrays
from trainables.datasets.idx import IDX_FILES


def save(path, pixels, palette=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(np.asarray(pixels, dtype=np.uint8))
    (image.convert("P", palette=Image.Palette.ADAPTIVE) if palette else image).save(path)
    return path


def gray_classes(root, classes=("cat", "ant", "bee"), per_class=8, size=(6, 5)):
    """Each class's images all one gray value (10, 20, 30, ... in the given order): the label shows in the pixels."""
    for value, name in enumerate(classes, start=1):
        for i in range(per_class):
            save(root / name / f"{i}.png", np.full(size, 10 * value))
    return root


def refused(kind, path, *expected, image_size=None):
    """The InputError loading ``kind`` from ``path`` raises: one line, holding every expected part."""
    with pytest.raises(InputError) as caught:
        load_split(kind, "train", str(path) if path else None, image_size)
    message = str(caught.value)
    assert "\n" not in message
    for part in expected:
        assert str(part) in message, message
    return message


def test_folder_classes_are_sorted_subfolders_as_uint8_grayscale(tmp_path):
    images = load_split("folder", path=str(gray_classes(tmp_path)))
    assert images.class_names == ("ant", "bee", "cat") and images.num_classes == 3
    assert images.pixels.shape == (24, 6, 5, 1) and images.pixels.dtype == np.uint8 and images.max_value == 255
    made_as = {"cat": 10, "ant": 20, "bee": 30}  # the gray value each class was written with
    assert [made_as[images.class_names[label]] for label in images.y] == images.pixels[:, 0, 0, 0].tolist()


def test_folder_with_any_colour_image_is_all_rgb(tmp_path):
    save(tmp_path / "a" / "gray.png", np.full((4, 4), 50))
    save(tmp_path / "a" / "photo.JPEG", np.full((4, 4, 3), 200))
    save(tmp_path / "b" / "alpha.png", np.full((4, 4, 4), 120))
    save(tmp_path / "b" / "palette.png", np.full((4, 4, 3), 90), palette=True)
    images = load_split("folder", path=str(tmp_path))
    assert images.pixels.shape == (4, 4, 4, 3) and images.pixels.dtype == np.uint8
    gray = images.pixels[0]  # a/gray.png, sorted first: its value in every channel
    assert (gray == 50).all() and images.y.tolist() == [0, 0, 1, 1]
    assert (images.pixels[3] == 90).all()  # b/palette.png, as RGB


def test_folder_images_of_different_sizes_need_image_size(tmp_path):
    save(tmp_path / "a" / "small.png", np.zeros((4, 6)))
    save(tmp_path / "b" / "large.png", np.zeros((9, 7)))
    refused("folder", tmp_path, "dataset.image_size", tmp_path / "a" / "small.png", tmp_path / "b" / "large.png", "4×6", "9×7")
    images = load_split("folder", path=str(tmp_path), image_size=(8, 10))
    assert images.pixels.shape == (2, 8, 10, 1) and images.pixels.dtype == np.uint8


def test_folder_train_and_test_subfolders_are_two_splits(tmp_path):
    gray_classes(tmp_path / "train", ("x", "y"), per_class=6)
    gray_classes(tmp_path / "test", ("x", "y"), per_class=3)
    assert len(load_split("folder", "test", str(tmp_path)).y) == 6
    data = prepare("folder", path=str(tmp_path), test="folder:test", validation=0.5)
    assert len(data.pool.y) == 12 and len(data.test.y) == 6 and data.test.class_names == ("x", "y")


def test_folder_skips_non_images_and_prints_their_count(tmp_path, capsys):
    gray_classes(tmp_path)
    (tmp_path / "ant" / "notes.txt").write_text("not an image")
    (tmp_path / "bee" / ".DS_Store").write_bytes(b"\0")
    assert len(load_split("folder", path=str(tmp_path)).y) == 24
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "skipped 2 files" in lines[0] and str(tmp_path) in lines[0]


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_npz_reads_both_splits_as_uint8_with_a_channel_axis(tmp_path):
    x, y = np.arange(6 * 4 * 4, dtype=np.uint8).reshape(6, 4, 4), np.array([[0], [1], [2], [0], [1], [2]])
    path = write_npz(tmp_path / "d.npz", x_train=x, y_train=y, x_test=x[:2], y_test=np.array([3, 0]))
    train, test = (load_split("npz", split, str(path)) for split in ("train", "test"))
    assert train.pixels.shape == (6, 4, 4, 1) and train.pixels.dtype == np.uint8 and train.max_value == 255
    assert np.array_equal(train.pixels[..., 0], x) and train.y.tolist() == [0, 1, 2, 0, 1, 2]
    assert train.num_classes == test.num_classes == 4  # the largest label in either split, + 1


def test_npz_float_pixels_stay_float32_and_other_integers_become_uint8(tmp_path):
    x, y = np.random.default_rng(0).random((4, 3, 3, 3)), np.array([0, 1, 0, 1])
    floats = load_split("npz", path=str(write_npz(tmp_path / "f.npz", x_train=x, y_train=y)))
    assert floats.pixels.dtype == np.float32 and floats.max_value == 1.0 and np.allclose(floats.x, x)
    wide = load_split("npz", path=str(write_npz(tmp_path / "i.npz", x_train=(x * 255).astype(np.int64), y_train=y)))
    assert wide.pixels.dtype == np.uint8 and np.array_equal(wide.pixels, (x * 255).astype(np.uint8))


def test_idx_reads_any_idx_dataset_gzipped_or_not(tmp_path):
    images, labels = np.random.default_rng(1).integers(0, 256, size=(10, 7, 7)), np.arange(10) % 5
    for stem, array in zip(IDX_FILES["train"] + IDX_FILES["test"], (images, labels) * 2):
        write_idx(tmp_path / f"{stem}.gz", array)
    for stem in IDX_FILES["test"]:  # the test split not gzipped
        (tmp_path / stem).write_bytes(gzip.decompress((tmp_path / f"{stem}.gz").read_bytes()))
        (tmp_path / f"{stem}.gz").unlink()
    for split in ("train", "test"):
        read = load_split("idx", split, str(tmp_path))
        assert read.pixels.shape == (10, 7, 7, 1) and read.pixels.dtype == np.uint8 and read.num_classes == 5
        assert np.array_equal(read.pixels[..., 0], images) and read.y.tolist() == labels.tolist()


def test_mnist_reads_its_idx_files_with_the_idx_reader(tmp_path, monkeypatch):
    from trainables.datasets import idx

    read = []
    monkeypatch.setattr(idx, "read_idx", lambda path, real=idx.read_idx: read.append(path.name) or real(path))
    images = np.random.default_rng(2).integers(0, 256, size=(10, 28, 28))
    for stem, array in zip(IDX_FILES["train"], (images, np.arange(10))):
        write_idx(tmp_path / f"{stem}.gz", array)
    assert np.array_equal(load_split("mnist", path=str(tmp_path)).pixels[..., 0], images)
    assert sorted(read) == [f"{stem}.gz" for stem in IDX_FILES["train"]]


def test_image_size_resizes_every_kind(tmp_path):
    digits = load_split("digits", image_size=(16, 12))
    assert digits.pixels.shape == (1797, 16, 12, 1) and digits.pixels.dtype == np.uint8 and digits.pixels.max() <= 16
    x = np.random.default_rng(0).random((2, 5, 5))
    floats = load_split("npz", path=str(write_npz(tmp_path / "f.npz", x_train=x, y_train=[0, 1])), image_size=(10, 10))
    assert floats.pixels.shape == (2, 10, 10, 1) and floats.pixels.dtype == np.float32 and 0 <= floats.x.min() <= floats.x.max() <= 1


def three_kinds(tmp_path):
    """The same 30 labelled images (3 classes) as a folder, a .npz and IDX files: {kind: path}."""
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, size=(30, 6, 6)).astype(np.uint8), np.arange(30) % 3
    for i, (image, label) in enumerate(zip(x, y)):
        save(tmp_path / "folder" / f"class{label}" / f"{i:02}.png", image)
    (tmp_path / "idx").mkdir()
    write_idx(tmp_path / "idx" / f"{IDX_FILES['train'][0]}.gz", x)
    write_idx(tmp_path / "idx" / f"{IDX_FILES['train'][1]}.gz", y)
    return {"folder": tmp_path / "folder", "npz": write_npz(tmp_path / "d.npz", x_train=x, y_train=y), "idx": tmp_path / "idx"}


@pytest.mark.parametrize("kind", ["folder", "npz", "idx"])
def test_prepare_splits_every_kind_stratified_and_in_folds(tmp_path, kind):
    path = str(three_kinds(tmp_path)[kind])
    data = prepare(kind, path=path, validation=0.2, test=0.2, seed=1)
    (train, val), = data.folds
    assert len(data.test.y) == 6 and len(train) == 19 and len(val) == 5
    assert np.bincount(data.test.y).tolist() == [2, 2, 2]  # every class in proportion
    folded = prepare(kind, path=path, folds=3, seed=1)
    held_out = np.concatenate([val for _, val in folded.folds])
    assert sorted(held_out.tolist()) == list(range(30)) and folded.input_shape == (6, 6, 1)


def test_from_arrays_takes_what_keras_load_data_returns():
    rng = np.random.default_rng(0)
    (x, y), (x_test, y_test) = (rng.integers(0, 256, size=(40, 5, 5), dtype=np.uint8), np.arange(40) % 4), (
        rng.integers(0, 256, size=(8, 5, 5), dtype=np.uint8), np.arange(8) % 4)
    splits = from_arrays(((x, y), (x_test, y_test)))
    assert splits["train"].pixels.shape == (40, 5, 5, 1) and splits["test"].pixels.dtype == np.uint8
    assert list(from_arrays((x, y))) == ["train"]
    data = prepare("arrays", splits=splits, test="arrays:test", image_size=(7, 7))
    assert np.array_equal(np.sort(data.test.y), np.sort(y_test)) and data.input_shape == (7, 7, 1)
    carved = prepare("arrays", splits=from_arrays((x, y)), test=0.25, folds=2)
    assert len(carved.test.y) == 10 and len(carved.pool.y) == 30 and len(carved.folds) == 2


def test_arrays_named_in_a_spec_without_data_is_refused():
    with pytest.raises(InputError, match=r"dataset.name: arrays come only through experiments.run\(\.\.\., data=\(x, y\)\)"):
        prepare("arrays")


@pytest.mark.parametrize("data, expected", [
    (np.zeros((3, 4, 4)), "give (x, y) or ((x, y), (x_test, y_test))"),
    ((np.zeros((3, 4, 4)), np.zeros(2, dtype=int)), "data: the train labels in the arrays given are 2 for 3 images"),
    ((np.zeros((3, 4, 4)), np.array([0.0, 1.0, 1.0])), "data: the train labels in the arrays given must be integers 0..K-1"),
    ((np.zeros((3, 4, 4)), np.array([0, -1, 1])), "must be integers 0..K-1; got int64 from -1 to 1"),
    ((np.zeros((3, 4, 4)), np.eye(3, dtype=int)), "got shape (3, 3) (one-hot?"),
    ((np.full((3, 4, 4), 2.0), np.arange(3)), "data: the train images in the arrays given are floats in [2, 2]"),
    ((np.full((3, 4, 4), 256), np.arange(3)), "are integers from 256 to 256; give values within 0-255"),
    ((np.zeros((3, 3, 8, 8), dtype=np.uint8), np.arange(3)), "channels-last (N, H, W, C) with C 1 to 4"),
])
def test_bad_arrays_are_refused_in_one_line(data, expected):
    with pytest.raises(InputError) as caught:
        from_arrays(data)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_each_bad_folder_is_refused_naming_the_field_and_the_place(tmp_path):
    refused("folder", None, "dataset.path: the folder dataset needs a folder of class subfolders; set dataset.path")
    refused("folder", tmp_path / "nowhere", "dataset.path", tmp_path / "nowhere", "does not exist")
    (tmp_path / "loose.png").write_bytes(b"")
    refused("folder", tmp_path / "loose.png", "dataset.path", tmp_path / "loose.png", "is not a folder")
    refused("folder", tmp_path, "dataset.path", f"'{tmp_path}' has no class subfolders")
    gray_classes(tmp_path, ("a", "b"))
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.md").write_text("")
    refused("folder", tmp_path, "dataset.path", "class 'empty' has no PNG or JPEG images", tmp_path / "empty")
    (tmp_path / "empty" / "broken.png").write_bytes(b"not a png at all")
    refused("folder", tmp_path, "dataset.path", "cannot read", tmp_path / "empty" / "broken.png")


def test_train_and_test_folders_with_different_classes_are_refused(tmp_path):
    gray_classes(tmp_path / "train", ("x", "y"))
    gray_classes(tmp_path / "test", ("x", "z"))
    refused("folder", tmp_path, "dataset.path", tmp_path / "test", "classes x, z", "has x, y")


def test_each_bad_npz_is_refused_naming_the_field_and_the_file(tmp_path):
    refused("npz", None, "dataset.path: the npz dataset needs a .npz file", "set dataset.path")
    refused("npz", tmp_path / "none.npz", "dataset.path", tmp_path / "none.npz", "does not exist")
    x = np.zeros((4, 3, 3), dtype=np.uint8)
    path = write_npz(tmp_path / "nolabels.npz", x_train=x)
    refused("npz", path, "dataset.path", path, "has no y_train", "it holds: x_train")
    path = write_npz(tmp_path / "halftest.npz", x_train=x, y_train=[0, 1, 0, 1], x_test=x)
    refused("npz", path, "dataset.path", path, "has no y_test")
    path = write_npz(tmp_path / "count.npz", x_train=x, y_train=[0, 1, 0])
    refused("npz", path, "dataset.path: the train labels in", path, "are 3 for 4 images")
    path = write_npz(tmp_path / "float.npz", x_train=x, y_train=[0.5, 1, 0, 1])
    refused("npz", path, "dataset.path: the train labels in", path, "must be integers 0..K-1")
    path = write_npz(tmp_path / "range.npz", x_train=x * 1.0 + 3, y_train=[0, 1, 0, 1])
    refused("npz", path, "dataset.path: the train images in", path, "floats in [3, 3]")
    (tmp_path / "text.npz").write_text("not a zip")
    refused("npz", tmp_path / "text.npz", "dataset.path: cannot read", tmp_path / "text.npz")


def test_each_bad_idx_folder_is_refused_naming_the_field_and_the_file(tmp_path):
    refused("idx", None, "dataset.path: the idx dataset needs a folder of IDX files", "set dataset.path")
    refused("idx", tmp_path, "dataset.path: no IDX files in", tmp_path)
    images = tmp_path / f"{IDX_FILES['train'][0]}.gz"
    write_idx(images, np.zeros((4, 3, 3)))
    refused("idx", tmp_path, "dataset.path", "has train-images-idx3-ubyte.gz but no train-labels-idx1-ubyte")
    labels = tmp_path / f"{IDX_FILES['train'][1]}.gz"
    write_idx(labels, np.arange(3))
    refused("idx", tmp_path, "dataset.path: the train labels in", tmp_path, "are 3 for 4 images")
    labels.write_bytes(gzip.compress(b"\0\0\x08\x01\0\0\0\x04\0\1"))  # 2 of its 4 labels
    refused("idx", tmp_path, "dataset.path", labels, "2 bytes of values where its header says shape (4,)")
    labels.write_bytes(b"not gzip")
    refused("idx", tmp_path, "dataset.path: cannot read", labels)


def test_image_size_is_checked_in_the_spec_and_files_only_at_load_time():
    from experiments.spec import load_spec

    with pytest.raises(InputError, match=r"dataset.image_size: write \[H, W\], two whole numbers above 0"):
        load_spec("quickstart", {"dataset.image_size": [32]})
    spec = load_spec("quickstart", {"dataset.name": "folder", "dataset.path": "/nowhere", "dataset.image_size": [32, 24]})
    assert spec.dataset.image_size == (32, 24)  # a spec may be checked on a machine without the files


def test_a_bad_dataset_folder_exits_2_in_one_line_before_ray_starts(tmp_path):
    (tmp_path / "images").mkdir()
    done = cnn_tune("run", "quickstart", "--set", "dataset.name=folder", "--set", f"dataset.path={tmp_path / 'images'}",
                    "--storage", str(tmp_path / "runs"), tmp_path=tmp_path,
                    env={"PYTHONPATH": str(Path(__file__).parents[1])})  # this checkout's code, wherever the script was installed from
    assert_refused_before_ray(done, f"dataset.path: '{tmp_path / 'images'}' has no class subfolders", tmp_path)


def test_colour_digits_example_is_a_colour_folder_dataset(tmp_path):
    from examples.colour_digits.make_data import write

    images = load_split("folder", path=str(write(tmp_path, per_class=3)))
    assert images.pixels.shape == (30, 32, 32, 3) and images.class_names == tuple("0123456789")
    assert np.bincount(images.y).tolist() == [3] * 10
    backgrounds = {tuple(image[0, 0]) for image in images.pixels[images.y == 0]}
    assert len(backgrounds) == 3  # colours drawn per image, not per digit
