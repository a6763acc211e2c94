"""Datasets by name: one module each, exposing ``load(path, image_size=None) -> {split: Images}``.

``image_size`` (H, W): ``trainables.data`` resizes what every dataset returns to it (``Images.resized``);
only ``folder`` reads it, to resize while reading, as its files may differ in size. A dataset that
reads files has ``PATH_ENV``: the environment variable that locates them when no path is given,
or None when ``dataset.path`` must say; a bundled dataset has none and ignores ``path``.
Bad files are an ``InputError`` at load time (in the driver), naming the field and the file.
"""

from pathlib import Path

from core.errors import InputError
from core.registry import Registry

DATASETS = Registry(
    "dataset",
    {
        "mnist-5k": "trainables.datasets.mnist5k",
        "digits": "trainables.datasets.digits",
        "mnist": "trainables.datasets.mnist",
        "npz": "trainables.datasets.npz",
        "idx": "trainables.datasets.idx",
        "folder": "trainables.datasets.folder",
        "arrays": "trainables.datasets.arrays",
    },
)


def checked_path(path: str | None, kind: str, needs: str, folder: bool) -> Path:
    """``dataset.path`` as the ``kind`` dataset needs it (a folder, or a file), or a line saying what is wrong."""
    if not path:
        raise InputError(f"dataset.path: the {kind} dataset needs {needs}; set dataset.path")
    found = Path(path).expanduser()
    if not found.exists():
        raise InputError(f"dataset.path: '{found}' does not exist; the {kind} dataset needs {needs}")
    if found.is_dir() != folder:
        raise InputError(f"dataset.path: '{found}' is not a {'folder' if folder else 'file'}; the {kind} dataset needs {needs}")
    return found
