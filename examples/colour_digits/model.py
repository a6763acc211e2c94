"""A small colour CNN, written as any user's model is: ``build(hp, input_shape, num_classes)``, uncompiled.

It reads two hyperparameters of its own (``filters``, ``blocks``), declared in the experiment's space
like any other, and two of the trainable's (``hidden_units``, ``dropout``).
"""

import keras


def build(hp, input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for block in range(hp["blocks"]):
        x = keras.layers.Conv2D(hp["filters"] * 2**block, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(hp.hidden_units, activation="relu")(x)
    x = keras.layers.Dropout(hp.dropout)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="colour_cnn")
