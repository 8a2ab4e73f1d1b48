"""List cursors: only ones the server gave, for the same listing and the same partition, come back in."""
from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.adapters.pagination import decode_cursor, encode_cursor
from chalicelib.domain.errors import InvalidRequest
from tests.unit.inputs import json_values


MINE = {"pk": {"S": "BOOKING#b1"}, "sk": {"S": "BOOKING"}, "gsi1pk": {"S": "CUSTOMER#me"},
        "gsi1sk": {"S": "2026-12-03T10:00:00Z#b1"}}


def raw_cursor(wrapper) -> str:
    return base64.urlsafe_b64encode(json.dumps(wrapper).encode()).decode().rstrip("=")


def test_a_cursor_round_trips_for_its_listing():
    assert decode_cursor(encode_cursor(MINE, "gsi1"), "gsi1", "CUSTOMER#me") == MINE
    blocks = {"pk": {"S": "PROVIDER#p"}, "sk": {"S": "BLOCK#b"}}
    assert decode_cursor(encode_cursor(blocks, "blocks"), "blocks", blocks["pk"]["S"]) == blocks
    assert encode_cursor(None, "gsi1") is None and decode_cursor(None, "gsi1", "CUSTOMER#me") is None


@pytest.mark.parametrize("key", [
    {"pk": MINE["pk"], "sk": MINE["sk"]},
    {name: value for name, value in MINE.items() if name != "gsi1sk"},
    {**MINE, "gsi2pk": {"S": "x"}},
    {**MINE, "pk": {"S": ""}},
    {**MINE, "pk": {"S": "x" * 1025}},
    {**MINE, "pk": {"N": "1"}},
    {**MINE, "pk": {"S": "\ud800"}},
], ids=["no-index-keys", "no-index-sort-key", "another-index-key", "empty", "too-long", "number", "lone-surrogate"])
def test_a_key_that_is_not_exactly_its_listings_is_refused(key):
    with pytest.raises(InvalidRequest, match="^cursor: "):
        decode_cursor(raw_cursor({"list": "gsi1", "key": key}), "gsi1", "CUSTOMER#me")


def test_a_cursor_of_another_listing_is_refused():
    with pytest.raises(InvalidRequest, match="^cursor: "):
        decode_cursor(encode_cursor(MINE, "gsi1"), "gsi2", "CUSTOMER#me")


@settings(max_examples=150, deadline=None)
@given(text=st.one_of(st.text(max_size=40), st.builds(lambda value: raw_cursor(value), json_values),
                      st.builds(lambda key: raw_cursor({"list": "gsi1", "key": key}), json_values)))
def test_any_text_is_a_cursor_or_refused_naming_it(text):
    try:
        decode_cursor(text, "gsi1", "CUSTOMER#me")
    except InvalidRequest as error:
        assert error.message.startswith("cursor: ")


def test_a_deeply_nested_cursor_is_refused():
    with pytest.raises(InvalidRequest, match="^cursor: "):
        decode_cursor(base64.urlsafe_b64encode(b"[" * 100_000 + b"]" * 100_000).decode(), "gsi1", "CUSTOMER#me")


def test_a_cursor_continues_only_the_partition_the_query_reads():
    with pytest.raises(InvalidRequest, match="^cursor: not a cursor from a previous answer for this list"):
        decode_cursor(encode_cursor(MINE, "gsi1"), "gsi1", "CUSTOMER#someone-else")


def test_a_table_cursor_continues_only_its_partition():
    key = {"pk": {"S": "PROVIDER#p1"}, "sk": {"S": "BLOCK#b"}}
    with pytest.raises(InvalidRequest, match="^cursor: not a cursor from a previous answer for this list"):
        decode_cursor(encode_cursor(key, "blocks"), "blocks", "PROVIDER#p2")
