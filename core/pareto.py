"""The Pareto front of two objectives: the points no other point beats on both."""

from __future__ import annotations

from typing import Callable, Sequence, TypeVar

from core.metrics import sign

T = TypeVar("T")


def pareto_front(points: Sequence[T], first: Callable[[T], float], second: Callable[[T], float], modes: tuple[str, str]) -> list[T]:
    """The non-dominated ``points``: none other is at least as good on both objectives and better on one
    (each in its mode). Ordered from the best second objective to the best first; equal points all stay."""
    def key(point: T) -> tuple[float, float]:
        return -sign(modes[1]) * second(point), -sign(modes[0]) * first(point)  # smaller is better in both

    front: list[T] = []
    for point in sorted(points, key=key):
        if not front or key(point)[1] < key(front[-1])[1] or key(point) == key(front[-1]):
            front.append(point)
    return front
