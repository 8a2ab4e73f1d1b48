"""Peak hour: many customers searching and reading availability, a few holding and booking popular providers.

    locust -f load/locustfile.py --headless -u 50 -r 10 -t 60s --host http://127.0.0.1:8000 --csv build/load/peak
    make load                                   # the same against a running `make run` (LOAD_ARGS to vary it)
    locust -f load/locustfile.py ... --host https://<api id>.execute-api.<region>.amazonaws.com/api   # a stage

The mix of one simulated customer (weighted tasks, a think time of 0.5-2 s between them):

  60  search        GET /v1/search: a random category, half of them near one of the demo cities, any sort
  30  availability  GET /v1/providers/[id]/availability of a random service, one day or a week, 1-14 days out;
                    half of them on the popular providers
   7  hold          a popular provider's availability, then POST /v1/holds on a random free start, then
                    DELETE the hold (an abandoned checkout)
   3  book          a popular provider's availability, POST /v1/holds, POST /v1/bookings with the hold
                    (Idempotency-Key); the booking is canceled when the user stops (LOAD_CLEANUP=0 keeps it)

A 409 on a hold or a booking (someone else got the time first) is counted as a success, and tallied and
printed at the end ("load: 409 conflicts ..."): under a spike on popular providers it is the expected answer,
not a failure. Every other answer that is not 2xx is a failure.

Providers: those the search finds at the start (each category, all pages), so the stack must have some.
`make run` seeds 30 demo providers (local/seed.py: four cities, all six categories, open Monday to
Saturday, 60 days ahead) and the search index has them a few seconds after the stack is up. The
"popular" ones are the first LOAD_POPULAR (default 3) of them by provider id. LOAD_PROVIDERS=id,id,...
uses those instead of searching (the first LOAD_POPULAR are the popular ones).

Sign-in: search, holds and bookings need a Cognito ID token. LOAD_ID_TOKENS=tok,tok,... uses those as
they are; otherwise LOAD_USERS=email:password,... (default: the demo customer, customer@demo.example,
whom the local stack always creates) are signed in once at the start with Cognito InitiateAuth
(USER_PASSWORD_AUTH) against the pool and app client that GET /v1/config names (the local stack's
emulated Cognito at its aws_endpoint_url; a deployed stage's cognito-idp.<region>.amazonaws.com). The
simulated customers share those tokens round-robin.
"""
from __future__ import annotations

import os
import random
import threading
import uuid
from collections import Counter
from datetime import date, timedelta
from typing import Any, Dict, List, Optional

# locust first: it patches the standard library for gevent, which must happen before requests imports ssl.
from locust import HttpUser, between, events, task
from locust.runners import MasterRunner
from gevent.pool import Pool

import requests

CATEGORIES = ("cleaning", "home-repair", "plumbing", "beauty", "massage", "tutoring")
# The demo data's cities (local/seed.py): lat, lon.
CITIES = ((51.5074, -0.1278), (40.7128, -74.0060), (52.5200, 13.4050), (-33.8688, 151.2093))
SORTS = ("relevance", "distance", "rating")
DEMO_CUSTOMER = "customer@demo.example:Demo-pass-2026!"
#: The task weights (percent of the tasks a simulated customer picks).
WEIGHTS = {"search": 60, "availability": 30, "hold": 7, "book": 3}
TIMEOUT = 30.0

#: 409 answers to holds and bookings, by request name (printed at the end).
conflicts: Counter = Counter()


class Setup:
    """What every simulated customer shares: the tokens and the providers, found once per process."""

    _lock = threading.Lock()  # locust patches threading for gevent: this is a gevent lock then
    _done: Optional["Setup"] = None

    def __init__(self, tokens: List[str], providers: List[Dict[str, Any]], popular: List[Dict[str, Any]]) -> None:
        self.tokens = tokens
        self.providers = providers
        self.popular = popular
        self._next = 0

    @classmethod
    def get(cls, host: str) -> "Setup":
        """The shared setup, made by the first caller."""
        with cls._lock:
            if cls._done is None:
                cls._done = cls._make(host.rstrip("/"))
            return cls._done

    @classmethod
    def _make(cls, host: str) -> "Setup":
        config = _get(f"{host}/v1/config")
        tokens = [t for t in os.environ.get("LOAD_ID_TOKENS", "").split(",") if t]
        if not tokens:
            users = [u for u in os.environ.get("LOAD_USERS", DEMO_CUSTOMER).split(",") if u]
            tokens = [sign_in(config, *user.split(":", 1)) for user in users]
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        ids = [p for p in os.environ.get("LOAD_PROVIDERS", "").split(",") if p] or find_providers(host, headers)
        if not ids:
            raise RuntimeError(f"no providers found at {host}: seed the stack (make run) or set LOAD_PROVIDERS")
        profiles = Pool(10).map(lambda provider_id: _get(f"{host}/v1/providers/{provider_id}"), ids)
        providers = [{"provider_id": p["provider_id"], "timezone": p["timezone"],
                      "services": [s["service_id"] for s in p["services"]]} for p in profiles if p["services"]]
        popular = providers[: int(os.environ.get("LOAD_POPULAR", "3"))]
        print(f"load: {len(tokens)} token(s), {len(providers)} providers, popular: "
              f"{', '.join(p['provider_id'] for p in popular)}", flush=True)
        return cls(tokens, providers, popular)

    def token(self) -> str:
        """The next token, round-robin."""
        self._next += 1
        return self.tokens[self._next % len(self.tokens)]


def _get(url: str, headers: Optional[Dict[str, str]] = None, params: Optional[Dict[str, Any]] = None) -> Any:
    response = requests.get(url, headers=headers, params=params, timeout=TIMEOUT)
    response.raise_for_status()
    return response.json()


def sign_in(config: Dict[str, Any], email: str, password: str) -> str:
    """An ID token from Cognito InitiateAuth (USER_PASSWORD_AUTH) with the app client GET /v1/config names."""
    endpoint = config.get("aws_endpoint_url") or f"https://cognito-idp.{config['region']}.amazonaws.com/"
    response = requests.post(endpoint, timeout=TIMEOUT, json={
        "ClientId": config["user_pool_client_id"], "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": email, "PASSWORD": password}}, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"})
    if response.status_code != 200:
        raise RuntimeError(f"sign-in of {email} failed: {response.status_code} {response.text[:300]}")
    return response.json()["AuthenticationResult"]["IdToken"]


def find_providers(host: str, headers: Dict[str, str]) -> List[str]:
    """Every provider the search finds in some category, sorted by id."""
    def of(category: str) -> List[str]:
        found: List[str] = []
        params: Dict[str, Any] = {"category": category, "limit": 100}
        while True:
            page = _get(f"{host}/v1/search", headers=headers, params=params)
            found.extend(result["provider_id"] for result in page["results"])
            if not page.get("next_cursor"):
                return found
            params["cursor"] = page["next_cursor"]

    return sorted({provider_id for ids in Pool(len(CATEGORIES)).map(of, CATEGORIES) for provider_id in ids})


class PeakHourUser(HttpUser):
    """One customer at the peak: mostly looking, sometimes holding or booking a popular provider."""

    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.booked: List[str] = []
        self.setup = Setup.get(self.host)
        self.headers = {"Authorization": f"Bearer {self.setup.token()}"}

    def on_stop(self) -> None:
        if os.environ.get("LOAD_CLEANUP", "1") == "0":
            return
        for booking_id in getattr(self, "booked", []):
            self.client.post(f"/v1/bookings/{booking_id}/cancel", json={}, headers=self.headers,
                             name="/v1/bookings/[id]/cancel (cleanup)", timeout=TIMEOUT)

    # -- the tasks --------------------------------------------------------------------------------

    @task(WEIGHTS["search"])
    def search(self) -> None:
        """Search a category, near a city half of the time, in any order."""
        params: Dict[str, Any] = {"category": random.choice(CATEGORIES)}
        if random.random() < 0.5:
            lat, lon = random.choice(CITIES)
            params.update(lat=lat, lon=lon, radius_km=50, sort=random.choice(SORTS))
        else:
            params["sort"] = random.choice(("relevance", "rating"))
        self.client.get("/v1/search", params=params, headers=self.headers, name="/v1/search", timeout=TIMEOUT)

    @task(WEIGHTS["availability"])
    def availability(self) -> None:
        """A provider's free times: one day or a week, 1-14 days out; half of the time a popular provider."""
        pool = self.setup.popular if random.random() < 0.5 else self.setup.providers
        provider = random.choice(pool)
        first = date.today() + timedelta(days=random.randint(1, 14))
        last = first + timedelta(days=random.choice((0, 6)))
        self._availability(provider, random.choice(provider["services"]), first, last,
                           "/v1/providers/[id]/availability")

    @task(WEIGHTS["hold"])
    def hold(self) -> None:
        """An abandoned checkout: hold a popular provider's free start, then let it go."""
        hold_id = self._checkout()
        if hold_id:
            self.client.delete(f"/v1/holds/{hold_id}", headers=self.headers, name="/v1/holds/[id]", timeout=TIMEOUT)

    @task(WEIGHTS["book"])
    def book(self) -> None:
        """A checkout: hold a popular provider's free start and book with the hold."""
        hold_id = self._checkout()
        if not hold_id:
            return
        with self.client.post("/v1/bookings", json={"hold_id": hold_id}, name="/v1/bookings", timeout=TIMEOUT,
                              headers={**self.headers, "Idempotency-Key": uuid.uuid4().hex},
                              catch_response=True) as response:
            if response.status_code == 201:
                self.booked.append(response.json()["booking_id"])
            elif response.status_code == 409:
                conflicts["/v1/bookings"] += 1
                response.success()

    # -- steps ------------------------------------------------------------------------------------

    def _availability(self, provider: Dict[str, Any], service_id: str, first: date, last: date,
                      name: str) -> List[Dict[str, Any]]:
        with self.client.get(f"/v1/providers/{provider['provider_id']}/availability", name=name, timeout=TIMEOUT,
                             params={"service_id": service_id, "from": first.isoformat(), "to": last.isoformat()},
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} {response.text[:200]}")
                return []
            return response.json()["slots"]

    def _checkout(self) -> Optional[str]:
        """A hold on a random free start of a popular provider within a week (from its availability), or None."""
        provider = random.choice(self.setup.popular)
        service_id = random.choice(provider["services"])
        first = date.today() + timedelta(days=random.randint(1, 7))
        slots = self._availability(provider, service_id, first, first + timedelta(days=6),
                                   "/v1/providers/[id]/availability (checkout)")
        if not slots:
            return None
        with self.client.post("/v1/holds", name="/v1/holds", timeout=TIMEOUT, headers=self.headers,
                              json={"provider_id": provider["provider_id"], "service_id": service_id,
                                    "start": random.choice(slots)["start"]}, catch_response=True) as response:
            if response.status_code == 201:
                return response.json()["hold_id"]
            if response.status_code == 409:
                conflicts["/v1/holds"] += 1
                response.success()
            return None


@events.init.add_listener
def _prepare(environment: Any, **kwargs: Any) -> None:
    """Sign in and find the providers before the users start (a worker of a distributed run does it itself)."""
    if environment.host and not isinstance(environment.runner, MasterRunner):
        Setup.get(environment.host)


@events.quitting.add_listener
def _report_conflicts(environment: Any, **kwargs: Any) -> None:
    if conflicts:
        print("load: 409 conflicts (counted as successes): "
              + ", ".join(f"{name} {n}" for name, n in sorted(conflicts.items())), flush=True)
