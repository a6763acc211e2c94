"""LeCun et al.'s LeNet-5: conv6-avgpool-conv16-avgpool-dense120-dense84-softmax, tanh.

``hidden_units`` sets the width of the first dense layer (120 in the paper).
"""

from __future__ import annotations

import keras

from trainables.hyperparameters import ModelHyperparameters
from trainables.models.common import image_input, kernel_penalty


def build(hp: ModelHyperparameters, input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    inputs, x = image_input(hp, input_shape, 28)
    penalty = kernel_penalty(hp)
    x = keras.layers.Conv2D(6, 5, padding="same", activation="tanh", kernel_regularizer=penalty)(x)
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Conv2D(16, 5, activation="tanh", kernel_regularizer=penalty)(x)
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(hp.hidden_units, activation="tanh", kernel_regularizer=penalty)(x)
    x = keras.layers.Dense(84, activation="tanh", kernel_regularizer=penalty)(x)
    if hp.dropout:
        x = keras.layers.Dropout(hp.dropout)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="lenet5")
