"""Pieces every model shares: an input that fits small images and augments them, and the L1/L2 penalty."""

from __future__ import annotations

import keras

from trainables.hyperparameters import ModelHyperparameters


def image_input(hp: ModelHyperparameters, input_shape: tuple[int, ...], size: int) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The model's input, resized up to ``size`` pixels when smaller, then augmented in training.

    The architectures were designed for 28×28 digits; an 8×8 image would shrink to
    nothing after two valid convolutions and poolings. Augmentation layers act only
    while training, so the saved model takes plain images.
    """
    inputs = keras.Input(shape=input_shape)
    x = inputs
    height, width = input_shape[:2]
    if height < size or width < size:
        x = keras.layers.Resizing(max(height, size), max(width, size))(x)
    if hp.augmentation:
        x = keras.layers.RandomTranslation(hp.augmentation, hp.augmentation, fill_mode="constant")(x)
        x = keras.layers.RandomRotation(hp.augmentation / 3, fill_mode="constant")(x)
        x = keras.layers.RandomZoom(hp.augmentation, fill_mode="constant")(x)
    return inputs, x


def kernel_penalty(hp: ModelHyperparameters) -> keras.regularizers.Regularizer | None:
    return keras.regularizers.L1L2(l1=hp.l1, l2=hp.l2) if hp.l1 or hp.l2 else None
