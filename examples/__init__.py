"""Worked examples: a dataset of your own, a model of your own, and the experiment that tunes it."""
