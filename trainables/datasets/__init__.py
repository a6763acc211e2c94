"""Datasets by name: one module each, exposing ``load(path, image_size=None) -> {split: Images}``.

``image_size`` (H, W), when given, is the size of every image returned: each dataset resizes
(``Images.resized``; ``folder`` while reading, as its files may differ in size). A dataset that
reads files has ``PATH_ENV``: the environment variable that locates them when no path is given,
or None when ``dataset.path`` must say; a bundled dataset has none and ignores ``path``.
Bad files are an ``InputError`` at load time (in the driver), naming the field and the file.
"""

from core.registry import Registry

DATASETS = Registry(
    "dataset",
    {
        "mnist-5k": "trainables.datasets.mnist5k",
        "digits": "trainables.datasets.digits",
        "mnist": "trainables.datasets.mnist",
        "arrays": "trainables.datasets.arrays",
    },
)

