"""The audit trail: what changed at a provider, who changed it, and when."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple
from zoneinfo import ZoneInfo

from chalicelib.domain.entities import Caller
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.timegrid import parse_bound
from chalicelib.observability import count
from chalicelib.service import clock
from chalicelib.service.access import owned_provider
from chalicelib.service.stores import audit_store

if TYPE_CHECKING:
    from chalicelib.domain.events import Event

DEFAULT_WINDOW = timedelta(days=30)


def record(event: Event) -> bool:
    """Append an event to its provider's trail if it is of an audited type; whether it was new."""
    # Here, not at the top: the API imports this module and need not load the event models on a cold start.
    from chalicelib.domain.events import AUDITED_TYPES

    if event.type not in AUDITED_TYPES:
        return False
    new = audit_store.append(event)
    if new:
        count("AuditRecorded")
    return new


def _window(date_from: Optional[str], date_to: Optional[str], tz: ZoneInfo) -> Tuple[datetime, datetime]:
    """[from, to] from dates (in tz) or instants; `to` defaults to now, `from` to 30 days before `to`."""
    end = parse_bound(date_to, "to", tz, end=True) or clock.now()
    start = parse_bound(date_from, "from", tz, end=False) or end - DEFAULT_WINDOW
    if end < start:
        raise InvalidRequest("to: must not be before from" if date_to else
                             "from: must not be in the future unless to is sent (to defaults to now)")
    return start, end


def list_audit(caller: Caller, provider_id: str, date_from: Optional[str], date_to: Optional[str], limit: int,
               cursor: Optional[str]) -> Dict[str, Any]:
    """The provider's audit records in [from, to], oldest first, for its owner (dates in the provider's zone)."""
    provider = owned_provider(caller, provider_id)
    start, end = _window(date_from, date_to, ZoneInfo(provider.timezone))
    events, next_cursor = audit_store.list_events(provider_id, start, end, limit, cursor)
    return {"events": events, "next_cursor": next_cursor}
