"""Shapes only the HTTP layer knows: the error body, query and header parameters, the working-hours input.

The answers' shapes are in chalicelib/api/answers.py. These models make the OpenAPI document; the
handlers keep parsing with the functions of http.py and schedule.py, whose messages are more precise.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Dict, List, Literal, Union

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from chalicelib.api.http import DEFAULT_PAGE, ERROR_CODES, MAX_PAGE
from chalicelib.domain.entities import BOOKING_STATUSES
from chalicelib.api.answers import DayIntervals, DayOverride

# A parameter that may be left out; null is never sent, so the document does not offer it.
Absent = SkipJsonSchema[None]


class Shape(BaseModel):
    """A shape the document describes; built when the document is first made, not at import."""

    model_config = ConfigDict(defer_build=True)


class ErrorDetail(Shape):
    code: Literal[ERROR_CODES]  # type: ignore[valid-type]
    message: str = Field(description="What a person can do about it.")
    booking_ids: List[str] = Field(default_factory=list,
                                   description="With conflicts_with_bookings: the bookings in the way.")


class Error(Shape):
    """Every refusal: 4xx and 503 answers."""

    error: ErrorDetail


# --- query and header parameters ----------------------------------------------------------------

DateOrInstant = Union[date, datetime]


class BookingQuery(Shape):
    """The filters and page of a booking list."""

    status: Union[Literal[BOOKING_STATUSES], Absent] = None  # type: ignore[valid-type]
    from_: Union[DateOrInstant, Absent] = Field(
        default=None, alias="from",
        description="Bookings starting at or after: a date (the whole day) or an instant with an offset.")
    to: Union[DateOrInstant, Absent] = Field(
        default=None, description="Bookings starting at or before: a date (the whole day) or an instant.")
    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)
    cursor: Union[str, Absent] = Field(default=None, description="next_cursor of the page before.")


class BlockQuery(Shape):
    """The page of a block list."""

    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)
    cursor: Union[str, Absent] = Field(default=None, description="next_cursor of the page before.")


class ProviderQuery(Shape):
    """The page of the caller's providers."""

    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)
    cursor: Union[str, Absent] = Field(default=None, description="next_cursor of the page before.")


class ReviewQuery(Shape):
    """The page of a provider's reviews."""

    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)
    cursor: Union[str, Absent] = Field(default=None, description="next_cursor of the page before.")


class NotificationQuery(Shape):
    """The page of an inbox."""

    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)
    cursor: Union[str, Absent] = Field(default=None, description="next_cursor of the page before.")


class AuditQuery(Shape):
    """The time range and page of an audit trail."""

    from_: Union[DateOrInstant, Absent] = Field(
        default=None, alias="from",
        description="Records at or after: a date (the whole day, on the provider's clock) or an instant with an "
                    "offset; default 30 days before `to`.")
    to: Union[DateOrInstant, Absent] = Field(
        default=None, description="Records at or before: a date (the whole day) or an instant; default now.")
    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)
    cursor: Union[str, Absent] = Field(default=None, description="next_cursor of the page before.")


class AvailabilityQuery(Shape):
    """Which service and which local dates (both inclusive, at most 31 days)."""

    service_id: str = Field(min_length=1)
    from_: date = Field(alias="from", description="The first local date, YYYY-MM-DD.")
    to: date = Field(description="The last local date, YYYY-MM-DD.")


class HoldQuery(Shape):
    """Which local dates (both inclusive, at most 31 days): holds that start on them."""

    from_: date = Field(alias="from", description="The first local date, YYYY-MM-DD.")
    to: date = Field(description="The last local date, YYYY-MM-DD.")


class IdempotencyHeaders(Shape):
    key: str = Field(alias="Idempotency-Key", min_length=1, max_length=255,
                     description="One key per booking attempt; a retry with the same key and body replays the answer.")


# --- bodies -----------------------------------------------------------------------------------

class WeeklyHoursInput(Shape):
    """Intervals by weekday; a day left out is closed."""

    model_config = ConfigDict(extra="forbid")

    mon: DayIntervals = []
    tue: DayIntervals = []
    wed: DayIntervals = []
    thu: DayIntervals = []
    fri: DayIntervals = []
    sat: DayIntervals = []
    sun: DayIntervals = []


class WorkingHoursInput(Shape):
    """Working hours to replace the current ones: intervals of one day must not overlap, dates not repeat."""

    model_config = ConfigDict(extra="forbid")

    weekly: WeeklyHoursInput
    overrides: List[DayOverride] = Field(default_factory=list, max_length=400)


class OpenApiDocument(Shape):
    """An OpenAPI 3.1 document."""

    openapi: str
    info: Dict[str, Any]
    paths: Dict[str, Any]
    components: Dict[str, Any]
