"""The commands the API accepts: request bodies parsed and checked by pydantic (pure, no I/O).

The entities they become are in `chalicelib.domain.entities`."""
from __future__ import annotations

import re
from functools import cache
from typing import Annotated, FrozenSet, List, Literal, Optional, Tuple

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.domain.categories import CATEGORIES
from chalicelib.domain.timegrid import read_instant, read_zone

# Coordinates are kept to 7 decimal places (about 1 cm): DynamoDB numbers cannot hold magnitudes
# below 1E-130, and no address needs more.
COORDINATE_DECIMALS = 7
# The control characters multi-line text (description, address, note, reason) may hold.
_MULTILINE_CONTROLS = frozenset("\t\n\r")


class Command(BaseModel):
    """A request body: unknown fields and ill-typed values are refused."""

    # Validators are built on first use, not at import: a cold function that takes no body never pays.
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


def _category(value: str) -> str:
    if value not in CATEGORIES:
        # repr: a lone surrogate echoed as is would break the error itself (pydantic's messages are UTF-8).
        raise ValueError(f"unknown category {value[:40]!r}; use one of {', '.join(CATEGORIES)}")
    return value


def _categories(values: List[str]) -> List[str]:
    for value in values:
        _category(value)
    if len(set(values)) != len(values):
        raise ValueError("must not repeat a category")
    return values


def _timezone(value: str) -> str:
    read_zone(value)
    return value


def _multiple_of_15(value: int) -> int:
    if value % 15:
        raise ValueError("must be a multiple of 15 minutes")
    return value


def _instant(value: str) -> str:
    # Checked here so that no service sees a date-time it cannot compute with; kept as sent, since the
    # booking request's idempotency hash is made from the body as sent.
    read_instant(value)
    return value


def _no_controls(value: str, allowed: FrozenSet[str] = frozenset()) -> str:
    import unicodedata  # on first use: nothing more at cold start

    for index, char in enumerate(value):
        if char not in allowed and unicodedata.category(char) == "Cc":
            raise ValueError(f"must not contain control characters (U+{ord(char):04X} at position {index}); "
                             "remove it")
    return value


def _text(value: str) -> str:
    return _no_controls(value, _MULTILINE_CONTROLS)


def _name(value: str) -> str:
    import unicodedata

    _no_controls(value)
    # Spaces and invisible format characters (zero-width space, BOM) at the ends are pasting debris.
    start, end = 0, len(value)
    while start < end and (value[start].isspace() or unicodedata.category(value[start]) == "Cf"):
        start += 1
    while end > start and (value[end - 1].isspace() or unicodedata.category(value[end - 1]) == "Cf"):
        end -= 1
    value = value[start:end]
    # A letter, digit, punctuation mark or symbol: something a person can see and read back.
    if not any(unicodedata.category(char)[0] in "LNPS" for char in value):
        raise ValueError('must contain visible characters, not only spaces or invisible ones, e.g. "Calm Massage"')
    return value


def _coordinate(value: float) -> float:
    # + 0.0 turns the -0.0 that rounding a tiny negative gives into 0.0.
    return round(value, COORDINATE_DECIMALS) + 0.0


def _currency(value: str) -> str:
    money, every = _currencies()
    if value in money:
        return value
    if value in every:
        raise ValueError(f"{value} is an ISO 4217 code, but not of a currency with minor units (amounts are in "
                         "minor units, e.g. cents); use one such as EUR, USD, GBP or JPY")
    if value.upper() in money:
        raise ValueError(f"must be in upper case: {value.upper()}")
    known = f"; {value} is not one" if len(value) == 3 and value.isascii() else ""
    raise ValueError(f"must be an ISO 4217 currency code such as EUR, USD, GBP or JPY{known}")


@cache
def _currencies() -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """The ISO 4217 codes of money (those with minor units), and all ISO 4217 codes (with XAU, XTS, XXX)."""
    from iso4217 import Currency  # the table is read on first use, not at cold start

    return frozenset(c.code for c in Currency if c.exponent is not None), frozenset(c.code for c in Currency)


# Field types of the request models; docs/input-limits.md lists every field's limits.
Instant = Annotated[str, AfterValidator(_instant)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_name)]
Description = Annotated[str, Field(max_length=4000), AfterValidator(_text)]
Address = Annotated[str, Field(max_length=300), AfterValidator(_text)]
Note = Annotated[str, Field(max_length=1000), AfterValidator(_text)]
Reason = Annotated[str, Field(max_length=500), AfterValidator(_text)]
Comment = Annotated[str, Field(max_length=2000), AfterValidator(_text)]


class BookingRules(Command):
    auto_confirm: bool = True
    min_notice_minutes: int = Field(default=60, ge=0, le=60 * 24 * 30)
    max_days_ahead: int = Field(default=60, ge=1, le=60)
    hold_minutes: int = Field(default=5, ge=1, le=60)
    cancel_cutoff_minutes: int = Field(default=0, ge=0, le=60 * 24 * 30)


class BookingRulesPatch(Command):
    auto_confirm: Optional[bool] = None
    min_notice_minutes: Optional[int] = Field(default=None, ge=0, le=60 * 24 * 30)
    max_days_ahead: Optional[int] = Field(default=None, ge=1, le=60)
    hold_minutes: Optional[int] = Field(default=None, ge=1, le=60)
    cancel_cutoff_minutes: Optional[int] = Field(default=None, ge=0, le=60 * 24 * 30)


class Location(Command):
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False), AfterValidator(_coordinate)]
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False), AfterValidator(_coordinate)]
    address: Optional[Address] = None


class CreateProvider(Command):
    name: Name
    description: Description = ""
    categories: List[str] = Field(min_length=1, max_length=len(CATEGORIES))
    location: Location
    timezone: str = Field(max_length=64)
    booking_rules: BookingRules = Field(default_factory=BookingRules)

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value):
        return _categories(value)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value):
        return _timezone(value)


class PatchProvider(Command):
    name: Optional[Name] = None
    description: Optional[Description] = None
    categories: Optional[List[str]] = Field(default=None, min_length=1, max_length=len(CATEGORIES))
    location: Optional[Location] = None
    timezone: Optional[str] = Field(default=None, max_length=64)
    booking_rules: Optional[BookingRulesPatch] = None

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value):
        return None if value is None else _categories(value)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value):
        return None if value is None else _timezone(value)




class Price(Command):
    amount: int = Field(ge=0, le=100_000_000, description="in the currency's minor unit, e.g. cents")
    currency: Annotated[str, Field(json_schema_extra={"pattern": "^[A-Z]{3}$"}), AfterValidator(_currency)]


class CreateService(Command):
    name: Name
    category: str
    duration_minutes: int = Field(ge=15, le=480)
    price: Price
    buffer_minutes: int = Field(default=0, ge=0, le=120)

    @field_validator("category")
    @classmethod
    def _known_category(cls, value):
        return _category(value)

    @field_validator("duration_minutes", "buffer_minutes")
    @classmethod
    def _on_grid(cls, value):
        return _multiple_of_15(value)


class PatchService(Command):
    name: Optional[Name] = None
    category: Optional[str] = None
    duration_minutes: Optional[int] = Field(default=None, ge=15, le=480)
    price: Optional[Price] = None
    buffer_minutes: Optional[int] = Field(default=None, ge=0, le=120)

    @field_validator("category")
    @classmethod
    def _known_category(cls, value):
        return None if value is None else _category(value)

    @field_validator("duration_minutes", "buffer_minutes")
    @classmethod
    def _on_grid(cls, value):
        return None if value is None else _multiple_of_15(value)


class CreateBlock(Command):
    start: Instant
    end: Instant
    reason: Optional[Reason] = None


class PlaceHold(Command):
    provider_id: str = Field(min_length=1, max_length=64)
    service_id: str = Field(min_length=1, max_length=64)
    start: Instant


class BookSlot(Command):
    hold_id: Optional[str] = Field(default=None, min_length=1, max_length=64)
    provider_id: Optional[str] = Field(default=None, min_length=1, max_length=64)
    service_id: Optional[str] = Field(default=None, min_length=1, max_length=64)
    start: Optional[Instant] = None
    note: Optional[Note] = None

    @model_validator(mode="after")
    def _one_way(self) -> "BookSlot":
        direct = (self.provider_id, self.service_id, self.start)
        if self.hold_id is not None:
            if any(v is not None for v in direct):
                raise ValueError("send either hold_id or provider_id, service_id and start, not both")
        elif any(v is None for v in direct):
            raise ValueError("send hold_id, or all of provider_id, service_id and start")
        return self


class CancelBooking(Command):
    reason: Optional[Reason] = None


class RescheduleBooking(Command):
    start: Instant


class PostReview(Command):
    rating: int = Field(ge=1, le=5, description="Whole stars, 1 to 5.")
    comment: Optional[Comment] = None


PUSH_PLATFORMS = ("apns", "fcm")
# E.164: "+", then the country code and number, 8 to 15 digits in all, the first not 0.
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


def _push_token(value: str) -> str:
    if not all("!" <= char <= "~" for char in value):
        raise ValueError("must be visible ASCII characters only (no spaces), as the push service issued it")
    return value


def _phone(value: str) -> str:
    if not _E164.fullmatch(value):
        raise ValueError('must be an E.164 number: "+", then 8 to 15 digits, the first not 0, e.g. +447911123456')
    return value


class RegisterDevice(Command):
    platform: Literal[PUSH_PLATFORMS]  # type: ignore[valid-type]
    token: Annotated[str, Field(min_length=1, max_length=4096, json_schema_extra={"pattern": "^[!-~]+$"}),
                     AfterValidator(_push_token)]


class OptInSms(Command):
    phone: Annotated[str, Field(json_schema_extra={"pattern": f"^{_E164.pattern}$"}), AfterValidator(_phone)]
