"""The audit trail: append-only records of a provider's changes (PROVIDER#id#AUDIT), read by time."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple


from chalicelib.adapters.models import AuditItem
from chalicelib.adapters.pagination import decode_cursor, read_page
from chalicelib.domain.events import Actor, Event
from chalicelib.domain.timegrid import format_utc
from chalicelib.domain.views import audit_event_view

LISTING = "audit"


def _json(value: Optional[Dict[str, Any]]) -> Optional[str]:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def append(event: Event) -> bool:
    """Record an event; False (and nothing written) when it is recorded already."""
    item = AuditItem(*AuditItem.key(event.provider_id, event.at, event.event_id), event_id=event.event_id,
                     provider_id=event.provider_id, type=event.type, booking_id=event.booking_id,
                     actor=_json({"user_id": event.actor.user_id, "role": event.actor.role}), at=event.at, before=_json(event.before),
                     after=_json(event.after))
    return item.save_if(AuditItem.pk.does_not_exist())


def _view(item: AuditItem) -> Dict[str, Any]:
    return audit_event_view(Event(
        event_id=item.event_id, type=item.type, at=item.at, provider_id=item.provider_id,
        actor=Actor(**json.loads(item.actor)), booking_id=item.booking_id,
        before=None if item.before is None else json.loads(item.before),
        after=None if item.after is None else json.loads(item.after)))


def list_events(provider_id: str, start: datetime, end: datetime, limit: int,
                cursor: Optional[str]) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    """A page of a provider's audit records at `start` to `end` (both included, to the second), oldest first."""
    pk = AuditItem.partition(provider_id)
    # Sort keys are "<at>#<event id>": "~" sorts after "#", so every record of the last second is in.
    result = AuditItem.query(pk, AuditItem.sk.between(format_utc(start), format_utc(end) + "~"), limit=limit,
                             last_evaluated_key=decode_cursor(cursor, LISTING, pk))
    return read_page(result, _view, cursor, LISTING)
