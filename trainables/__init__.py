"""What is trained: datasets, models, and the Ray Tune trainable that trains them."""
