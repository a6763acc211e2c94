"""Write scikit-learn's 1,797 8×8 digits as 32×32 colour PNGs, DIR/<digit>/<index>.png: the layout
the ``folder`` dataset reads. Each image gets a random (seeded) foreground and background colour,
so colour says nothing about the digit and a model must learn the shapes.

    python examples/colour_digits/make_data.py DIR [--per-class N] [--seed S]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

SIZE = 32


def write(folder: str | Path, per_class: int | None = None, seed: int = 0) -> Path:
    """The PNGs in ``folder`` (the first ``per_class`` of each digit, or all); returns the folder."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits, rng, root = load_digits(), np.random.default_rng(seed), Path(folder)
    written = np.zeros(10, dtype=int)
    for index, (image, digit) in enumerate(zip(digits.images, digits.target)):
        if per_class is not None and written[digit] >= per_class:
            continue
        written[digit] += 1
        small = Image.fromarray(np.uint8(image * 255 / 16))  # the source's 0-16 as 0-255
        ink = np.asarray(small.resize((SIZE, SIZE), Image.Resampling.BILINEAR))[..., np.newaxis] / 255
        foreground = rng.integers(0, 256, size=3)
        background = (foreground + rng.integers(96, 161, size=3)) % 256  # every channel 96+ apart: the digit stays visible
        (root / str(digit)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.uint8(np.rint(background + ink * (foreground - background)))).save(root / str(digit) / f"{index}.png")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", metavar="DIR")
    parser.add_argument("--per-class", type=int, help="only the first N images of each digit (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="the colours' seed")
    args = parser.parse_args()
    print(f"wrote {sum(1 for _ in write(args.folder, args.per_class, args.seed).rglob('*.png'))} PNGs in {args.folder}")


if __name__ == "__main__":
    main()
