"""What every handler shares: body parsing, the caller, and domain errors mapped to HTTP in one place."""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple, Type, TypeVar

from botocore.exceptions import BotoCoreError, ConnectionError as BotoConnectionError
from chalice import Blueprint, CORSConfig, Response
from pydantic import BaseModel, ValidationError
from pynamodb.exceptions import PynamoDBException

from chalicelib.adapters.tokens import verify_id_token
from chalicelib.adapters.transaction import is_throttling
from chalicelib.config import get_settings
from chalicelib.domain.errors import DomainError, InvalidRequest, NotFound, TryAgain, Unauthenticated
from chalicelib.domain.model import CALENDAR_EDGE_YEARS, Caller
from chalicelib.observability import logger

STATUS_BY_CODE = {
    "invalid_request": 400, "unauthenticated": 401, "forbidden": 403, "not_found": 404,
    "method_not_allowed": 405,
    "slot_unavailable": 409, "hold_expired": 409, "conflicts_with_bookings": 409, "booking_not_modifiable": 409,
    "cancel_window_closed": 409, "request_in_progress": 409, "conflict": 409,
    "idempotency_key_reused": 422, "try_again": 503,
}
ERROR_CODES = tuple(STATUS_BY_CODE)
DEFAULT_PAGE, MAX_PAGE = 20, 100
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CORS = CORSConfig(allow_origin="*", allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
                  expose_headers=["Idempotent-Replayed", "Retry-After"], max_age=600)
# Chalice refuses content types a route does not list before the handler runs (415, not the contract's
# error body); take them all, "*/*" included, and parse JSON.
CONTENT_TYPES = ["application/json", "text/plain", "application/x-www-form-urlencoded",
                 "application/octet-stream", "multipart/form-data", "*/*"]

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class RouteDoc:
    """What the OpenAPI document says of one route."""

    path: str
    method: str
    summary: str
    auth: bool
    status: int
    response: Optional[Type[BaseModel]] = None
    body: Optional[Type[BaseModel]] = None
    body_required: bool = True
    query: Optional[Type[BaseModel]] = None
    headers: Optional[Type[BaseModel]] = None
    # Refusals beyond those every route of its kind can give (see openapi._refusals).
    raises: Tuple[Type[DomainError], ...] = field(default_factory=tuple)


ROUTES: List[RouteDoc] = []


def refusal(code: str, message: str, details: Optional[Dict[str, Any]] = None,
            headers: Optional[Dict[str, str]] = None) -> Response:
    """The contract's error answer: its status follows from the code."""
    return Response(body={"error": {"code": code, "message": message, **(details or {})}},
                    status_code=STATUS_BY_CODE.get(code, 409),
                    headers={"Content-Type": "application/json", **(headers or {})})


def error_response(error: DomainError) -> Response:
    """The contract's error answer for a domain error."""
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, TryAgain) else None
    return refusal(error.code, error.message, error.details, headers)


def respond(body: Any, status: int = 200, headers: Optional[Dict[str, str]] = None) -> Response:
    """A JSON answer (or an empty one for 204)."""
    if status == 204:
        return Response(body="", status_code=204, headers=headers or {})
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json", **(headers or {})})


def route(bp: Blueprint, path: str, method: str, summary: str, *, auth: bool = True, status: int = 200,
          response: Optional[Type[BaseModel]] = None, body: Optional[Type[BaseModel]] = None,
          body_required: bool = True, query: Optional[Type[BaseModel]] = None,
          headers: Optional[Type[BaseModel]] = None, raises: Tuple[Type[DomainError], ...] = ()) -> Callable:
    """Register a handler (it gets the caller when auth, and path params) and describe it for the document."""
    ROUTES.append(RouteDoc(path, method, summary, auth, status, response, body, body_required, query, headers,
                           tuple(raises)))

    def register(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def view(**params: str) -> Response:
            request = bp.current_request
            try:
                for name, value in params.items():
                    if not ID_PATTERN.match(value):
                        raise NotFound(f"no such {name.replace('_id', '')}: {value[:80]}")
                args = [authenticate(request.headers.get("authorization"))] if auth else []
                result = handler(*args, **params)
            except DomainError as error:
                if isinstance(error, TryAgain):
                    logger.warning("Request refused for now", code=error.code, path=request.path)
                return error_response(error)
            except (PynamoDBException, BotoCoreError, BotoConnectionError) as error:
                if isinstance(error, PynamoDBException) and not is_throttling(error) and not isinstance(
                        error.__cause__, (BotoCoreError, BotoConnectionError)):
                    raise
                logger.warning("Database busy or unreachable", path=request.path, error=str(error))
                return error_response(TryAgain())
            return result if isinstance(result, Response) else respond(result, status)

        bp.route(path, methods=[method], cors=CORS, content_types=CONTENT_TYPES)(view)
        return handler

    return register


def authenticate(header: Optional[str]) -> Caller:
    """The caller of a request with `Authorization: Bearer <ID token>`."""
    if not header:
        raise Unauthenticated("send Authorization: Bearer <ID token>")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send Authorization: Bearer <ID token>")
    return verify_id_token(token.strip())


def json_body(request, required: bool = True) -> Any:
    """The request's JSON body; 400 when it is missing, too large or not JSON."""
    raw = request.raw_body or b""
    if len(raw) > get_settings().max_body_bytes:
        raise InvalidRequest(f"body: at most {get_settings().max_body_bytes} bytes")
    if not raw.strip():
        if required:
            raise InvalidRequest("body: send a JSON object")
        return {}
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("body: not valid JSON; send a JSON object")
    except RecursionError:
        raise InvalidRequest("body: nested too deeply; send a JSON object")


def parse(model: Type[M], request, required: bool = True) -> M:
    """The request body as a command model; 400 naming the first field to fix."""
    data = json_body(request, required)
    if not isinstance(data, dict):
        raise InvalidRequest("body: send a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidRequest(describe(error))


def describe(error: ValidationError) -> str:
    """A person-readable message for the first problems pydantic found."""
    parts = []
    for problem in error.errors()[:3]:
        where = ".".join(str(p) for p in problem["loc"]) or "body"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown field; remove it"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def query(request, name: str) -> Optional[str]:
    """One query parameter, or None."""
    return (request.query_params or {}).get(name) or None


def time_query(request, name: str) -> Optional[str]:
    """A `from`/`to` query parameter (a date or an instant); 400 in the first and last years of the calendar."""
    text = query(request, name)
    if text is not None and text[:4] in CALENDAR_EDGE_YEARS:
        raise InvalidRequest(f"{name}: must be in the years 0002 to 9998, e.g. 2026-12-01")
    return text


def page_limit(request) -> int:
    """The `limit` of a list: 1-100, default 20."""
    text = query(request, "limit")
    if text is None:
        return DEFAULT_PAGE
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if not re.fullmatch(r"[0-9]{1,3}", text) or not 1 <= int(text) <= MAX_PAGE:
        raise InvalidRequest(f"limit: a whole number from 1 to {MAX_PAGE}")
    return int(text)
