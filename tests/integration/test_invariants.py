"""The invariant checker against emulated DynamoDB: a table the API and the stream functions wrote is clean;
each corruption written into it directly is reported, by the command too (exit status and JSON)."""
from __future__ import annotations

import json
from datetime import timedelta

from chalicelib.domain.invariants import (
    HOLD_PAST_EXPIRY,
    MISSING_AUDIT,
    MISSING_NOTIFICATION,
    MISSING_SLOT,
    SLOT_CLAIMED_TWICE,
    SLOT_WITHOUT_OWNER,
)
from scripts import check_invariants
from tests.integration.conftest import book, call
from tests.integration.test_after_the_commit import outbox  # noqa: F401 - the stream functions, fed in-process
from tests.invariants import assert_no_violations

TABLE = "marketplace-test"


def hold(client, shop, user, start):
    status, body, _ = call(client, "POST", "/v1/holds", user,
                           {"provider_id": shop["pid"], "service_id": shop["sid"], "start": start})
    assert status == 201, body
    return body


def a_day_of_bookings(client, shop, make_user, fixed_clock, outbox):  # noqa: F811
    """Bookings made, held, canceled and moved through the API, the stream drained, the events settled."""
    alice, bob = make_user(), make_user()
    ids = {}
    status, body, _ = book(client, shop, alice, "2026-12-02T10:00:00Z", "direct")
    assert status == 201, body
    ids["direct"] = body["booking_id"]
    held = hold(client, shop, bob, "2026-12-02T13:00:00Z")
    status, body, _ = call(client, "POST", "/v1/bookings", bob, {"hold_id": held["hold_id"]},
                           {"Idempotency-Key": "from-hold"})
    assert status == 201, body
    ids["from_hold"], ids["hold_used"] = body["booking_id"], held["hold_id"]
    status, body, _ = book(client, shop, alice, "2026-12-03T10:00:00Z", "to-cancel")
    ids["canceled"] = body["booking_id"]
    assert call(client, "POST", f"/v1/bookings/{ids['canceled']}/cancel", alice, {})[1]["status"] == "CANCELED"
    status, body, _ = book(client, shop, bob, "2026-12-04T10:00:00Z", "to-move")
    ids["moved"] = body["booking_id"]
    status, body, _ = call(client, "POST", f"/v1/bookings/{ids['moved']}/reschedule", bob,
                           {"start": "2026-12-04T10:30:00Z"})  # overlapping its old time
    assert status == 200, body
    ids["lapsed"] = hold(client, shop, alice, "2026-12-07T10:00:00Z")["hold_id"]
    outbox.drain()
    # Six minutes on: every event is older than the settle time, the first hold has lapsed; then a live hold
    fixed_clock.now += timedelta(minutes=6)
    ids["live"] = hold(client, shop, bob, "2026-12-07T15:00:00Z")["hold_id"]
    outbox.drain()
    return ids


def test_a_table_written_through_the_api_is_clean_and_every_corruption_is_reported(
        client, shop, make_user, fixed_clock, outbox, aws, tmp_path):  # noqa: F811
    ids = a_day_of_bookings(client, shop, make_user, fixed_clock, outbox)
    pid = f"PROVIDER#{shop['pid']}"
    # Then the checker finds nothing, having looked at every booking event
    result = assert_no_violations()
    assert result.report.checked_events == 6 and result.report.skipped_recent == 0
    assert result.scanned > result.kept > 20
    print(f"\ninvariant check: {result.scanned} items scanned, {result.kept} checked, {result.seconds:.3f}s")

    # When the table is corrupted directly
    dynamodb = aws["dynamodb"]

    def key(pk, sk):
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    def set_attrs(pk, sk, **values):
        names = {f"#n{i}": name for i, name in enumerate(values)}
        dynamodb.update_item(TableName=TABLE, Key=key(pk, sk),
                             UpdateExpression="SET " + ", ".join(f"#n{i} = :v{i}" for i in range(len(values))),
                             ExpressionAttributeNames=names,
                             ExpressionAttributeValues={f":v{i}": v for i, v in enumerate(values.values())})

    # a slot of the direct booking deleted
    dynamodb.delete_item(TableName=TABLE, Key=key(pid, "SLOT#2026-12-02T10:30:00Z"))
    # a free slot marked BOOKED for a booking that does not exist, and one of the canceled booking's too
    set_attrs(pid, "SLOT#2026-12-08T09:00:00Z", status={"S": "BOOKED"}, booking_id={"S": "no-such-booking"})
    set_attrs(pid, "SLOT#2026-12-03T10:00:00Z", status={"S": "BOOKED"}, booking_id={"S": ids["canceled"]})
    # a slot of the moved booking taken by the live hold
    set_attrs(pid, "SLOT#2026-12-04T11:30:00Z", status={"S": "HELD"}, hold_id={"S": ids["live"]},
              hold_expires={"N": "4102444800"})
    # the live hold's first slot held for a day past the hold's expiry
    expires = int((fixed_clock.now + timedelta(days=1)).timestamp())
    set_attrs(pid, "SLOT#2026-12-07T15:00:00Z", hold_expires={"N": str(expires)})
    # the booking made from a hold committed as if after the hold expired
    set_attrs(f"BOOKING#{ids['from_hold']}", "BOOKING", created_at={"S": "2026-12-01T09:00:00Z"})
    # the direct booking's audit record and the customer's inbox entry of its cancel gone
    audit = dynamodb.query(TableName=TABLE, KeyConditionExpression="pk = :pk",
                           ExpressionAttributeValues={":pk": {"S": f"{pid}#AUDIT"}})["Items"]
    [created] = [i for i in audit if i["event_id"]["S"] == f"booking:{ids['direct']}:v000001"]
    dynamodb.delete_item(TableName=TABLE, Key=key(created["pk"]["S"], created["sk"]["S"]))
    scan = dynamodb.scan(TableName=TABLE)["Items"]
    [told] = [i for i in scan if i["sk"]["S"].startswith("NOTIFICATION#")
              and i["event_id"]["S"] == f"booking:{ids['canceled']}:v000002" and i["type"]["S"] == "booking_canceled"
              and i["user_id"]["S"] != shop["owner"].sub]
    dynamodb.delete_item(TableName=TABLE, Key=key(told["pk"]["S"], told["sk"]["S"]))

    # Then the command reports each, exits 1 and writes the same as JSON
    out = tmp_path / "report.json"
    assert check_invariants.main(["--segments", "4", "--json", str(out)]) == 1
    report = json.loads(out.read_text())
    assert report["counts"] == {SLOT_WITHOUT_OWNER: 3, MISSING_SLOT: 1, SLOT_CLAIMED_TWICE: 1, HOLD_PAST_EXPIRY: 2,
                                MISSING_AUDIT: 1, MISSING_NOTIFICATION: 1}, report["violations"]
    assert report["segments"] == 4 and report["items_scanned"] == result.scanned - 3  # three deleted
    messages = "\n".join(v["message"] for v in report["violations"])
    assert "no-such-booking, which is absent" in messages
    assert f"booking {ids['canceled']}, which is CANCELED" in messages
    assert f"booking {ids['direct']}: slot 2026-12-02T10:30:00Z is absent" in messages
    assert f"booking {ids['moved']}: slot 2026-12-04T11:30:00Z is taken by hold {ids['live']}" in messages
    assert f"from hold {ids['hold_used']}" in messages
    assert f"hold {ids['live']}, which is elsewhere" in messages  # it holds other time
