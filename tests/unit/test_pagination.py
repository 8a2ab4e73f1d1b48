"""List cursors: only ones the server gave, for the same listing and the same partition, come back in."""
from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters.pagination import _same_partition, decode_cursor, encode_cursor, read_page
from chalicelib.domain.errors import InvalidRequest
from tests.unit.inputs import json_values


class ByCustomer(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Item(Model):
    """Shaped like the app's table; never reaches DynamoDB (a query reads only when iterated)."""

    class Meta:
        table_name = "unit-test-never-called"
        region = "eu-west-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_customer = ByCustomer()


MINE = {"pk": {"S": "BOOKING#b1"}, "sk": {"S": "BOOKING"}, "gsi1pk": {"S": "CUSTOMER#me"},
        "gsi1sk": {"S": "2026-12-03T10:00:00Z#b1"}}


def raw_cursor(wrapper) -> str:
    return base64.urlsafe_b64encode(json.dumps(wrapper).encode()).decode().rstrip("=")


def test_a_cursor_round_trips_for_its_listing():
    assert decode_cursor(encode_cursor(MINE, "gsi1"), "gsi1") == MINE
    blocks = {"pk": {"S": "PROVIDER#p"}, "sk": {"S": "BLOCK#b"}}
    assert decode_cursor(encode_cursor(blocks, "blocks"), "blocks") == blocks
    assert encode_cursor(None, "gsi1") is None and decode_cursor(None, "gsi1") is None


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
        decode_cursor(raw_cursor({"list": "gsi1", "key": key}), "gsi1")


def test_a_cursor_of_another_listing_is_refused():
    with pytest.raises(InvalidRequest, match="^cursor: "):
        decode_cursor(encode_cursor(MINE, "gsi1"), "gsi2")


@settings(max_examples=150, deadline=None)
@given(text=st.one_of(st.text(max_size=40), st.builds(lambda value: raw_cursor(value), json_values),
                      st.builds(lambda key: raw_cursor({"list": "gsi1", "key": key}), json_values)))
def test_any_text_is_a_cursor_or_refused_naming_it(text):
    try:
        decode_cursor(text, "gsi1")
    except InvalidRequest as error:
        assert error.message.startswith("cursor: ")


def test_a_deeply_nested_cursor_is_refused():
    with pytest.raises(InvalidRequest, match="^cursor: "):
        decode_cursor(base64.urlsafe_b64encode(b"[" * 100_000 + b"]" * 100_000).decode(), "gsi1")


def test_a_cursor_continues_only_the_partition_the_query_reads():
    cursor = encode_cursor(MINE, "gsi1")
    theirs = Item.by_customer.query("CUSTOMER#someone-else", limit=5, last_evaluated_key=MINE)

    # Refused before the query runs: iterating it here would need DynamoDB.
    with pytest.raises(InvalidRequest, match="^cursor: not a cursor of this list"):
        read_page(theirs, lambda item: item, cursor, "gsi1")


def test_a_cursor_of_the_partition_the_query_reads_passes():
    mine = Item.by_customer.query("CUSTOMER#me", limit=5, last_evaluated_key=MINE)
    assert _same_partition(mine, encode_cursor(MINE, "gsi1"), "gsi1") is None


def test_a_table_cursor_continues_only_its_partition():
    key = {"pk": {"S": "PROVIDER#p1"}, "sk": {"S": "BLOCK#b"}}
    other = Item.query("PROVIDER#p2", Item.sk.startswith("BLOCK#"), last_evaluated_key=key)
    with pytest.raises(InvalidRequest, match="^cursor: not a cursor of this list"):
        read_page(other, lambda item: item, encode_cursor(key, "blocks"), "blocks")


def test_an_unknown_query_refuses_every_cursor():
    """Should pynamodb stop keeping the query's arguments where read_page looks, cursors fail closed."""
    with pytest.raises(InvalidRequest, match="^cursor: "):
        read_page(iter([]), lambda item: item, encode_cursor(MINE, "gsi1"), "gsi1")
