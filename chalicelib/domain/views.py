"""The public JSON shapes of the contract, built from entities (pure).

Each answer is a pydantic model; the views build answers through them and the OpenAPI document is made
from them, so what is documented is what is sent. Fields are always present (null when empty) unless a
model gives a default.
"""
from __future__ import annotations

from typing import Annotated, Any, Dict, List, Literal, Optional
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain import model
from chalicelib.domain.timegrid import format_local, format_utc

UtcInstant = Annotated[str, Field(
    pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
    json_schema_extra={"format": "date-time"}, examples=["2026-12-01T09:00:00Z"])]
LocalInstant = Annotated[str, Field(
    description="The same instant on the provider's clock, with its offset.",
    json_schema_extra={"format": "date-time"}, examples=["2026-12-01T10:00:00+01:00"])]
LocalDate = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", json_schema_extra={"format": "date"},
                                 examples=["2026-12-24"])]
ClockTime = Annotated[str, Field(
    pattern=r"^(?:(?:[01][0-9]|2[0-3]):(?:00|15|30|45)|24:00)$",
    description="A 24-hour wall-clock time on the 15-minute grid; 24:00 only as an end.", examples=["09:00"])]
BookingStatus = Literal[model.BOOKING_STATUSES]  # type: ignore[valid-type]
Cursor = Annotated[Optional[str], Field(description="Pass as `cursor` for the next page; null on the last page.")]


class View(BaseModel):
    """An answer: what the API sends, field for field."""

    # Built on first use, not at import: a cold start pays only for the answers it sends.
    model_config = ConfigDict(defer_build=True)


# --- discovery --------------------------------------------------------------------------------

class Health(View):
    status: Literal["ok"]


class SignInConfig(View):
    region: str
    user_pool_id: str
    user_pool_client_id: str
    aws_endpoint_url: Optional[str] = Field(
        default=None, description="Only in the local stage: where the emulated AWS services answer.")


class Category(View):
    id: str = Field(examples=["plumbing"])
    name: str = Field(examples=["Plumbing"])


class CategoryList(View):
    categories: List[Category]


class SearchResult(View):
    provider_id: str
    name: str
    categories: List[str]
    location: "ProfileLocation"
    distance_km: Optional[float] = Field(description="From lat/lon of the search; null without them.")
    rating: Optional[float] = Field(description="Null until the first review.")
    review_count: int
    next_available: Optional[UtcInstant] = Field(
        description="The first free start of some service, as of the index (seconds behind the bookings).")


class SearchPage(View):
    results: List[SearchResult]
    next_cursor: Cursor


# --- providers and services -------------------------------------------------------------------

class ServicePrice(View):
    amount: int = Field(description="In the currency's minor unit.", examples=[4500])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])


class Service(View):
    service_id: str
    provider_id: str
    name: str
    category: str
    duration_minutes: int
    buffer_minutes: int
    price: ServicePrice
    active: bool
    created_at: UtcInstant
    updated_at: UtcInstant


class ProfileLocation(View):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: Optional[str]


class ProfileBookingRules(View):
    auto_confirm: bool
    min_notice_minutes: int
    max_days_ahead: int
    hold_minutes: int
    cancel_cutoff_minutes: int


class ProviderProfile(View):
    provider_id: str
    name: str
    description: str
    categories: List[str]
    location: ProfileLocation
    timezone: str = Field(examples=["Europe/London"])
    rating: Optional[float] = Field(description="Null until the first review.")
    review_count: int
    services: List[Service] = Field(description="The active services.")
    booking_rules: ProfileBookingRules
    created_at: UtcInstant
    updated_at: UtcInstant


class ProviderPage(View):
    providers: List[ProviderProfile] = Field(description="Oldest first.")
    next_cursor: Cursor


# --- time -------------------------------------------------------------------------------------

class Slot(View):
    start: UtcInstant
    end: UtcInstant
    local_start: LocalInstant


class Availability(View):
    provider_id: str
    service_id: str
    timezone: str
    slots: List[Slot]


class Interval(View):
    """Working time within one local day, end exclusive."""

    model_config = ConfigDict(extra="forbid")

    start: ClockTime
    end: ClockTime


class DayOverride(View):
    """A date whose intervals replace the weekly ones (empty: closed that day)."""

    model_config = ConfigDict(extra="forbid")

    date: LocalDate
    intervals: List[Interval] = Field(max_length=12)


DayIntervals = Annotated[List[Interval], Field(max_length=12)]


class WeeklyHours(View):
    mon: DayIntervals
    tue: DayIntervals
    wed: DayIntervals
    thu: DayIntervals
    fri: DayIntervals
    sat: DayIntervals
    sun: DayIntervals


class WorkingHours(View):
    """The working-hours document as stored: all seven days, overrides sorted by date."""

    weekly: WeeklyHours
    overrides: List[DayOverride]


# --- holds, bookings, blocks ------------------------------------------------------------------

class Hold(View):
    hold_id: str
    provider_id: str
    service_id: str
    start: UtcInstant
    end: UtcInstant
    expires_at: UtcInstant


class ProviderHold(View):
    """A customer's hold on the provider's time, as its owner sees it: who holds it is not shown."""

    hold_id: str
    start: UtcInstant
    end: UtcInstant = Field(description="The end of the time held: the service's buffer included.")
    local_start: LocalInstant
    expires_at: UtcInstant = Field(description="When the hold lapses; unless booked by then, the time is free again.")


class ProviderHolds(View):
    provider_id: str
    timezone: str
    holds: List[ProviderHold] = Field(description="The live holds starting on the dates asked for, by start.")


class Booking(View):
    booking_id: str
    status: BookingStatus
    provider_id: str
    service_id: str
    customer_id: str
    start: UtcInstant
    end: UtcInstant
    timezone: str
    local_start: LocalInstant
    note: Optional[str]
    reason: Optional[str] = Field(description="Why it was canceled or declined, when the caller said.")
    created_at: UtcInstant
    updated_at: UtcInstant


class BookingPage(View):
    bookings: List[Booking]
    next_cursor: Cursor


class Block(View):
    block_id: str
    provider_id: str
    start: UtcInstant
    end: UtcInstant
    reason: Optional[str]
    created_at: UtcInstant


class BlockPage(View):
    blocks: List[Block]
    next_cursor: Cursor


# --- reviews ----------------------------------------------------------------------------------

class Review(View):
    booking_id: str
    provider_id: str
    rating: int = Field(ge=1, le=5)
    comment: Optional[str]
    created_at: UtcInstant


class ReviewPage(View):
    reviews: List[Review] = Field(description="Newest first.")
    next_cursor: Cursor


# --- views ------------------------------------------------------------------------------------

def _service(service: model.Service) -> Service:
    return Service(
        service_id=service.service_id, provider_id=service.provider_id, name=service.name,
        category=service.category, duration_minutes=service.duration_minutes,
        buffer_minutes=service.buffer_minutes,
        price=ServicePrice(amount=service.price_amount, currency=service.price_currency),
        active=service.active, created_at=service.created_at, updated_at=service.updated_at)


def service_view(service: model.Service) -> Dict[str, Any]:
    """The public shape of a service."""
    return _service(service).model_dump()


def provider_view(provider: model.Provider, services: List[model.Service]) -> Dict[str, Any]:
    """The public profile of a provider with its active services."""
    return ProviderProfile(
        provider_id=provider.provider_id, name=provider.name, description=provider.description,
        categories=provider.categories,
        location=ProfileLocation(lat=provider.lat, lon=provider.lon, address=provider.address),
        timezone=provider.timezone, rating=provider.rating, review_count=provider.review_count,
        services=[_service(s) for s in services if s.active],
        booking_rules=ProfileBookingRules(**provider.rules.model_dump()),
        created_at=provider.created_at, updated_at=provider.updated_at,
    ).model_dump()


def booking_view(booking: model.Booking) -> Dict[str, Any]:
    """The public shape of a booking."""
    return Booking(
        booking_id=booking.booking_id, status=booking.status, provider_id=booking.provider_id,
        service_id=booking.service_id, customer_id=booking.customer_id,
        start=format_utc(booking.start), end=format_utc(booking.end), timezone=booking.timezone,
        local_start=format_local(booking.start, ZoneInfo(booking.timezone)), note=booking.note,
        reason=booking.reason, created_at=booking.created_at, updated_at=booking.updated_at,
    ).model_dump()


def hold_view(hold: model.Hold) -> Dict[str, Any]:
    """The public shape of a hold."""
    return Hold(
        hold_id=hold.hold_id, provider_id=hold.provider_id, service_id=hold.service_id,
        start=format_utc(hold.start), end=format_utc(hold.end), expires_at=format_utc(hold.expires_at),
    ).model_dump()


def held_time_view(held: model.HeldTime, tz: ZoneInfo) -> Dict[str, Any]:
    """The owner's view of a live hold: its time on the provider's clock, not its customer."""
    return ProviderHold(
        hold_id=held.hold_id, start=format_utc(held.start), end=format_utc(held.end),
        local_start=format_local(held.start, tz), expires_at=format_utc(held.expires_at),
    ).model_dump()


def block_view(block: model.Block) -> Dict[str, Any]:
    """The public shape of a block."""
    return Block(
        block_id=block.block_id, provider_id=block.provider_id, start=format_utc(block.start),
        end=format_utc(block.end), reason=block.reason, created_at=block.created_at,
    ).model_dump()


def review_view(review: model.Review) -> Dict[str, Any]:
    """The public shape of a review (who wrote it is not shown)."""
    return Review(
        booking_id=review.booking_id, provider_id=review.provider_id, rating=review.rating, comment=review.comment,
        created_at=review.created_at,
    ).model_dump()


# --- calendars --------------------------------------------------------------------------------

class CalendarFeed(View):
    url: str = Field(description="The provider's secret iCalendar feed; anyone with it can read the bookings in it.",
                     examples=["https://api.example.com/v1/calendar-feeds/p-1/kd9Zq3..."])


# --- the inbox and the audit trail --------------------------------------------------------------

class Notification(View):
    notification_id: str = Field(description="Sorts by time: newer notifications have greater ids.")
    type: str = Field(examples=["booking_confirmed"])
    booking_id: Optional[str]
    title: str
    body: str
    created_at: UtcInstant
    read: bool


class NotificationPage(View):
    notifications: List[Notification] = Field(description="Newest first.")
    next_cursor: Cursor


class AuditActor(View):
    user_id: Optional[str] = Field(description="Null when the system made the change.")
    role: Literal["customer", "owner", "system"]


class AuditEvent(View):
    event_id: str
    type: str = Field(examples=["booking.canceled"])
    booking_id: Optional[str]
    actor: AuditActor
    at: UtcInstant
    before: Optional[Dict[str, Any]] = Field(description="What changed, as it was; null for a creation.")
    after: Optional[Dict[str, Any]] = Field(description="What changed, as it became; null for a deletion.")


class AuditPage(View):
    events: List[AuditEvent] = Field(description="Oldest first.")
    next_cursor: Cursor


# The entities below are taken as they come: chalicelib.domain.notices and events import this module.
def notification_view(notification: Any) -> Dict[str, Any]:
    """The public shape of an inbox entry (a chalicelib.domain.notices.Notification)."""
    return Notification(
        notification_id=notification.notification_id, type=notification.type, booking_id=notification.booking_id,
        title=notification.title, body=notification.body, created_at=notification.created_at,
        read=notification.read,
    ).model_dump()


def audit_event_view(event: Any) -> Dict[str, Any]:
    """The public shape of an audit record (a chalicelib.domain.events.Event)."""
    return AuditEvent(
        event_id=event.event_id, type=event.type, booking_id=event.booking_id,
        actor=AuditActor(user_id=event.actor.user_id, role=event.actor.role), at=event.at, before=event.before,
        after=event.after,
    ).model_dump()
