"""Optimistic writes: read, decide, write on condition that nothing changed; on a change, do it all again."""
from __future__ import annotations

from typing import Callable, TypeVar

from chalicelib.domain.errors import StaleRead, TryAgain

T = TypeVar("T")
ATTEMPTS = 5


def retry_on_stale(operation: Callable[[], T], what: str) -> T:
    """Run `operation` (which reads afresh each time) until its conditional write holds; 503 if it never does."""
    for _ in range(ATTEMPTS - 1):
        try:
            return operation()
        except StaleRead:
            continue
    try:
        return operation()
    except StaleRead as error:
        raise TryAgain(f"{what} is being changed by others right now; try again shortly") from error
