"""Colour digits: scikit-learn's digits as 32×32 colour PNGs, a small stand-in for a folder of your own images."""
