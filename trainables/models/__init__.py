"""Models by name: one module each, exposing ``build(hp, input_shape, num_classes)``.

Models are plain Keras 3, free of any backend, so the same trial runs on
TensorFlow here and on JAX where TensorFlow is not installed.
"""

from core.registry import Registry

MODELS = Registry(
    "model",
    {
        "seed-cnn": "trainables.models.seed_cnn",
        "lenet5": "trainables.models.lenet5",
    },
)
