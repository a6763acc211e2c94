"""The seed tutorial's MNIST CNN: conv32-pool-conv64-pool-dense(hidden_units)-softmax."""

from __future__ import annotations

import keras

from trainables.hyperparameters import ModelHyperparameters
from trainables.models.common import image_input, kernel_penalty


def build(hp: ModelHyperparameters, input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    inputs, x = image_input(hp, input_shape, 28)
    penalty = kernel_penalty(hp)
    x = keras.layers.Conv2D(32, 3, activation="relu", kernel_regularizer=penalty)(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(64, 3, activation="relu", kernel_regularizer=penalty)(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(hp.hidden_units, activation="relu", kernel_regularizer=penalty)(x)
    if hp.dropout:
        x = keras.layers.Dropout(hp.dropout)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="seed_cnn")
