"""Where the services find their repositories: the DynamoDB adapters, or in-memory fakes in unit tests.

Services name a repository (`provider_store`, `booking_store`, `review_store`, ...) and call its
functions; the adapter module behind it is imported on first use, so importing a service costs no
database library.
"""
from __future__ import annotations

import importlib
from contextlib import contextmanager
from typing import Any, Dict, Iterator

_ADAPTERS = {"providers": "chalicelib.adapters.providers", "bookings": "chalicelib.adapters.bookings",
             "slots": "chalicelib.adapters.slots", "reviews": "chalicelib.adapters.reviews",
             "feeds": "chalicelib.adapters.feeds", "deliveries": "chalicelib.adapters.deliveries",
             "mail": "chalicelib.adapters.mail", "push": "chalicelib.adapters.push",
             "directory": "chalicelib.adapters.directory", "inbox": "chalicelib.adapters.inbox",
             "audit": "chalicelib.adapters.audit", "search": "chalicelib.adapters.search",
             "scan": "chalicelib.adapters.table_scan",
             "limits": "chalicelib.adapters.limits"}
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
review_store = _Store("reviews")
feed_store = _Store("feeds")
inbox_store = _Store("inbox")
audit_store = _Store("audit")
# The stream side: claims that make a delivery happen once, and the channels themselves.
delivery_store = _Store("deliveries")
mail_channel = _Store("mail")
push_channel = _Store("push")
user_directory = _Store("directory")
# Counters of abuse limits (writes a minute).
limit_store = _Store("limits")
# The search index: a read model of the table, kept by the stream.
search_index = _Store("search")
# The whole table, read by checks (the invariant checker), never by a request.
table_reader = _Store("scan")


@contextmanager
def using(**fakes: Any) -> Iterator[None]:
    """Put fakes (by name: providers=, bookings=, inbox=, mail=, ...) behind the names for the duration (tests)."""
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
