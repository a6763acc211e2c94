"""Input pipelines: the images a fold trains and is scored on, as the model reads them.

Built once per fold and trial and reused every epoch. With TensorFlow they are tf.data
pipelines over the shared images: indices are shuffled and batched, each batch gathered
and scaled to float32 only when the model asks for it, so no fold holds a copy of its
images. Their threads are the trial's CPUs, as for TensorFlow's own pools (``backend``):
by default tf.data would start a pool the size of the machine in every trial.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainables import backend
from trainables.data import Images


class Pipelines:
    """Makes ``model.fit`` and ``model.evaluate`` input from parts of one set of images."""

    def __init__(self, images: Images, cpus: float, seed: int):
        import keras

        self.images, self.seed = images, seed
        self.tensors = None  # no TensorFlow (JAX on a GPU machine): Keras gets plain arrays
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            # the one copy of the images a trial makes, shared by its folds: TensorFlow copies
            # NumPy arrays (it cannot take the object store's read-only ones in place)
            with tf.device("/cpu:0"):  # where tf.data runs, also on a GPU machine
                self.tensors = tf.constant(images.pixels), tf.constant(images.y)
            self.options = tf.data.Options()
            self.options.threading.private_threadpool_size = backend.threads(cpus)
            self.options.threading.max_intra_op_parallelism = 1

    def training(self, index: np.ndarray, batch_size: int) -> dict[str, Any]:
        """Keyword arguments for ``model.fit``: the images at ``index``, reshuffled every epoch
        (by the pipeline; Keras shuffles plain arrays itself)."""
        return {**self._input(index, batch_size, shuffle=True), "shuffle": self.tensors is None}

    def evaluation(self, index: np.ndarray, batch_size: int) -> dict[str, Any]:
        """Keyword arguments for ``model.evaluate``: the images at ``index`` in order, kept
        in memory once scaled, since they are the same every epoch."""
        return self._input(index, batch_size, shuffle=False)

    def _input(self, index: np.ndarray, batch_size: int, shuffle: bool) -> dict[str, Any]:
        if self.tensors is None:
            return {"x": self.images.take(index).x, "y": self.images.y[index], "batch_size": batch_size}
        import tensorflow as tf

        dataset = tf.data.Dataset.from_tensor_slices(index)
        if shuffle:
            dataset = dataset.shuffle(len(index), seed=self.seed, reshuffle_each_iteration=True)
        dataset = dataset.batch(batch_size).map(self._scaled, num_parallel_calls=tf.data.AUTOTUNE)
        if not shuffle:
            dataset = dataset.cache()
        return {"x": dataset.prefetch(tf.data.AUTOTUNE).with_options(self.options)}

    def _scaled(self, index: Any) -> tuple[Any, Any]:
        """One batch: the images at ``index`` as float32 in [0, 1] (as ``Images.x``), and their labels."""
        import tensorflow as tf

        pixels, labels = self.tensors
        images = tf.cast(tf.gather(pixels, index), tf.float32) / tf.constant(self.images.max_value, tf.float32)
        return images, tf.gather(labels, index)
