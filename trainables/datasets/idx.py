"""Any dataset in MNIST's IDX layout (Fashion-MNIST, KMNIST, ...): a folder of its four files, gzipped or not.

The files keep MNIST's names (``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``); a folder may hold one split or both.
The one IDX reader (``mnist`` reads its files here too).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from core.errors import InputError
from trainables.data import Images
from trainables.datasets import checked_path
from trainables.datasets.arrays import to_splits

PATH_ENV = None  # reads files, which only dataset.path names
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
NEEDS = "a folder of IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, and/or t10k-...), gzipped or not"
TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}  # the format's type codes


def load(path: str | None = None, image_size: tuple[int, int] | None = None) -> dict[str, Images]:
    folder = checked_path(path, "idx", NEEDS, folder=True)
    splits = read_folder(folder)
    if not splits:
        raise InputError(f"dataset.path: no IDX files in '{folder}'; the idx dataset needs {NEEDS}")
    return splits


def read_folder(folder: Path) -> dict[str, Images]:
    """The splits whose two files ``folder`` holds (none: empty); half a pair is refused."""
    pairs = {}
    for split, stems in IDX_FILES.items():
        files = [_find(folder, stem) for stem in stems]
        if any(files) and not all(files):
            have, lacking = (files[0], stems[1]) if files[0] else (files[1], stems[0])
            raise InputError(f"dataset.path: '{folder}' has {have.name} but no {lacking}[.gz]; give both files of the {split} split")
        if all(files):
            pairs[split] = tuple(read_idx(file) for file in files)
    return to_splits(pairs, "dataset.path", f"'{folder}'") if pairs else {}


def _find(folder: Path, stem: str) -> Path | None:
    return next((file for file in (folder / f"{stem}.gz", folder / stem) if file.is_file()), None)


def read_idx(path: Path) -> np.ndarray:
    """One IDX file: magic (0, 0, type, dims), the dims as big-endian uint32, then the values."""
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as stream:
            data = stream.read()
    except (OSError, EOFError) as error:  # a bad or truncated gzip stream
        raise InputError(f"dataset.path: cannot read '{path}' ({error})") from None
    if len(data) < 4 or data[0] or data[1] or data[2] not in TYPES:
        raise InputError(f"dataset.path: '{path}' is not an IDX file (its first bytes are no IDX magic number)")
    dims, dtype = data[3], np.dtype(TYPES[data[2]])
    offset = 4 + 4 * dims
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    if len(data) != offset + dtype.itemsize * int(np.prod(shape)):
        raise InputError(f"dataset.path: '{path}' holds {len(data) - offset} bytes of values where its header says shape {shape}")
    return np.frombuffer(data, dtype=dtype, offset=offset).reshape(shape)
