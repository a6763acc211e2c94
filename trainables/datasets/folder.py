"""Your own images: a folder with one subfolder of PNG/JPEG files per class (read with Pillow).

Classes are the sorted subfolder names, label i the i-th. A folder holding just ``train/`` and
``test/``, each with the same class subfolders, gives both splits (``dataset.test: folder:test``).
All grayscale: one channel; any colour image: every image as RGB. Kept as uint8; resized to
``image_size`` while reading, which images of different sizes need. Files without a PNG/JPEG
extension are skipped, and their count printed as one line on stderr (the run goes on).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from core.errors import InputError
from trainables.data import Images
from trainables.datasets import checked_path

PATH_ENV = None  # reads files, which only dataset.path names
NEEDS = "a folder of class subfolders"
EXTENSIONS = (".png", ".jpg", ".jpeg")
GRAY_MODES = ("1", "L", "LA", "I", "I;16", "F")  # Pillow's modes without colour


def load(path: str | None = None, image_size: tuple[int, int] | None = None) -> dict[str, Images]:
    root = checked_path(path, "folder", NEEDS, folder=True)
    folders = {"train": root / "train", "test": root / "test"} if _has_splits(root) else {"train": root}
    listed = {split: _listing(folder) for split, folder in folders.items()}
    classes = {split: names for split, (names, _, _) in listed.items()}
    if len(set(classes.values())) > 1:
        raise InputError(f"dataset.path: '{folders['test']}' has classes {', '.join(classes['test'])} but "
                         f"'{folders['train']}' has {', '.join(classes['train'])}; give both the same class subfolders")
    read = {split: [(file, _read(file, image_size)) for file in files] for split, (_, files, _) in listed.items()}
    if image_size is None:
        _one_size([image for images in read.values() for image in images])
    colour = any(pixels.ndim == 3 for images in read.values() for _, pixels in images)
    return {
        split: Images(np.stack([_channels(pixels, colour) for _, pixels in read[split]]), labels, len(names), 255, class_names=names)
        for split, (names, _, labels) in listed.items()
    }


def _has_splits(root: Path) -> bool:
    subfolders = [entry for entry in root.iterdir() if entry.is_dir() and not entry.name.startswith(".")]
    return {entry.name for entry in subfolders} == {"train", "test"} and all(
        any(entry.is_dir() for entry in folder.iterdir()) for folder in subfolders
    )


def _listing(root: Path) -> tuple[tuple[str, ...], list[Path], np.ndarray]:
    """The class names, the image files and their labels; other files skipped, and counted."""
    entries = sorted(root.iterdir())
    classes = [entry for entry in entries if entry.is_dir() and not entry.name.startswith(".")]
    if not classes:
        raise InputError(f"dataset.path: '{root}' has no class subfolders; put each class's images in a subfolder named after it")
    skipped = [entry for entry in entries if entry not in classes]
    files, labels = [], []
    for label, folder in enumerate(classes):
        inside = sorted(folder.iterdir())
        images = [entry for entry in inside if entry.is_file() and entry.suffix.lower() in EXTENSIONS]
        if not images:
            raise InputError(f"dataset.path: class '{folder.name}' has no PNG or JPEG images in '{folder}'")
        skipped += [entry for entry in inside if entry not in images]
        files += images
        labels += [label] * len(images)
    if skipped:
        print(f"cnn-tune: dataset.path: skipped {len(skipped)} files or folders that are not PNG or JPEG images "
              f"in '{root}', such as '{skipped[0].name}'", file=sys.stderr)
    return tuple(folder.name for folder in classes), files, np.array(labels, dtype=np.int64)


def _read(file: Path, image_size: tuple[int, int] | None) -> np.ndarray:
    """(H, W) for a grayscale image, (H, W, 3) for a colour one, at ``image_size`` when given."""
    from PIL import Image  # here: only the driver reads images

    try:
        with Image.open(file) as image:
            image = image.convert("L" if image.mode in GRAY_MODES else "RGB")
            if image_size:
                image = image.resize(tuple(image_size)[::-1], Image.Resampling.BILINEAR)
            return np.asarray(image)
    except (OSError, ValueError, Image.DecompressionBombError) as error:  # OSError: unidentified or truncated
        raise InputError(f"dataset.path: cannot read '{file}' as an image ({error})") from None


def _one_size(read: list[tuple[Path, np.ndarray]]) -> None:
    first, size = read[0][0], read[0][1].shape[:2]
    for file, pixels in read:
        if pixels.shape[:2] != size:
            raise InputError(f"dataset.image_size: '{first}' is {size[0]}×{size[1]} (H×W) but '{file}' is "
                             f"{pixels.shape[0]}×{pixels.shape[1]}; set dataset.image_size: [H, W] to resize every image")


def _channels(pixels: np.ndarray, colour: bool) -> np.ndarray:
    """Channels last: grayscale repeated into RGB (as Pillow converts it) when any image has colour."""
    if pixels.ndim == 3:
        return pixels
    return np.repeat(pixels[..., np.newaxis], 3 if colour else 1, axis=-1)
