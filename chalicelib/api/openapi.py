"""The OpenAPI 3.1 document, made from the routes as registered and their pydantic models, so it lists every
route that exists with the shapes it takes and sends."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, List, Tuple, Type

COMPONENT = "#/components/schemas/{model}"
ERROR_REF = {"$ref": COMPONENT.format(model="Error")}
DESCRIPTION = (
    "Booking marketplace API, version 1. JSON in and out; times are RFC 3339, answered in UTC. "
    "Every refusal is an Error: {\"error\": {\"code\", \"message\"}}. An unknown path answers 404 not_found, "
    "a known path with another method 405 method_not_allowed with an Allow header. Public reads that are the same "
    "for every caller carry an ETag and Cache-Control: public, max-age=N, and answer 304 to a matching "
    "If-None-Match; every other answer, refusals included, is Cache-Control: no-store."
)


@lru_cache(maxsize=1)
def openapi_document() -> Dict[str, Any]:
    """The whole document."""
    from pydantic.json_schema import models_json_schema

    from chalicelib.api.http import ROUTES
    from chalicelib.api.schemas import Error

    models: List[Tuple[Any, str]] = [(Error, "serialization")]
    models += [(doc.response, "serialization") for doc in ROUTES if doc.response is not None]
    models += [(doc.body, "validation") for doc in ROUTES if doc.body is not None]
    refs, definitions = models_json_schema(models, ref_template=COMPONENT)
    paths: Dict[str, Dict[str, Any]] = {}
    for doc in ROUTES:
        operation: Dict[str, Any] = {
            "summary": doc.summary,
            "operationId": operation_id(doc.method, doc.path),
            "parameters": _parameters(doc),
            "responses": {**_success(doc, refs), **_not_modified(doc), **_refusals(doc)},
        }
        if doc.auth:
            operation["security"] = [{"cognitoIdToken": []}]
        if doc.body is not None:
            operation["requestBody"] = {"required": doc.body_required, "content": {
                "application/json": {"schema": refs[(doc.body, "validation")]}}}
        paths.setdefault(doc.path, {})[doc.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Booking marketplace API", "version": "1.0.0", "description": DESCRIPTION},
        "paths": paths,
        "components": {"schemas": definitions.get("$defs", {}), "securitySchemes": {"cognitoIdToken": {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "A Cognito ID token (not the access token) of the user pool named by GET /v1/config"}}},
    }


def operation_id(method: str, path: str) -> str:
    """The operationId of a route: its method and path as one snake_case word."""
    return f"{method.lower()}_{re.sub(r'[^a-z0-9]+', '_', path.lower()).strip('_')}"


P, B = "/v1/providers/{provider_id}", "/v1/bookings/{booking_id}"
PROVIDER_ID = {"path.provider_id": "$response.body#/provider_id"}
BOOKING_ID = {"path.booking_id": "$response.body#/booking_id"}
OF_SERVICE = {"provider_id": "$response.body#/provider_id", "service_id": "$response.body#/service_id"}
# OpenAPI links: what a success answer lets a client do next, and with which of its values (runtime expressions).
# Keyed by the source route; each link names its target route, and its parameters or body fields.
LINKS: Dict[Tuple[str, str], Dict[str, Dict[str, Any]]] = {
    ("POST", "/v1/providers"): {
        "ReplaceWorkingHours": {"route": ("PUT", P + "/working-hours"), "parameters": PROVIDER_ID},
        "AddService": {"route": ("POST", P + "/services"), "parameters": PROVIDER_ID},
        "GetAvailability": {"route": ("GET", P + "/availability"), "parameters": PROVIDER_ID},
        "ListBlocks": {"route": ("GET", P + "/blocks"), "parameters": PROVIDER_ID},
        "BlockTime": {"route": ("POST", P + "/blocks"), "parameters": PROVIDER_ID},
    },
    ("PUT", P + "/working-hours"): {
        "AddService": {"route": ("POST", P + "/services"),
                       "parameters": {"path.provider_id": "$request.path.provider_id"}},
    },
    ("POST", P + "/services"): {
        "GetAvailability": {"route": ("GET", P + "/availability"), "parameters": {
            "path.provider_id": "$response.body#/provider_id", "query.service_id": "$response.body#/service_id"}},
        "PlaceHold": {"route": ("POST", "/v1/holds"), "requestBody": OF_SERVICE},
        "Book": {"route": ("POST", "/v1/bookings"), "requestBody": OF_SERVICE},
    },
    ("POST", "/v1/holds"): {
        "BookHold": {"route": ("POST", "/v1/bookings"), "requestBody": {"hold_id": "$response.body#/hold_id"}},
        "ReleaseHold": {"route": ("DELETE", "/v1/holds/{hold_id}"),
                        "parameters": {"path.hold_id": "$response.body#/hold_id"}},
    },
    ("POST", "/v1/bookings"): {
        "GetBooking": {"route": ("GET", B), "parameters": BOOKING_ID},
        "RescheduleBooking": {"route": ("POST", B + "/reschedule"), "parameters": BOOKING_ID},
        "CancelBooking": {"route": ("POST", B + "/cancel"), "parameters": BOOKING_ID},
        "ConfirmBooking": {"route": ("POST", B + "/confirm"), "parameters": BOOKING_ID},
        "DeclineBooking": {"route": ("POST", B + "/decline"), "parameters": BOOKING_ID},
    },
    ("POST", B + "/reschedule"): {
        "GetBooking": {"route": ("GET", B), "parameters": BOOKING_ID},
        "CancelBooking": {"route": ("POST", B + "/cancel"), "parameters": BOOKING_ID},
    },
    ("POST", B + "/confirm"): {
        "RescheduleBooking": {"route": ("POST", B + "/reschedule"), "parameters": BOOKING_ID},
        "CancelBooking": {"route": ("POST", B + "/cancel"), "parameters": BOOKING_ID},
    },
}


def _links(doc) -> Dict[str, Any]:
    """The OpenAPI links of a route's success answer (none for most routes)."""
    links = {}
    for name, link in LINKS.get((doc.method, doc.path), {}).items():
        method, path = link["route"]
        links[name] = {"operationId": operation_id(method, path),
                       **{key: value for key, value in link.items() if key != "route"}}
    return links


def _parameters(doc) -> List[Dict[str, Any]]:
    from chalicelib.api.http import ID_PATTERN

    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "string", "pattern": ID_PATTERN.pattern, "minLength": 1, "maxLength": 64}}
                  for name in re.findall(r"{(\w+)}", doc.path)]
    for model, where in ((doc.query, "query"), (doc.headers, "header")):
        if model is not None:
            parameters += _model_parameters(model, where)
    if doc.cache is not None:
        parameters.append({"name": "If-None-Match", "in": "header", "required": False,
                           "description": "ETags of answers the caller holds; 304 when one is current",
                           "schema": {"type": "string"}})
    return parameters


def _model_parameters(model: Type, where: str) -> List[Dict[str, Any]]:
    """One parameter per field of a flat model (its alias is the parameter's name)."""
    schema = model.model_json_schema(by_alias=True)
    required = set(schema.get("required", []))
    parameters = []
    for name, field in schema["properties"].items():
        field = {key: value for key, value in field.items()
                 if key != "title" and not (key == "default" and value is None)}
        parameter = {"name": name, "in": where, "required": name in required}
        if "description" in field:
            parameter["description"] = field.pop("description")
        parameters.append({**parameter, "schema": field})
    return parameters


def _success(doc, refs) -> Dict[str, Any]:
    answer: Dict[str, Any] = {"description": doc.summary}
    if doc.response is not None:
        answer["content"] = {"application/json": {"schema": refs[(doc.response, "serialization")]}}
    elif doc.content_type != "application/json":
        answer["content"] = {doc.content_type: {"schema": {"type": "string"}}}
    answer["headers"] = _caching_headers(doc)
    links = _links(doc)
    if links:
        answer["links"] = links
    if doc.headers is not None and "Idempotency-Key" in doc.headers.model_json_schema(by_alias=True)["properties"]:
        answer["headers"]["Idempotent-Replayed"] = {
            "description": "true when this is a replay of the first answer to the same key and body",
            "schema": {"type": "string", "enum": ["true"]}}
    return {str(doc.status): answer}


def _caching_headers(doc) -> Dict[str, Any]:
    """Cache-Control of a success answer (its policy, or no-store), and the ETag of a cached one."""
    from chalicelib.api.caching import NO_STORE

    if doc.cache is None:
        return {"Cache-Control": {"description": "never stored by a cache",
                                  "schema": {"type": "string", "const": NO_STORE}}}
    return {
        "Cache-Control": {"description": f"a cache may reuse the answer for {doc.cache.max_age} s",
                          "schema": {"type": "string", "const": doc.cache.cache_control}},
        "ETag": {"description": "a weak tag of the body; send it as If-None-Match to get 304 while it is current",
                 "schema": {"type": "string"}},
    }


def _not_modified(doc) -> Dict[str, Any]:
    """The 304 of a cached route: the caller's copy is current; no body."""
    if doc.cache is None:
        return {}
    return {"304": {"description": "Not Modified: If-None-Match names the current ETag; no body",
                    "headers": _caching_headers(doc)}}


def _refusals(doc) -> Dict[str, Any]:
    """The error answers a route can give: those of every route of its kind, and those it declares."""
    from chalicelib.api.http import WRITE_METHODS, status_of
    from chalicelib.domain.errors import InvalidRequest, NotFound, RateLimited, TryAgain, Unauthenticated

    has_ids = "{" in doc.path
    kinds = [InvalidRequest] if doc.body or doc.query or doc.headers else []
    kinds += [Unauthenticated] if doc.auth else []
    kinds += [NotFound] if has_ids else []
    kinds += list(doc.raises)
    kinds += [RateLimited] if doc.auth and doc.method in WRITE_METHODS else []  # every signed-in change is counted
    kinds += [TryAgain] if doc.auth or has_ids else []  # a route that reads the table or checks a token
    by_status: Dict[int, List[Any]] = {}
    for kind in kinds:
        same = by_status.setdefault(status_of(kind), [])
        if kind.code not in [k.code for k in same]:
            same.append(kind)
    answers: Dict[str, Any] = {}
    for status in sorted(by_status):
        answer: Dict[str, Any] = {
            "description": "; ".join(f"{kind.code}: {_meaning(kind)}" for kind in by_status[status]),
            "content": {"application/json": {"schema": ERROR_REF}}}
        if status in (429, 503):
            answer["headers"] = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
        answers[str(status)] = answer
    return answers


def _meaning(kind) -> str:
    """What a refusal means, from its class's docstring."""
    return (kind.__doc__ or "").strip().splitlines()[0].rstrip(".")
