"""What every handler shares: body parsing, the caller, and domain errors mapped to HTTP in one place."""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple, Type, TypeVar

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib.adapters.tokens import verify_id_token
from chalicelib.api.caching import NO_STORE, CachePolicy, with_caching
from chalicelib.config import get_settings
from chalicelib.domain.entities import Caller
from chalicelib.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    TooManyRequests,
    TryAgain,
    Unauthenticated,
    error_kinds,
)
from chalicelib.observability import logger
from chalicelib.service import limits

# The one place statuses are decided: by the kind of refusal (codes live on the classes).
STATUS_BY_KIND = (
    (InvalidRequest, 400), (Unauthenticated, 401), (Forbidden, 403), (NotFound, 404),
    (MethodNotAllowed, 405), (Conflict, 409), (IdempotencyKeyReused, 422), (TooManyRequests, 429), (TryAgain, 503),
)
# Requests that change something: each one by a signed-in caller is counted against the write rate.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ERROR_CODES = tuple(kind.code for kind in error_kinds())


def status_of(kind: Type[DomainError]) -> int:
    """The HTTP status of a kind of refusal."""
    for base, status in STATUS_BY_KIND:
        if issubclass(kind, base):
            return status
    raise ValueError(f"{kind.__name__} has no HTTP status; add its kind to STATUS_BY_KIND")


DEFAULT_PAGE, MAX_PAGE = 20, 100
JSON = "application/json"
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
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
    # The media type of the success answer; refusals are always JSON.
    content_type: str = JSON
    # A public GET that shared caches may keep (chalicelib/api/caching.py); None: every answer is no-store.
    cache: Optional[CachePolicy] = None


ROUTES: List[RouteDoc] = []


def error_response(error: DomainError, headers: Optional[Dict[str, str]] = None) -> Response:
    """The contract's error answer for a domain error: its status follows from its kind."""
    retry_after = getattr(error, "retry_after", None)
    headers = {**(headers or {}), **({"Retry-After": str(retry_after)} if retry_after is not None else {})}
    return Response(body={"error": {"code": error.code, "message": error.message, **error.details}},
                    status_code=status_of(type(error)),
                    headers={"Content-Type": "application/json", "Cache-Control": NO_STORE, **headers})


def respond(body: Any, status: int = 200, headers: Optional[Dict[str, str]] = None,
            content_type: str = JSON) -> Response:
    """A JSON answer (or an empty one for 204); a text one, UTF-8, when given bytes of another media type."""
    if status == 204:
        return Response(body="", status_code=204, headers=headers or {})
    if content_type != JSON:
        body, content_type = body.decode("utf-8"), f"{content_type}; charset=utf-8"
    return Response(body=body, status_code=status, headers={"Content-Type": content_type, **(headers or {})})


def route(bp: Blueprint, path: str, method: str, summary: str, *, auth: bool = True, status: int = 200,
          response: Optional[Type[BaseModel]] = None, body: Optional[Type[BaseModel]] = None,
          body_required: bool = True, query: Optional[Type[BaseModel]] = None,
          headers: Optional[Type[BaseModel]] = None, raises: Tuple[Type[DomainError], ...] = (),
          content_type: str = JSON, cache: Optional[CachePolicy] = None, charged_in_transaction: bool = False,
          ) -> Callable:
    """Register a handler (it gets the caller when auth, and path params) and describe it for the document.

    A signed-in change is counted against the caller's write rate before the handler runs, or, with
    `charged_in_transaction` (a change that always commits one transaction), inside that transaction.
    """
    if cache is not None and (auth or method != "GET" or status != 200):
        raise ValueError(f"{method} {path}: only a public GET answering 200 may be cached; the rest is no-store")
    ROUTES.append(RouteDoc(path, method, summary, auth, status, response, body, body_required, query, headers,
                           tuple(raises), content_type, cache))

    def register(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def view(**params: str) -> Response:
            request = bp.current_request
            try:
                for name, value in params.items():
                    if not ID_PATTERN.match(value):
                        raise NotFound(f"no such {name.replace('_id', '')}: {value[:80]}")
                args = [authenticate(request.headers.get("authorization"))] if auth else []
                if auth and method in WRITE_METHODS and charged_in_transaction:
                    with limits.charged_with_the_change(args[0]):
                        result = handler(*args, **params)
                else:
                    if auth and method in WRITE_METHODS:
                        limits.charge_write(args[0])
                    result = handler(*args, **params)
            except DomainError as error:
                if isinstance(error, TryAgain):
                    logger.warning("Request refused for now", code=error.code, path=request.path)
                return error_response(error)
            answer = result if isinstance(result, Response) else respond(result, status, content_type=content_type)
            return with_caching(cache, answer, request.headers.get("if-none-match"))

        # No CORS: the provider console is served from the API's own origin, and no other origin may call it.
        bp.route(path, methods=[method], content_types=CONTENT_TYPES)(view)
        return handler

    return register


def authenticate(header: Optional[str]) -> Caller:
    """The caller of a request with `Authorization: Bearer <ID token>`."""
    if not header:
        raise Unauthenticated()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated()
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
    """A `from`/`to` query parameter as sent; the services parse it and refuse one out of range."""
    return query(request, name)


def page_limit(request) -> int:
    """The `limit` of a list: 1-100, default 20."""
    text = query(request, "limit")
    if text is None:
        return DEFAULT_PAGE
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if not re.fullmatch(r"[0-9]{1,3}", text) or not 1 <= int(text) <= MAX_PAGE:
        raise InvalidRequest(f"limit: a whole number from 1 to {MAX_PAGE}")
    return int(text)
