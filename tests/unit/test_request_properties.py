"""Every request model and the working-hours document, fed anything a client can send: each either validates
to values inside the documented limits (docs/input-limits.md) or is refused naming the field, never with
any other exception."""
from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal
from typing import Any, Type

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.model import (
    BookingRules,
    BookingRulesPatch,
    BookSlot,
    CancelBooking,
    CreateBlock,
    CreateProvider,
    CreateService,
    Location,
    OptInSms,
    PatchProvider,
    PatchService,
    PlaceHold,
    Price,
    RegisterDevice,
    RescheduleBooking,
)
from chalicelib.domain.schedule import WorkingHours
from chalicelib.domain.timegrid import EARLIEST, FIRST_DATE, LAST_DATE, LATEST, read_instant
from tests.unit.inputs import bodies, hours_documents, near_valid

MODELS = [CreateProvider, PatchProvider, CreateService, PatchService, CreateBlock, PlaceHold, BookSlot,
          CancelBooking, RescheduleBooking, BookingRules, BookingRulesPatch, Location, Price, RegisterDevice, OptInSms]
NAMES = {"name"}
MULTILINE = {"description", "address", "note", "reason"}
INSTANTS = {"start", "end"}


def iso4217_money():
    from iso4217 import Currency
    return {c.code for c in Currency if c.exponent is not None}


def dynamodb_can_store(number: float) -> bool:
    """DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 to 9.99E+125 (or zero)."""
    if number == 0:
        return True
    decimal = Decimal(repr(number))
    return len(decimal.as_tuple().digits) <= 38 and -130 <= decimal.adjusted() <= 125


def assert_within_limits(command: BaseModel) -> None:
    """What a validated command holds is what the services and DynamoDB can take."""
    for name, value in command:
        if isinstance(value, BaseModel):
            assert_within_limits(value)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            assert -(2 ** 63) <= value < 2 ** 63, (name, value)
        elif isinstance(value, float):
            assert math.isfinite(value) and round(value, 7) == value and dynamodb_can_store(value), (name, value)
            assert str(value) != "-0.0"
        elif isinstance(value, list):
            assert all(isinstance(item, str) for item in value)
        else:
            assert isinstance(value, str)
            value.encode("utf-8")  # no lone surrogates
            controls = {c for c in value if unicodedata.category(c) == "Cc"}
            if name in INSTANTS:
                assert EARLIEST <= read_instant(value) <= LATEST
            elif name in NAMES:
                assert not controls and value == value.strip(), repr(value)
                assert any(unicodedata.category(c)[0] in "LNPS" for c in value), repr(value)
            elif name in MULTILINE:
                assert controls <= set("\t\n\r"), repr(value)
            elif name == "currency":
                assert value in iso4217_money()
            elif name == "phone":
                assert re.fullmatch(r"\+[1-9][0-9]{7,14}", value), repr(value)
            elif name == "token":
                assert 1 <= len(value) <= 4096 and all("!" <= c <= "~" for c in value), repr(value)


def assert_refusal_names_a_field(model: Type[BaseModel], error: ValidationError) -> None:
    """Each problem says where (a field of the body) and what; the API joins them as 'field: message'."""
    problems = error.errors()
    assert problems
    for problem in problems:
        message = problem["msg"].removeprefix("Value error, ")
        assert message.strip() and "Traceback" not in message
        if problem["loc"]:
            assert str(problem["loc"][0]) in model.model_fields or problem["type"] == "extra_forbidden", problem
        elif problem["type"] in ("model_type", "string_unicode"):
            continue  # not an object, or a key with a lone surrogate: the fault is the body's ("body: ...")
        else:  # a check across fields names them itself
            assert any(name in message for name in model.model_fields), problem


def validate(model: Type[BaseModel], body: Any) -> None:
    try:
        command = model.model_validate(body)
    except ValidationError as error:
        assert_refusal_names_a_field(model, error)
    else:
        assert_within_limits(command)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_any_body_validates_or_is_refused_naming_the_field(model, data):
    validate(model, data.draw(bodies(model)))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_a_nearly_valid_body_validates_or_is_refused_naming_the_field(model, data):
    validate(model, data.draw(near_valid(model)))


# ---- a few of the properties' cases, spelled out ------------------------------------------------------------

PROVIDER = {"name": "Spa", "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1},
            "timezone": "Europe/London"}


@pytest.mark.parametrize("instant", [
    "0002-01-01T00:00:00+23:59", "9998-12-31T23:59:59-23:59", "1969-12-31T23:59:59Z", "3000-01-01T00:00:00Z",
    "2999-12-31T23:59:59-00:01", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
])
@pytest.mark.parametrize("model,field,body", [
    (PlaceHold, "start", {"provider_id": "p", "service_id": "s"}),
    (BookSlot, "start", {"provider_id": "p", "service_id": "s"}),
    (RescheduleBooking, "start", {}),
    (CreateBlock, "start", {"end": "2026-12-05T11:00:00Z"}),
    (CreateBlock, "end", {"start": "2026-12-05T10:00:00Z"}),
], ids=["hold", "book", "reschedule", "block-start", "block-end"])
def test_instants_outside_the_supported_range_are_refused_with_the_range(model, field, body, instant):
    with pytest.raises(ValidationError) as caught:
        model.model_validate({**body, field: instant})
    (problem,) = caught.value.errors()
    assert problem["loc"] == (field,)
    assert "from 1970-01-01T00:00:00Z to 2999-12-31T23:59:59Z" in problem["msg"]


@pytest.mark.parametrize("instant", ["1970-01-01T00:00:00Z", "1970-01-01T01:00:00+01:00", "2999-12-31T23:59:59Z",
                                     "3000-01-01T00:00:00+00:01", "2999-12-31T10:00:00-13:59"])
def test_instants_at_the_ends_of_the_range_are_taken_as_sent(instant):
    assert RescheduleBooking.model_validate({"start": instant}).start == instant


@pytest.mark.parametrize("lat,stored", [(1e-200, 0.0), (5e-324, 0.0), (-5e-324, 0.0), (-1e-200, 0.0),
                                        (2.2250738585072014e-308, 0.0), (51.123456789, 51.1234568),
                                        (-0.00000006, -1e-07), (89.99999999, 90.0)])
def test_coordinates_are_kept_to_seven_decimals(lat, stored):
    location = Location.model_validate({"lat": lat, "lon": lat})
    assert (location.lat, location.lon) == (stored, stored)
    assert str(location.lat) != "-0.0"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_coordinates_must_be_finite(value):
    with pytest.raises(ValidationError, match="finite number"):
        Location.model_validate({"lat": value, "lon": 0})


@pytest.mark.parametrize("name", ["", " ", "\t", "\u200b", "\ufeff", "\u200b\u200d\u2060", "\u00a0\u3000",
                                  "\u0301", "\u202e"])
@pytest.mark.parametrize("model,body", [(CreateProvider, PROVIDER), (PatchProvider, {}),
                                        (CreateService, {"category": "massage", "duration_minutes": 60,
                                                         "price": {"amount": 4500, "currency": "EUR"}}),
                                        (PatchService, {})], ids=lambda v: getattr(v, "__name__", "body"))
def test_a_name_needs_a_visible_character(model, body, name):
    with pytest.raises(ValidationError) as caught:
        model.model_validate({**body, "name": name})
    assert caught.value.errors()[0]["loc"] == ("name",)


@pytest.mark.parametrize("name,stored", [("  Spa  ", "Spa"), ("\u200bSpa\ufeff", "Spa"), ("東京スパ", "東京スパ"),
                                         ("🧖\u200d♀️ Calm", "🧖\u200d♀️ Calm"), ("Zoe\u0308", "Zoe\u0308"), ("-", "-")])
def test_a_name_keeps_what_is_visible(name, stored):
    assert PatchProvider.model_validate({"name": name}).name == stored


@pytest.mark.parametrize("field", ["name", "description"])
@pytest.mark.parametrize("text", ["a\x00b", "\x1b[31mred", "Spa\x7f", "Spa\x85"])
def test_control_characters_are_refused_with_their_code_point(field, text):
    with pytest.raises(ValidationError, match=r"control characters \(U\+00(00|1B|7F|85) at position"):
        PatchProvider.model_validate({field: text})


def test_multiline_text_may_hold_tabs_and_line_breaks():
    assert PatchProvider.model_validate({"description": "Calm\r\n\tquiet"}).description == "Calm\r\n\tquiet"
    assert CancelBooking.model_validate({"reason": "ill\n"}).reason == "ill\n"
    with pytest.raises(ValidationError, match="control characters"):
        PatchProvider.model_validate({"name": "Spa\nLondon"})


@pytest.mark.parametrize("currency,words", [
    ("XXY", "XXY is not one"), ("ABC", "ABC is not one"), ("usd", "upper case: USD"), ("EURO", "ISO 4217"),
    ("", "ISO 4217"), ("XXX", "minor units"), ("XTS", "minor units"), ("XAU", "minor units"),
])
def test_a_currency_must_be_iso_4217_money(currency, words):
    with pytest.raises(ValidationError) as caught:
        Price.model_validate({"amount": 100, "currency": currency})
    (problem,) = caught.value.errors()
    assert problem["loc"] == ("currency",) and words in problem["msg"]


@pytest.mark.parametrize("currency", ["CHF", "JPY", "EUR", "KWD", "XOF", "CLF"])
def test_rare_and_common_currencies_pass(currency):
    assert Price.model_validate({"amount": 100, "currency": currency}).currency == currency


@pytest.mark.parametrize("value", [2 ** 63, 2 ** 64, -(2 ** 63) - 1, 10 ** 30, 10 ** 400])
@pytest.mark.parametrize("model,field", [
    (BookingRules, "min_notice_minutes"), (BookingRules, "max_days_ahead"), (BookingRules, "hold_minutes"),
    (BookingRules, "cancel_cutoff_minutes"), (BookingRulesPatch, "hold_minutes"), (Price, "amount"),
    (PatchService, "duration_minutes"), (PatchService, "buffer_minutes"),
], ids=lambda v: getattr(v, "__name__", v))
def test_huge_integers_are_refused_naming_the_field(model, field, value):
    body = {"currency": "EUR"} if model is Price else {}
    with pytest.raises(ValidationError) as caught:
        model.model_validate({**body, field: value})
    assert caught.value.errors()[0]["loc"] == (field,)


# ---- the working-hours document -------------------------------------------------------------------------------

def assert_names_where(message: str) -> None:
    """'<where>: <what to fix>', where is a path such as weekly.mon[0].start or overrides[2].date."""
    where, _, what = message.partition(": ")
    assert where.strip() and where.isprintable() and what.strip(), message


@settings(max_examples=60, deadline=None)
@given(document=hours_documents)
def test_any_working_hours_document_parses_or_is_refused_naming_the_field(document):
    try:
        hours = WorkingHours.parse(document)
    except InvalidRequest as error:
        assert_names_where(error.message)
    else:
        assert WorkingHours.parse(hours.to_document()) == hours
        assert all(FIRST_DATE <= day <= LAST_DATE for day in hours.overrides)


@pytest.mark.parametrize("day", ["0001-01-01", "1969-12-31", "3000-01-01", "9999-12-31"])
def test_an_override_outside_the_supported_dates_is_refused(day):
    with pytest.raises(InvalidRequest) as caught:
        WorkingHours.parse({"weekly": {}, "overrides": [{"date": day, "intervals": []}]})
    assert caught.value.message == "overrides[0].date: must be a date from 1970-01-01 to 2999-12-31, e.g. 2026-12-01"
