"""Schemathesis against the running stack: every operation of its /v1/openapi.json, with generated valid
and invalid input (its examples, coverage and fuzzing phases), keeps the document's promises.

Checks: no 5xx; only the statuses the operation documents; the documented content type; answers that
match their schemas; 405 for methods a path does not have; 4xx without a required header; 401 without
or with a bad token. The caller is a member of the providers group who owns a real provider (working
hours, a service, a block) and has booked and held time there. Often each generated id (path, query or
body), start, and the fields whose rules a schema cannot say (zone and category names, the 15-minute
grid) are swapped for real or plausible ones, so operations with ids get past 404 and things get made
(a calendar feed's provider and secret are another provider's, whose feed the fuzzing never rotates).
Bounded by MAX_EXAMPLES per operation (the coverage phase adds its boundary cases) and a fixed seed
(CONTRACT_FUZZ_SEED to explore others); deadlines are off.

Run through Schemathesis' engine, as its CLI does: its pytest loader for fixtures
(`schemathesis.pytest.from_fixture`) does not work with pytest 9.2 (it sets `Node._nodeid`, gone there).
"""
from __future__ import annotations

import collections
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.e2e.helpers import at, book, create_provider, expect, future_day, parse_utc

MAX_EXAMPLES = 25
SEED = int(os.environ.get("CONTRACT_FUZZ_SEED", "20261201"))
# Body fields whose schema cannot say all the rules (names of zones and categories, the 15-minute grid).
PLAUSIBLE = {"timezone": "Europe/London", "categories": ["massage"], "category": "massage",
             "duration_minutes": 60, "buffer_minutes": 15}
ARTIFACT = Path(__file__).resolve().parents[2] / "build" / "test-artifacts" / "reliability" / "contract.json"
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "unsupported_method", "missing_required_header", "ignored_auth")


@pytest.fixture(scope="module")
def real(api, users) -> Dict[str, Any]:
    """A provider-group user and what they own or made: ids, and free starts to hold, book or block."""
    shop = create_provider(api, users, durations=(60,))
    day = future_day(5)
    booking = expect(book(api, shop.owner, shop, at(day, "10:00")), 201)
    hold = expect(api.post("/v1/holds", user=shop.owner, json={
        "provider_id": shop.provider_id, "service_id": shop.service_id, "start": at(day, "14:00")}), 201)
    block = expect(api.post(f"/v1/providers/{shop.provider_id}/blocks", user=shop.owner, json={
        "start": at(day, "16:00"), "end": at(day, "17:00")}), 201)
    starts = [at(future_day(offset), f"{hour:02d}:{minute:02d}")
              for offset in (6, 7, 8) for hour in (9, 11, 13, 15) for minute in (0, 15)]
    # A calendar feed of another provider: the generated rotations only ever rotate the first one's.
    other = create_provider(api, users, durations=(60,))
    feed = expect(api.get(f"/v1/providers/{other.provider_id}/calendar-feed", user=other.owner), 200)
    return {"owner": shop.owner, "starts": starts, "ids": {
        "provider_id": shop.provider_id, "service_id": shop.service_id, "booking_id": booking["booking_id"],
        "hold_id": hold["hold_id"], "block_id": block["block_id"]},
        "feed": {"provider_id": other.provider_id, "secret": feed["url"].rsplit("/", 1)[1]}}


def swap_in_real_values(schema, real: Dict[str, Any]) -> None:
    """Hooks: sometimes replace generated ids (path, query, body), starts and a few body fields with real ones."""
    from hypothesis import strategies as st

    def sometimes_real(values: Any):
        if not isinstance(values, dict):
            return st.just(values)
        ids = {**real["ids"], **real["feed"]} if "secret" in values else real["ids"]
        known = {name: value for name, value in {**ids, **PLAUSIBLE}.items() if name in values}
        options = [st.just(values), st.just({**values, **known})]
        if isinstance(values.get("start"), str):
            timed = st.sampled_from(real["starts"]).map(lambda start: {**values, **known, **_timed(values, start)})
            options.append(timed)
        return st.one_of(options)

    schema.hook("flatmap_path_parameters")(lambda context, path_parameters: sometimes_real(path_parameters))
    schema.hook("flatmap_query")(lambda context, query: sometimes_real(query))
    schema.hook("flatmap_body")(lambda context, body: sometimes_real(body))


def _timed(values: Dict[str, Any], start: str) -> Dict[str, str]:
    """A real start, and an end an hour later where the body has one (a block)."""
    if "end" not in values:
        return {"start": start}
    end = (parse_utc(start) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"start": start, "end": end}


def describe_failures(recorder) -> List[str]:
    """Each failed check of a scenario: the check, the request and the answer."""
    from schemathesis.engine import Status

    found = []
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status != Status.FAILURE:
                continue
            interaction = recorder.interactions.get(case_id)
            title = check.failure_info.failure.title if check.failure_info else ""
            line = f"{recorder.label}: {check.name} ({title})"
            if interaction is not None:
                request, response = interaction.request, interaction.response
                line += f"\n    {request.method} {request.uri} body={(request.body or b'')[:400]!r}"
                if response is not None:
                    line += f"\n    -> {response.status_code} {(response.content or b'')[:400]!r}"
            found.append(line)
    return found


def test_schemathesis_finds_every_operation_keeping_the_document(stack, real):
    import schemathesis
    from schemathesis.engine import StopReason, events, from_schema

    config = schemathesis.Config.from_dict({
        "base-url": stack.api_url,
        "headers": {"Authorization": real["owner"].headers["Authorization"]},
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        # One worker: with two threads, Python 3.11.7 here raised "AST constructor recursion depth mismatch"
        # (a SystemError of ASTs built in two threads at once) inside the fuzzer, failing a run at random.
        "workers": 1,
        # Above what a working-hours change may take by design (a 10 s slot-layout budget, then the reply)
        # on the one-request-at-a-time emulator; schemathesis' default of 10 s cut such answers off.
        "request-timeout": 40,
    })
    schema = schemathesis.openapi.from_url(stack.api_url + "/v1/openapi.json", config=config)
    swap_in_real_values(schema, real)
    failures: List[str] = []
    errors: List[str] = []
    answers: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    finished = None
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            failures += describe_failures(event.recorder)
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    answers[event.recorder.label][interaction.response.status_code] += 1
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            finished = event

    # The run's figures (docs/reliability.md): cases sent and what came back
    statuses = collections.Counter()
    for counts in answers.values():
        statuses.update(counts)
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps({
        "seed": SEED, "max_examples": MAX_EXAMPLES, "operations": len(answers), "cases": sum(statuses.values()),
        "server_errors": sum(n for status, n in statuses.items() if status >= 500), "failed_checks": len(failures),
        "statuses": {str(status): n for status, n in sorted(statuses.items())}}, indent=2) + "\n")
    assert not errors, "\n".join(errors)
    assert not failures, f"{len(failures)} failed checks:\n" + "\n".join(dict.fromkeys(failures))
    assert finished is not None and finished.stop_reason == StopReason.COMPLETED
    operations = {f"{method.upper()} {path}" for path, item in schema.raw_schema["paths"].items() for method in item}
    # Schemathesis does not call the operation its schema came from.
    assert set(answers) == operations - {"GET /v1/openapi.json"}, operations - set(answers)
    stuck = {label for label, statuses in answers.items() if "{" in label and set(statuses) <= {404}}
    assert not stuck, f"only ever 404: {stuck}"
