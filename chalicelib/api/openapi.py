"""The OpenAPI 3.1 document, made from the routes as registered, so it lists every route that exists."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict

ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "booking_ids": {"type": "array", "items": {"type": "string"}}}}},
}
ERRORS = {
    "400": "invalid_request", "401": "unauthenticated", "403": "forbidden", "404": "not_found",
    "409": "slot_unavailable, hold_expired, conflicts_with_bookings, booking_not_modifiable, "
           "cancel_window_closed, request_in_progress",
    "422": "idempotency_key_reused", "503": "try_again",
}


@lru_cache(maxsize=1)
def openapi_document() -> Dict[str, Any]:
    """The whole document."""
    from chalicelib.api.http import ROUTES

    paths: Dict[str, Dict[str, Any]] = {}
    schemas: Dict[str, Any] = {"Error": ERROR_SCHEMA}
    for doc in ROUTES:
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                      for name in re.findall(r"{(\w+)}", doc.path)]
        parameters += [{"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                       for name in doc.query]
        parameters += [{"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
                       for name in doc.headers]
        responses: Dict[str, Any] = {str(doc.status): {"description": "Success"}}
        if doc.status != 204:
            responses[str(doc.status)]["content"] = {"application/json": {"schema": {"type": "object"}}}
        for status, codes in ERRORS.items():
            if status in ("401", "403") and not doc.auth:
                continue
            responses[status] = {"description": codes,
                                 "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        operation: Dict[str, Any] = {"summary": doc.summary, "parameters": parameters, "responses": responses,
                                     "operationId": f"{doc.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', doc.path.lower()).strip('_')}"}
        if doc.auth:
            operation["security"] = [{"cognitoIdToken": []}]
        if doc.body is not None:
            schema = doc.body.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[doc.body.__name__] = schema
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{doc.body.__name__}"}}}}
        paths.setdefault(doc.path, {})[doc.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Booking marketplace API", "version": "1.0.0"},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"cognitoIdToken": {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "A Cognito ID token of the user pool named by GET /v1/config"}}},
    }
