"""The answers' shapes: what each route sends, field for field, as pydantic models (the OpenAPI's schemas).

The API's own small answers are built through them. Entities become answers in chalicelib/domain/views.py,
as plain dicts so that the stream and scheduled functions never load pydantic; a unit test checks every view
against its model here, so what is documented is what is sent. Fields are always present (null when empty)
unless a model gives a default.
"""
from __future__ import annotations

from typing import Annotated, Any, Dict, List, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain import entities

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
BookingStatus = Literal[entities.BOOKING_STATUSES]  # type: ignore[valid-type]
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
