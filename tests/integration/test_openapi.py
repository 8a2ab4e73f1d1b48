"""GET /v1/openapi.json describes every route that exists, under the contract's paths."""
from tests.integration.conftest import call

# The routes of shared/API.md built so far (search, calendars, audit, notifications, reviews come later).
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
}


def test_the_document_lists_exactly_the_routes_that_exist(client):
    import app
    status, document, _ = call(client, "GET", "/v1/openapi.json")
    assert status == 200 and document["openapi"].startswith("3.1")
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    served = {(method, path) for path, methods in app.app.routes.items() for method in methods
              if method != "OPTIONS"}
    assert documented == served
    assert CONTRACT <= served


def test_every_schema_a_route_names_is_in_the_document(client):
    _, document, _ = call(client, "GET", "/v1/openapi.json")
    schemas = document["components"]["schemas"]
    for item in document["paths"].values():
        for operation in item.values():
            body = operation.get("requestBody")
            if body:
                name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
                assert name in schemas
    assert document["paths"]["/v1/bookings"]["post"]["parameters"][0]["name"] == "Idempotency-Key"
