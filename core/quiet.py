"""A library's log lines held back while the product runs it for its own purposes, not the user's."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def quiet_logger(name: str) -> Iterator[None]:
    """Below warnings, the logger ``name`` says nothing inside the block; its level is restored after."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
