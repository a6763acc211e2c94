"""Pieces every model shares: an input that fits small images, and the L1/L2 penalty."""

from __future__ import annotations

import keras

from trainables.hyperparameters import Hyperparameters


def image_input(input_shape: tuple[int, ...], size: int) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The model's input, resized up to ``size`` pixels when the images are smaller.

    The architectures were designed for 28×28 digits; an 8×8 image would shrink
    to nothing after two valid convolutions and poolings.
    """
    inputs = keras.Input(shape=input_shape)
    height, width = input_shape[:2]
    if height >= size and width >= size:
        return inputs, inputs
    return inputs, keras.layers.Resizing(max(height, size), max(width, size))(inputs)


def kernel_penalty(hp: Hyperparameters) -> keras.regularizers.Regularizer | None:
    return keras.regularizers.L1L2(l1=hp.l1, l2=hp.l2) if hp.l1 or hp.l2 else None
