"""Hypothesis strategies for what a client can send: JSON-shaped values, far date-times with odd offsets,
extreme numbers and awkward Unicode, and bodies shaped like each request model with any field spoiled."""
from __future__ import annotations

import typing
import zoneinfo
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Type

from hypothesis import strategies as st
from pydantic import BaseModel

from chalicelib.domain.categories import CATEGORIES
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.schedule import WEEKDAYS
from chalicelib.domain.timegrid import parse_zone

def _provider_zones():
    names = []
    for name in sorted(zoneinfo.available_timezones()):
        try:
            parse_zone(name)
        except InvalidRequest:
            continue
        names.append(name)
    return names


ZONES = _provider_zones()
# Zones with offsets that are not whole hours, far east and west, and with DST: where edges hurt.
ODD_ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu", "Australia/Eucla", "America/St_Johns",
             "Pacific/Chatham", "Pacific/Apia", "America/Santiago", "Europe/London", "UTC", "Etc/GMT+12",
             "Etc/GMT-14", "Asia/Tehran", "America/Havana", "Atlantic/Azores"]
zones = st.one_of(st.sampled_from(ODD_ZONES), st.sampled_from(ZONES))

HUGE_INTS = [2 ** 31, 2 ** 53 + 1, 2 ** 63 - 1, 2 ** 63, 2 ** 64, -(2 ** 63) - 1, 10 ** 30, -(10 ** 30), 10 ** 400]
ints = st.one_of(st.integers(), st.integers(-1000, 100_000), st.sampled_from(HUGE_INTS))

EXTREME_FLOATS = [5e-324, -5e-324, 2.2250738585072014e-308, 1e-200, -1e-200, 1e-131, 1e-130, 9.99e125, 1e126,
                  1e308, -1e308, float("inf"), float("-inf"), float("nan"), 0.0, -0.0, 1e-7, 5e-8, 4.9e-8,
                  89.99999999999, 90.00000000001, -90.0, 180.0, -180.00000000001, 0.1 + 0.2, 51.123456789012345]
floats = st.one_of(st.floats(), st.floats(-200, 200), st.sampled_from(EXTREME_FLOATS))

AWKWARD_TEXT = ["", " ", "   ", "\t", "\n", "\u00a0", "\u3000", "\u200b", "\ufeff", "\u200b\u200d\ufeff", "\u2060",
                "\u00ad", "\u202e", "\u2028", "\u0301", "\x00", "a\x00b", "Spa\x00", "\x1b[31mred", "\x7f", "\x85",
                "\ud800", "Spa\ud800", "Zoë", "Zoe\u0308", "東京スパ", "🧖‍♀️", "\u200bSpa\ufeff", "  Spa  ",
                "Spa\nLondon", "Spa\r\n", "x" * 200, "x" * 201, "x" * 5000, "null", "0", "PROVIDER#x"]
text = st.one_of(
    st.text(max_size=20),
    st.text(st.characters(categories=["Cc", "Cf", "Cs", "Co", "Zs", "Zl", "Zp", "Mn", "Me"]), max_size=6),
    st.sampled_from(AWKWARD_TEXT),
)

json_scalars = st.one_of(st.none(), st.booleans(), ints, floats, text)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(text, inner, max_size=3), max_leaves=8)

# The ends of the supported range and of datetime's, and offsets that carry an instant across them.
FAR_INSTANTS = ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "0002-01-01T00:00:00+23:59",
                "9999-12-31T23:59:59Z", "9999-12-31T23:00:00-01:00", "9998-12-31T23:59:59-23:59",
                "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00+00:01",
                "1970-01-01T23:45:00+23:45", "2999-12-31T23:59:59Z", "2999-12-31T23:59:59-00:01",
                "2999-12-31T23:45:00Z", "3000-01-01T00:00:00+23:59", "3000-01-01T00:00:00Z",
                "0000-12-05T10:00:00Z", "2026-12-05T10:00:00+24:00", "2026-12-05T10:00:00-99:99",
                "2026-12-05T10:00:00.123456789Z", "2026-12-05T10:00:00.1234567891Z", "2026-12-04T10:00:00Z"]
FAR_DATES = ["0001-01-01", "0002-01-01", "1969-12-31", "1970-01-01", "2999-12-31", "3000-01-01", "9998-12-31",
             "9999-12-31", "0000-01-01", "2026-02-29", "2028-02-29", "2026-12-24"]


@st.composite
def instant_texts(draw) -> str:
    """Date-time text of RFC 3339's shape with any digits: far years, impossible fields, odd offsets."""
    year = draw(st.one_of(st.integers(0, 9999), st.sampled_from([1, 2, 1969, 1970, 2026, 2999, 3000, 9998, 9999])))
    month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
    hour, minute, second = draw(st.integers(0, 25)), draw(st.integers(0, 61)), draw(st.integers(0, 61))
    fraction = draw(st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=12).map(".{}".format)))
    offset = draw(st.one_of(
        st.sampled_from(["Z", "z", "", "+00:00", "-00:00", "+23:59", "-23:59", "+14:00", "-12:00", "+05:45"]),
        st.builds("{}{:02d}:{:02d}".format, st.sampled_from("+-"), st.integers(0, 99), st.integers(0, 99))))
    separator = draw(st.sampled_from("TTt "))
    return f"{year:04d}-{month:02d}-{day:02d}{separator}{hour:02d}:{minute:02d}:{second:02d}{fraction}{offset}"


def _offset_datetimes():
    """Any real instant of datetime's range, written with any whole-minute offset under a day."""
    offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
    return st.builds(lambda naive, tz: naive.replace(tzinfo=tz).isoformat(),
                     st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
                     offsets)


instants = st.one_of(st.sampled_from(FAR_INSTANTS), instant_texts(), _offset_datetimes(), text)


@st.composite
def date_texts(draw) -> str:
    year = draw(st.one_of(st.integers(0, 9999), st.sampled_from([1, 1969, 1970, 2026, 2999, 3000, 9999])))
    return f"{year:04d}-{draw(st.integers(0, 13)):02d}-{draw(st.integers(0, 32)):02d}"


dates = st.one_of(st.sampled_from(FAR_DATES), date_texts(),
                  st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat), text)

CURRENCIES = ["EUR", "USD", "GBP", "CHF", "JPY", "KWD", "CLF", "XOF", "XXX", "XTS", "XAU", "XDR", "XXY", "ABC",
              "usd", "Eur", "EURO", "EU", "", "€", "ＥＵＲ"]

# Values with a meaning for fields of these names; any field also gets values of its type and junk.
BY_NAME: Dict[str, st.SearchStrategy] = {
    "start": instants,
    "end": instants,
    "currency": st.one_of(st.sampled_from(CURRENCIES), st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3)),
    "timezone": st.one_of(zones, st.sampled_from(["", "localtime", "Factory", "../etc/passwd", "utc", "UTC+1"])),
    "categories": st.lists(st.sampled_from(sorted(CATEGORIES)), max_size=7),
    "category": st.sampled_from(sorted(CATEGORIES)),
    "lat": floats,
    "lon": floats,
    "duration_minutes": st.integers(-30, 500).map(lambda n: n - n % 15),
    "buffer_minutes": st.integers(-30, 150).map(lambda n: n - n % 15),
    "amount": st.one_of(st.integers(-1, 200_000_000), st.sampled_from(HUGE_INTS)),
}


def bodies(model: Type[BaseModel]) -> st.SearchStrategy:
    """JSON-like bodies for a request model: its fields (required ones mostly present) with values of their
    type, values that mean something for the field, or any JSON; sometimes an unknown field; or any JSON."""
    required = {name: field_values(name, f.annotation) for name, f in model.model_fields.items() if f.is_required()}
    optional = {name: field_values(name, f.annotation) for name, f in model.model_fields.items()
                if not f.is_required()}
    shaped = st.fixed_dictionaries(required, optional={**optional, "unknown_field": json_values})
    loose = st.fixed_dictionaries({}, optional={**required, **optional})
    return st.one_of(shaped, shaped, loose, json_values)


def field_values(name: str, annotation: Any) -> st.SearchStrategy:
    """Values for one field: of its type, meaningful for its name, or any JSON."""
    choices = [typed(annotation), json_scalars]
    if name in BY_NAME:
        choices.insert(0, BY_NAME[name])
    return st.one_of(*choices)


def typed(annotation: Any) -> st.SearchStrategy:
    """JSON values of a field's type: Optional, Annotated, List, nested models, str, int, float, bool."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return typed(typing.get_args(annotation)[0])
    if origin is typing.Union:
        return st.one_of(*(typed(arg) for arg in typing.get_args(annotation)))
    if origin in (list, typing.List):
        return st.lists(typed(typing.get_args(annotation)[0]), max_size=4)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return st.deferred(lambda: bodies(annotation))
    return {str: text, int: ints, float: floats, bool: st.booleans(), type(None): st.none()}.get(annotation,
                                                                                               json_values)


# ---- working-hours documents ---------------------------------------------------------------------------

clock_texts = st.one_of(
    st.builds("{:02d}:{:02d}".format, st.integers(0, 25), st.sampled_from([0, 15, 30, 45, 7, 59, 60])),
    st.sampled_from(["24:00", "00:00", "9:00", "09:00:00", "", "２４:00", "24:15", "-1:00"]),
    text,
)
intervals = st.one_of(st.fixed_dictionaries({"start": clock_texts, "end": clock_texts},
                                            optional={"note": json_values}), json_values)
day_lists = st.one_of(st.lists(intervals, max_size=4), st.lists(intervals, min_size=12, max_size=14), json_values)
hours_documents = st.one_of(
    st.fixed_dictionaries(
        {"weekly": st.one_of(st.dictionaries(st.one_of(st.sampled_from(WEEKDAYS), text), day_lists, max_size=8),
                             json_values)},
        optional={"overrides": st.one_of(st.lists(st.one_of(st.fixed_dictionaries(
            {"date": dates, "intervals": day_lists}), json_values), max_size=4), json_values),
            "timezone": json_values}),
    json_values,
)


# ---- bodies that are mostly right, so that validation also succeeds and what follows it runs -------------

def _on_grid_instants():
    """Supported instants on the quarter hour, written with a quarter-hour offset (valid grid starts)."""
    offsets = st.integers(-56, 56).map(lambda q: timezone(timedelta(minutes=15 * q)))
    quarters = st.integers(0, (datetime(2999, 12, 31, 23, 45) - datetime(1970, 1, 1)) // timedelta(minutes=15))
    return st.builds(lambda n, tz: (datetime(1970, 1, 1, tzinfo=timezone.utc) + n * timedelta(minutes=15))
                     .astimezone(tz).isoformat(), quarters, offsets)


good_instants = st.one_of(_on_grid_instants(), st.sampled_from(["1970-01-01T00:00:00Z", "2999-12-31T23:45:00Z",
                                                                "2026-12-04T10:00:00Z", "2026-12-04T10:00:00+05:45"]))
good_text = st.one_of(st.text(max_size=30), st.sampled_from(["Spa\nLondon", "a\tb", "Zoë", "東京スパ"]))
GOOD: Dict[str, st.SearchStrategy] = {
    "name": st.one_of(st.sampled_from(["Spa", "  Spa  ", "\u200bSpa\ufeff", "東京スパ", "🧖‍♀️ Calm", "x" * 200]),
                      st.text(min_size=1, max_size=40)),
    "description": good_text, "address": good_text, "note": good_text, "reason": good_text,
    "categories": st.lists(st.sampled_from(sorted(CATEGORIES)), min_size=1, max_size=6, unique=True),
    "category": st.sampled_from(sorted(CATEGORIES)),
    "lat": st.one_of(st.floats(-90, 90), st.sampled_from([5e-324, -1e-200, 1e-131, 51.123456789012345, 90.0])),
    "lon": st.one_of(st.floats(-180, 180), st.sampled_from([-5e-324, 2.2250738585072014e-308, -180.0])),
    "timezone": zones,
    "auto_confirm": st.booleans(),
    "min_notice_minutes": st.integers(0, 43200), "cancel_cutoff_minutes": st.integers(0, 43200),
    "max_days_ahead": st.integers(1, 60), "hold_minutes": st.integers(1, 60),
    "start": good_instants, "end": good_instants,
    "currency": st.sampled_from(["EUR", "USD", "GBP", "CHF", "JPY", "KWD", "CLF", "XOF", "XPF"]),
    "amount": st.integers(0, 100_000_000),
    "duration_minutes": st.integers(1, 32).map(lambda n: 15 * n),
    "buffer_minutes": st.integers(0, 8).map(lambda n: 15 * n),
    "provider_id": st.uuids().map(str), "service_id": st.uuids().map(str), "hold_id": st.uuids().map(str),
    "platform": st.sampled_from(["apns", "fcm"]),
    "token": st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=200),
    "phone": st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True),
}


def good_values(name: str, annotation: Any) -> st.SearchStrategy:
    """A valid value for the field, as far as its name and type tell."""
    model = _model_in(annotation)
    if model is not None:
        return st.deferred(lambda: near_valid(model, spoil=False))
    return GOOD.get(name, typed(annotation))


@st.composite
def near_valid(draw, model: Type[BaseModel], spoil: bool = True) -> Dict[str, Any]:
    """A body of valid values for the model (optional fields sometimes left out), with one field sometimes
    given any value instead."""
    body = {}
    for name, field in model.model_fields.items():
        if field.is_required() or draw(st.booleans()):
            body[name] = draw(good_values(name, field.annotation))
    if spoil and model.model_fields and draw(st.integers(0, 2)) == 0:
        name = draw(st.sampled_from(sorted(model.model_fields)))
        body[name] = draw(field_values(name, model.model_fields[name].annotation))
    return body


def _model_in(annotation: Any):
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None
