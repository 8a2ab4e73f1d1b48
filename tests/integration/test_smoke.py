from tests.integration.conftest import call


def test_book_flow(client, make_user, fixed_clock):
    owner, customer = make_user(provider=True), make_user()
    status, provider, _ = call(client, "POST", "/v1/providers", owner, {
        "name": "Spa", "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1},
        "timezone": "Europe/London"})
    assert status == 201, provider
    pid = provider["provider_id"]
    week = {d: [{"start": "09:00", "end": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")}
    status, hours, _ = call(client, "PUT", f"/v1/providers/{pid}/working-hours", owner, {"weekly": week})
    assert status == 200, hours
    status, service, _ = call(client, "POST", f"/v1/providers/{pid}/services", owner, {
        "name": "Massage", "category": "massage", "duration_minutes": 60, "price": {"amount": 4500, "currency": "EUR"}})
    assert status == 201, service
    sid = service["service_id"]
    status, avail, _ = call(client, "GET", f"/v1/providers/{pid}/availability?service_id={sid}&from=2026-12-02&to=2026-12-02")
    assert status == 200, avail
    assert avail["slots"][0]["start"] == "2026-12-02T09:00:00Z"
    assert len(avail["slots"]) == 29
    status, booking, _ = call(client, "POST", "/v1/bookings", customer,
                              {"provider_id": pid, "service_id": sid, "start": "2026-12-02T09:00:00Z"},
                              {"Idempotency-Key": "k1"})
    assert status == 201, booking
    assert booking["status"] == "CONFIRMED"
    status, again, headers = call(client, "POST", "/v1/bookings", customer,
                                  {"provider_id": pid, "service_id": sid, "start": "2026-12-02T09:00:00Z"},
                                  {"Idempotency-Key": "k1"})
    assert status == 201 and again == booking and headers.get("Idempotent-Replayed") == "true"
    status, other, _ = call(client, "POST", "/v1/bookings", customer,
                            {"provider_id": pid, "service_id": sid, "start": "2026-12-02T09:45:00Z"},
                            {"Idempotency-Key": "k2"})
    assert status == 409 and other["error"]["code"] == "slot_unavailable", other
