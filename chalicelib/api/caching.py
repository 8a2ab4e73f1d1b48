"""HTTP caching of public reads: one table of policies, a weak ETag of the body, and 304 for If-None-Match.

Only anonymous-readable GETs whose body is the same for every caller are cached (public, a short max-age);
every other answer, refusals included, is `no-store`. Decision 0015 says why the numbers are what they are.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Dict, Optional

from chalice import Response
from chalice.app import handle_extra_types

NO_STORE = "no-store"
# The opaque part of a tag: 128 bits of SHA-256, base64url without padding (22 characters).
TAG_BYTES = 16


@dataclass(frozen=True)
class CachePolicy:
    """How long shared caches and apps may reuse a public GET's answer without asking again."""

    max_age: int
    why: str

    @property
    def cache_control(self) -> str:
        """The Cache-Control value of a 200 (and a 304) under this policy."""
        return f"public, max-age={self.max_age}"


# The one table of policies; a route names its row with `route(..., cache=...)`. Seconds are the staleness
# bound: no cache that follows these headers shows an answer older than max_age (decision 0015).
AVAILABILITY = CachePolicy(10, "free starts: one shown free may have been taken up to 10 s ago; hold and book decide")
PROFILE = CachePolicy(60, "a profile, its services and rules change by hand, rarely; hold and book check the rules")
REVIEWS = CachePolicy(60, "reviews only add up; a minute late is not wrong")
STATIC = CachePolicy(300, "sign-in configuration, categories, the OpenAPI document: change only with a deployment")


def serialised(body: Any) -> str:
    """The body as the answer sends it: text as is, anything else as the compact JSON Chalice would make of it."""
    if isinstance(body, bytes):
        return body.decode("utf-8")
    if isinstance(body, str):
        return body
    return json.dumps(body, separators=(",", ":"), default=handle_extra_types)


def etag(body: Any) -> str:
    """A weak entity tag of the body as sent: equal bodies, equal tags; any change, another tag."""
    digest = hashlib.sha256(serialised(body).encode("utf-8")).digest()[:TAG_BYTES]
    return f'W/"{base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")}"'


def opaque(tag: str) -> str:
    """The tag without its weakness and quotes, as weak comparison compares it."""
    tag = tag.strip()
    tag = tag[2:] if tag.startswith("W/") else tag
    return tag[1:-1] if len(tag) >= 2 and tag[0] == tag[-1] == '"' else tag


def matches(if_none_match: Optional[str], tag: str) -> bool:
    """Whether an If-None-Match header names the tag (weak comparison, a list, or `*`)."""
    if not if_none_match or not if_none_match.strip():
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = opaque(tag)
    return any(opaque(found) == wanted for found in if_none_match.split(","))


def with_caching(policy: Optional[CachePolicy], response: Response, if_none_match: Optional[str]) -> Response:
    """The answer with its caching headers: ETag and max-age on a public 200 (or 304 to its tag), else no-store."""
    if policy is None or response.status_code != 200:
        response.headers = {"Cache-Control": NO_STORE, **(response.headers or {})}
        return response
    # Serialised once, here: the tag is of the very text sent, and Chalice sends a string as it is.
    response.body = serialised(response.body)
    tag = etag(response.body)
    cached: Dict[str, str] = {"ETag": tag, "Cache-Control": policy.cache_control}
    if matches(if_none_match, tag):
        return Response(body="", status_code=304, headers=cached)
    response.headers = {**(response.headers or {}), **cached}
    return response
