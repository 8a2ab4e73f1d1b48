"""Who may call what: every route walked for every role, and every way a token can be wrong.

Roles: anonymous (no token), the booking's customer, another customer, the provider's owner, and another
provider (in group `providers`, owning a different provider). One world is built once for the module;
a request that would change or use up what it touches gets a fresh object ("fresh_*") made for it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Optional, Tuple

import jwt
import pytest
from chalice.test import Client
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

from chalicelib.adapters.user_pool import client_properties
from local import bootstrap
from tests.integration.conftest import PASSWORD, User, clock_at, emulated_aws, new_user

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
ROLES = ("anonymous", "customer", "other_customer", "owner", "other_provider")
CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}


def request(client, method: str, path: str, token: Optional[str] = None, body: Any = None,
            headers: Optional[Dict[str, str]] = None) -> Tuple[int, Any]:
    """One request; JSON answers parsed (others, e.g. text/calendar, as text). Never a 5xx, never CORS headers."""
    all_headers = {"Content-Type": "application/json"}
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    all_headers.update(headers or {})
    payload = None if body is None else json.dumps(body)
    response = getattr(client.http, method.lower())(path, headers=all_headers, body=payload)
    try:
        data = json.loads(response.body) if response.body else None
    except ValueError:
        data = response.body
    assert response.status_code < 500, f"{method} {path}: {response.status_code} {data}"
    # The console is served from the API's origin: no answer invites a page of another origin to read it.
    assert not [name for name in response.headers if name.lower().startswith("access-control-")], response.headers
    return response.status_code, data


@dataclass
class World:
    client: Any
    pool_id: str
    client_id: str
    users: Dict[str, Optional[User]]
    pid: str = ""
    sid: str = ""
    other_pid: str = ""
    bid: str = ""
    _starts: Any = field(default=None, repr=False)

    def call(self, method: str, path: str, role: Optional[str] = None, body: Any = None, headers=None):
        user = self.users.get(role) if role else None
        return request(self.client, method, path, user.token if user else None, body, headers)

    def fresh_start(self) -> datetime:
        """A 30-minute start in working hours that no test has used yet."""
        return next(self._starts)

    def ok(self, method: str, path: str, role: str, body: Any = None, headers=None, status: int = 201):
        got, data = self.call(method, path, role, body, headers)
        assert got == status, data
        return data

    def fresh_booking(self) -> str:
        """A new PENDING booking of the customer at the owner's provider."""
        body = {"provider_id": self.pid, "service_id": self.sid, "start": iso(self.fresh_start())}
        return self.ok("POST", "/v1/bookings", "customer", body, {"Idempotency-Key": uuid.uuid4().hex})["booking_id"]

    def fresh_hold(self) -> str:
        body = {"provider_id": self.pid, "service_id": self.sid, "start": iso(self.fresh_start())}
        return self.ok("POST", "/v1/holds", "customer", body)["hold_id"]

    def fresh_feed_secret(self) -> str:
        """The secret of the owner's calendar feed as it is now (rows may rotate it)."""
        url = self.ok("GET", f"/v1/providers/{self.pid}/calendar-feed", "owner", headers=HOST, status=200)["url"]
        return url.rsplit("/", 1)[1]

    def fresh_service(self) -> str:
        return self.ok("POST", f"/v1/providers/{self.pid}/services", "owner", SERVICE)["service_id"]

    def fresh_block(self) -> str:
        return self.ok("POST", f"/v1/providers/{self.pid}/blocks", "owner", self.block_body())["block_id"]

    def block_body(self) -> Dict[str, str]:
        start = self.fresh_start()
        return {"start": iso(start), "end": iso(start + timedelta(minutes=30))}

    def hold_or_booking_body(self) -> Dict[str, str]:
        return {"provider_id": self.pid, "service_id": self.sid, "start": iso(self.fresh_start())}


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def starts():
    """Every half hour from 08:00 to 19:30 UTC (London in winter), from 2 December on."""
    for day in itertools.count(1):
        for half_hours in range(24):
            yield datetime(2026, 12, 1, 8, tzinfo=timezone.utc) + timedelta(days=day, minutes=30 * half_hours)


PROVIDER = {"name": "Spa", "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1},
            "timezone": "Europe/London", "booking_rules": {"auto_confirm": False}}
HOURS = {"weekly": {d: [{"start": "08:00", "end": "20:00"}] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}
HOST = {"Host": "api.roles.test"}
SERVICE = {"name": "Massage", "category": "massage", "duration_minutes": 30, "price": {"amount": 4500, "currency": "EUR"}}


def _user(env, role: str) -> User:
    return new_user(env, f"{role.replace('_', '-')}@roles.test", provider=role in ("owner", "other_provider"))


@pytest.fixture(scope="module")
def world():
    """The conftest `aws`/`client` set-up once for the module, with two providers, a service and a booking."""
    with emulated_aws() as env, clock_at(NOW):
        cognito, pool_id, client_id = env["cognito"], env["pool_id"], env["client_id"]
        import app
        with Client(app.app) as client:
            users = {role: _user(env, role) for role in ROLES if role != "anonymous"}
            w = World(client, pool_id, client_id, {"anonymous": None, **users}, _starts=starts())
            w.pid = w.ok("POST", "/v1/providers", "owner", PROVIDER)["provider_id"]
            w.ok("PUT", f"/v1/providers/{w.pid}/working-hours", "owner", HOURS, status=200)
            w.sid = w.fresh_service()
            w.other_pid = w.ok("POST", "/v1/providers", "other_provider", PROVIDER)["provider_id"]
            w.bid = w.fresh_booking()
            w.cognito = cognito
            yield w


# ---- the walk ------------------------------------------------------------------------------------------

#                  anonymous customer other_customer owner other_provider
PUBLIC = dict(zip(ROLES, (200, 200, 200, 200, 200)))
SIGNED_IN = dict(zip(ROLES, (401, 200, 200, 200, 200)))
SIGNED_IN_CREATES = dict(zip(ROLES, (401, 201, 201, 201, 201)))
PROVIDERS_GROUP_CREATES = dict(zip(ROLES, (401, 403, 403, 201, 201)))
OWNER_ONLY = dict(zip(ROLES, (401, 403, 403, 200, 403)))
OWNER_CREATES = dict(zip(ROLES, (401, 403, 403, 201, 403)))
OWNER_DELETES = dict(zip(ROLES, (401, 403, 403, 204, 403)))
CUSTOMER_OR_OWNER = dict(zip(ROLES, (401, 200, 404, 200, 404)))
ONLY_ITS_CUSTOMER = dict(zip(ROLES, (401, 200, 404, 403, 404)))
ONLY_ITS_OWNER = dict(zip(ROLES, (401, 403, 404, 200, 404)))
ONLY_ITS_CUSTOMER_REVIEWS = dict(zip(ROLES, (401, 409, 404, 403, 404)))
ONLY_ITS_HOLDER = dict(zip(ROLES, (401, 204, 404, 404, 404)))
SIGNED_IN_NO_CONTENT = dict(zip(ROLES, (401, 204, 204, 204, 204)))
UNKNOWN_ID = dict(zip(ROLES, (401, 404, 404, 404, 404)))

# Which world value each path parameter takes unless a row says otherwise ("fresh_*" makes a new one).
DEFAULT_IDS = {"provider_id": "pid", "service_id": "sid", "booking_id": "bid", "hold_id": "fresh_hold",
               "block_id": "fresh_block", "notification_id": "unknown", "device_id": "unknown", "id": "unknown"}


@dataclass(frozen=True)
class Row:
    method: str
    route: str  # exactly as registered (chalicelib.api.http.ROUTES)
    expect: Dict[str, Any]  # role -> status (or a tuple of acceptable statuses)
    query: str = ""
    ids: Dict[str, str] = field(default_factory=dict)
    body: Optional[Callable[[World], Any]] = None
    headers: Optional[Callable[[World], Dict[str, str]]] = None
    planned: bool = False  # in the contract, not yet in the app: walked once it is registered

    @property
    def key(self) -> Tuple[str, str]:
        return self.method, self.route


P = "/v1/providers/{provider_id}"
B = "/v1/bookings/{booking_id}"
AVAILABILITY = "?service_id={sid}&from=2026-12-02&to=2026-12-03"

TABLE = [
    Row("GET", "/v1/health", PUBLIC),
    Row("GET", "/v1/config", PUBLIC),
    Row("GET", "/v1/categories", PUBLIC),
    Row("GET", "/v1/openapi.json", PUBLIC),
    Row("POST", "/v1/providers", PROVIDERS_GROUP_CREATES, body=lambda w: PROVIDER),
    Row("GET", "/v1/me/providers", SIGNED_IN),
    Row("GET", P, PUBLIC),
    Row("PATCH", P, OWNER_ONLY, body=lambda w: {"description": "calm"}),
    Row("GET", P + "/working-hours", OWNER_ONLY),
    Row("PUT", P + "/working-hours", OWNER_ONLY, body=lambda w: HOURS),
    Row("POST", P + "/services", OWNER_CREATES, body=lambda w: SERVICE),
    Row("PATCH", P + "/services/{service_id}", OWNER_ONLY, body=lambda w: {"name": "Deep massage"}),
    Row("DELETE", P + "/services/{service_id}", OWNER_DELETES, ids={"service_id": "fresh_service"}),
    Row("GET", P + "/blocks", OWNER_ONLY),
    Row("POST", P + "/blocks", OWNER_CREATES, body=World.block_body),
    Row("DELETE", P + "/blocks/{block_id}", OWNER_DELETES),
    Row("GET", P + "/bookings", OWNER_ONLY),
    Row("GET", P + "/holds", OWNER_ONLY, query="?from=2026-12-02&to=2026-12-03"),
    Row("GET", P + "/availability", PUBLIC, query=AVAILABILITY),
    Row("POST", "/v1/holds", SIGNED_IN_CREATES, body=World.hold_or_booking_body),
    Row("DELETE", "/v1/holds/{hold_id}", ONLY_ITS_HOLDER),
    Row("POST", "/v1/bookings", SIGNED_IN_CREATES, body=World.hold_or_booking_body,
        headers=lambda w: {"Idempotency-Key": uuid.uuid4().hex}),
    Row("GET", B, CUSTOMER_OR_OWNER),
    Row("GET", "/v1/me/bookings", SIGNED_IN),
    Row("POST", B + "/cancel", CUSTOMER_OR_OWNER, ids={"booking_id": "fresh_booking"}, body=lambda w: {}),
    Row("POST", B + "/reschedule", ONLY_ITS_CUSTOMER, ids={"booking_id": "fresh_booking"},
        body=lambda w: {"start": iso(w.fresh_start())}),
    Row("POST", B + "/confirm", ONLY_ITS_OWNER, ids={"booking_id": "fresh_booking"}),
    Row("POST", B + "/decline", ONLY_ITS_OWNER, ids={"booking_id": "fresh_booking"}, body=lambda w: {}),
    Row("GET", B + "/calendar.ics", CUSTOMER_OR_OWNER),
    Row("GET", P + "/calendar-feed", OWNER_ONLY, headers=lambda w: HOST),
    Row("POST", P + "/calendar-feed/rotate", OWNER_ONLY, headers=lambda w: HOST),
    Row("GET", "/v1/calendar-feeds/{provider_id}/{secret}", PUBLIC, ids={"secret": "fresh_feed_secret"}),
    Row("GET", P + "/audit", OWNER_ONLY),
    # Its customer: 409 booking_not_reviewable (pending, not ended); the owner sees the booking but may not review it.
    Row("POST", B + "/review", ONLY_ITS_CUSTOMER_REVIEWS, ids={"booking_id": "fresh_booking"},
        body=lambda w: {"rating": 5}),
    Row("GET", P + "/reviews", PUBLIC),
    Row("GET", "/v1/me/notifications", SIGNED_IN),
    Row("POST", "/v1/me/notifications/{notification_id}/read", UNKNOWN_ID),
    Row("PUT", "/v1/me/devices/{device_id}", SIGNED_IN_NO_CONTENT, body=lambda w: {"platform": "fcm", "token": "t"}),
    Row("DELETE", "/v1/me/devices/{device_id}", SIGNED_IN_NO_CONTENT),
    Row("PUT", "/v1/me/sms", SIGNED_IN_NO_CONTENT, body=lambda w: {"phone": "+447911123456"}),
    Row("DELETE", "/v1/me/sms", SIGNED_IN_NO_CONTENT),
    Row("GET", "/v1/search", SIGNED_IN, query="?category=massage"),
]


def registered() -> set:
    import app  # noqa: F401  (registers every blueprint's routes)
    from chalicelib.api.http import ROUTES
    return {(doc.method, doc.path) for doc in ROUTES}


def test_the_walk_covers_every_registered_route():
    """A route added to the app without a row here fails this test: add the row (who may call it)."""
    walked = {row.key for row in TABLE}
    missing = registered() - walked
    assert not missing, f"routes with no row in TABLE: {sorted(missing)}"
    stale = {row.key for row in TABLE if not row.planned} - registered()
    assert not stale, f"rows in TABLE for routes the app does not have: {sorted(stale)}"
    assert len(walked) == len(TABLE), "a route has two rows"


def url(world: World, row: Row) -> str:
    def value(match: re.Match) -> str:
        name = row.ids.get(match.group(1), DEFAULT_IDS.get(match.group(1)))
        if name == "unknown":
            return "does-not-exist"
        return getattr(world, name)() if name.startswith("fresh_") else getattr(world, name)
    return re.sub(r"{(\w+)}", value, row.route) + row.query.format(sid=world.sid, pid=world.pid)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", TABLE, ids=lambda row: f"{row.method} {row.route}")
def test_each_role_gets_the_contract_status(world, row, role):
    if row.planned and row.key not in registered():
        pytest.skip(f"{row.method} {row.route} is in the v1 contract but the app does not serve it yet")
    expected = row.expect[role]
    status, data = world.call(row.method, url(world, row), role, row.body(world) if row.body else None,
                              row.headers(world) if row.headers else None)
    assert status in (expected if isinstance(expected, tuple) else (expected,)), data
    if status in CODES:
        assert data["error"]["code"] == CODES[status], data
        assert data["error"]["message"], data


def test_what_each_role_sees_of_a_booking(world):
    """Beyond the statuses: the lists show a booking to its customer and its owner only."""
    ids = {role: {b["booking_id"] for b in world.call("GET", "/v1/me/bookings?limit=100", role)[1]["bookings"]}
           for role in ("customer", "other_customer", "owner", "other_provider")}
    assert world.bid in ids["customer"]
    assert not ids["other_customer"] & ids["customer"]
    owner_list = world.call("GET", f"/v1/providers/{world.pid}/bookings?limit=100", "owner")[1]["bookings"]
    assert world.bid in {b["booking_id"] for b in owner_list}
    status, data = world.call("GET", f"/v1/providers/{world.other_pid}/bookings", "owner")
    assert status == 403, data  # the owner of one provider is a stranger to another
    status, data = world.call("GET", f"/v1/providers/{world.other_pid}/bookings", "other_provider")
    assert status == 200 and world.bid not in {b["booking_id"] for b in data["bookings"]}, data


def test_only_the_owner_sees_the_customers_holds_and_not_who_holds_them(world):
    hold_id = world.fresh_hold()
    path = f"/v1/providers/{world.pid}/holds?from=2026-12-02&to=2026-12-31"
    status, data = world.call("GET", path, "owner")
    assert status == 200 and hold_id in {h["hold_id"] for h in data["holds"]}, data
    assert world.users["customer"].sub not in json.dumps(data)
    for role in ("customer", "other_customer", "other_provider"):
        assert world.call("GET", path, role)[0] == 403


def test_each_role_lists_only_the_providers_it_owns(world):
    def listed(role):
        return [p["provider_id"] for p in world.call("GET", "/v1/me/providers?limit=100", role)[1]["providers"]]
    assert listed("customer") == listed("other_customer") == []
    assert world.pid in listed("owner") and world.other_pid not in listed("owner")
    assert world.other_pid in listed("other_provider") and world.pid not in listed("other_provider")


# ---- tokens ---------------------------------------------------------------------------------------------

MOTO_KEY = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json"), algorithm="RS256")
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
DROP = object()


def claims(world: World, **changes) -> Dict[str, Any]:
    """Claims like those of a Cognito ID token of the test pool (as moto makes them), with changes."""
    now = int(time.time())
    base = {"iss": f"https://cognito-idp.eu-west-1.amazonaws.com/{world.pool_id}", "sub": str(uuid.uuid4()),
            "aud": world.client_id, "token_use": "id", "iat": now, "auth_time": now, "exp": now + 3600,
            "jti": str(uuid.uuid4()), "email": "forged@roles.test", "cognito:username": "forged"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not DROP}


def forge(world: World, key=None, headers=None, **changes) -> str:
    return jwt.encode(claims(world, **changes), key or MOTO_KEY.key, algorithm="RS256",
                      headers={"kid": "dummy", **(headers or {})})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(world: World) -> str:
    """alg none: a header, the claims, and no signature."""
    header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "dummy"}).encode())
    return f"{header}.{b64(json.dumps(claims(world)).encode())}."


def hs256_with_public_key(world: World) -> str:
    """The classic algorithm confusion: HMAC keyed with the pool's public key."""
    public_pem = MOTO_KEY.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT', 'kid': 'dummy'}).encode())}." \
                    f"{b64(json.dumps(claims(world)).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def tampered(world: World) -> str:
    """A correctly signed token whose payload was changed afterwards (another sub)."""
    header, _, signature = forge(world).split(".")
    return f"{header}.{b64(json.dumps(claims(world, sub='someone-else')).encode())}.{signature}"


def access_token(world: World) -> str:
    """A real Cognito access token of a real user (no aud, token_use access)."""
    user = world.users["customer"]
    return world.cognito.initiate_auth(
        ClientId=world.client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.email, "PASSWORD": "Test-pass-2026!"})["AuthenticationResult"]["AccessToken"]


OTHER_POOL_ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AnotherPool"


def id_token_of_another_pool(world: World) -> str:
    """A real ID token of a real user of another pool of the same account: moto signs every pool with the one
    key our JWKS publishes, so only its issuer (and its audience, that pool's client) tell it apart."""
    pool_id, client_id = bootstrap.create_user_pool(world.cognito, "another-pool")
    bootstrap.ensure_user(world.cognito, pool_id, "stranger@another-pool.test", PASSWORD)
    token = bootstrap.sign_in(world.cognito, client_id, "stranger@another-pool.test", PASSWORD)
    assert jwt.decode(token, options={"verify_signature": False})["iss"].endswith(pool_id)
    return token


def id_token_of_another_app_client(world: World) -> str:
    """A real ID token of a real user of our pool, signed in through another app client of the pool."""
    other_client = world.cognito.create_user_pool_client(
        UserPoolId=world.pool_id, **client_properties(f"another-app-{uuid.uuid4().hex[:8]}"))["UserPoolClient"]
    user = world.users["customer"]
    token = bootstrap.sign_in(world.cognito, other_client["ClientId"], user.email, PASSWORD)
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == other_client["ClientId"]
    return token


AUTHORIZATION = {  # name -> the whole Authorization header, made from the world
    "missing": lambda w: None,
    "empty": lambda w: "",
    "bearer-only": lambda w: "Bearer",
    "bearer-space": lambda w: "Bearer   ",
    "bearer-garbage": lambda w: "Bearer garbage",
    "bearer-three-garbage-parts": lambda w: "Bearer abc.def.ghi",
    "basic-scheme": lambda w: "Basic " + base64.b64encode(b"user:pass").decode(),
    "no-scheme": lambda w: forge(w),
    "other-scheme": lambda w: "Token " + forge(w),
    "alg-none": lambda w: "Bearer " + unsigned(w),
    "hs256-with-public-key": lambda w: "Bearer " + hs256_with_public_key(w),
    "signed-by-another-key": lambda w: "Bearer " + forge(w, key=OTHER_KEY),
    "another-key-unknown-kid": lambda w: "Bearer " + forge(w, key=OTHER_KEY, headers={"kid": "other"}),
    "tampered-payload": lambda w: "Bearer " + tampered(w),
    "expired": lambda w: "Bearer " + forge(w, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
    "expired-a-minute-ago": lambda w: "Bearer " + forge(w, iat=int(time.time()) - 3660, exp=int(time.time()) - 60),
    "issued-in-the-future": lambda w: "Bearer " + forge(w, iat=int(time.time()) + 3600),
    "not-before-the-future": lambda w: "Bearer " + forge(w, nbf=int(time.time()) + 3600),
    "wrong-audience": lambda w: "Bearer " + forge(w, aud="another-app-client"),
    "audience-list-without-ours": lambda w: "Bearer " + forge(w, aud=["another-app-client"]),
    "wrong-issuer-pool": lambda w: "Bearer " + forge(w, iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other"),
    "wrong-issuer-region": lambda w: "Bearer " + forge(
        w, iss=f"https://cognito-idp.us-east-1.amazonaws.com/{w.pool_id}"),
    "wrong-issuer-scheme": lambda w: "Bearer " + forge(
        w, iss=f"http://cognito-idp.eu-west-1.amazonaws.com/{w.pool_id}"),
    "token-use-access": lambda w: "Bearer " + forge(w, token_use="access"),
    "no-token-use": lambda w: "Bearer " + forge(w, token_use=DROP),
    "no-sub": lambda w: "Bearer " + forge(w, sub=DROP),
    "no-exp": lambda w: "Bearer " + forge(w, exp=DROP),
    "no-aud": lambda w: "Bearer " + forge(w, aud=DROP),
    "no-iss": lambda w: "Bearer " + forge(w, iss=DROP),
    "real-access-token": lambda w: "Bearer " + access_token(w),
    # Another pool: its own issuer and its own key (a kid our JWKS does not have), or a real token of it.
    "another-pool-own-key": lambda w: "Bearer " + forge(w, key=OTHER_KEY, headers={"kid": "another-pool-key"},
                                                        iss=OTHER_POOL_ISSUER),
    "real-id-token-of-another-pool": lambda w: "Bearer " + id_token_of_another_pool(w),
    # Our pool, another app client: its aud is that client's id.
    "real-id-token-of-another-app-client": lambda w: "Bearer " + id_token_of_another_app_client(w),
    "token-use-unknown": lambda w: "Bearer " + forge(w, token_use="refresh"),
    "token-use-not-a-string": lambda w: "Bearer " + forge(w, token_use=["id"]),
}

TOKEN_ROUTES = [  # an authenticated read, a write with a body, and a route with a path id
    ("GET", "/v1/me/bookings", None, None),
    ("POST", "/v1/bookings", {"hold_id": "h"}, {"Idempotency-Key": "k"}),
    ("GET", "/v1/bookings/{bid}", None, None),
]


def send_with(world: World, authorization: Optional[str], method="GET", path="/v1/me/bookings", body=None,
              headers=None):
    all_headers = dict(headers or {})
    if authorization is not None:
        all_headers["Authorization"] = authorization
    return request(world.client, method, path.format(bid=world.bid), None, body, all_headers)


def test_a_correctly_forged_token_is_accepted(world):
    """Signed with moto's pool key and carrying the right claims: accepted, so the refusals below mean something."""
    status, data = send_with(world, "Bearer " + forge(world))
    assert status == 200 and data["bookings"] == [], data
    # Its claims are what the app goes by: the groups claim lets a forged provider create a provider.
    status, data = send_with(world, "Bearer " + forge(world, **{"cognito:groups": ["providers"]}), "POST",
                             "/v1/providers", PROVIDER)
    assert status == 201, data
    # And its sub is the caller: a forged token with the customer's sub sees the customer's booking.
    status, data = send_with(world, "Bearer " + forge(world, sub=world.users["customer"].sub), "GET",
                             "/v1/bookings/{bid}")
    assert status == 200 and data["booking_id"] == world.bid, data
    # The scheme is case-insensitive (RFC 7235).
    assert send_with(world, "bearer " + forge(world))[0] == 200


@pytest.mark.parametrize("method,path,body,headers", TOKEN_ROUTES, ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("name", AUTHORIZATION)
def test_a_bad_token_is_401(world, name, method, path, body, headers):
    status, data = send_with(world, AUTHORIZATION[name](world), method, path, body, headers)
    assert status == 401, data
    assert data["error"]["code"] == "unauthenticated" and data["error"]["message"], data


def test_an_expired_token_says_so(world):
    status, data = send_with(world, AUTHORIZATION["expired"](world))
    assert status == 401 and "expired" in data["error"]["message"], data


def test_an_access_token_is_told_to_send_the_id_token(world):
    status, data = send_with(world, AUTHORIZATION["token-use-access"](world))
    assert status == 401 and "ID token" in data["error"]["message"], data


def test_public_routes_ignore_a_bad_token(world):
    """A stale token on a public route does not turn it into a 401."""
    for path in ("/v1/health", "/v1/categories", f"/v1/providers/{world.pid}",
                 f"/v1/providers/{world.pid}/availability" + AVAILABILITY.format(sid=world.sid)):
        status, data = send_with(world, "Bearer garbage", "GET", path)
        assert status == 200, (path, data)
