"""The search index kept a faithful copy of the table: documents rebuilt from what the table holds now."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Iterable, List, Optional

from chalicelib.domain.search import availability_of, document_of
from chalicelib.observability import count, logger
from chalicelib.service import clock
from chalicelib.service.stores import provider_store, search_index, slot_store

# Slots are read from a little before now (a start at now with its run) to past the longest horizon.
SLOTS_BEHIND, SLOTS_AHEAD = timedelta(hours=1), timedelta(days=62)
REBUILD_BATCH = 100
STALE_BATCH = 200


_last_version = 0
_version_lock = threading.Lock()


def _version() -> int:
    # Taken before the table is read: a document built from a later read always carries a higher
    # version, so the engine keeps the newest read whatever order the writes arrive in. Above the last one
    # this process gave, even when the clock did not move on (coarse) or was stepped back: an equal or lower
    # version would make the engine refuse the later read.
    global _last_version
    with _version_lock:
        _last_version = max(time.time_ns() // 1000, _last_version + 1)
        return _last_version


def document_changes(provider_ids: Iterable[str]) -> List[tuple]:
    """(provider id, document or None when the provider is gone, version) for each provider, read now."""
    changes = []
    for provider_id in dict.fromkeys(provider_ids):
        version = _version()
        found = provider_store.get_provider_with_services(provider_id)
        if found is None:
            changes.append((provider_id, None, version))
            continue
        provider, services = found
        now = clock.now()
        slots = slot_store.query_slots(provider_id, now - SLOTS_BEHIND, now + SLOTS_AHEAD)
        document = document_of(provider, services, availability_of(provider, services, slots, now), now)
        changes.append((provider_id, document, version))
    return changes


def index_providers(provider_ids: Iterable[str]) -> int:
    """Rebuild the documents of these providers from the table; returns how many the index took."""
    changes = document_changes(provider_ids)
    kept = search_index.write_documents(changes)
    for provider_id, document, version in changes:
        logger.info("Search document written" if document else "Search document deleted",
                    provider_id=provider_id, version=version)
    count("SearchDocumentsIndexed", len(changes))
    return kept


@dataclass(frozen=True)
class RebuildReport:
    index: str
    providers: int
    dropped: List[str]
    seconds: float


def rebuild_index(batch: int = REBUILD_BATCH) -> RebuildReport:
    """Build a new index from the table, then point the alias at it in one step (the old one is dropped).

    Writes from the stream reach the new index from the moment it exists, so none is lost meanwhile.
    """
    started = time.monotonic()
    name = search_index.begin_rebuild()
    total, pending = 0, []
    for provider_id in provider_store.iter_provider_ids():
        pending.append(provider_id)
        if len(pending) >= batch:
            search_index.write_documents(document_changes(pending), search_index.write_targets())
            total, pending = total + len(pending), []
    if pending:
        search_index.write_documents(document_changes(pending), search_index.write_targets())
        total += len(pending)
    dropped = search_index.finish_rebuild(name)
    report = RebuildReport(index=name, providers=total, dropped=dropped, seconds=round(time.monotonic() - started, 2))
    logger.info("Search index rebuilt", index=name, providers=total, dropped=dropped, seconds=report.seconds)
    return report


def refresh_stale(limit: int = STALE_BATCH) -> int:
    """Rebuild the documents the clock alone has made stale (a free day passed, a new day to count)."""
    stale = search_index.stale_provider_ids(clock.now(), limit)
    if stale:
        index_providers(stale)
    return len(stale)


def ensure_index() -> Optional[str]:
    """The live index, created empty when there is none."""
    return search_index.ensure_index()
