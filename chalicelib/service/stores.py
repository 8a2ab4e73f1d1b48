"""Where the services find their repositories: the DynamoDB adapters, or in-memory fakes in unit tests.

Services name a repository (`provider_store`, `booking_store`, `slot_store`, `inbox_store`, `audit_store`) and
call its functions; the adapter module behind it is imported on first use, so importing a service costs no
database library.
"""
from __future__ import annotations

import importlib
from contextlib import contextmanager
from typing import Any, Dict, Iterator

_ADAPTERS = {"providers": "chalicelib.adapters.providers", "bookings": "chalicelib.adapters.bookings",
             "slots": "chalicelib.adapters.slots", "inbox": "chalicelib.adapters.inbox",
             "audit": "chalicelib.adapters.audit"}
_fakes: Dict[str, Any] = {}


class _Store:
    """A repository reached by name; attribute access goes to whatever stands behind the name now."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        target = _fakes.get(self._name) or importlib.import_module(_ADAPTERS[self._name])
        return getattr(target, attribute)


provider_store = _Store("providers")
booking_store = _Store("bookings")
slot_store = _Store("slots")
inbox_store = _Store("inbox")
audit_store = _Store("audit")


@contextmanager
def using(**fakes: Any) -> Iterator[None]:
    """Put fakes (providers=, bookings=, slots=, inbox=, audit=) behind the repository names for a while (tests)."""
    unknown = set(fakes) - set(_ADAPTERS)
    if unknown:
        raise ValueError(f"no repository named {sorted(unknown)}")
    saved = dict(_fakes)
    _fakes.update(fakes)
    try:
        yield
    finally:
        _fakes.clear()
        _fakes.update(saved)
