"""GET /v1/openapi.json describes every route that exists, under the contract's paths, with typed inputs,
typed answers and the refusals each route can really give."""
import json
import re

import pytest
from openapi_spec_validator import validate

from tests.integration.conftest import call

# The routes of the v1 contract.
CONTRACT = {
    ("GET", "/v1/health"), ("GET", "/v1/config"), ("GET", "/v1/categories"), ("GET", "/v1/openapi.json"),
    ("POST", "/v1/providers"), ("GET", "/v1/providers/{provider_id}"), ("PATCH", "/v1/providers/{provider_id}"),
    ("GET", "/v1/providers/{provider_id}/availability"),
    ("GET", "/v1/providers/{provider_id}/working-hours"), ("PUT", "/v1/providers/{provider_id}/working-hours"),
    ("POST", "/v1/providers/{provider_id}/services"),
    ("PATCH", "/v1/providers/{provider_id}/services/{service_id}"),
    ("DELETE", "/v1/providers/{provider_id}/services/{service_id}"),
    ("GET", "/v1/providers/{provider_id}/blocks"), ("POST", "/v1/providers/{provider_id}/blocks"),
    ("DELETE", "/v1/providers/{provider_id}/blocks/{block_id}"),
    ("GET", "/v1/providers/{provider_id}/bookings"),
    ("POST", "/v1/holds"), ("DELETE", "/v1/holds/{hold_id}"),
    ("POST", "/v1/bookings"), ("GET", "/v1/bookings/{booking_id}"), ("GET", "/v1/me/bookings"),
    ("POST", "/v1/bookings/{booking_id}/cancel"), ("POST", "/v1/bookings/{booking_id}/reschedule"),
    ("POST", "/v1/bookings/{booking_id}/confirm"), ("POST", "/v1/bookings/{booking_id}/decline"),
    ("GET", "/v1/bookings/{booking_id}/calendar.ics"), ("GET", "/v1/providers/{provider_id}/calendar-feed"),
    ("POST", "/v1/providers/{provider_id}/calendar-feed/rotate"), ("GET", "/v1/calendar-feeds/{provider_id}/{secret}"),
    ("GET", "/v1/providers/{provider_id}/audit"), ("GET", "/v1/me/notifications"),
    ("POST", "/v1/bookings/{booking_id}/review"), ("GET", "/v1/providers/{provider_id}/reviews"),
    ("POST", "/v1/me/notifications/{notification_id}/read"),
    ("PUT", "/v1/me/devices/{device_id}"), ("DELETE", "/v1/me/devices/{device_id}"),
    ("PUT", "/v1/me/sms"), ("DELETE", "/v1/me/sms"), ("GET", "/v1/search"),
}
# Answers that are calendar files, not JSON.
CALENDARS = {("GET", "/v1/bookings/{booking_id}/calendar.ics"), ("GET", "/v1/calendar-feeds/{provider_id}/{secret}")}
CONTRACT_ERROR_CODES = {
    "invalid_request", "unauthenticated", "forbidden", "not_found", "slot_unavailable", "hold_expired",
    "conflicts_with_bookings", "booking_not_modifiable", "cancel_window_closed", "request_in_progress",
    "booking_not_reviewable", "already_reviewed", "idempotency_key_reused", "try_again",
}
# Where a 409 can happen, and with which codes.
CONFLICTS = {
    ("POST", "/v1/providers/{provider_id}/blocks"): {"conflicts_with_bookings", "slot_unavailable"},
    ("POST", "/v1/holds"): {"slot_unavailable"},
    ("POST", "/v1/bookings"): {"slot_unavailable", "hold_expired", "request_in_progress"},
    ("POST", "/v1/bookings/{booking_id}/cancel"): {"booking_not_modifiable", "cancel_window_closed"},
    ("POST", "/v1/bookings/{booking_id}/reschedule"): {"slot_unavailable", "booking_not_modifiable",
                                                       "cancel_window_closed"},
    ("POST", "/v1/bookings/{booking_id}/confirm"): {"booking_not_modifiable"},
    ("POST", "/v1/bookings/{booking_id}/decline"): {"booking_not_modifiable"},
    ("POST", "/v1/bookings/{booking_id}/review"): {"booking_not_reviewable", "already_reviewed"},
}
# The fields of each answer today; the document may add, never drop.
ANSWER_FIELDS = {
    "Booking": {"booking_id", "status", "provider_id", "service_id", "customer_id", "start", "end", "timezone",
                "local_start", "note", "reason", "created_at", "updated_at"},
    "Hold": {"hold_id", "provider_id", "service_id", "start", "end", "expires_at"},
    "ProviderProfile": {"provider_id", "name", "description", "categories", "location", "timezone", "rating",
                        "review_count", "services", "booking_rules", "created_at", "updated_at"},
    "Service": {"service_id", "provider_id", "name", "category", "duration_minutes", "buffer_minutes", "price",
                "active", "created_at", "updated_at"},
    "Block": {"block_id", "provider_id", "start", "end", "reason", "created_at"},
    "Availability": {"provider_id", "service_id", "timezone", "slots"},
    "Slot": {"start", "end", "local_start"},
    "BookingPage": {"bookings", "next_cursor"},
    "BlockPage": {"blocks", "next_cursor"},
    "WorkingHours": {"weekly", "overrides"},
    "Health": {"status"},
    "CategoryList": {"categories"},
    "CalendarFeed": {"url"},
    "Review": {"booking_id", "provider_id", "rating", "comment", "created_at"},
    "ReviewPage": {"reviews", "next_cursor"},
    "ProviderPage": {"providers", "next_cursor"},
    "ProviderHolds": {"provider_id", "timezone", "holds"},
    "ProviderHold": {"hold_id", "start", "end", "local_start", "expires_at"},
}


@pytest.fixture(scope="module")
def document():
    from chalicelib.api.openapi import openapi_document
    import app  # noqa: F401  (registers the routes)
    return openapi_document()


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_the_document_lists_exactly_the_routes_that_exist(client):
    import app
    status, document, _ = call(client, "GET", "/v1/openapi.json")
    assert status == 200 and document["openapi"].startswith("3.1")
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    served = {(method, path) for path, methods in app.app.routes.items() for method in methods}
    assert documented == served
    assert CONTRACT <= served


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"] == "3.1.0"


def test_every_schema_a_route_names_is_in_the_document(document):
    schemas = document["components"]["schemas"]
    refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps([document["paths"], schemas]))
    assert refs and set(refs) <= set(schemas)


def test_every_json_answer_has_a_schema_with_its_fields(document):
    schemas = document["components"]["schemas"]
    for method, path, operation in operations(document):
        success = [(status, answer) for status, answer in operation["responses"].items() if status.startswith("2")]
        assert len(success) == 1, (method, path)
        status, answer = success[0]
        if status == "204":
            assert "content" not in answer, (method, path)
            continue
        if (method, path) in CALENDARS:
            assert answer["content"] == {"text/calendar": {"schema": {"type": "string"}}}, (method, path)
            continue
        name = answer["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert schemas[name]["properties"], (method, path)
        if name in ANSWER_FIELDS:
            assert ANSWER_FIELDS[name] <= set(schemas[name]["properties"]), name
    for name, fields in ANSWER_FIELDS.items():
        assert fields <= set(schemas[name]["properties"]), name


def test_answers_mark_always_sent_fields_required_and_nullable_ones_nullable(document):
    schemas = document["components"]["schemas"]
    booking = schemas["Booking"]
    assert set(booking["required"]) == ANSWER_FIELDS["Booking"]
    assert {"type": "null"} in booking["properties"]["reason"]["anyOf"]
    assert booking["properties"]["status"]["enum"] == ["PENDING", "CONFIRMED", "CANCELED", "DECLINED"]
    profile = schemas["ProviderProfile"]
    assert {"type": "null"} in profile["properties"]["rating"]["anyOf"]
    assert "review_count" in profile["required"]
    assert set(schemas["Slot"]["required"]) == {"start", "end", "local_start"}
    assert {"type": "null"} in schemas["BookingPage"]["properties"]["next_cursor"]["anyOf"]


def test_every_refusal_is_the_one_error_schema(document):
    error = document["components"]["schemas"]["ErrorDetail"]
    assert set(error["properties"]["code"]["enum"]) >= CONTRACT_ERROR_CODES | {"method_not_allowed"}
    assert set(error["required"]) == {"code", "message"}
    assert error["properties"]["booking_ids"]["type"] == "array"
    for method, path, operation in operations(document):
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert answer["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def test_each_route_lists_only_the_refusals_it_can_give(document):
    for method, path, operation in operations(document):
        statuses = {status for status in operation["responses"] if not status.startswith("2")}
        authenticated = "security" in operation
        assert ("401" in statuses) == authenticated, (method, path)
        if not authenticated:
            assert "403" not in statuses, (method, path)
        assert ("422" in statuses) == ((method, path) == ("POST", "/v1/bookings")), (method, path)
        conflicts = CONFLICTS.get((method, path))
        assert ("409" in statuses) == bool(conflicts), (method, path)
        if conflicts:
            described = set(re.findall(r"(\w+):", operation["responses"]["409"]["description"]))
            assert described == conflicts, (method, path)
        assert ("404" in statuses) == ("{" in path or (method, path) in {("POST", "/v1/holds"),
                                                                          ("POST", "/v1/bookings")}), (method, path)
    assert set(document["paths"]["/v1/health"]["get"]["responses"]) == {"200"}
    for path in ("/v1/config", "/v1/categories", "/v1/openapi.json"):  # cached: 304 to a current If-None-Match
        assert set(document["paths"][path]["get"]["responses"]) == {"200", "304"}


def test_parameters_are_typed(document):
    def parameters(method, path):
        return {p["name"]: p for p in document["paths"][path][method]["parameters"]}

    for list_path in ("/v1/me/bookings", "/v1/providers/{provider_id}/bookings"):
        query = parameters("get", list_path)
        assert query["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
        assert query["status"]["schema"]["enum"] == ["PENDING", "CONFIRMED", "CANCELED", "DECLINED"]
        assert {s["format"] for s in query["from"]["schema"]["anyOf"]} == {"date", "date-time"}
        assert query["cursor"]["schema"] == {"type": "string"}
        assert not any(p["required"] for p in query.values() if p["in"] == "query")
    availability = parameters("get", "/v1/providers/{provider_id}/availability")
    assert availability["from"]["schema"] == {"type": "string", "format": "date"}
    assert availability["to"]["required"] and availability["service_id"]["schema"]["type"] == "string"
    assert parameters("get", "/v1/providers/{provider_id}/blocks")["limit"]["schema"]["maximum"] == 100
    for method, path, operation in operations(document):
        for name in re.findall(r"{(\w+)}", path):
            path_parameter = next(p for p in operation["parameters"] if p["name"] == name)
            assert path_parameter["in"] == "path" and path_parameter["required"]
            assert path_parameter["schema"]["type"] == "string" and path_parameter["schema"]["maxLength"] == 64
    key = parameters("post", "/v1/bookings")["Idempotency-Key"]
    assert key["in"] == "header" and key["required"]
    assert key["schema"] == {"type": "string", "minLength": 1, "maxLength": 255}


def test_bodies(document):
    paths = document["paths"]
    for action in ("cancel", "decline"):
        assert paths[f"/v1/bookings/{{booking_id}}/{action}"]["post"]["requestBody"]["required"] is False
    for path, method in (("/v1/providers", "post"), ("/v1/bookings", "post"), ("/v1/holds", "post"),
                         ("/v1/bookings/{booking_id}/reschedule", "post"),
                         ("/v1/bookings/{booking_id}/review", "post")):
        assert paths[path][method]["requestBody"]["required"] is True
    hours = paths["/v1/providers/{provider_id}/working-hours"]["put"]["requestBody"]
    name = hours["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    schemas = document["components"]["schemas"]
    assert set(schemas[name]["properties"]) == {"weekly", "overrides"} and schemas[name]["required"] == ["weekly"]
    weekly = schemas[schemas[name]["properties"]["weekly"]["$ref"].rsplit("/", 1)[-1]]
    assert set(weekly["properties"]) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    assert "requestBody" not in paths["/v1/bookings/{booking_id}/confirm"]["post"]


def test_calendar_files_are_text_calendar_and_the_feed_needs_no_token(document):
    paths = document["paths"]
    for path in ("/v1/bookings/{booking_id}/calendar.ics", "/v1/calendar-feeds/{provider_id}/{secret}"):
        assert set(paths[path]["get"]["responses"]["200"]["content"]) == {"text/calendar"}
    feed = paths["/v1/calendar-feeds/{provider_id}/{secret}"]["get"]
    assert "security" not in feed and set(feed["responses"]) == {"200", "404", "503"}
    for path, method in (("/v1/providers/{provider_id}/calendar-feed", "get"),
                         ("/v1/providers/{provider_id}/calendar-feed/rotate", "post")):
        answer = paths[path][method]["responses"]
        assert answer["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/CalendarFeed")
        assert {"401", "403", "404"} <= set(answer)


def test_reviews_take_whole_stars_and_show_no_customer(document):
    paths, schemas = document["paths"], document["components"]["schemas"]
    post = paths["/v1/bookings/{booking_id}/review"]["post"]
    assert post["security"] and set(post["responses"]) == {"201", "400", "401", "403", "404", "409", "429", "503"}
    body = schemas[post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert body["required"] == ["rating"] and body["additionalProperties"] is False
    assert {k: body["properties"]["rating"][k] for k in ("type", "minimum", "maximum")} == {
        "type": "integer", "minimum": 1, "maximum": 5}
    assert {"type": "string", "maxLength": 2000} in body["properties"]["comment"]["anyOf"]
    assert "customer_id" not in schemas["Review"]["properties"]
    listing = paths["/v1/providers/{provider_id}/reviews"]["get"]
    assert "security" not in listing and set(listing["responses"]) == {"200", "304", "400", "404", "503"}
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}


def test_my_providers_is_a_signed_in_page_of_profiles(document):
    paths, schemas = document["paths"], document["components"]["schemas"]
    listing = paths["/v1/me/providers"]["get"]
    assert listing["security"] and set(listing["responses"]) == {"200", "400", "401", "503"}
    answer = listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schemas[answer]["required"]) == {"providers", "next_cursor"}
    assert schemas[answer]["properties"]["providers"]["items"] == {"$ref": "#/components/schemas/ProviderProfile"}
    query = {p["name"]: p for p in listing["parameters"]}
    assert set(query) == {"limit", "cursor"} and not any(p["required"] for p in query.values())
    assert query["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}


def test_the_providers_holds_are_for_its_owner_by_local_dates_and_show_no_customer(document):
    paths, schemas = document["paths"], document["components"]["schemas"]
    listing = paths["/v1/providers/{provider_id}/holds"]["get"]
    assert listing["security"] and set(listing["responses"]) == {"200", "400", "401", "403", "404", "503"}
    query = {p["name"]: p for p in listing["parameters"] if p["in"] == "query"}
    assert set(query) == {"from", "to"} and all(p["required"] for p in query.values())
    assert query["from"]["schema"] == query["to"]["schema"] == {"type": "string", "format": "date"}
    assert set(schemas["ProviderHold"]["required"]) == ANSWER_FIELDS["ProviderHold"]
    assert "customer_id" not in schemas["ProviderHold"]["properties"]


def test_every_signed_in_change_can_be_rate_limited_and_holds_capped_with_retry_after(document):
    for method, path, operation in operations(document):
        limited = "security" in operation and method in ("POST", "PUT", "PATCH", "DELETE")
        assert ("429" in operation["responses"]) == limited, (method, path)
        if limited:
            answer = operation["responses"]["429"]
            codes = set(re.findall(r"(\w+):", answer["description"]))
            assert codes == ({"too_many_holds", "rate_limited"} if (method, path) == ("POST", "/v1/holds")
                             else {"rate_limited"}), (method, path)
            assert answer["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    codes = document["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["enum"]
    assert {"too_many_holds", "rate_limited"} <= set(codes)


def test_every_link_names_a_real_operation_its_parameters_and_values_of_the_answer(document):
    # Given every link of every success answer
    by_id = {operation["operationId"]: (method, path, operation) for method, path, operation in operations(document)}
    schemas = document["components"]["schemas"]

    def properties(ref_holder):
        return schemas[ref_holder["$ref"].rsplit("/", 1)[-1]]["properties"]

    links = [(method, path, status, name, link) for method, path, operation in operations(document)
             for status, answer in operation["responses"].items() for name, link in answer.get("links", {}).items()]
    assert {(method, path) for method, path, *_ in links} >= {
        ("POST", "/v1/providers"), ("POST", "/v1/providers/{provider_id}/services"), ("POST", "/v1/holds"),
        ("POST", "/v1/bookings")}
    for method, path, status, name, link in links:
        where = f"{method} {path} {status} {name}"
        # Then only success answers link, to an operation that exists
        assert status.startswith("2") and link["operationId"] in by_id, where
        _, target_path, target = by_id[link["operationId"]]
        source = document["paths"][path][method.lower()]
        answer_fields = properties(source["responses"][status]["content"]["application/json"]["schema"])
        target_parameters = {(p["in"], p["name"]) for p in target["parameters"]}
        expressions = list(link.get("parameters", {}).values()) + list(link.get("requestBody", {}).values())
        # Each parameter is one the target takes, where it takes it
        for qualified in link.get("parameters", {}):
            assert tuple(qualified.split(".", 1)) in target_parameters, where
        # Each body field is one of the target's body
        if "requestBody" in link:
            body = properties(target["requestBody"]["content"]["application/json"]["schema"])
            assert set(link["requestBody"]) <= set(body), where
        # And each value comes from a field of the answer or a path parameter of the request
        for expression in expressions:
            kind, _, name = expression.partition("#/") if "#/" in expression else expression.rpartition(".")
            if kind == "$response.body":
                assert name in answer_fields, where
            else:
                assert kind == "$request.path" and ("path", name) in {(p["in"], p["name"]) for p in source["parameters"]}
        assert set(re.findall(r"{(\w+)}", target_path)) <= {q.split(".", 1)[1] for q in link.get("parameters", {})}, where


def test_links_chain_a_booking_from_a_new_provider_to_its_reschedule_and_cancel(document):
    def targets(method, path, status):
        answer = document["paths"][path][method]["responses"][status]
        return {link["operationId"] for link in answer.get("links", {}).values()}

    assert "post_v1_providers_provider_id_services" in targets("post", "/v1/providers", "201")
    assert {"post_v1_holds", "post_v1_bookings"} <= targets("post", "/v1/providers/{provider_id}/services", "201")
    assert {"post_v1_bookings", "delete_v1_holds_hold_id"} <= targets("post", "/v1/holds", "201")
    assert {"get_v1_bookings_booking_id", "post_v1_bookings_booking_id_reschedule", "post_v1_bookings_booking_id_cancel",
            "post_v1_bookings_booking_id_confirm", "post_v1_bookings_booking_id_decline"} <= targets(
        "post", "/v1/bookings", "201")
