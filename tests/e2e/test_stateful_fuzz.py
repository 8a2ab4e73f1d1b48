"""Schemathesis' stateful phase against the running stack: chains of calls that follow the OpenAPI links of
/v1/openapi.json (a new provider -> its working hours -> a service -> a hold -> a booking -> reschedule, confirm,
decline, cancel), each answer checked against the document.

Three users take part: a member of the providers group, who creates the providers and manages them, and two
customers, who hold and book. A `before_call` hook picks the caller of each request from what earlier answers
said (a hold is booked or released by its holder, a booking moved by its customer, confirmed by its provider's
owner) and, most of the time, makes the values a schema cannot describe plausible: real zone and category names,
open working hours, sane booking rules, and starts the provider's availability offers (the 15-minute grid, its
hours and rules), so chains get past 409 to reschedule and cancel. The rest of the time requests go as generated,
by a caller picked at random (so 403 and 404 of other users' things are exercised too).

Checks: no 5xx, and the conformance checks of the contract fuzzer (documented status, content type, answer schema);
and availability agrees with holding and booking (a start offered just before is never refused as taken).
Bounded by MAX_SCENARIOS scenarios of at most MAX_STEPS calls and a fixed seed (STATEFUL_FUZZ_SEED to explore
others; STATEFUL_FUZZ_SCENARIOS for a longer run). The counts go to build/test-artifacts/reliability/stateful.json.
"""
from __future__ import annotations

import collections
import json
import os
import random
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from tests.e2e.helpers import at, future_day, parse_utc, weekly
from tests.e2e.test_contract_fuzz import describe_failures

MAX_SCENARIOS = int(os.environ.get("STATEFUL_FUZZ_SCENARIOS", "30"))
MAX_STEPS = 14
SEED = int(os.environ.get("STATEFUL_FUZZ_SEED", "20261202"))
# How often a request's values are made plausible (the rest go as generated, by a caller picked at random).
PLAUSIBLE = 0.9
# How often, of those, an id the run never saw (a scenario's first call has only generated ones) becomes a known one.
SWAP_UNKNOWN_IDS = 0.8
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance")
ARTIFACT = Path(__file__).resolve().parents[2] / "build" / "test-artifacts" / "reliability" / "stateful.json"
OPENS, CLOSES = "09:00", "13:00"  # plausible working hours: short, so laying out their slots is quick
SEARCH_DAYS = 6  # availability is asked for this many days from tomorrow
# The answers whose ids and owners the hooks remember.
MAKERS = {("POST", "/v1/providers"), ("PUT", "/v1/providers/{provider_id}/working-hours"),
          ("POST", "/v1/providers/{provider_id}/services"), ("POST", "/v1/holds"), ("POST", "/v1/bookings")}


class World:
    """What the run has made, as the answers said, and who made it."""

    def __init__(self, api, owner, customers, seed: int) -> None:
        self.api = api
        self.owner = owner
        self.customers = customers
        self.everyone = [owner, *customers]
        self.by_token = {user.headers["Authorization"]: user for user in self.everyone}
        self.random = random.Random(seed)
        self.providers: List[str] = []
        self.open_providers: set = set()  # those with some working hours
        self.services: Dict[str, str] = {}  # service_id -> provider_id
        self.holds: Dict[str, Tuple[Any, str, str]] = {}  # hold_id -> (holder, provider_id, service_id)
        self.bookings: Dict[str, Tuple[Any, str, str]] = {}  # booking_id -> (customer, provider_id, service_id)
        self.availability_asked = 0
        self.offered: Dict[Tuple[str, str, str], str] = {}  # (provider, service, start) availability offered
        self.refused_when_offered: List[str] = []
        self.made_plausible: Dict[str, bool] = {}  # case id -> whether its values were made plausible
        self.shaped: collections.Counter = collections.Counter()  # how requests went: plausible, as generated
        self.refusals: Dict[str, List[str]] = {}
        self.seconds: Dict[str, List[float]] = collections.defaultdict(list)

    # --- hooks ---------------------------------------------------------------------------

    def before_call(self, context, case, kwargs) -> None:
        """Pick the caller and (mostly) make the body plausible, just before the request is sent."""
        from schemathesis import GenerationMode

        key = (case.operation.method.upper(), case.operation.path)
        body = case.body if isinstance(case.body, dict) else None
        positive = case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE
        plausible = positive and self.random.random() < PLAUSIBLE
        self.shaped["plausible" if plausible else "as generated" if positive else "negative"] += 1
        self.made_plausible[case.id] = plausible
        if plausible and self.random.random() < SWAP_UNKNOWN_IDS:
            self._swap_unknown_ids(key, case, body)
        if plausible:
            self._make_plausible(key, case, body if body is not None else {})
        user = self._caller(key, case) if plausible else self.random.choice(self.everyone)
        case.headers = {**(case.headers or {}), "Authorization": user.headers["Authorization"]}

    def after_call(self, context, case, response) -> None:
        """Remember what a success made, and who made it (and the first messages of each kind of refusal)."""
        if response.status_code >= 400:
            shaped = "plausible" if self.made_plausible.get(case.id) else "as generated"
            label = f"{case.operation.label} {response.status_code} {shaped}"
            if len(self.refusals.setdefault(label, [])) < 2:
                self.refusals[label].append(response.content[:200].decode("utf-8", "replace"))
        self.seconds[case.operation.label].append(response.elapsed)
        self._note_refusal_of_offered_time(case, response)
        key = (case.operation.method.upper(), case.operation.path)
        if response.status_code not in (200, 201) or key not in MAKERS:
            return
        made = response.json()
        caller = self.by_token.get((case.headers or {}).get("Authorization", ""))
        if key == ("POST", "/v1/providers"):
            self.providers.append(made["provider_id"])
        elif key == ("PUT", "/v1/providers/{provider_id}/working-hours") and any(made["weekly"].values()):
            self.open_providers.add(case.path_parameters["provider_id"])
        elif key == ("POST", "/v1/providers/{provider_id}/services"):
            self.services[made["service_id"]] = made["provider_id"]
        elif key == ("POST", "/v1/holds"):
            self.holds[made["hold_id"]] = (caller, made["provider_id"], made["service_id"])
        elif key == ("POST", "/v1/bookings"):
            self.bookings[made["booking_id"]] = (caller, made["provider_id"], made["service_id"])

    def _note_refusal_of_offered_time(self, case, response) -> None:
        """A 409 slot_unavailable for a start availability offered just before (nothing else ran in between)."""
        if response.status_code != 409 or not isinstance(case.body, dict) or "start" not in case.body:
            return
        if b"slot_unavailable" not in response.content:
            return
        ids = case.path_parameters or {}
        booking = self.bookings.get(ids.get("booking_id", ""), (None, None, None))
        provider_id = case.body.get("provider_id", booking[1])
        service_id = case.body.get("service_id", booking[2])
        if (provider_id, service_id, case.body["start"]) in self.offered:
            self.refused_when_offered.append(
                f"{case.operation.label} {json.dumps(case.body)[:300]} -> {response.content[:200].decode()}")

    # --- who calls -----------------------------------------------------------------------

    def _caller(self, key: Tuple[str, str], case):
        path = key[1]
        ids = case.path_parameters or {}
        body = case.body if isinstance(case.body, dict) else {}
        if path.startswith("/v1/providers"):
            return self.owner
        if key == ("DELETE", "/v1/holds/{hold_id}") and ids.get("hold_id") in self.holds:
            return self.holds[ids["hold_id"]][0]
        if key == ("POST", "/v1/bookings") and body.get("hold_id") in self.holds:
            return self.holds[body["hold_id"]][0]
        if path.startswith("/v1/bookings/{booking_id}") and ids.get("booking_id") in self.bookings:
            customer = self.bookings[ids["booking_id"]][0]
            if path.endswith(("/confirm", "/decline")):
                return self.owner
            if path.endswith("/reschedule") or self.random.random() < 0.7:
                return customer
            return self.owner
        return self.random.choice(self.customers)

    # --- known ids -----------------------------------------------------------------------

    def _swap_unknown_ids(self, key: Tuple[str, str], case, body: Optional[Dict[str, Any]]) -> None:
        ids = case.path_parameters or {}
        known = {"provider_id": self.providers, "hold_id": list(self.holds), "booking_id": list(self.bookings)}
        for name, value in ids.items():
            if known.get(name) and value not in known[name]:
                ids[name] = self.random.choice(known[name])
        if key == ("GET", "/v1/providers/{provider_id}/availability") and isinstance(case.query, dict):
            offered = [sid for sid, pid in self.services.items() if pid == ids.get("provider_id")]
            if offered and case.query.get("service_id") not in offered:
                case.query["service_id"] = self.random.choice(offered)
        if body is None:
            return
        if "hold_id" in body and body["hold_id"] not in self.holds and self.holds:
            body["hold_id"] = self.random.choice(list(self.holds))
        elif "service_id" in body and body["service_id"] not in self.services and self.services:
            body["service_id"] = self._known_service()
            body["provider_id"] = self.services[body["service_id"]]

    # --- plausible values ----------------------------------------------------------------

    def _make_plausible(self, key: Tuple[str, str], case, body: Dict[str, Any]) -> None:
        pick = self.random.choice
        if key == ("POST", "/v1/providers"):
            body.update(name=f"Stateful {uuid.uuid4().hex[:8]}", description="Sports massage", timezone="Europe/London",
                        categories=["massage"], location={"lat": 51.5072, "lon": -0.1276, "address": "1 High Street"})
            body["booking_rules"] = {"auto_confirm": pick([True, False]), "min_notice_minutes": pick([0, 60]),
                                     "max_days_ahead": pick([7, 10]), "hold_minutes": pick([5, 30]),
                                     "cancel_cutoff_minutes": pick([0, 60])}
        elif key == ("PUT", "/v1/providers/{provider_id}/working-hours"):
            body.clear()
            body["weekly"] = weekly(OPENS, CLOSES)
        elif key == ("POST", "/v1/providers/{provider_id}/services"):
            body.update(name=f"Massage {uuid.uuid4().hex[:6]}", category="massage",
                        duration_minutes=pick([30, 45, 60, 90]), buffer_minutes=pick([0, 15]),
                        price={"amount": 4500, "currency": "EUR"})
        elif key == ("POST", "/v1/providers/{provider_id}/blocks"):
            start = at(future_day(self.random.randint(2, SEARCH_DAYS)), pick([OPENS, "11:00"]))
            body.update(start=start, end=_plus_hours(start, 1), reason="Training")
        elif key == ("POST", "/v1/holds"):
            body["start"] = self._free_start(body.get("provider_id"), body.get("service_id"))
        elif key == ("POST", "/v1/bookings"):
            self._plausible_booking(body)
        elif key == ("POST", "/v1/bookings/{booking_id}/reschedule"):
            booking = self.bookings.get((case.path_parameters or {}).get("booking_id"), (None, None, None))
            body["start"] = self._free_start(booking[1], booking[2])
        elif key in (("POST", "/v1/bookings/{booking_id}/cancel"), ("POST", "/v1/bookings/{booking_id}/decline")):
            body["reason"] = "Plans changed"
        elif key == ("GET", "/v1/providers/{provider_id}/blocks") and isinstance(case.query, dict):
            case.query.pop("cursor", None)
        elif key == ("GET", "/v1/providers/{provider_id}/availability") and isinstance(case.query, dict):
            first = future_day(1)
            case.query.update({"from": first.isoformat(), "to": (first + timedelta(days=SEARCH_DAYS)).isoformat()})

    def _plausible_booking(self, body: Dict[str, Any]) -> None:
        """One of the two shapes of a booking: a known hold, or a known service at a start it offers."""
        hold_id, service_id = body.get("hold_id"), body.get("service_id")
        if hold_id not in self.holds and service_id not in self.services:
            if self.holds and (not self.services or self.random.random() < 0.5):
                hold_id = self.random.choice(list(self.holds))
            elif self.services:
                service_id = self._known_service()
            else:
                return
        note = {"note": "Ground floor, ring twice"} if self.random.random() < 0.5 else {}
        body.clear()
        if hold_id in self.holds:
            body.update(hold_id=hold_id, **note)
        else:
            provider_id = self.services[service_id]
            body.update(provider_id=provider_id, service_id=service_id, start=self._free_start(provider_id, service_id),
                        **note)

    def _known_service(self) -> str:
        """A service the run made, of a provider with working hours where there is one."""
        open_ = [sid for sid, pid in self.services.items() if pid in self.open_providers]
        return self.random.choice(open_ or list(self.services))

    def _free_start(self, provider_id: Optional[str], service_id: Optional[str]) -> str:
        """A start the provider's availability offers for the service now; else one on the grid."""
        fallback = at(future_day(self.random.randint(2, SEARCH_DAYS)), "10:00")
        if self.services.get(service_id or "") != provider_id:
            return fallback
        first = future_day(1)
        self.availability_asked += 1
        answer = self.api.get(f"/v1/providers/{provider_id}/availability", params={
            "service_id": service_id, "from": first.isoformat(),
            "to": (first + timedelta(days=SEARCH_DAYS)).isoformat()})
        slots = answer.json().get("slots", []) if answer.status_code == 200 else []
        if not slots:
            return fallback
        start = self.random.choice(slots)["start"]
        self.offered[(provider_id, service_id, start)] = answer.headers.get("Date", "")
        return start


def _plus_hours(start: str, hours: int) -> str:
    return (parse_utc(start) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_stateful_chains_follow_the_links_and_keep_the_document(stack, api, users):
    import schemathesis
    from schemathesis.engine import StopReason, events, from_schema
    from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER

    # Given a provider-group user and two customers, and the document's links as the only transitions
    world = World(api, users(provider=True), [users(), users()], SEED)
    config = schemathesis.Config.from_dict({
        "base-url": stack.api_url,
        "seed": SEED,
        "generation": {"database": "none"},
        "phases": {
            "examples": {"enabled": False}, "coverage": {"enabled": False}, "fuzzing": {"enabled": False},
            "stateful": {"enabled": True, "max-steps": MAX_STEPS, "inference": {"algorithms": []},
                         "generation": {"max-examples": MAX_SCENARIOS}},
        },
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "workers": 1,  # as the contract fuzzer: one thread (a CPython 3.11.7 SystemError with two)
        "request-timeout": 40,  # as the contract fuzzer: a working-hours change may take its 10 s budget and more
    })
    schema = schemathesis.openapi.from_url(stack.api_url + "/v1/openapi.json", config=config)

    def after_call(context, case, response):
        world.after_call(context, case, response)

    def before_call(context, case, kwargs):
        world.before_call(context, case, kwargs)

    schema.hook("after_call")(after_call)
    # before_call is a global hook only: registered for this run, removed after it.
    GLOBAL_HOOK_DISPATCHER.register_hook_with_name(before_call, "before_call")

    # When the stateful phase runs
    failures: List[str] = []
    errors: List[str] = []
    statuses: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    linked_successes: collections.Counter = collections.Counter()
    scenarios = steps = 0
    finished = None
    try:
        for event in from_schema(schema).execute():
            if isinstance(event, events.ScenarioFinished):
                scenarios += 1
                failures += describe_failures(event.recorder)
                for case_id, interaction in event.recorder.interactions.items():
                    if interaction.response is None:
                        continue
                    steps += 1
                    node = event.recorder.cases[case_id]
                    label = node.value.operation.label
                    statuses[label][interaction.response.status_code] += 1
                    # Via a link: the step is a link's, and used the value the link carried.
                    if node.transition is not None and node.is_transition_applied and interaction.response.status_code < 300:
                        linked_successes[label] += 1
            elif isinstance(event, events.NonFatalError):
                errors.append(f"{event.label}: {event.value!r}")
            elif isinstance(event, events.FatalError):
                errors.append(f"fatal: {event.exception!r}")
            elif isinstance(event, events.EngineFinished):
                finished = event
    finally:
        GLOBAL_HOOK_DISPATCHER.unregister(before_call)

    server_errors = sum(count for counter in statuses.values() for status, count in counter.items() if status >= 500)
    report = {
        "seed": SEED, "max_scenarios": MAX_SCENARIOS, "max_steps": MAX_STEPS, "scenarios": scenarios, "steps": steps,
        "server_errors": server_errors, "failed_checks": len(failures),
        "availability_lookups": world.availability_asked, "requests": dict(world.shaped),
        "running_time_s": round(finished.running_time, 1) if finished is not None else None,
        "mean_seconds": {label: round(sum(times) / len(times), 2) for label, times in sorted(world.seconds.items())},
        "statuses": {label: dict(sorted(counter.items())) for label, counter in sorted(statuses.items())},
        "successes_via_links": dict(sorted(linked_successes.items())),
        "refused_when_offered": world.refused_when_offered,
        "refusals_seen": dict(sorted(world.refusals.items())),
    }
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))

    # Then nothing failed, no answer was a 5xx, and the links carried chains to a booking and past it
    assert not errors, "\n".join(errors)
    assert not failures, f"{len(failures)} failed checks:\n" + "\n".join(dict.fromkeys(failures))
    assert finished is not None and finished.stop_reason == StopReason.COMPLETED
    assert server_errors == 0
    # Availability and holding agree: a start offered a moment before (nothing ran between) is not refused as taken.
    assert not world.refused_when_offered, world.refused_when_offered
    assert scenarios > 0 and steps > scenarios
    assert linked_successes["POST /v1/bookings"] > 0, report
    assert linked_successes["POST /v1/bookings/{booking_id}/reschedule"] + linked_successes[
        "POST /v1/bookings/{booking_id}/cancel"] > 0, report
