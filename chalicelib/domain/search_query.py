"""What a search asks: GET /v1/search's parameters checked into a SearchQuery, and its cursors (pure).

Apart from chalicelib/domain/search.py, which the stream function that indexes providers imports: only
the API parses searches, so only it loads pydantic for them.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from datetime import date
from typing import Any, Dict, List, Literal, Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.domain.categories import CATEGORIES
from chalicelib.domain.errors import InvalidRequest, NotOurCursor
from chalicelib.domain.model import _no_controls

SORTS = ("relevance", "distance", "rating")
DEFAULT_RADIUS_KM = 25.0
MAX_RADIUS_KM = 500.0
MAX_WORDS = 200
# The distance decay of relevance: full score within OFFSET, half at OFFSET + SCALE (SCALE grows with the radius).
DECAY_OFFSET_KM, MIN_DECAY_SCALE_KM = 1.0, 2.0

class SearchQuery(BaseModel):
    """The parameters of GET /v1/search, checked: every refusal says what to fix."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    category: Optional[str] = Field(default=None, description="A category id from GET /v1/categories.")
    q: Optional[str] = Field(default=None, max_length=MAX_WORDS,
                             description="Words to find in names, services and descriptions.")
    lat: Optional[float] = Field(default=None, ge=-90, le=90, description="Where to search from; needs lon.")
    lon: Optional[float] = Field(default=None, ge=-180, le=180, description="Where to search from; needs lat.")
    radius_km: Optional[float] = Field(default=None, gt=0, le=MAX_RADIUS_KM,
                                       description=f"Needs lat/lon; default {DEFAULT_RADIUS_KM:g}.")
    sort: Literal["relevance", "distance", "rating"] = Field(
        default="relevance", description="distance needs lat/lon; relevance combines words, distance and rating.")
    available_on: Optional[date] = Field(default=None,
                                         description="Only providers with a free time that day (their local date).")
    limit: int = Field(default=20, ge=1, le=100)
    cursor: Optional[str] = Field(default=None, max_length=2048, description="next_cursor of the page before.")

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and value not in CATEGORIES:
            raise ValueError(f"unknown category; one of {', '.join(CATEGORIES)}")
        return value

    @field_validator("q")
    @classmethod
    def _words(cls, value: Optional[str]) -> Optional[str]:
        if value is None:
            return None
        _no_controls(value)
        value = " ".join(value.split())
        return value or None

    @field_validator("lat", "lon", "radius_km")
    @classmethod
    def _finite(cls, value: Optional[float]) -> Optional[float]:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @model_validator(mode="after")
    def _together(self) -> "SearchQuery":
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon: send both or neither")
        if self.radius_km is not None and self.lat is None:
            raise ValueError("radius_km: needs lat and lon")
        if self.sort == "distance" and self.lat is None:
            raise ValueError("sort=distance: needs lat and lon")
        return self

    @property
    def located(self) -> bool:
        """Whether the search has a place to measure distances from."""
        return self.lat is not None

    @property
    def radius(self) -> float:
        """The radius in km (the default when not given)."""
        return DEFAULT_RADIUS_KM if self.radius_km is None else self.radius_km

    @property
    def decay_scale_km(self) -> float:
        """How far past DECAY_OFFSET_KM relevance halves: a quarter of the radius, at least 2 km."""
        return max(MIN_DECAY_SCALE_KM, self.radius / 4)

    def fingerprint(self) -> str:
        """What a cursor must have been made for: every parameter but the page."""
        shown = self.model_dump(mode="json", exclude={"limit", "cursor"})
        return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:16]


def parse_search(params: Dict[str, str]) -> SearchQuery:
    """The query parameters of a search as a SearchQuery; InvalidRequest naming what to fix."""
    from pydantic import ValidationError

    # Empty is absent (docs/api.md), for the checks below as for the model.
    params = {name: value for name, value in params.items() if value != ""}
    for name in ("lat", "lon", "radius_km", "limit"):
        text = params.get(name)
        # Plain decimal numbers only: no "nan", "inf", "1e3" or "0x10".
        if text is not None and not re.fullmatch(r"[+-]?(?:[0-9]{1,12}(?:\.[0-9]{0,12})?|\.[0-9]{1,12})", text):
            raise InvalidRequest(f"{name}: a decimal number like {'25' if name != 'lat' else '51.5'}, not {text[:40]!r}")
    if params.get("limit") is not None and not re.fullmatch(r"[0-9]{1,3}", params["limit"]):
        raise InvalidRequest("limit: a whole number from 1 to 100")
    if params.get("available_on") is not None and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
                                                                    params["available_on"]):
        raise InvalidRequest("available_on: a date like 2026-12-01")
    try:
        return SearchQuery.model_validate(params)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "query"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "literal_error":
            message = f"one of {', '.join(SORTS)}"
        raise InvalidRequest(f"{where}: {message}" if where != "query" else message) from None


def encode_cursor(query: SearchQuery, after: Sequence[Any]) -> str:
    """The cursor of the page after the hit whose sort values are `after`."""
    raw = json.dumps({"q": query.fingerprint(), "after": list(after)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(query: SearchQuery) -> Optional[List[Any]]:
    """The sort values a cursor carries; NotOurCursor when it was not made for this same search."""
    if not query.cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(query.cursor + "=" * (-len(query.cursor) % 4))
        wrapper = json.loads(raw)
        after = wrapper["after"]
        fits = wrapper["q"] == query.fingerprint() and isinstance(after, list) and 2 <= len(after) <= 3
        if not fits or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in after):
            raise ValueError
        if not isinstance(after[-1], str) or any(isinstance(v, float) and not math.isfinite(v) for v in after):
            raise ValueError
    # RecursionError: JSON nested deeper than the reader recurses ("[[[[..."), well within 2048 characters.
    except (ValueError, KeyError, TypeError, RecursionError):
        raise NotOurCursor("cursor: not a cursor from a previous answer to this same search; start again "
                           "without it") from None
    return after
