"""What each booking operation costs DynamoDB: write and read calls, and write capacity units.

    python -m bench.writes [--quick] [--json PATH]

One serialised moto server holds the app's table. A provider that confirms by hand (auto-confirm off, no
cancellation cutoff) is created through the app's own routes, which lay out its slots; a customer then goes
through every operation the API offers, in-process through chalice.test.Client with real ID tokens, each one
counted alone (CallCounter, botocore's calls, PynamoDB's included):

  hold            POST /v1/holds
  book_from_hold  POST /v1/bookings {"hold_id"}
  confirm         POST /v1/bookings/{id}/confirm (the owner, a pending booking)
  book            POST /v1/bookings {"provider_id", "service_id", "start"}
  reschedule      POST /v1/bookings/{id}/reschedule (to a time apart from the old one)
  cancel          POST /v1/bookings/{id}/cancel (the customer)
  release_hold    DELETE /v1/holds/{id}

Each of these requests also counts itself against the caller's write rate (a small counter item): inside
its transaction for the changes that commit one (hold, book, reschedule, cancel, release: no extra call), as
an UpdateItem of its own for the others (confirm). The figures include it.

Write capacity: moto answers ReturnConsumedCapacity with a constant for single-item writes and an empty list
for TransactWriteItems, so the units are computed from DynamoDB's documented rules and the items' real sizes:
every item a write call names is read (strongly consistent, outside the count) before and after the call; an
item's size is its attribute names plus values; a standard write costs 1 WCU per started KB of the larger of
its two images, a transactional one 2 (ConditionCheck items included); each global secondary index an item is
in, before or after, costs a standard write per started KB (its key changed: a delete and a put).
"""
from __future__ import annotations

import math
import statistics
import sys
import threading
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Tuple

from bench.common import (
    QUICK_SETTINGS,
    READS,
    WRITES,
    CallCounter,
    Part,
    api_call,
    app_on_moto,
    open_provider,
    part_main,
)

OPERATIONS = ("hold", "book_from_hold", "confirm", "book", "reschedule", "cancel", "release_hold")
RULES = {"auto_confirm": False, "hold_minutes": 5, "cancel_cutoff_minutes": 0, "min_notice_minutes": 60}
REPEATS, QUICK_REPEATS = 5, 1
INDEXES = ("gsi1", "gsi2", "gsi3")
KB = 1024


def attribute_size(value: Dict[str, Any]) -> int:
    """The bytes DynamoDB counts for one attribute value (its name not included)."""
    kind, data = next(iter(value.items()))
    if kind == "S":
        return len(data.encode("utf-8"))
    if kind == "N":
        digits = Decimal(data).normalize().as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: element}) for element in data)
    if kind == "L":
        return 3 + sum(attribute_size(element) + 1 for element in data)
    if kind == "M":
        return 3 + sum(len(name.encode("utf-8")) + attribute_size(element) + 1 for name, element in data.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Optional[Dict[str, Any]]) -> int:
    """The bytes DynamoDB counts for an item: every attribute's name and value."""
    return sum(len(name.encode("utf-8")) + attribute_size(value) for name, value in (item or {}).items())


def _units(size: int) -> int:
    return math.ceil(size / KB) if size else 0


def index_units(before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]]) -> int:
    """Standard write units the table's indexes (all attributes projected) take for one item's change."""
    units = 0
    for index in INDEXES:
        keys = (f"{index}pk", f"{index}sk")
        old = tuple(before[k] for k in keys) if before and all(k in before for k in keys) else None
        new = tuple(after[k] for k in keys) if after and all(k in after for k in keys) else None
        if old is None and new is None or (old == new and before == after):
            continue
        if old is not None and new is not None and old == new:
            units += _units(max(item_size(before), item_size(after)))
        else:
            units += _units(item_size(before)) if old is not None else 0
            units += _units(item_size(after)) if new is not None else 0
    return units


def _targets(operation: str, params: Dict[str, Any]) -> List[Tuple[str, str, Dict[str, Any]]]:
    """(kind, table, key) of every item a write call names; kind is Put, Update, Delete or ConditionCheck."""
    def key_of(item: Dict[str, Any]) -> Dict[str, Any]:
        return {"pk": item["pk"], "sk": item["sk"]}

    if operation == "TransactWriteItems":
        found = []
        for entry in params["TransactItems"]:
            kind, body = next(iter(entry.items()))
            found.append((kind, body["TableName"], key_of(body["Item"]) if kind == "Put" else body["Key"]))
        return found
    if operation == "BatchWriteItem":
        return [("Put", table, key_of(r["PutRequest"]["Item"])) if "PutRequest" in r
                else ("Delete", table, r["DeleteRequest"]["Key"])
                for table, requests in params["RequestItems"].items() for r in requests]
    kind = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}[operation]
    return [(kind, params["TableName"], key_of(params["Item"]) if kind == "Put" else params["Key"])]


class CapacityMeter:
    """Computes the write units of every DynamoDB write call made while it is on, from the items' images.

    Install it before a CallCounter: its own reads of the images go to botocore directly, uncounted. It asks
    for ReturnConsumedCapacity too and keeps what the emulator answers, beside the computed units.
    """

    def __init__(self) -> None:
        self.writes: List[Dict[str, Any]] = []
        self._lock = threading.Lock()
        self._original: Optional[Callable[..., Any]] = None

    def __enter__(self) -> "CapacityMeter":
        from botocore.client import BaseClient

        self._original = original = BaseClient._make_api_call
        meter = self

        def metered(client: Any, operation_name: str, api_params: Dict[str, Any]) -> Any:
            if client.meta.service_model.service_name != "dynamodb" or operation_name not in WRITES:
                return original(client, operation_name, api_params)
            targets = _targets(operation_name, api_params)
            images = [meter._image(client, table, key) for _, table, key in targets]
            api_params = {**api_params, "ReturnConsumedCapacity": "INDEXES"}
            answer: Any = None
            try:
                answer = original(client, operation_name, api_params)
                return answer
            finally:
                transactional = operation_name == "TransactWriteItems"
                items = []
                for (kind, table, key), before in zip(targets, images):
                    after = meter._image(client, table, key)
                    size = max(item_size(before), item_size(after))
                    items.append({"kind": kind, "sk": key["sk"]["S"].split("#")[0], "bytes": size,
                                  "table_units": _units(size) * (2 if transactional else 1),
                                  "index_units": index_units(before, after)})
                reported = answer.get("ConsumedCapacity") if isinstance(answer, dict) else None
                with meter._lock:
                    meter.writes.append({"operation": operation_name, "items": items, "emulator_reported": reported})

        BaseClient._make_api_call = metered  # type: ignore[method-assign]
        return self

    def _image(self, client: Any, table: str, key: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        answer = self._original(client, "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
        return answer.get("Item")

    def __exit__(self, *exc: Any) -> None:
        from botocore.client import BaseClient

        BaseClient._make_api_call = self._original  # type: ignore[method-assign]

    def units(self) -> int:
        """Write units of the calls so far (table and indexes)."""
        return sum(item["table_units"] + item["index_units"] for write in self.writes for item in write["items"])


def _free_starts(client: Any, shop: Dict[str, str], wanted: int) -> List[str]:
    """`wanted` bookable starts, each 2 hours after the one before (no two bookings' times touch)."""
    today = datetime.now(timezone.utc).date()
    answer = api_call(client, "GET", f"/v1/providers/{shop['pid']}/availability?service_id={shop['sid']}"
                      f"&from={today + timedelta(days=1)}&to={today + timedelta(days=14)}", {})
    picked: List[datetime] = []
    for slot in answer["slots"]:
        start = datetime.fromisoformat(slot["start"].replace("Z", "+00:00"))
        if not picked or start >= picked[-1] + timedelta(hours=2):
            picked.append(start)
    if len(picked) < wanted:
        raise SystemExit(f"only {len(picked)} free starts apart, {wanted} wanted")
    return [start.strftime("%Y-%m-%dT%H:%M:%SZ") for start in picked[:wanted]]


def _one_round(client: Any, shop: Dict[str, str], owner: Dict[str, str], customer: Dict[str, str],
               starts: List[str]) -> List[Tuple[str, Callable[[], Any]]]:
    """Every operation once, in an order where each finds what it needs (the later ones read the earlier)."""
    made: Dict[str, Any] = {}
    where = {"provider_id": shop["pid"], "service_id": shop["sid"]}

    def book(body: Dict[str, Any]) -> Any:
        return api_call(client, "POST", "/v1/bookings", {**customer, "Idempotency-Key": str(uuid.uuid4())}, body,
                        want=201)

    return [
        ("hold", lambda: made.update(hold=api_call(client, "POST", "/v1/holds", customer,
                                                   {**where, "start": starts[0]}, want=201))),
        ("book_from_hold", lambda: made.update(first=book({"hold_id": made["hold"]["hold_id"]}))),
        ("confirm", lambda: api_call(client, "POST", f"/v1/bookings/{made['first']['booking_id']}/confirm", owner)),
        ("book", lambda: made.update(second=book({**where, "start": starts[1]}))),
        ("reschedule", lambda: api_call(client, "POST", f"/v1/bookings/{made['second']['booking_id']}/reschedule",
                                        customer, {"start": starts[2]})),
        ("cancel", lambda: api_call(client, "POST", f"/v1/bookings/{made['second']['booking_id']}/cancel",
                                    customer, {})),
        ("hold", lambda: made.update(spare=api_call(client, "POST", "/v1/holds", customer,
                                                    {**where, "start": starts[3]}, want=201))),
        ("release_hold", lambda: api_call(client, "DELETE", f"/v1/holds/{made['spare']['hold_id']}", customer,
                                          want=204)),
    ]


def _counted(operation: Callable[[], Any], counter: CallCounter, meter: CapacityMeter) -> Dict[str, Any]:
    counter.reset()
    meter.writes.clear()
    operation()
    return {"writes": counter.of("dynamodb", WRITES), "reads": counter.of("dynamodb", READS),
            "calls": counter.by_operation(), "wcu": meter.units(), "items": list(meter.writes)}


def measure(quick: bool) -> Part:
    """Run every operation `repeats` times, each counted and metered alone."""
    repeats = QUICK_REPEATS if quick else REPEATS
    seen: Dict[str, List[Dict[str, Any]]] = {op: [] for op in OPERATIONS}
    with app_on_moto(QUICK_SETTINGS if quick else None) as stack:
        import app
        from chalice.test import Client

        with Client(app.app) as client:
            owner = stack.user("owner@bench.example", provider=True)
            customer = stack.user("customer@bench.example")
            shop = open_provider(client, owner, RULES)
            starts = _free_starts(client, shop, 4 * repeats)
            with CapacityMeter() as meter, CallCounter() as counter:
                for turn in range(repeats):
                    for name, operation in _one_round(client, shop, owner, customer, starts[4 * turn:4 * turn + 4]):
                        seen[name].append(_counted(operation, counter, meter))

    def typical(op: str, key: str) -> Any:
        values = [sample[key] for sample in seen[op]]
        return int(statistics.median(values)) if all(v == values[0] for v in values) else max(values)

    write_calls = {op: typical(op, "writes") for op in OPERATIONS}
    read_calls = {op: typical(op, "reads") for op in OPERATIONS}
    capacity = {op: typical(op, "wcu") for op in OPERATIONS}
    figures = {"booking_write_calls": max(write_calls["book"], write_calls["book_from_hold"]),
               "write_calls": write_calls, "read_calls": read_calls, "write_capacity_units": capacity}
    rows = [("booking: DynamoDB write calls", str(figures["booking_write_calls"]))] + [
        (f"  {op}: write calls, read calls, WCU (computed)", f"{write_calls[op]}, {read_calls[op]}, {capacity[op]}")
        for op in OPERATIONS]
    details = {
        "method": ("each operation through the API in-process (chalice.test.Client, real ID tokens) against one "
                   "serialised moto server, counted alone with CallCounter; write units computed from the items' "
                   "sizes before and after each write call by DynamoDB's documented rules (standard 1 WCU a started "
                   "KB of the larger image, transactional 2 including ConditionCheck items, each index the item is "
                   "in 1 a started KB, 2 writes when its index key changes); moto's own ConsumedCapacity "
                   "(emulator_consumed_capacity, asked with INDEXES) is a constant for single-item writes and "
                   "absent for TransactWriteItems, so it is not used"),
        "emulator_consumed_capacity": {op: [write["emulator_reported"] for write in seen[op][0]["items"]]
                                       for op in OPERATIONS},
        "calls": {op: seen[op][0]["calls"] for op in OPERATIONS},
        "write_items": {op: seen[op][0]["items"] for op in OPERATIONS},
        "repeats": repeats, "provider_rules": RULES,
        "slot_horizon_days": int(QUICK_SETTINGS["SLOT_HORIZON_DAYS"]) if quick else 60,
    }
    goals = {"booking_write_calls": ("==", 1)}
    return Part("writes", figures, goals, rows, details)


if __name__ == "__main__":
    sys.exit(part_main(measure, name="writes"))
